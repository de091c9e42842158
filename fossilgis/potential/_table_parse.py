"""Read and validate a fossil potential table file: every problem is collected, then raised
at once, each naming the file and the row or key and saying how to fix it."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fossilgis.potential.table import (
    PFYC_CLASSES,
    PotentialAction,
    PotentialClass,
    PotentialTable,
    PotentialTableError,
    PotentialUnit,
    normalise_code,
    normalise_name,
)
from fossilgis.rules import PROJECT_TYPES, Provenance

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - exercised on Python 3.10 only
    pass

_TOP_KEYS = {"version", "description", "classes", "actions", "requirements", "unit"}
_CLASS_TEXTS = ("zh", "en", "description_zh", "description_en")
_CLASS_KEYS = {*_CLASS_TEXTS, "rank", "colour", "source", "note"}
_ACTION_KEYS = {"zh", "en", "source", "note"}
_REQUIREMENT_KEYS = {*PROJECT_TYPES, "source", "default", "note"}
_UNIT_KEYS = {"codes", "names", "class", "source", "note"}
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")
_ACTION_ID = re.compile(r"[a-z][a-z0-9_]*")


def read_toml(path: Path, *, from_env: bool = False) -> dict[str, Any]:
    """The parsed TOML of ``path``; PotentialTableError when missing, unreadable or invalid."""
    from fossilgis.datafiles import read_toml_file

    return read_toml_file(
        path,
        what="potential table",
        env_var="FOSSILGIS_POTENTIAL",
        error=PotentialTableError,
        from_env=from_env,
    )


class _Problems:
    """Collects problems, each as ``"<file> <where>: <problem>. <fix>"``."""

    def __init__(self, path: Path):
        self.path = path
        self.items: list[str] = []

    def add(self, where: str, problem: str, fix: str) -> None:
        self.items.append(f"{self.path} {where}: {problem}. {fix}")

    def table(self, where: str, value: Any, example: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            return value
        self.add(where, f"expected a table, found {value!r}", f"Write it as {example}.")
        return None

    def unknown_keys(self, where: str, table: Mapping[str, Any], allowed: set[str]) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            self.add(
                where,
                f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}",
                f"Allowed keys here: {', '.join(sorted(allowed))}. Check the spelling.",
            )

    def text(self, where: str, table: Mapping[str, Any], key: str, fix: str) -> str:
        value = table.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        found = "no" if value is None else f"{value!r}, not a"
        self.add(where, f"{found} `{key}` text", fix)
        return ""

    def strings(self, where: str, table: Mapping[str, Any], key: str) -> list[str]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(
                where,
                f"`{key}` is {value!r}, not a list of texts",
                f'Write e.g. {key} = ["...", "..."] (or [] for none).',
            )
            return []
        if any(not v.strip() for v in value):
            self.add(where, f"`{key}` holds an empty text", "Remove the empty entry.")
        return [v.strip() for v in value if v.strip()]


def _classes(p: _Problems, raw: Any) -> dict[str, PotentialClass]:
    example = '[classes."3"] with zh, en, description_zh, description_en, rank and colour'
    table = p.table("[classes]", raw if raw is not None else "nothing", example)
    if table is None:
        return {}
    out: dict[str, PotentialClass] = {}
    for code, entry in table.items():
        where = f'[classes."{code}"]'
        if code not in PFYC_CLASSES:
            p.add(
                where,
                f"{code!r} is not a potential class",
                f"The classes are {', '.join(PFYC_CLASSES)} (BLM PFYC); check the spelling.",
            )
            continue
        entry = p.table(where, entry, example)
        if entry is None:
            continue
        p.unknown_keys(where, entry, _CLASS_KEYS)
        texts = [p.text(where, entry, k, f'Add `{k} = "..."`.') for k in _CLASS_TEXTS]
        rank = entry.get("rank")
        if isinstance(rank, bool) or not isinstance(rank, int):
            p.add(where, f"rank {rank!r} is not a whole number", "Write e.g. rank = 3.")
            rank = None
        colour = entry.get("colour")
        if not isinstance(colour, str) or not _COLOUR.fullmatch(colour):
            p.add(
                where,
                f"colour {colour!r} is not a #RRGGBB hex colour",
                'Write e.g. colour = "#fe9929".',
            )
        if rank is not None and all(texts) and _COLOUR.fullmatch(str(colour)):
            out[code] = PotentialClass(code, *texts, rank=rank, colour=colour.lower())
    missing = [c for c in PFYC_CLASSES if c not in table]
    if missing:
        p.add(
            "[classes]",
            f"class(es) {', '.join(missing)} missing",
            f'Define every class {", ".join(PFYC_CLASSES)}, e.g. [classes."{missing[0]}"].',
        )
    by_rank: dict[int, list[str]] = {}
    for c in out.values():
        by_rank.setdefault(c.rank, []).append(c.code)
    for rank, codes in sorted(by_rank.items()):
        if len(codes) > 1:
            p.add(
                "[classes]",
                f"classes {' and '.join(map(repr, codes))} share rank {rank}",
                "Give each class its own rank: a project's highest class is chosen by rank.",
            )
    return dict(sorted(out.items(), key=lambda kv: kv[1].rank))


def _actions(p: _Problems, raw: Any) -> dict[str, PotentialAction]:
    table = p.table("[actions]", raw if raw is not None else "nothing", "[actions.survey] zh, en")
    out: dict[str, PotentialAction] = {}
    for action_id, entry in (table or {}).items():
        where = f"[actions.{action_id}]"
        if not _ACTION_ID.fullmatch(action_id):
            p.add(
                where,
                f"{action_id!r} is not a usable action id",
                "Use lower-case letters, digits and _ (e.g. desk_review).",
            )
        entry = p.table(where, entry, '{ zh = "...", en = "..." }')
        if entry is None:
            continue
        p.unknown_keys(where, entry, _ACTION_KEYS)
        zh = p.text(where, entry, "zh", 'Add `zh = "..."` (the action in Chinese).')
        en = p.text(where, entry, "en", 'Add `en = "..."` (the action in English).')
        out[action_id] = PotentialAction(action_id, zh, en)
    return out


def _requirements(
    p: _Problems, raw: Any, class_codes: list[str], actions: dict[str, PotentialAction]
) -> tuple[dict[tuple[str, str], tuple[str, ...]], dict[str, Provenance]]:
    example = '[requirements."3"] with a list per project type and source'
    table = p.table("[requirements]", raw if raw is not None else "nothing", example)
    matrix: dict[tuple[str, str], tuple[str, ...]] = {}
    sources: dict[str, Provenance] = {}
    if table is None:
        return matrix, sources
    for code, entry in table.items():
        where = f'[requirements."{code}"]'
        if code not in class_codes:
            p.add(where, f"{code!r} is not a class of [classes]", f"Use {', '.join(class_codes)}.")
            continue
        entry = p.table(where, entry, example)
        if entry is None:
            continue
        unknown = sorted(set(entry) - _REQUIREMENT_KEYS)
        if unknown:
            p.add(
                where,
                f"unknown project type or key {', '.join(map(repr, unknown))}",
                f"The project types are {', '.join(PROJECT_TYPES)} (fossilgis.rules); the "
                "other keys are source, default and note. Check the spelling.",
            )
        source = p.text(
            where,
            entry,
            "source",
            'Add `source = "..."` saying where these requirements come from (guidance, '
            "office decision or fossilgis default).",
        )
        default = entry.get("default", False)
        if not isinstance(default, bool):
            p.add(where, f"default {default!r} is not true or false", "Write true or false.")
        sources[code] = Provenance(source, bool(default))
        for ptype in PROJECT_TYPES:
            if ptype not in entry:
                p.add(
                    where,
                    f"no `{ptype}` list: the matrix has a hole at class {code} × {ptype}",
                    f"Add `{ptype} = [...]` with the action ids, or `{ptype} = []` for none.",
                )
                continue
            ids = p.strings(where, entry, ptype)
            for action_id in ids:
                if action_id not in actions:
                    p.add(
                        where,
                        f"`{ptype}` names an unknown action {action_id!r}",
                        f"Use one of {', '.join(actions) or '(none defined)'}, or add it to "
                        "[actions].",
                    )
            if len(set(ids)) < len(ids):
                p.add(where, f"`{ptype}` lists an action twice", "List each action once.")
            matrix[(code, ptype)] = tuple(dict.fromkeys(ids))
    for code in class_codes:
        if code not in table:
            p.add(
                "[requirements]",
                f"no row for class {code}: the matrix has a hole",
                f'Add [requirements."{code}"] with a list for each of '
                f"{', '.join(PROJECT_TYPES)} and a source.",
            )
    return matrix, sources


def _unit_label(entry: Mapping[str, Any]) -> str:
    for key in ("names", "codes"):
        values = entry.get(key)
        if isinstance(values, list) and values and isinstance(values[0], str):
            return values[0]
    return "no name"


def _units(p: _Problems, raw: Any, class_codes: list[str]) -> list[PotentialUnit]:
    if not isinstance(raw, list) or not raw:
        p.add(
            "[[unit]]",
            "no unit rows" if raw is None else f"expected [[unit]] rows, found {raw!r}",
            "Add one [[unit]] table per map unit (see layers/potential.toml).",
        )
        return []
    units: list[PotentialUnit] = []
    code_owner: dict[str, tuple[int, str, str]] = {}
    name_owner: dict[str, tuple[int, str, str]] = {}
    for row, entry in enumerate(raw, start=1):
        if not isinstance(entry, Mapping):
            p.add(f"[[unit]] #{row}", f"expected a table, found {entry!r}", "Write [[unit]].")
            continue
        label = _unit_label(entry)
        where = f"[[unit]] #{row} ({label})"
        p.unknown_keys(where, entry, _UNIT_KEYS)
        codes, names = p.strings(where, entry, "codes"), p.strings(where, entry, "names")
        if not codes and not names and "codes" in entry and "names" in entry:
            p.add(
                where,
                "no codes and no names: the row can never match a map unit",
                'Add the unit\'s map code(s), e.g. codes = ["T2f"], or its names.',
            )
        elif not codes and not names:
            p.add(
                where,
                "no `codes` and no `names`",
                'Add codes = ["..."] (may be []) and names = ["Chinese", "English", ...].',
            )
        pclass = entry.get("class")
        if not isinstance(pclass, str):
            fix = f'Write it in quotes: class = "{pclass}".' if pclass is not None else ""
            p.add(
                where,
                "no `class`" if pclass is None else f"class {pclass!r} is not a text",
                fix or f'Add class = "..." (one of {", ".join(class_codes)}).',
            )
        elif pclass not in class_codes:
            p.add(
                where,
                f"unknown class {pclass!r}",
                f"Use one of {', '.join(class_codes)} (defined in [classes]).",
            )
        source = p.text(
            where,
            entry,
            "source",
            'Add `source = "..."`: the literature, biota or locality that justifies the class.',
        )
        note = entry.get("note", "")
        if not isinstance(note, str):
            p.add(where, f"note {note!r} is not a text", 'Write note = "...".')
            note = ""
        for kind, values, normalise, owners in (
            ("code", codes, normalise_code, code_owner),
            ("name", names, normalise_name, name_owner),
        ):
            for value in values:
                key = normalise(value)
                if not key:
                    p.add(where, f"{kind} {value!r} is empty once normalised", "Remove it.")
                    continue
                first = owners.setdefault(key, (row, label, value))
                if first[0] != row:
                    same = "" if first[2] == value else f" ({first[2]!r}: both read {key!r})"
                    p.add(
                        where,
                        f"{kind} {value!r} is also used by [[unit]] #{first[0]} ({first[1]}){same}",
                        f"A {kind} may belong to one row only: remove it from one of the two "
                        "rows, or merge them.",
                    )
        units.append(PotentialUnit(row, tuple(codes), tuple(names), str(pclass), source, note))
    return units


def parse_table(data: Mapping[str, Any], path: Path) -> PotentialTable:
    """A :class:`PotentialTable` from parsed TOML, or PotentialTableError listing every problem."""
    p = _Problems(path)
    p.unknown_keys("(top level)", data, _TOP_KEYS)
    version = p.text("(top level)", data, "version", 'Add `version = "2026.1"` at the top.')
    description = p.text(
        "(top level)", data, "description", 'Add `description = "..."` saying what the table is.'
    )
    classes = _classes(p, data.get("classes"))
    raw_classes = data.get("classes")
    # rows are checked against the classes the file names, even where a class entry is faulty
    class_codes = (
        [c for c in PFYC_CLASSES if c in raw_classes]
        if isinstance(raw_classes, Mapping)
        else list(PFYC_CLASSES)
    )
    actions = _actions(p, data.get("actions"))
    matrix, sources = _requirements(p, data.get("requirements"), class_codes, actions)
    units = _units(p, data.get("unit"), class_codes)
    if p.items:
        count = len(p.items)
        header = (
            f"{path}: the fossil potential table has {count} problem{'s' if count > 1 else ''}; "
            "fix each one and load it again:"
        )
        raise PotentialTableError("\n".join([header, *(f"- {i}" for i in p.items)]), p.items)
    return PotentialTable(
        path=path,
        version=version,
        description=description,
        classes=classes,
        actions=actions,
        units=units,
        requirements=matrix,
        requirement_sources=sources,
    )
