"""Tests of the rules file loader (fossilgis.rules) and of the shipped layers/rules.toml."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from fossilgis.errors import RulesError
from fossilgis.rules import (
    GRADE_LABELS,
    GRADES,
    MATCH_KEYS,
    PROJECT_TYPES,
    PROTECTION_LEVELS,
    TARGET_KINDS,
    ZONES,
    Outcome,
    default_rules_path,
    load_rules,
    worst_grade,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = REPO_ROOT / "layers" / "rules.toml"
ALL_COMBOS = list(
    itertools.product(ZONES, TARGET_KINDS, PROTECTION_LEVELS, PROJECT_TYPES, (True, False))
)

# A small valid rules file; each broken-file test changes one thing in it.
MINIMAL = """\
version = "test.1"

[attention_distance_m]
value = 1000
default = true
source = "test default"

[section_core_halfwidth_m]
value = 50
source = "test"

[control_distance_m.site]
national_key = { value = 500, source = "test" }
provincial_key = { value = 300, source = "test" }
general = { value = 200, source = "test" }

[control_distance_m.section]
national_key = { value = 500, source = "test" }
provincial_key = { value = 300, source = "test" }
general = { value = 200, source = "test" }

[citations]
art18 = { zh = "《古生物化石保护条例》第十八条", en = "Fossil Regulations, Art. 18" }

[follow_ups]
report = { zh = "报告", en = "Report" }

[[rule]]
id = "attention"
when = { zone = "attention" }
grade = "attention"
reason_zh = "邻近"
reason_en = "Nearby"
follow_up = ["report"]
legal_basis = ["art18"]

[[rule]]
id = "core"
when = { zone = "core" }
grade = "avoid"
reason_zh = "避让"
reason_en = "Avoid"
legal_basis = ["art18"]

[[rule]]
id = "control"
when = { zone = "control" }
grade = "assess"
reason_zh = "评价"
reason_en = "Assess"
legal_basis = ["art18"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in MINIMAL, old
    return write(tmp_path, MINIMAL.replace(old, new, 1))


@pytest.fixture(scope="module")
def rules():
    return load_rules(SHIPPED)


# --- the shipped file ---------------------------------------------------------------


def test_shipped_file_loads(rules):
    assert rules.version == "2026.1"
    assert rules.path == SHIPPED
    assert rules.attention_distance_m == 1000
    assert rules.section_core_halfwidth_m == 50
    assert set(rules.control_distance_m) == {
        f"{k}:{lvl}" for k in TARGET_KINDS for lvl in PROTECTION_LEVELS
    }
    assert rules.control_distance_for("site", "national_key") == 500
    assert rules.control_distance_for("site", "provincial_key") == 300
    assert rules.control_distance_for("site", "general") == 200
    for width in rules.control_distance_m.values():
        assert 0 < width < rules.attention_distance_m


def test_default_path_is_repo_file(monkeypatch):
    monkeypatch.delenv("FOSSILGIS_RULES", raising=False)
    assert default_rules_path() == SHIPPED
    assert load_rules().path == SHIPPED


def test_env_var_overrides_default(monkeypatch, tmp_path):
    path = write(tmp_path, MINIMAL)
    monkeypatch.setenv("FOSSILGIS_RULES", str(path))
    assert load_rules().version == "test.1"


def test_env_var_to_missing_file(monkeypatch, tmp_path):
    monkeypatch.setenv("FOSSILGIS_RULES", str(tmp_path / "nope.toml"))
    with pytest.raises(RulesError, match=r"nope\.toml: rules file not found.*FOSSILGIS_RULES"):
        load_rules()


def test_every_value_has_provenance(rules):
    expected = {"attention_distance_m", "section_core_halfwidth_m"} | {
        f"control_distance_m.{k}.{lvl}" for k in TARGET_KINDS for lvl in PROTECTION_LEVELS
    }
    assert set(rules.provenance) == expected
    for prov in rules.provenance.values():
        assert prov.source.strip()
        # no law fixes any of these distances: all shipped values are fossilgis defaults
        assert prov.default is True


def test_every_combination_resolves(rules):
    for combo in ALL_COMBOS:
        out = rules.outcome(*combo)
        assert isinstance(out, Outcome)
        assert out.grade in GRADES
        assert out.reason_zh and out.reason_en
        if out.grade != "none":
            assert out.legal_basis
        for item in out.follow_up + out.legal_basis:
            zh, en = item.split(" / ")
            assert zh and en


def test_outcome_table_matches_outcome(rules):
    table = rules.outcome_table()
    assert len(table) == 3 * 2 * 3 * 5 * 2 == len(ALL_COMBOS)
    assert list(table.columns[:10]) == [
        *MATCH_KEYS,
        "grade",
        "reason_zh",
        "reason_en",
        "follow_up",
        "legal_basis",
    ]
    assert table["ground_disturbance"].dtype == bool
    assert not table.duplicated(list(MATCH_KEYS)).any()
    for row in table.itertuples(index=False):
        out = rules.outcome(*(getattr(row, k) for k in MATCH_KEYS))
        assert (row.grade, row.follow_up, row.legal_basis) == (
            out.grade,
            out.follow_up,
            out.legal_basis,
        )


def test_each_grade_reachable(rules):
    assert set(rules.outcome_table()["grade"]) == set(GRADES)


@pytest.mark.parametrize(
    ("combo", "grade"),
    [
        # the domain grade table (shared/domain/README.md)
        (("attention", "site", "general", "linear", True), "attention"),
        (("control", "site", "general", "building", True), "assess"),
        (("core", "site", "general", "building", True), "assess"),
        (("core", "site", "national_key", "building", True), "avoid"),
        (("core", "site", "provincial_key", "water", True), "avoid"),
        (("core", "section", "general", "linear", True), "avoid"),
        (("control", "section", "general", "water", True), "assess"),
        # project type and ground disturbance
        (("attention", "site", "national_key", "building", False), "none"),
        (("attention", "site", "national_key", "water", False), "attention"),
        (("attention", "site", "national_key", "mining", False), "attention"),
        (("control", "site", "national_key", "building", False), "attention"),
        (("control", "site", "national_key", "mining", True), "avoid"),
        (("control", "site", "national_key", "mining", False), "avoid"),
        (("control", "site", "general", "mining", True), "assess"),
        (("control", "section", "general", "mining", True), "avoid"),
        (("core", "site", "national_key", "linear", False), "assess"),
        (("core", "site", "national_key", "building", False), "avoid"),
        (("core", "section", "general", "other", False), "assess"),
    ],
)
def test_shipped_semantics(rules, combo, grade):
    assert rules.outcome(*combo).grade == grade


def test_chance_find_protocol_in_attention(rules):
    out = rules.outcome("attention", "section", "general", "linear", True)
    assert any("24" in f and "7" in f for f in out.follow_up)
    assert any("第十八条" in c and "Art. 18" in c for c in out.legal_basis)


def test_grade_vocabulary():
    assert GRADES == ("none", "attention", "assess", "avoid")
    assert GRADE_LABELS["none"]["zh"] == "未涉及"
    assert GRADE_LABELS["attention"]["zh"] == "邻近，需关注"
    assert GRADE_LABELS["assess"]["zh"] == "涉及，需开展影响评价"
    assert GRADE_LABELS["avoid"]["zh"] == "须避让"
    assert all(GRADE_LABELS[g]["en"] for g in GRADES)
    assert worst_grade(["attention", "avoid", "none"]) == "avoid"
    assert worst_grade([]) == "none"


def test_outcome_rejects_unknown_values(rules):
    with pytest.raises(RulesError, match=r"zone: 'cor' is not one of core, control, attention"):
        rules.outcome("cor", "site", "general", "linear", True)
    with pytest.raises(RulesError, match=r"project_type: 'road'"):
        rules.outcome("core", "site", "general", "road", True)
    with pytest.raises(RulesError, match="ground_disturbance"):
        rules.outcome("core", "site", "general", "linear", "yes")
    with pytest.raises(RulesError, match="protection_level"):
        rules.control_distance_for("site", "national")


# --- broken files ----------------------------------------------------------------------


def test_minimal_file_is_valid(tmp_path):
    rules = load_rules(write(tmp_path, MINIMAL))
    assert rules.outcome("core", "section", "general", "water", False).grade == "avoid"
    assert rules.provenance["section_core_halfwidth_m"].default is False


def test_missing_version(tmp_path):
    path = broken(tmp_path, 'version = "test.1"\n', "")
    with pytest.raises(RulesError, match=r"rules\.toml: version: missing\. Add a line `version"):
        load_rules(path)


def test_version_not_text(tmp_path):
    path = broken(tmp_path, 'version = "test.1"', "version = 2026.1")
    with pytest.raises(RulesError, match=r"version: 2026\.1 is not a version text.*quotes"):
        load_rules(path)


def test_negative_width(tmp_path):
    path = broken(tmp_path, "general = { value = 200", "general = { value = -200")
    with pytest.raises(
        RulesError,
        match=r"rules\.toml: control_distance_m\.site\.general\.value: -200 m is not positive",
    ):
        load_rules(path)


def test_width_not_a_number(tmp_path):
    path = broken(tmp_path, "value = 50\n", 'value = "50 m"\n')
    with pytest.raises(
        RulesError, match=r"section_core_halfwidth_m\.value: '50 m' is not a number"
    ):
        load_rules(path)


def test_control_not_less_than_attention(tmp_path):
    path = broken(tmp_path, "national_key = { value = 500", "national_key = { value = 1000")
    with pytest.raises(
        RulesError,
        match=r"control_distance_m\.site\.national_key: 1000 m is not less than "
        r"attention_distance_m \(1000 m\)",
    ):
        load_rules(path)


def test_missing_source(tmp_path):
    path = broken(
        tmp_path, 'general = { value = 200, source = "test" }', "general = { value = 200 }"
    )
    with pytest.raises(RulesError, match=r"control_distance_m\.site\.general: no `source`"):
        load_rules(path)


def test_unknown_grade(tmp_path):
    path = broken(tmp_path, 'grade = "assess"', 'grade = "asess"')
    with pytest.raises(
        RulesError,
        match=r"rule\[2\] \(id 'control'\)\.grade: 'asess' is not a grade\. "
        r"Use one of: none, attention, assess, avoid",
    ):
        load_rules(path)


def test_gap_in_rule_table(tmp_path):
    path = broken(
        tmp_path, 'when = { zone = "control" }', 'when = { zone = "control", target_kind = "site" }'
    )
    with pytest.raises(
        RulesError,
        match=r"rule: 30 combination\(s\) match no rule, e\.g\. zone=control, "
        r"target_kind=section, protection_level=national_key, project_type=linear, "
        r"ground_disturbance=true.*Add a rule that matches them",
    ):
        load_rules(path)


def test_unknown_top_level_key(tmp_path):
    path = broken(
        tmp_path, "[attention_distance_m]", "atention_distance_m = 3\n\n[attention_distance_m]"
    )
    with pytest.raises(RulesError, match=r"top level: unknown key 'atention_distance_m'.*spelling"):
        load_rules(path)


def test_unknown_when_key(tmp_path):
    path = broken(
        tmp_path, 'when = { zone = "core" }', 'when = { zone = "core", projecttype = "mining" }'
    )
    with pytest.raises(
        RulesError, match=r"rule\[1\] \(id 'core'\)\.when: unknown key 'projecttype'"
    ):
        load_rules(path)


def test_unknown_value_in_when(tmp_path):
    path = broken(tmp_path, 'when = { zone = "core" }', 'when = { zone = ["core", "buffer"] }')
    with pytest.raises(RulesError, match=r"\.when\.zone: 'buffer' is not a valid zone"):
        load_rules(path)


def test_undefined_follow_up(tmp_path):
    path = broken(tmp_path, 'follow_up = ["report"]', 'follow_up = ["reprot"]')
    with pytest.raises(RulesError, match=r"'reprot' is not defined in \[follow_ups\]"):
        load_rules(path)


def test_rule_without_legal_basis(tmp_path):
    path = broken(tmp_path, 'reason_en = "Avoid"\nlegal_basis = ["art18"]', 'reason_en = "Avoid"')
    with pytest.raises(
        RulesError, match=r"id 'core'\)\.legal_basis: a rule of grade 'avoid' cites"
    ):
        load_rules(path)


def test_rule_that_never_applies(tmp_path):
    extra = '\n[[rule]]\nid = "late"\nwhen = { zone = "core", project_type = "mining" }\n'
    extra += 'grade = "assess"\nreason_zh = "晚"\nreason_en = "Late"\nlegal_basis = ["art18"]\n'
    with pytest.raises(RulesError, match=r"rule\(s\) 'late' never apply"):
        load_rules(write(tmp_path, MINIMAL + extra))


def test_duplicate_rule_id(tmp_path):
    path = broken(tmp_path, 'id = "control"', 'id = "core"')
    with pytest.raises(RulesError, match=r"rule\[2\]\.id: 'core' is used twice"):
        load_rules(path)


def test_invalid_toml(tmp_path):
    path = broken(tmp_path, 'reason_zh = "邻近"', 'reason_zh = "邻近')
    with pytest.raises(RulesError, match=r"rules\.toml: not valid TOML: .*line"):
        load_rules(path)


def test_not_utf8(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_bytes(MINIMAL.encode("gb18030"))
    with pytest.raises(RulesError, match="not UTF-8 text"):
        load_rules(path)


def test_missing_file(tmp_path):
    with pytest.raises(RulesError, match=r"missing\.toml: rules file not found"):
        load_rules(tmp_path / "missing.toml")
