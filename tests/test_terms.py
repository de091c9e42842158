"""Tests of the Chinese attribute values (layers/terms.toml, fossilgis.terms)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from fossilgis.terms import ENV_VAR, FIELDS, TermsError, default_terms_path, load_terms

LAYERS = Path(__file__).resolve().parent.parent / "layers"
#: the translated attributes of each shipped layer
LAYER_FIELDS = {
    "sites.geojson": ("age", "formation", "fossils", "status"),
    "sections.geojson": ("age", "formation", "boundary", "status"),
}
#: (field, English value) of the shipped layers deliberately left without a Chinese form,
#: each with the reason; keep it small
UNTRANSLATED: dict[tuple[str, str], str] = {}
_CJK = re.compile(r"[\u3400-\u9fff]")


def layer_values() -> set[tuple[str, str]]:
    """Every distinct (field, value) of the translated attributes in the shipped layers."""
    found = set()
    for name, fields in LAYER_FIELDS.items():
        data = json.loads((LAYERS / name).read_text(encoding="utf-8"))
        for feature in data["features"]:
            for field in fields:
                value = feature["properties"].get(field)
                if value is not None:
                    found.add((field, value))
    return found


def write(tmp_path: Path, text: str, name: str = "terms.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def terms():
    return load_terms(LAYERS / "terms.toml")


def test_the_shipped_file_loads_and_is_the_default(terms, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert default_terms_path() == LAYERS / "terms.toml"
    assert load_terms() is terms  # cached: read once per file version
    assert set(terms.tables) == set(FIELDS)


def test_every_layer_value_is_translated_or_listed(terms):
    # a value without Latin letters ("—") reads the same in both languages
    missing = sorted(
        (field, value)
        for field, value in layer_values()
        if re.search("[A-Za-z]", value)
        and terms.zh(field, value) is None
        and (field, value) not in UNTRANSLATED
    )
    assert not missing, f"add these to layers/terms.toml (or to UNTRANSLATED, with why): {missing}"
    assert all(reason for reason in UNTRANSLATED.values())
    assert len(UNTRANSLATED) <= 3


def test_every_entry_is_used_and_chinese(terms):
    used = layer_values()
    for field, table in terms.tables.items():
        for english, chinese in table.items():
            assert (field, english) in used, f"[{field}] {english!r} is in no shipped layer"
            assert _CJK.search(chinese), f"[{field}] {english!r}: {chinese!r} has no Chinese"
            assert "  " not in chinese and chinese == chinese.strip()


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "晚三叠世卡尼期早期"),
        ("en", "Late Triassic, early Carnian"),
        (None, "晚三叠世卡尼期早期 / Late Triassic, early Carnian"),
    ],
)
def test_value_in_each_language(terms, lang, expected):
    assert terms.value("age", "Late Triassic, early Carnian", lang) == expected


@pytest.mark.parametrize("lang", ["zh", "en", None])
def test_a_value_not_listed_or_none_is_shown_as_it_is(terms, lang):
    assert terms.value("fossils", "Unlisted fossils", lang) == "Unlisted fossils"
    assert terms.value("status", None, lang) is None
    assert terms.value("formation", "—", lang) == "—"


def test_examples_of_the_brief(terms):
    assert terms.value("formation", "Kaili Fm (277.5 m)", "zh") == "凯里组（277.5 米）"
    fossils = "Ichthyosaurs, thalattosaurs, placodonts, crinoid Traumatocrinus, ammonoids"
    assert (
        terms.value("fossils", fossils, "zh")
        == "鱼龙类、海龙类、楯齿龙类、海百合（创孔海百合）、菊石"
    )
    # the same English value in two fields may be looked up in each
    assert terms.value("boundary", "Slope carbonates", "zh") == "斜坡相碳酸盐岩"
    assert terms.value("formation", "Slope carbonates", "zh") == "斜坡相碳酸盐岩"


def test_unknown_field_or_language_is_refused(terms):
    with pytest.raises(ValueError, match="field 'name_en'"):
        terms.value("name_en", "Guandao section", "zh")
    with pytest.raises(ValueError, match="lang 'fr'"):
        terms.value("age", "Silurian", "fr")


def test_record_translates_a_copy(terms):
    props = {
        "id": "GZ-F03",
        "name_en": "Guanling biota, Xinpu/Wolonggang",
        "age": "Late Triassic, early Carnian",
        "formation": "Xiaowa Fm lower member",
        "fossils": "Unlisted fossils",
        "status": None,
        "accuracy_m": 15000,
    }
    zh = terms.record(props, "zh")
    assert zh == {
        **props,
        "age": "晚三叠世卡尼期早期",
        "formation": "小凹组下段",
    }
    assert terms.record(props, "en") == props
    assert terms.record(props)["formation"] == "小凹组下段 / Xiaowa Fm lower member"
    assert props["age"] == "Late Triassic, early Carnian"  # the input is not changed


def test_record_of_every_shipped_feature(terms):
    for name in LAYER_FIELDS:
        for feature in json.loads((LAYERS / name).read_text(encoding="utf-8"))["features"]:
            props = feature["properties"]
            zh = terms.record(props, "zh")
            assert zh.keys() == props.keys()
            assert zh["name_zh"] == props["name_zh"]


def test_cache_reads_again_when_the_file_changes(tmp_path):
    path = write(tmp_path, '[age]\n"Silurian" = "志留纪"\n')
    first = load_terms(path)
    assert load_terms(path) is first
    path.write_text('[age]\n"Silurian" = "志留纪"\n"Jurassic" = "侏罗纪"\n', encoding="utf-8")
    stamp = path.stat().st_mtime_ns + 1_000_000_000
    os.utime(path, ns=(stamp, stamp))
    second = load_terms(path)
    assert second is not first
    assert second.value("age", "Jurassic", "zh") == "侏罗纪"


def test_environment_variable_names_another_file(tmp_path, monkeypatch):
    path = write(tmp_path, '[status]\n"Auxiliary section" = "辅助剖面"\n', "office.toml")
    monkeypatch.setenv(ENV_VAR, str(path))
    assert load_terms().path == path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[fossil]\n"Brachiopods" = "腕足类"\n',
            r"terms\.toml: \[fossil\]: unknown table\. Tables are the attributes age, "
            r"formation, fossils, boundary, status",
        ),
        (
            'age = "Silurian"\n',
            r"terms\.toml: \[age\]: not a table: 'Silurian'",
        ),
        (
            '[age]\n"Silurian" = ""\n',
            r"terms\.toml: \[age\] 'Silurian': expected non-empty Chinese text, found ''",
        ),
        (
            '[age]\n"Silurian" = 3\n',
            r"terms\.toml: \[age\] 'Silurian': expected non-empty Chinese text, found 3",
        ),
        (
            '[formation]\n"" = "组"\n',
            r"terms\.toml: \[formation\] '': empty English value",
        ),
        (
            '[fossils]\n"Qianxisaurus chajiangensis" = "Qianxisaurus chajiangensis"\n',
            r"terms\.toml: \[fossils\] 'Qianxisaurus chajiangensis': the Chinese value is the "
            r"English one, so it looks untranslated\. Write its Chinese form",
        ),
        (
            '[status]\n"Auxiliary section" = "辅助 / 剖面"\n',
            r"terms\.toml: \[status\] 'Auxiliary section': the Chinese value contains ' / '",
        ),
        (
            '[age]\n"Silurian" = "志留纪"\n"Silurian" = "志留纪"\n',
            r"terms\.toml: not valid TOML: .*line 3.*Fix the syntax at that line",
        ),
    ],
    ids=["unknown-field", "not-a-table", "empty", "not-text", "empty-key", "copy", "sep", "dup"],
)
def test_validation_errors_name_the_file_and_entry(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(TermsError, match=message):
        load_terms(path)


def test_a_copy_without_latin_letters_is_allowed(tmp_path):
    terms = load_terms(write(tmp_path, '[formation]\n"—" = "—"\n'))
    assert terms.value("formation", "—", "zh") == "—"


def test_missing_and_undecodable_files(tmp_path):
    with pytest.raises(
        TermsError, match=r"nothing\.toml: terms file not found\. .*FOSSILGIS_TERMS"
    ):
        load_terms(tmp_path / "nothing.toml")
    bad = tmp_path / "gbk.toml"
    bad.write_bytes('[age]\n"Silurian" = "志留纪"\n'.encode("gb18030"))
    with pytest.raises(TermsError, match=r"gbk\.toml: not UTF-8 text .*Save the file as UTF-8"):
        load_terms(bad)
