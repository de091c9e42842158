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

#: the geological map's units (``layers import --kind formations``): the fields a unit may
#: carry; none alone is required, but every unit needs a code or a name (:data:`ANY_OF`)
FORMATIONS = "formations"

LAYER_FIELDS: dict[str, list[tuple[str, str, bool]]] = {
    "sites": _COMMON + [("fossils", "str", False)] + _TAIL,
    "sections": _COMMON + [("boundary", "str", False)] + _TAIL,
    FORMATIONS: [
        ("unit", "str", False),
        ("name_zh", "str", False),
        ("name_en", "str", False),
        ("age", "str", False),
        ("lithology", "str", False),
    ],
}

#: the office's own context layers (``layers import --kind context-counties`` …): drawn
#: under the sites for orientation (fossilgis.context), written to the data directory
CONTEXT_KINDS = {
    "context-province": ("province", ("Polygon", "MultiPolygon")),
    "context-prefectures": ("prefectures", ("Polygon", "MultiPolygon")),
    "context-counties": ("counties", ("Polygon", "MultiPolygon")),
    "context-places": ("places", ("Point", "MultiPoint")),
    "context-rivers": ("rivers", ("LineString", "MultiLineString")),
    "context-roads": ("roads", ("LineString", "MultiLineString")),
}
_CONTEXT_FIELDS = [("name_zh", "str", False), ("name_en", "str", False), ("rank", "str", False)]

#: fields of which a feature must fill at least one, per kind
ANY_OF = {
    FORMATIONS: ("unit", "name_zh", "name_en"),
    **{
        k: ("name_zh", "name_en")
        for k in ("context-prefectures", "context-counties", "context-places")
    },
}

#: the kinds ``layers import`` and ``layers validate`` read: the registry, the geology and
#: the office's context layers
IMPORT_KINDS = (*LAYER_KINDS, FORMATIONS, *CONTEXT_KINDS)

#: geometry families allowed per layer
LAYER_GEOMETRY = {
    "sites": ("Polygon", "MultiPolygon"),
    "sections": ("LineString", "MultiLineString"),
    FORMATIONS: ("Polygon", "MultiPolygon"),
}
for _kind, (_name, _family) in CONTEXT_KINDS.items():
    LAYER_FIELDS[_kind] = _CONTEXT_FIELDS
    LAYER_GEOMETRY[_kind] = _family

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


def check_kind(kind: str, kinds=LAYER_KINDS) -> str:
    """``kind`` when it is one of ``kinds`` (default: the registry's), else a clear error."""
    from fossilgis.errors import FossilGISError

    if kind not in kinds:
        raise FossilGISError(f"unknown layer kind {kind!r}; expected one of: {', '.join(kinds)}")
    return kind
