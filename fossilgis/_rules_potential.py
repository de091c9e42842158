"""The ``[[potential_rule]]`` table of the rules file: the grade a project gets for the
fossil potential of the ground it disturbs (classes of layers/potential.toml).

Written and validated like the main ``[[rule]]`` table (first match wins, every combination
covered, no rule hidden by an earlier one), on its own keys: ``potential_class``,
``project_type`` and ``ground_disturbance``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fossilgis._rules_model import PROJECT_TYPES, MatchRule, Outcome

# the potential classes (PFYC: 1 very low … 5 very high, U unknown) are the table's
from fossilgis.potential.table import PFYC_CLASSES

POTENTIAL_VOCAB: dict[str, tuple[Any, ...]] = {
    "potential_class": tuple(PFYC_CLASSES),
    "project_type": PROJECT_TYPES,
    "ground_disturbance": (True, False),
}


def parse_potential_rules(
    ctx, raw: Any, citations: dict[str, str], follow_ups: dict[str, str]
) -> tuple[tuple[MatchRule, ...], dict[tuple[Any, ...], Outcome]]:
    """(the rules as written, every combination -> outcome) of ``[[potential_rule]]``."""
    from fossilgis._rules_parse import _expand, _rule

    if raw is None:
        # a rules file written before fossil potential screening: it still screens sites and
        # sections; a screen against a geological map asks for the table (potential_outcome)
        return (), {}
    if not isinstance(raw, list) or not raw:
        raise ctx.error(
            "potential_rule",
            "no rules",
            "Add the fossil potential rules as [[potential_rule]] entries "
            "(see layers/rules.toml and docs/potential.md).",
        )
    rules = [
        _rule(
            ctx,
            i,
            entry,
            citations,
            follow_ups,
            section="potential_rule",
            vocab=POTENTIAL_VOCAB,
        )
        for i, entry in enumerate(raw)
    ]
    ids = [r.id for r in rules]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ctx.error(
            "potential_rule", f"id(s) {', '.join(twice)} used twice", "Give each rule its own id."
        )
    return tuple(rules), _expand(ctx, rules, POTENTIAL_VOCAB, "potential_rule")


def describe(outcome: Outcome, mapping: Mapping[str, str]) -> Outcome:
    """``outcome`` with ``{class}``-style fields of its reasons filled from ``mapping``."""
    from dataclasses import replace

    return replace(
        outcome,
        reason_zh=outcome.reason_zh.format_map(_Keep(mapping)),
        reason_en=outcome.reason_en.format_map(_Keep(mapping)),
    )


class _Keep(dict):
    """format_map that leaves unknown fields as written."""

    def __missing__(self, key):
        return "{" + key + "}"
