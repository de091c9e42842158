"""Load and validate the screening rules file (zone distances and the grade rule table).

The rules live in one editable TOML file, by default ``layers/rules.toml`` at the repository
root; the environment variable ``FOSSILGIS_RULES`` names another file. The file holds
distances with their provenance and an ordered list of match rules (first match wins; a
``when`` key left out matches anything). :func:`load_rules` expands the rules to every
combination of zone × target kind × protection level × project type × ground disturbance
and refuses a file with gaps, unknown keys or values outside the closed vocabularies.

Apart from reading that one file, everything here is pure.
"""

from __future__ import annotations

import itertools
import math
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fossilgis import vocab
from fossilgis.errors import RulesError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    import pandas as pd

#: grades, ordered from harmless to worst; a project's verdict is its worst grade
GRADES: tuple[str, ...] = vocab.GRADES.codes
#: zones of a target, innermost first
ZONES: tuple[str, ...] = vocab.ZONES.codes
TARGET_KINDS: tuple[str, ...] = vocab.TARGET_KINDS.codes
PROTECTION_LEVELS: tuple[str, ...] = vocab.PROTECTION_LEVELS.codes
PROJECT_TYPES: tuple[str, ...] = vocab.PROJECT_TYPES.codes

# labels as {code: {"zh": ..., "en": ...}} for older callers; fossilgis.vocab owns them
GRADE_LABELS: dict[str, dict[str, str]] = vocab.GRADES.as_dicts()
ZONE_LABELS: dict[str, dict[str, str]] = vocab.ZONES.as_dicts()
TARGET_KIND_LABELS: dict[str, dict[str, str]] = vocab.TARGET_KINDS.as_dicts()
PROTECTION_LEVEL_LABELS: dict[str, dict[str, str]] = vocab.PROTECTION_LEVELS.as_dicts()
PROJECT_TYPE_LABELS: dict[str, dict[str, str]] = vocab.PROJECT_TYPES.as_dicts()

#: the order of the keys of a combination (and of the first columns of the outcome table)
MATCH_KEYS: tuple[str, ...] = (
    "zone",
    "target_kind",
    "protection_level",
    "project_type",
    "ground_disturbance",
)
_VOCAB: dict[str, tuple[Any, ...]] = {
    "zone": ZONES,
    "target_kind": TARGET_KINDS,
    "protection_level": PROTECTION_LEVELS,
    "project_type": PROJECT_TYPES,
    "ground_disturbance": (True, False),
}

#: environment variable that names another rules file
ENV_VAR = "FOSSILGIS_RULES"

_TOP_KEYS = {
    "version",
    "description",
    "attention_distance_m",
    "control_distance_m",
    "section_core_halfwidth_m",
    "citations",
    "follow_ups",
    "rule",
}
_VALUE_KEYS = {"value", "source", "default", "note"}
_TEXT_KEYS = {"zh", "en"}
_RULE_KEYS = {
    "id",
    "when",
    "grade",
    "reason_zh",
    "reason_en",
    "follow_up",
    "legal_basis",
    "note",
}
#: separator between the Chinese and the English text of a follow-up or a citation
BILINGUAL_SEP = " / "


@dataclass(frozen=True)
class Outcome:
    """What the rule table says for one combination.

    ``follow_up`` and ``legal_basis`` items read ``"中文 / English"``.
    """

    grade: str
    reason_zh: str
    reason_en: str
    follow_up: list[str] = field(default_factory=list)
    legal_basis: list[str] = field(default_factory=list)
    rule_id: str = ""


@dataclass(frozen=True)
class Provenance:
    """Where a value comes from: its source text and whether it is a fossilgis default."""

    source: str
    default: bool


@dataclass(frozen=True)
class MatchRule:
    """One rule of the table as written: its conditions (``None`` = any) and its outcome."""

    id: str
    when: dict[str, tuple[Any, ...] | None]
    outcome: Outcome

    def matches(self, combo: Mapping[str, Any]) -> bool:
        """True when every condition of the rule admits the combination."""
        return all(v is None or combo[k] in v for k, v in self.when.items())


@dataclass(frozen=True)
class Rules:
    """The validated content of a rules file.

    Attributes
    ----------
    path : Path
        The file it was read from.
    version : str
        The file's ``version``.
    attention_distance_m : float
        关注区 screening distance from the core edge, metres.
    control_distance_m : dict
        建设控制地带 width in metres, keyed ``"<kind>:<level>"``, e.g. ``"site:national_key"``.
    section_core_halfwidth_m : float
        Half-width of a section's core (its trace buffered by this), metres.
    rules : tuple of MatchRule
        The match rules in file order.
    provenance : dict
        :class:`Provenance` of each distance, keyed by its path in the file, e.g.
        ``"attention_distance_m"`` or ``"control_distance_m.site.general"``.
    """

    path: Path
    version: str
    attention_distance_m: float
    control_distance_m: dict[str, float]
    section_core_halfwidth_m: float
    rules: tuple[MatchRule, ...]
    provenance: dict[str, Provenance]
    _table: dict[tuple[Any, ...], Outcome] = field(repr=False, compare=False, default_factory=dict)

    def control_distance_for(self, kind: str, protection_level: str) -> float:
        """Width of the construction-control zone for a target kind and protection level.

        Parameters
        ----------
        kind : {"site", "section"}
        protection_level : {"national_key", "provincial_key", "general"}

        Returns
        -------
        float
            Metres from the core edge.
        """
        _check_value("target_kind", kind)
        _check_value("protection_level", protection_level)
        return self.control_distance_m[f"{kind}:{protection_level}"]

    def outcome(
        self,
        zone: str,
        target_kind: str,
        protection_level: str,
        project_type: str,
        ground_disturbance: bool,
    ) -> Outcome:
        """The outcome of the rule table for one combination.

        Parameters
        ----------
        zone : {"core", "control", "attention"}
        target_kind : {"site", "section"}
        protection_level : {"national_key", "provincial_key", "general"}
        project_type : {"linear", "mining", "building", "water", "other"}
        ground_disturbance : bool
            Whether the project disturbs the ground (excavation, foundations, cuts, fill).

        Returns
        -------
        Outcome
            Grade, reasons, follow-ups and legal basis of the first matching rule.
        """
        combo = (zone, target_kind, protection_level, project_type, ground_disturbance)
        for key, value in zip(MATCH_KEYS, combo, strict=True):
            _check_value(key, value)
        out = self._table[combo]
        # a copy, so that a caller editing its lists cannot change the table
        return replace(out, follow_up=list(out.follow_up), legal_basis=list(out.legal_basis))

    def outcome_table(self) -> pd.DataFrame:
        """Every combination with its outcome, one row each (3 × 2 × 3 × 5 × 2 = 180 rows).

        Returns
        -------
        pandas.DataFrame
            Columns ``zone, target_kind, protection_level, project_type,
            ground_disturbance, grade, reason_zh, reason_en, follow_up, legal_basis,
            rule_id``; ``follow_up`` and ``legal_basis`` hold lists of strings. Merge on
            the first five columns to grade many pairs at once.
        """
        import pandas as pd

        records = []
        for combo, out in self._table.items():
            row = dict(zip(MATCH_KEYS, combo, strict=True))
            row.update(
                grade=out.grade,
                reason_zh=out.reason_zh,
                reason_en=out.reason_en,
                follow_up=list(out.follow_up),
                legal_basis=list(out.legal_basis),
                rule_id=out.rule_id,
            )
            records.append(row)
        table = pd.DataFrame.from_records(records)
        return table.astype({"ground_disturbance": bool})


def grade_rank(grade: str) -> int:
    """Position of a grade in :data:`GRADES` (0 = ``none``, 3 = ``avoid``)."""
    _check_value("grade", grade)
    return GRADES.index(grade)


def worst_grade(grades: Iterable[str]) -> str:
    """The worst of some grades; ``"none"`` for an empty input."""
    return max(grades, key=grade_rank, default="none")


def default_rules_path() -> Path:
    """The rules file used when none is given: ``$FOSSILGIS_RULES``, else the repo's file.

    Returns
    -------
    Path
        ``FOSSILGIS_RULES`` when set and not empty, else ``layers/rules.toml`` beside the
        package folder (``fossilgis/../layers/rules.toml``, which is the repository root in
        a checkout or an editable install).
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parent.parent / "layers" / "rules.toml"


def load_rules(path: str | os.PathLike[str] | None = None) -> Rules:
    """Read and validate a rules file.

    Parameters
    ----------
    path : path-like, optional
        The TOML file. Default: :func:`default_rules_path` (``FOSSILGIS_RULES`` or the
        repository's ``layers/rules.toml``).

    Returns
    -------
    Rules
        The validated rules, with the rule table expanded to every combination.

    Raises
    ------
    RulesError
        The file is missing or unreadable, or a value is missing, out of range, outside
        its vocabulary, unknown (a typo), or the rule table leaves a combination without a
        grade. The message names the file, the key path and the fix.
    """
    rules_path = Path(path) if path is not None else default_rules_path()
    try:
        raw = rules_path.read_bytes()
    except FileNotFoundError:
        if path is None and os.environ.get(ENV_VAR, "").strip():
            fix = (
                f"{ENV_VAR} names this file: point it to an existing rules file, or unset it "
                "to use the repository's layers/rules.toml."
            )
        else:
            fix = (
                f"Give the path of an existing rules file, or set {ENV_VAR} to it (an install "
                "that is not an editable one from the repository has no layers/ folder)."
            )
        raise RulesError(f"{rules_path}: rules file not found. {fix}") from None
    except OSError as exc:
        raise RulesError(f"{rules_path}: cannot read the rules file: {exc}.") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RulesError(
            f"{rules_path}: not UTF-8 text ({exc.reason} at byte {exc.start}). Save the file "
            "as UTF-8."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(
            f"{rules_path}: not valid TOML: {exc}. Fix the syntax at that line."
        ) from None
    return _parse(data, rules_path)


# ---------------------------------------------------------------------------------------
# validation


def _check_value(key: str, value: Any) -> None:
    allowed = GRADES if key == "grade" else _VOCAB[key]
    if key == "ground_disturbance":
        if not isinstance(value, bool):
            raise RulesError(f"ground_disturbance: {value!r} is not true or false.")
        return
    if value not in allowed:
        raise RulesError(f"{key}: {value!r} is not one of {', '.join(allowed)}.")


class _Ctx:
    """Builds error messages that name the file and the key path."""

    def __init__(self, path: Path):
        self.path = path

    def error(self, where: str, problem: str, fix: str) -> RulesError:
        return RulesError(f"{self.path}: {where}: {problem}. {fix}")

    def unknown_keys(self, where: str, table: Mapping[str, Any], allowed: set[str]) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            label = where or "top level"
            raise self.error(
                label,
                f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}",
                f"Allowed keys here: {', '.join(sorted(allowed))}. Check the spelling.",
            )

    def table(self, where: str, value: Any) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.error(where, f"expected a table, found {value!r}", "Write it as a table.")
        return value

    def text(self, where: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(
                where, f"expected non-empty text, found {value!r}", 'Write it as "text".'
            )
        return value


def _distance(ctx: _Ctx, where: str, entry: Any) -> tuple[float, Provenance]:
    """A distance entry ``{value, source, default}``."""
    if not isinstance(entry, Mapping):
        raise ctx.error(
            where,
            f"expected a table with value, source and default, found {entry!r}",
            'Write it as { value = 200, source = "...", default = true }.',
        )
    ctx.unknown_keys(where, entry, _VALUE_KEYS)
    if "value" not in entry:
        raise ctx.error(where, "no `value`", "Add `value = <metres>`.")
    value = entry["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ctx.error(
            f"{where}.value", f"{value!r} is not a number of metres", "Write a number, e.g. 200."
        )
    if value <= 0:
        raise ctx.error(
            f"{where}.value", f"{value!r} m is not positive", "Distances must be greater than 0 m."
        )
    if "source" not in entry:
        raise ctx.error(
            where,
            "no `source`",
            'Add `source = "..."` saying where the value comes from '
            "(law, office decision or fossilgis default).",
        )
    source = ctx.text(f"{where}.source", entry["source"])
    default = entry.get("default", False)
    if not isinstance(default, bool):
        raise ctx.error(
            f"{where}.default", f"{default!r} is not true or false", "Write true or false."
        )
    return float(value), Provenance(source, default)


def _texts(ctx: _Ctx, where: str, value: Any) -> dict[str, str]:
    """A table of ``key = { zh = "...", en = "..." }`` entries, joined as ``"zh / en"``."""
    out = {}
    for key, entry in ctx.table(where, value).items():
        here = f"{where}.{key}"
        entry = ctx.table(here, entry)
        ctx.unknown_keys(here, entry, _TEXT_KEYS)
        parts = []
        for lang in ("zh", "en"):
            if lang not in entry:
                raise ctx.error(here, f"no `{lang}` text", f'Add `{lang} = "..."`.')
            text = ctx.text(f"{here}.{lang}", entry[lang])
            if BILINGUAL_SEP in text:
                raise ctx.error(
                    f"{here}.{lang}",
                    f"the text contains {BILINGUAL_SEP!r}, which separates Chinese from English",
                    "Use another punctuation mark.",
                )
            parts.append(text)
        out[key] = BILINGUAL_SEP.join(parts)
    return out


def _condition(ctx: _Ctx, where: str, key: str, value: Any) -> tuple[Any, ...]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise ctx.error(where, "empty list", "Give at least one value, or leave the key out.")
    allowed = _VOCAB[key]
    for v in values:
        ok = isinstance(v, bool) if key == "ground_disturbance" else isinstance(v, str)
        if not ok or v not in allowed:
            shown = "true, false" if key == "ground_disturbance" else ", ".join(allowed)
            raise ctx.error(
                where, f"{v!r} is not a valid {key}", f"Use one of: {shown} (or a list of them)."
            )
    return tuple(values)


def _rule(
    ctx: _Ctx, index: int, entry: Any, citations: dict[str, str], follow_ups: dict[str, str]
) -> MatchRule:
    where = f"rule[{index}]"
    entry = ctx.table(where, entry)
    if "id" in entry:
        where = f"rule[{index}] (id {entry['id']!r})"
    ctx.unknown_keys(where, entry, _RULE_KEYS)
    for key in ("id", "grade", "reason_zh", "reason_en"):
        if key not in entry:
            raise ctx.error(where, f"no `{key}`", f"Add `{key} = ...` to the rule.")
    rule_id = ctx.text(f"{where}.id", entry["id"])
    grade = entry["grade"]
    if grade not in GRADES:
        raise ctx.error(
            f"{where}.grade",
            f"{grade!r} is not a grade",
            f"Use one of: {', '.join(GRADES)}.",
        )
    when_raw = ctx.table(f"{where}.when", entry.get("when", {}))
    ctx.unknown_keys(f"{where}.when", when_raw, set(MATCH_KEYS))
    when = {
        key: (
            _condition(ctx, f"{where}.when.{key}", key, when_raw[key]) if key in when_raw else None
        )
        for key in MATCH_KEYS
    }
    lists = {}
    for key, known in (("follow_up", follow_ups), ("legal_basis", citations)):
        items = entry.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ctx.error(
                f"{where}.{key}",
                f"expected a list of names, found {items!r}",
                f'Write e.g. {key} = ["{next(iter(known), "name")}"].',
            )
        for item in items:
            if item not in known:
                table = "follow_ups" if key == "follow_up" else "citations"
                raise ctx.error(
                    f"{where}.{key}",
                    f"{item!r} is not defined in [{table}]",
                    f"Use one of: {', '.join(known)}; or add it to [{table}].",
                )
        lists[key] = [known[i] for i in items]
    if grade != "none" and not lists["legal_basis"]:
        raise ctx.error(
            f"{where}.legal_basis",
            f"a rule of grade {grade!r} cites no legal basis",
            "Name at least one entry of [citations].",
        )
    outcome = Outcome(
        grade=grade,
        reason_zh=ctx.text(f"{where}.reason_zh", entry["reason_zh"]),
        reason_en=ctx.text(f"{where}.reason_en", entry["reason_en"]),
        follow_up=lists["follow_up"],
        legal_basis=lists["legal_basis"],
        rule_id=rule_id,
    )
    return MatchRule(rule_id, when, outcome)


def _describe(combo: tuple[Any, ...]) -> str:
    parts = []
    for key, value in zip(MATCH_KEYS, combo, strict=True):
        shown = str(value).lower() if isinstance(value, bool) else value
        parts.append(f"{key}={shown}")
    return ", ".join(parts)


def _expand(ctx: _Ctx, rules: list[MatchRule]) -> dict[tuple[Any, ...], Outcome]:
    table: dict[tuple[Any, ...], Outcome] = {}
    winners: set[str] = set()
    gaps = []
    for combo in itertools.product(*(_VOCAB[k] for k in MATCH_KEYS)):
        named = dict(zip(MATCH_KEYS, combo, strict=True))
        for rule in rules:
            if rule.matches(named):
                table[combo] = rule.outcome
                winners.add(rule.id)
                break
        else:
            gaps.append(combo)
    if gaps:
        shown = "; ".join(_describe(c) for c in gaps[:3])
        more = f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
        raise ctx.error(
            "rule",
            f"{len(gaps)} combination(s) match no rule, e.g. {shown}{more}",
            "Add a rule that matches them (a last rule without `when` catches everything).",
        )
    never = [r.id for r in rules if r.id not in winners]
    if never:
        raise ctx.error(
            "rule",
            f"rule(s) {', '.join(map(repr, never))} never apply: earlier rules match all their "
            "combinations first",
            "Move them before the rules that hide them, narrow those rules, or delete them.",
        )
    return table


def _parse(data: Mapping[str, Any], path: Path) -> Rules:
    ctx = _Ctx(path)
    ctx.unknown_keys("", data, _TOP_KEYS)
    if "version" not in data:
        raise ctx.error(
            "version", "missing", 'Add a line `version = "2026.1"` at the top of the file.'
        )
    version = data["version"]
    if not isinstance(version, str) or not version.strip():
        raise ctx.error(
            "version",
            f"{version!r} is not a version text",
            'Write it in quotes, e.g. version = "2026.1".',
        )

    provenance: dict[str, Provenance] = {}
    for key in ("attention_distance_m", "section_core_halfwidth_m"):
        if key not in data:
            raise ctx.error(key, "missing", f"Add a table [{key}] with value, source and default.")
    attention, provenance["attention_distance_m"] = _distance(
        ctx, "attention_distance_m", data["attention_distance_m"]
    )
    halfwidth, provenance["section_core_halfwidth_m"] = _distance(
        ctx, "section_core_halfwidth_m", data["section_core_halfwidth_m"]
    )

    if "control_distance_m" not in data:
        raise ctx.error(
            "control_distance_m",
            "missing",
            "Add tables [control_distance_m.site] and [control_distance_m.section], each with "
            "national_key, provincial_key and general.",
        )
    control_raw = ctx.table("control_distance_m", data["control_distance_m"])
    ctx.unknown_keys("control_distance_m", control_raw, set(TARGET_KINDS))
    control: dict[str, float] = {}
    for kind in TARGET_KINDS:
        where = f"control_distance_m.{kind}"
        if kind not in control_raw:
            raise ctx.error(where, "missing", f"Add a table [{where}].")
        per_level = ctx.table(where, control_raw[kind])
        ctx.unknown_keys(where, per_level, set(PROTECTION_LEVELS))
        for level in PROTECTION_LEVELS:
            here = f"{where}.{level}"
            if level not in per_level:
                raise ctx.error(
                    here, "missing", f'Add `{level} = {{ value = ..., source = "..." }}`.'
                )
            value, provenance[here] = _distance(ctx, here, per_level[level])
            if value >= attention:
                raise ctx.error(
                    here,
                    f"{value:g} m is not less than attention_distance_m ({attention:g} m)",
                    "The control zone must lie inside the attention zone: lower this width or "
                    "raise attention_distance_m.",
                )
            control[f"{kind}:{level}"] = value

    citations = _texts(ctx, "citations", data.get("citations", {}))
    follow_ups = _texts(ctx, "follow_ups", data.get("follow_ups", {}))

    raw_rules = data.get("rule")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ctx.error(
            "rule", "no rules", "Add the rule table as [[rule]] entries (see layers/rules.toml)."
        )
    rules = [_rule(ctx, i, r, citations, follow_ups) for i, r in enumerate(raw_rules)]
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        if rule.id in seen:
            raise ctx.error(
                f"rule[{i}].id", f"{rule.id!r} is used twice", "Give each rule its own id."
            )
        seen.add(rule.id)
    table = _expand(ctx, rules)
    return Rules(
        path=path,
        version=version,
        attention_distance_m=attention,
        control_distance_m=control,
        section_core_halfwidth_m=halfwidth,
        rules=tuple(rules),
        provenance=provenance,
        _table=table,
    )
