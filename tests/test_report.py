"""The report renderers: every value in the HTML escaped by the template engine; CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from importlib import resources

import geopandas as gpd
import pytest
import shapely

from fossilgis import vocab
from fossilgis.impact import ScreenOptions
from fossilgis.report import CSV_COLUMNS, render_csv, render_html, render_json, render_text
from fossilgis.report.html import environment
from fossilgis.screening import screen_paths
from fossilgis.store import open_store

SCRIPT = "<script>alert('x')</script>"
#: breaks out of an attribute or a tag if it is not escaped
ATTRIBUTE = "\"><img src=x onerror=alert(1)> & 'q'"
HOSTILE = f"{SCRIPT} {ATTRIBUTE}"
GUANLING = shapely.box(105.399, 25.899, 105.401, 25.901)  # inside the core of GZ-F03


@pytest.fixture(scope="module")
def hostile_store(template_copy):
    """A GeoPackage store whose Guanling site (GZ-F03) has a hostile name in both languages
    (reports read the store; its backend is not what these tests are about)."""
    store = open_store(template_copy("report"))
    sites = store.read_layer("sites")
    hit = sites["id"] == "GZ-F03"
    sites.loc[hit, "name_zh"] = "关岭" + HOSTILE
    sites.loc[hit, "name_en"] = "Guanling " + HOSTILE
    store.replace_layer("sites", sites, source="hostile.gpkg", demonstration=True)
    return store


@pytest.fixture(scope="module")
def screening(hostile_store, tmp_path_factory):
    """A project named by a hostile footprint attribute, inside GZ-F03."""
    path = tmp_path_factory.mktemp("in") / "hostile.geojson"
    gpd.GeoDataFrame({"name": [HOSTILE]}, geometry=[GUANLING], crs=4490).to_file(path)
    result = screen_paths(
        [path], hostile_store, id_field="name", options=ScreenOptions(project_type="building")
    )
    assert [i["target_id"] for i in result.projects[0]["impacts"]] == ["GZ-F03"]
    return result


def _html_text(page: str) -> str:
    """The text a browser shows (markup removed, the five entities decoded)."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("lang", [None, "zh", "en"])
def test_html_escapes_hostile_attribute_and_target_name(screening, hostile_store, lang):
    page = render_html(screening, lang, store=hostile_store, title=HOSTILE)
    assert "<script" not in page and "<img" not in page and "onerror=alert(1)>" not in page
    # shown as text where it belongs: title, project heading, target cell, map label
    assert page.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") >= 4
    assert "<title>&lt;script&gt;" in page
    assert re.search(r"<h2>[^<]*&lt;script&gt;", page)
    # the map labels a target with its name in the report's language (Chinese when both)
    name = "Guanling " if lang == "en" else "关岭"
    assert re.search(rf'<text [^>]*class="lbl">GZ-F03 {name}&lt;script&gt;', page)
    assert HOSTILE in _html_text(page)


def test_html_has_no_unescaped_quote_inside_attributes(screening, hostile_store):
    page = render_html(screening, store=hostile_store)
    for tag in re.findall(r"<[a-z][^>]*>", page):
        # every attribute value is a quoted run without quotes or angle brackets
        rest = re.sub(r'\s[\w:-]+="[^"<>]*"', "", tag[1:-1].rstrip("/"))
        assert re.fullmatch(r"[\w:!-]+(\s+html)?", rest), tag


def test_environment_autoescapes_and_templates_mark_nothing_safe():
    assert environment().autoescape is True
    for name in ("report.html", "sketch_map.svg"):
        source = (resources.files("fossilgis.report") / "templates" / name).read_text("utf-8")
        assert "|safe" not in source.replace(" ", "") and "autoescape false" not in source


def test_html_uses_the_shared_vocabulary(screening, hostile_store):
    page = render_html(screening, "zh", store=hostile_store)
    assert vocab.PROTECTION_LEVELS.zh("national_key") in page
    assert vocab.GRADES.zh(screening.grade) in page
    assert "<svg" in page


def test_text_keeps_hostile_values_verbatim(screening):
    text = render_text(screening, "en")
    assert f"== {HOSTILE}  (" in text and f"Guanling {HOSTILE}" in text


def test_csv_rows_carry_the_values_as_they_are(screening):
    text = render_csv(screening)
    assert text.startswith("\ufeff") and "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert list(rows[0]) == CSV_COLUMNS
    (imp,) = screening.to_dict()["projects"][0]["impacts"]
    (row,) = rows
    assert row["project_id"] == HOSTILE and row["target_name_en"] == f"Guanling {HOSTILE}"
    assert row["follow_up"] == "; ".join(imp["follow_up"])
    assert row["grade"] == imp["grade"] and row["rules_version"] == str(
        screening.to_dict()["rules"]["version"]
    )


def test_csv_row_for_a_clear_project(hostile_store, tmp_path):
    path = tmp_path / "far.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(104.0, 27.0, 104.01, 27.01)], crs=4490).to_file(path)
    rows = list(csv.DictReader(io.StringIO(render_csv(screen_paths([path], hostile_store))[1:])))
    assert [(r["project_grade"], r["grade"], r["target_id"]) for r in rows] == [
        ("none", "none", "")
    ]


def test_json_is_the_dict_form(screening):
    text = render_json(screening)
    assert text == json.dumps(screening.to_dict(), ensure_ascii=False, indent=2) + "\n"
    assert json.loads(text)["projects"][0]["project_id"] == HOSTILE


def test_json_of_many_projects_is_compact_and_of_few_is_indented():
    from types import SimpleNamespace

    def screening(n):
        projects = [{"project_id": str(i), "impacts": []} for i in range(n)]
        return SimpleNamespace(to_dict=lambda: {"projects": projects})

    assert render_json(screening(3)).count("\n") > 3
    many = render_json(screening(5000))
    assert many.count("\n") == 1 and len(json.loads(many)["projects"]) == 5000
