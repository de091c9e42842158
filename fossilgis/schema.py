"""The attribute schema of the reference layers: the one place that lists their fields."""

from __future__ import annotations

from fossilgis import vocab

LAYER_KINDS = vocab.LAYER_KINDS.codes

#: fields common to both layers, in order; (name, type, required)
_COMMON = [
    ("id", "str", True),
    ("name_zh", "str", True),
    ("name_en", "str", True),
    ("county_zh", "str", False),
    ("county_en", "str", False),
    ("age", "str", False),
    ("formation", "str", False),
]
_TAIL = [
    ("protection_level", "str", True),
    ("status", "str", False),
    ("accuracy_class", "str", False),
    ("accuracy_m", "float", False),
    ("boundary_status", "str", True),
    ("source", "str", False),
]

LAYER_FIELDS: dict[str, list[tuple[str, str, bool]]] = {
    "sites": _COMMON + [("fossils", "str", False)] + _TAIL,
    "sections": _COMMON + [("boundary", "str", False)] + _TAIL,
}

#: geometry families allowed per layer
LAYER_GEOMETRY = {
    "sites": ("Polygon", "MultiPolygon"),
    "sections": ("LineString", "MultiLineString"),
}

#: the singular kind used in impact results ("site" | "section")
TARGET_KIND = {"sites": "site", "sections": "section"}

PROTECTION_LEVELS = vocab.PROTECTION_LEVELS.codes

#: labels that registries use for the protection levels, recoded on import
PROTECTION_LEVEL_ALIASES = {
    "国家级重点": "national_key",
    "国家重点": "national_key",
    "国家级": "national_key",
    "省级重点": "provincial_key",
    "省重点": "provincial_key",
    "省级": "provincial_key",
    "一般": "general",
    "一般保护": "general",
}
BOUNDARY_STATUSES = vocab.BOUNDARY_STATUSES.codes

#: layer kind -> (中文, English)
LABELS = {kind: tuple(label) for kind, label in vocab.LAYER_KINDS.items()}


def field_names(kind: str) -> list[str]:
    return [name for name, _, _ in LAYER_FIELDS[kind]]


def check_kind(kind: str) -> str:
    from fossilgis.errors import FossilGISError

    if kind not in LAYER_KINDS:
        raise FossilGISError(
            f"unknown layer kind {kind!r}; expected one of: {', '.join(LAYER_KINDS)}"
        )
    return kind
