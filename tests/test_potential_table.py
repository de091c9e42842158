"""The fossil potential table: the shipped file, its validation, matching and the CLI."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from fossilgis.cli.potential import potential
from fossilgis.potential import (
    POTENTIAL_FILE_ENV,
    PotentialTableError,
    default_potential_path,
    load_potential_table,
    normalise_code,
    normalise_name,
)
from fossilgis.rules import PROJECT_TYPES

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ROOT / "layers"

#: shipped `formation` values that name no formation: placeholders, and a lithofacies
NOT_A_FORMATION = {"—", "Not stated", "Slope carbonates"}


@pytest.fixture(scope="module")
def table():
    return load_potential_table(LAYERS / "potential.toml")


# -- the shipped table ------------------------------------------------------------------


def test_shipped_table_loads_complete(table):
    assert table.version == "2026.1"
    assert "starting point" in table.description
    assert list(table.classes) == ["1", "2", "3", "U", "4", "5"]
    assert [c.rank for c in table.classes.values()] == [1, 2, 3, 4, 5, 6]
    assert set(table.actions) == {"desk_review", "survey", "monitoring", "chance_find_briefing"}
    assert set(table.requirements) == {(c, p) for c in table.classes for p in PROJECT_TYPES}
    assert all(s.source for s in table.requirement_sources.values())
    assert set(table.requirement_sources) == set(table.classes)
    assert [u.row for u in table.units] == list(range(1, len(table.units) + 1))
    assert all(u.source and u.potential_class in table.classes for u in table.units)
    assert table.classes["U"].colour == "#bdbdbd"
    assert "第十八条" in table.actions["chance_find_briefing"].zh


def test_default_path_is_the_shipped_file_or_the_env_var(monkeypatch, tmp_path):
    monkeypatch.delenv(POTENTIAL_FILE_ENV, raising=False)
    assert default_potential_path() == LAYERS / "potential.toml"
    other = tmp_path / "office.toml"
    monkeypatch.setenv(POTENTIAL_FILE_ENV, str(other))
    assert default_potential_path() == other
    with pytest.raises(PotentialTableError, match="not found.*FOSSILGIS_POTENTIAL names this"):
        load_potential_table()
    other.write_text(_toml(), encoding="utf-8")
    assert load_potential_table().path == other


def _formation_mentions(value: str) -> list[list[str]]:
    """``"Zhuganpo Mbr, Falang Fm; Dalong Fm (30 m)"`` -> [["Zhuganpo Mbr", "Falang Fm"],
    ["Dalong Fm"]]: ';' separates formations, ',' a member from its formation; text in
    parentheses and qualifiers around the name ("Upper", "phosphorites") are dropped."""
    value = re.sub(r"\([^)]*\)", "", value)
    mentions = []
    for mention in value.split(";"):
        parts = []
        for part in mention.split(","):
            part = part.strip()
            named = re.search(
                r"(?:(?:Upper|Lower|Middle) )?((?:[A-Z][a-z']+ )+(?:Fm|Mbr|Bed))", part
            )
            parts.append(named.group(1) if named else part)
        mentions.append([p for p in parts if p])
    return [m for m in mentions if m]


def test_formation_mentions_parse():
    assert _formation_mentions("Zhuganpo Mbr, Falang Fm") == [["Zhuganpo Mbr", "Falang Fm"]]
    assert _formation_mentions("Tongzi Fm; Honghuayuan Fm (~30 m)") == [
        ["Tongzi Fm"],
        ["Honghuayuan Fm"],
    ]
    assert _formation_mentions("Upper Doushantuo Fm black shale") == [["Doushantuo Fm"]]
    assert _formation_mentions("Maokou Fm (Xianrenmiao, Dazhai, Honglakong Mbrs)") == [
        ["Maokou Fm"]
    ]
    assert _formation_mentions("Cave deposits") == [["Cave deposits"]]


@pytest.mark.parametrize("kind", ["sites", "sections"])
def test_every_shipped_formation_is_in_the_table(table, kind):
    features = json.loads((LAYERS / f"{kind}.geojson").read_text(encoding="utf-8"))["features"]
    values = {f["properties"].get("formation") for f in features} - NOT_A_FORMATION - {None}
    assert len(values) > 10
    missing = []
    for value in sorted(values):
        for parts in _formation_mentions(value):
            # a member and its formation name one unit: either may carry the row
            if not any(table.match(None, None, part) for part in parts):
                missing.append(f"{value!r}: {parts}")
    assert not missing, f"no row of potential.toml matches: {missing}"


@pytest.mark.parametrize(
    "old, new",
    [
        ("Lungmachi Fm", "龙马溪组"),
        ("Kuanyinchiao Bed", "Guanyinqiao Bed"),
        ("Chinghsutung Fm", "Qingxudong Formation"),
        ("Chintingshan Fm", "金顶山组"),
        ("Wayao Mbr", "Xiaowa Fm"),
        ("Zhuganpo Fm", "竹竿坡段"),
    ],
)
def test_old_and_new_names_find_one_row(table, old, new):
    assert table.match(None, None, old) is not None
    assert table.match(None, None, old) == table.match(None, new)


def test_class_choices_of_the_exceptional_biotas(table):
    def cls(name):
        return table.match(None, None, name).potential_class

    for name in ("Doushantuo Fm", "Kaili Fm", "Xiaowa Fm", "Zhuganpo Mbr", "Falang Fm"):
        assert cls(name) == "5", name
    for name in ("Balang Fm", "Longmaxi Fm", "Kuanyinchiao Bed", "Meitan Fm"):
        assert cls(name) == "4", name
    assert cls("Cave deposits") == "U"


# -- normalisation and matching ---------------------------------------------------------


def test_normalise_name():
    assert normalise_name("Falang Formation") == normalise_name("falang fm") == "falang fm"
    assert normalise_name("Falang Fm.") == "falang fm"
    assert normalise_name("  Kuanyinchiao   Beds ") == "kuanyinchiao bed"
    assert (
        normalise_name("Fanjingshan Group") == normalise_name("Fanjingshan Gp") == "fanjingshan gp"
    )
    assert normalise_name("Zhuganpo Member") == "zhuganpo mbr"
    assert normalise_name("法郎 组") == normalise_name("法郎组") == "法郎组"
    assert normalise_name("（法郎组）") == "法郎组"  # full-width brackets
    assert normalise_name(None) == normalise_name(float("nan")) == normalise_name(pd.NA) == ""


def test_normalise_code():
    assert normalise_code("T₂f") == normalise_code(" T2 f ") == normalise_code("Ｔ２ｆ") == "T2f"
    assert normalise_code("Є1n") == normalise_code("€1n") == normalise_code("∈1n") == "∈1n"
    assert normalise_code("T2F") != normalise_code("T2f")  # codes are case-significant
    assert normalise_code(None) == normalise_code(float("nan")) == ""


def test_match_by_code_first_then_names(table):
    falang = table.match(None, "法郎组")
    assert falang.potential_class == "5" and "T2f" in falang.codes
    assert table.match("T₂f") == falang
    # the code wins over a name that names another row
    assert table.match("T2f", "凯里组", "Kaili Fm") == falang
    assert table.match("T2F") is None  # a code of another case is another code
    assert table.match("X9z", None, "Falang Formation") == falang
    assert table.match("Falang Fm") == falang  # a name in the code field
    assert table.match(None) is None
    assert table.match(float("nan"), float("nan"), "No Such Fm") is None


def test_classify_50000_rows_fast_and_right(table):
    kaili = table.match(None, "凯里组")
    niutitang = table.match("∈1n")
    cases = [
        # (unit, name_zh, name_en) -> (class, row)
        (("T2f", None, None), "5", table.match("T2f").row),
        (("T₂f", np.nan, np.nan), "5", table.match("T2f").row),
        ((None, "凯里组", None), "5", kaili.row),
        ((np.nan, None, "Kaili Formation"), "5", kaili.row),
        (("Є1n", "乱写的名字", "nonsense"), "4", niutitang.row),
        ((None, None, "Lungmachi Fm."), "4", table.match(None, "龙马溪组").row),
        ((None, None, "Cave deposits"), "U", table.match(None, "洞穴堆积").row),
        (("Q4al", "未知组", "Unknown Fm"), "U", 0),
        ((None, None, None), "U", 0),
        ((np.nan, np.nan, np.nan), "U", 0),
        (("", "", ""), "U", 0),
        ((None, "梵净山群", None), "1", table.match(None, "Fanjingshan Group").row),
    ]
    n = 50_000
    picks = np.arange(n) % len(cases)
    records = [cases[i][0] for i in picks]
    # one row in five is a distinct unknown unit: thousands of values to normalise
    for i in range(0, n, 5):
        records[i] = (f"X{i}", f"未知{i}组", f"Unknown {i} Formation")
    expected = [("U", 0) if i % 5 == 0 else cases[p][1:] for i, p in enumerate(picks)]
    frame = pd.DataFrame(records, columns=["unit", "name_zh", "name_en"], dtype=object)
    start = time.perf_counter()
    classes, rows = table.classify(frame)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"classify took {elapsed:.2f} s for {n} rows"
    assert classes.dtype == object and rows.dtype == np.int64 and len(classes) == n
    assert list(zip(classes, rows)) == expected


def test_classify_tolerates_missing_columns(table):
    classes, rows = table.classify(pd.DataFrame({"name_en": ["Kaili Fm", None, "Xx"]}))
    assert list(classes) == ["5", "U", "U"]
    assert rows[0] > 0 and list(rows[1:]) == [0, 0]
    classes, rows = table.classify(pd.DataFrame({"other": [1, 2]}))
    assert list(classes) == ["U", "U"] and list(rows) == [0, 0]
    classes, rows = table.classify(pd.DataFrame(columns=["unit", "name_zh", "name_en"]))
    assert len(classes) == len(rows) == 0


# -- classes and requirements -----------------------------------------------------------


def test_highest_orders_u_between_3_and_4(table):
    assert table.highest(["1", "3", "2"]) == "3"
    assert table.highest(["3", "U", "1"]) == "U"
    assert table.highest(["U", "4"]) == "4"
    assert table.highest(np.array(["5", "U", "4"], dtype=object)) == "5"
    assert table.highest(["2", None, float("nan")]) == "2"
    assert table.highest([]) is None
    assert table.rank("U") == 4 and table.rank("4") == 5
    with pytest.raises(PotentialTableError, match="'7' is not a potential class"):
        table.highest(["3", "7"])


def test_actions_for(table):
    for ptype in PROJECT_TYPES:
        assert table.actions_for("1", ptype) == []
        ids = [a.id for a in table.actions_for("5", ptype)]
        assert "survey" in ids and "monitoring" in ids
        assert "chance_find_briefing" in [a.id for a in table.actions_for("3", ptype)]
        assert "survey" in [a.id for a in table.actions_for("U", ptype)]
    assert "monitoring" in [a.id for a in table.actions_for("4", "mining")]
    assert "monitoring" not in [a.id for a in table.actions_for("4", "building")]
    assert table.actions_for("5", "linear")[0].zh
    with pytest.raises(PotentialTableError, match="'road' is not one of linear"):
        table.actions_for("5", "road")
    with pytest.raises(PotentialTableError, match="'6' is not a potential class"):
        table.actions_for("6", "linear")


def test_to_dict_is_json(table):
    data = json.loads(json.dumps(table.to_dict(), ensure_ascii=False))
    assert data["version"] == "2026.1"
    assert [c["code"] for c in data["classes"]] == ["1", "2", "3", "U", "4", "5"]
    assert data["requirements"]["5"]["water"] == ["survey", "monitoring", "chance_find_briefing"]
    assert data["requirement_sources"]["4"]["default"] is True
    assert len(data["units"]) == len(table.units)
    assert data["units"][0]["row"] == 1 and data["units"][0]["source"]


# -- validation -------------------------------------------------------------------------

_CLASS_ROWS = [
    ("1", 1, "#ffffd4"),
    ("2", 2, "#fed98e"),
    ("3", 3, "#fe9929"),
    ("U", 4, "#bdbdbd"),
    ("4", 5, "#d95f0e"),
    ("5", 6, "#993404"),
]


def _toml(*, units: str | None = None, extra_requirement: str = "", drop: str = "") -> str:
    """A small valid table; ``units`` replaces the unit rows, ``drop`` removes lines that
    contain it."""
    lines = ['version = "t1"', 'description = "test table"', ""]
    for code, rank, colour in _CLASS_ROWS:
        lines += [
            f'[classes."{code}"]',
            f'zh = "等级{code}"',
            f'en = "Class {code}"',
            'description_zh = "说明"',
            'description_en = "meaning"',
            f"rank = {rank}",
            f'colour = "{colour}"',
            "",
        ]
    lines += [
        "[actions]",
        'survey = { zh = "调查", en = "Survey" }',
        'monitoring = { zh = "监测", en = "Monitoring" }',
        "",
    ]
    for code, *_ in _CLASS_ROWS:
        ids = '["survey", "monitoring"]' if code in ("4", "5") else "[]"
        lines += [f'[requirements."{code}"]']
        lines += [f"{p} = {ids}" for p in PROJECT_TYPES]
        lines += [f'source = "test source {code}"', "default = true"]
        if code == "4":
            lines.append(extra_requirement)
        lines.append("")
    lines.append(
        units
        if units is not None
        else "\n".join(
            [
                "[[unit]]",
                'codes = ["T2f"]',
                'names = ["法郎组", "Falang Formation"]',
                'class = "5"',
                'source = "Xingyi biota"',
                "",
                "[[unit]]",
                "codes = []",
                'names = ["凯里组", "Kaili Fm"]',
                'class = "5"',
                'source = "Kaili biota"',
            ]
        )
    )
    return "\n".join(line for line in lines if not drop or drop not in line) + "\n"


def _load(tmp_path, text: str):
    path = tmp_path / "potential.toml"
    path.write_text(text, encoding="utf-8")
    return load_potential_table(path)


def _problems(tmp_path, text: str) -> PotentialTableError:
    with pytest.raises(PotentialTableError) as info:
        _load(tmp_path, text)
    message = str(info.value)
    assert str(tmp_path / "potential.toml") in message
    for problem in info.value.problems:
        assert problem in message
    return info.value


def test_small_table_loads(tmp_path):
    table = _load(tmp_path, _toml())
    assert [u.names[0] for u in table.units] == ["法郎组", "凯里组"]
    assert table.match("T2f").row == 1


def _unit(names: str, *, cls='"3"', source='source = "a paper"', codes="[]", extra="") -> str:
    return f"[[unit]]\ncodes = {codes}\nnames = {names}\nclass = {cls}\n{source}\n{extra}\n"


def test_alias_used_by_two_rows_names_both_rows(tmp_path):
    units = _unit('["法郎组", "Falang Formation"]') + _unit('["Falang Fm.", "别名"]')
    err = _problems(tmp_path, _toml(units=units))
    assert len(err.problems) == 1
    assert re.search(
        r"\[\[unit\]\] #2 \(Falang Fm\.\): name 'Falang Fm\.' is also used by "
        r"\[\[unit\]\] #1 \(法郎组\) \('Falang Formation': both read 'falang fm'\)\. "
        r"A name may belong to one row only",
        str(err),
    )


def test_code_used_by_two_rows(tmp_path):
    units = _unit('["甲组"]', codes='["T2f"]') + _unit('["乙组"]', codes='["T₂f"]')
    err = _problems(tmp_path, _toml(units=units))
    assert "[[unit]] #2 (乙组): code 'T₂f' is also used by [[unit]] #1 (甲组)" in str(err)


def test_unknown_class(tmp_path):
    err = _problems(tmp_path, _toml(units=_unit('["甲组"]', cls='"6"')))
    assert "[[unit]] #1 (甲组): unknown class '6'. Use one of 1, 2, 3, 4, 5, U" in str(err)
    err = _problems(tmp_path, _toml(units=_unit('["甲组"]', cls="5")))
    assert "[[unit]] #1 (甲组): class 5 is not a text. Write it in quotes" in str(err)


def test_missing_or_empty_source_on_a_unit(tmp_path):
    err = _problems(tmp_path, _toml(units=_unit('["甲组"]', source="")))
    assert '[[unit]] #1 (甲组): no `source` text. Add `source = "..."`' in str(err)
    err = _problems(tmp_path, _toml(units=_unit('["甲组"]', source='source = "  "')))
    assert "[[unit]] #1 (甲组): '  ', not a `source` text" in str(err)


def test_missing_source_on_a_requirement(tmp_path):
    err = _problems(tmp_path, _toml(drop='source = "test source 3"'))
    assert '[requirements."3"]: no `source` text' in str(err)


def test_row_without_codes_and_names(tmp_path):
    err = _problems(tmp_path, _toml(units=_unit("[]")))
    assert "[[unit]] #1 (no name): no codes and no names" in str(err)


def test_hole_in_the_matrix(tmp_path):
    err = _problems(tmp_path, _toml(drop='water = ["survey"'))
    assert len(err.problems) == 2  # classes 4 and 5
    assert '[requirements."4"]: no `water` list: the matrix has a hole at class 4 × water' in str(
        err
    )


def test_missing_class_row_of_requirements(tmp_path):
    text = _toml()
    start = text.index('[requirements."2"]')
    end = text.index('[requirements."3"]')
    err = _problems(tmp_path, text[:start] + text[end:])
    assert "[requirements]: no row for class 2: the matrix has a hole" in str(err)


def test_unknown_project_type_and_unknown_action(tmp_path):
    err = _problems(tmp_path, _toml(extra_requirement='road = ["surveys"]'))
    assert "[requirements.\"4\"]: unknown project type or key 'road'" in str(err)
    text = _toml().replace('mining = ["survey", "monitoring"]', 'mining = ["surveys"]', 1)
    err = _problems(tmp_path, text)
    assert "[requirements.\"4\"]: `mining` names an unknown action 'surveys'" in str(err)


def test_unknown_keys_are_typos(tmp_path):
    err = _problems(tmp_path, _toml(units=_unit('["甲组"]', extra='clas = "3"\nnotes = "x"')))
    assert "[[unit]] #1 (甲组): unknown keys 'clas', 'notes'. Allowed keys here" in str(err)
    err = _problems(tmp_path, "colour_scheme = 1\n" + _toml())
    assert "(top level): unknown key 'colour_scheme'" in str(err)


def test_duplicate_ranks_and_bad_colour(tmp_path):
    text = _toml().replace("rank = 5", "rank = 4").replace('"#993404"', '"dark brown"')
    err = _problems(tmp_path, text)
    assert "[classes]: classes 'U' and '4' share rank 4" in str(err)
    assert "[classes.\"5\"]: colour 'dark brown' is not a #RRGGBB hex colour" in str(err)


def test_every_problem_is_listed_at_once(tmp_path):
    units = _unit('["甲组"]', cls='"7"', source="") + _unit("[]", extra="oops = 1")
    err = _problems(tmp_path, _toml(units=units, drop='source = "test source 1"'))
    assert len(err.problems) == 5, err.problems
    assert str(err).startswith(f"{tmp_path / 'potential.toml'}: the fossil potential table has 5")


def test_toml_syntax_error_names_the_line(tmp_path):
    text = _toml().replace('class = "5"', 'class = "5" "4"', 1)
    line = text.splitlines().index('class = "5" "4"') + 1
    err = _problems(tmp_path, text)
    assert "not valid TOML: Expected newline or end of document after a statement" in str(err)
    assert f"(at line {line}, column 13). Fix the syntax at that line." in str(err)
    err = _problems(tmp_path, _toml() + '[[unit]]\nnames = ["x"\n')
    assert "not valid TOML: Unclosed array (at end of document). Something opened" in str(err)


def test_missing_file(tmp_path):
    with pytest.raises(PotentialTableError, match="potential table not found. Give the path"):
        load_potential_table(tmp_path / "nope.toml")


# -- command line -----------------------------------------------------------------------


def test_cli_show(monkeypatch):
    monkeypatch.delenv(POTENTIAL_FILE_ENV, raising=False)
    result = CliRunner().invoke(potential, ["show"])
    assert result.exit_code == 0, result.output
    assert "很高 Very high" in result.output and "未知 Unknown" in result.output
    assert "法郎组 / Falang Fm" in result.output
    assert "survey, monitoring, chance_find_briefing" in result.output
    result = CliRunner().invoke(potential, ["show", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["version"] == "2026.1"


def test_cli_validate(tmp_path):
    result = CliRunner().invoke(potential, ["validate", str(LAYERS / "potential.toml")])
    assert result.exit_code == 0, result.output
    assert re.match(r"OK: \d+ units, version 2026\.1", result.output)
    bad = tmp_path / "bad.toml"
    bad.write_text(_toml(units=_unit('["甲组"]', cls='"9"')), encoding="utf-8")
    for command in ("validate", "show"):
        result = CliRunner().invoke(potential, [command, str(bad)])
        assert result.exit_code == 2
        assert "[[unit]] #1 (甲组): unknown class '9'" in result.stderr
        assert "Traceback" not in result.output
