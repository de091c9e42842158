"""Validate a parsed rules file and expand its rule table to every combination."""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fossilgis._rules_model import (
    _VOCAB,
    BILINGUAL_SEP,
    GRADES,
    MATCH_KEYS,
    PROTECTION_LEVELS,
    TARGET_KINDS,
    MatchRule,
    Outcome,
    Provenance,
    Rules,
)
from fossilgis.errors import RulesError

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - exercised on Python 3.10 only
    pass

_TOP_KEYS = {
    "version",
    "description",
    "attention_distance_m",
    "control_distance_m",
    "section_core_halfwidth_m",
    "citations",
    "follow_ups",
    "rule",
    "potential_rule",
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


def _condition(
    ctx: _Ctx, where: str, key: str, value: Any, vocab: Mapping[str, tuple] = _VOCAB
) -> tuple[Any, ...]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise ctx.error(where, "empty list", "Give at least one value, or leave the key out.")
    allowed = vocab[key]
    for v in values:
        ok = isinstance(v, bool) if key == "ground_disturbance" else isinstance(v, str)
        if not ok or v not in allowed:
            shown = "true, false" if key == "ground_disturbance" else ", ".join(allowed)
            raise ctx.error(
                where, f"{v!r} is not a valid {key}", f"Use one of: {shown} (or a list of them)."
            )
    return tuple(values)


def _rule(
    ctx: _Ctx,
    index: int,
    entry: Any,
    citations: dict[str, str],
    follow_ups: dict[str, str],
    *,
    section: str = "rule",
    vocab: Mapping[str, tuple] = _VOCAB,
) -> MatchRule:
    """One ``[[rule]]`` (or ``[[<section>]]`` matching on ``vocab``'s keys) as written."""
    where = f"{section}[{index}]"
    entry = ctx.table(where, entry)
    if "id" in entry:
        where = f"{section}[{index}] (id {entry['id']!r})"
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
    ctx.unknown_keys(f"{where}.when", when_raw, set(vocab))
    when = {
        key: (
            _condition(ctx, f"{where}.when.{key}", key, when_raw[key], vocab)
            if key in when_raw
            else None
        )
        for key in vocab
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


def _describe(combo: tuple[Any, ...], keys: tuple[str, ...] = MATCH_KEYS) -> str:
    parts = []
    for key, value in zip(keys, combo, strict=True):
        shown = str(value).lower() if isinstance(value, bool) else value
        parts.append(f"{key}={shown}")
    return ", ".join(parts)


def _expand(
    ctx: _Ctx,
    rules: list[MatchRule],
    vocab: Mapping[str, tuple] = _VOCAB,
    section: str = "rule",
) -> dict[tuple[Any, ...], Outcome]:
    """Every combination of ``vocab``'s values -> the outcome of the first rule matching it."""
    keys = tuple(vocab)
    table: dict[tuple[Any, ...], Outcome] = {}
    winners: set[str] = set()
    gaps = []
    for combo in itertools.product(*(vocab[k] for k in keys)):
        named = dict(zip(keys, combo, strict=True))
        for rule in rules:
            if rule.matches(named):
                table[combo] = rule.outcome
                winners.add(rule.id)
                break
        else:
            gaps.append(combo)
    if gaps:
        shown = "; ".join(_describe(c, keys) for c in gaps[:3])
        more = f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
        raise ctx.error(
            section,
            f"{len(gaps)} combination(s) match no rule, e.g. {shown}{more}",
            "Add a rule that matches them (a last rule without `when` catches everything).",
        )
    never = [r.id for r in rules if r.id not in winners]
    if never:
        raise ctx.error(
            section,
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
    # [[potential_rule]] is parsed by the functions above, from its own module
    from fossilgis._rules_potential import parse_potential_rules

    potential = parse_potential_rules(ctx, data.get("potential_rule"), citations, follow_ups)
    return Rules(
        path=path,
        version=version,
        attention_distance_m=attention,
        control_distance_m=control,
        section_core_halfwidth_m=halfwidth,
        rules=tuple(rules),
        provenance=provenance,
        _table=table,
        potential_rules=potential[0],
        _potential=potential[1],
    )
