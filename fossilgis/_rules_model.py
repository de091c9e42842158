"""The screening rules as objects: vocabularies, outcomes with provenance, the rule table."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fossilgis import vocab
from fossilgis.errors import RulesError

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - exercised on Python 3.10 only
    pass

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
    #: the ``[[potential_rule]]`` table as written, and expanded
    potential_rules: tuple[MatchRule, ...] = ()
    _potential: dict[tuple[Any, ...], Outcome] = field(
        repr=False, compare=False, default_factory=dict
    )

    def potential_outcome(
        self, potential_class: str, project_type: str, ground_disturbance: bool
    ) -> Outcome:
        """The grade a project gets for disturbing ground of a fossil potential class.

        ``potential_class`` is one of ``"1"`` … ``"5"``, ``"U"`` (layers/potential.toml).
        """
        key = (potential_class, project_type, bool(ground_disturbance))
        if not self._potential:
            raise RulesError(
                f"{self.path}: the rules file has no [[potential_rule]] table, which grades "
                "the fossil potential of the ground now that the store holds a geological "
                "map; copy that section from layers/rules.toml (docs/potential.md)"
            )
        if key not in self._potential:
            raise RulesError(
                f"{self.path}: no [[potential_rule]] for potential_class={potential_class}, "
                f"project_type={project_type}, ground_disturbance={bool(ground_disturbance)}"
            )
        out = self._potential[key]
        return replace(out, follow_up=list(out.follow_up), legal_basis=list(out.legal_basis))

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


def _check_value(key: str, value: Any) -> None:
    allowed = GRADES if key == "grade" else _VOCAB[key]
    if key == "ground_disturbance":
        if not isinstance(value, bool):
            raise RulesError(f"ground_disturbance: {value!r} is not true or false.")
        return
    if value not in allowed:
        raise RulesError(f"{key}: {value!r} is not one of {', '.join(allowed)}.")
