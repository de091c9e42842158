"""The printable report an office can file: case block, Beijing time, page numbers, every
label in the chosen language, and a sketch map with legend, zone edges, north arrow, scale
bar and corner coordinates."""

from __future__ import annotations

import html
import re

import geopandas as gpd
import pytest
import shapely
from io_helpers import EXAMPLES, GUANLING

from fossilgis import vocab
from fossilgis.impact import ScreenOptions
from fossilgis.io import read_footprints
from fossilgis.report import render_html, render_text
from fossilgis.report.html import css_string_body
from fossilgis.report.svg import sketch_map
from fossilgis.report.wording import beijing_time
from fossilgis.rules import load_rules
from fossilgis.screening import screen_paths, screen_results
from fossilgis.store import open_store

LON, LAT = GUANLING
#: a site of its own, east of Guanling: inside the map of CONTEXT_PLAN, far from its footprints
CONTEXT_SITE = shapely.box(LON + 0.024, LAT + 0.012, LON + 0.027, LAT + 0.015)
CONTEXT_PLAN = [
    shapely.box(LON - 0.001, LAT - 0.001, LON + 0.001, LAT + 0.001),  # in GZ-F03's core
    shapely.box(LON + 0.05, LAT - 0.001, LON + 0.052, LAT + 0.001),  # 5 km east of it
]
CASE = {
    "number": "GZHS-2026-0042",
    "project_name": "G320 关岭段改扩建工程",
    "applicant_unit": "贵州省公路开发有限责任公司",
    "applicant_contact": None,
    "officer": "李明",
    "status": "evaluation_required",
    "decision_text": "须委托具备资质的单位开展古生物化石影响评价后再行审批。",
    "decided_at": "2026-11-29T09:52:00+00:00",
    "follow_ups": [
        {"text": "提交影响评价报告", "due_date": "2026-12-31", "done_at": None},
        {"text": "现场踏勘", "due_date": None, "done_at": "2026-12-02T17:30:00Z"},
    ],
}
#: the codes no report in one language may show as a word
CODE_LISTS = [
    vocab.GRADES,
    vocab.ZONES,
    vocab.TARGET_KINDS,
    vocab.LAYER_KINDS,
    vocab.PROTECTION_LEVELS,
    vocab.PROJECT_TYPES,
    vocab.BOUNDARY_STATUSES,
    vocab.CRS_BASES,
    vocab.CASE_STATUSES,
    vocab.GEOMETRY_TYPES,
]
#: ASCII words a Chinese report may hold: names of systems, units, DXF entity types
ZH_ALLOWED_WORDS = {"EPSG", "CGCS2000", "fossilgis", "UTC", "GBK", "TEXT"}
#: codes an English report may not show (the others are words of its English labels;
#: the text report also writes the verdict in capitals, "AVOID — Must avoid", as before)
EN_FORBIDDEN = {c for v in CODE_LISTS for c in v.codes if "_" in c} | {
    "prj",
    "assess",
    "LineString",
    "Polygon",
}
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


@pytest.fixture(scope="module")
def store(template_copy):
    """A GeoPackage store with one more site (GZ-X01) for the map's context (the report
    reads the store; its backend is not what these tests are about)."""

    def add_site(s):
        sites = s.read_layer("sites")
        extra = sites[sites["id"] == "GZ-F03"].copy()
        extra["id"], extra["name_zh"], extra["name_en"] = "GZ-X01", "测试产地", "Test site"
        extra["protection_level"] = "general"
        extra = extra.set_geometry([CONTEXT_SITE], crs=sites.crs)
        s.replace_layer(
            "sites", gpd.pd.concat([sites, extra]), source="test.gpkg", demonstration=True
        )

    made = open_store(template_copy("filing", prepare=add_site))
    yield made
    made.close()


@pytest.fixture(scope="module")
def examples(store):
    """The three example files screened together: a GBK shapefile line, a DXF quarry and
    a 界址点 TXT, with a line width (every reader's notes and every kind of value)."""
    results = [
        *read_footprints(EXAMPLES / "highway_g320.zip", crs="EPSG:4523"),
        *read_footprints(EXAMPLES / "quarry_kaili.dxf", crs="EPSG:4524"),
        *read_footprints(EXAMPLES / "parcels_qingyan.txt"),
    ]
    options = ScreenOptions(project_type="mining", line_width_m=26, ground_disturbance=False)
    result = screen_results(results, store, options=options)
    result.created_at = "2026-11-29T09:52:03+00:00"
    assert {p["grade"] for p in result.projects} == {"avoid", "assess"}
    return result


@pytest.fixture(scope="module")
def context_screening(store, tmp_path_factory):
    path = tmp_path_factory.mktemp("in") / "plan.geojson"
    gpd.GeoDataFrame(geometry=CONTEXT_PLAN, crs=4490).to_file(path)
    result = screen_paths([path], store)
    assert {i["target_id"] for i in result.projects[0]["impacts"]} == {"GZ-F03"}
    return result


def visible_text(page: str) -> str:
    """What a reader sees: no style, no tags, entities decoded."""
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def data_values(screening, store, case) -> list[str]:
    """Values shown as they are (names, files, the case's own text), longest first."""
    values = [str(v) for p in screening.projects for v in (p["project_id"], p["source"])]
    values += [p["layer"] for p in screening.projects if p.get("layer")]
    for kind in ("sites", "sections"):
        layer = store.read_layer(kind)
        values += layer["name_zh"].tolist() + layer["name_en"].tolist()
    for key in ("number", "project_name", "applicant_unit", "officer", "decision_text"):
        values.append(case[key])
    values += [f["text"] for f in case["follow_ups"]]
    return sorted(set(values), key=len, reverse=True)


def without(text: str, values: list[str]) -> str:
    for v in values:
        text = text.replace(v, " ")
    return text


def codes_shown(text: str, codes) -> set[str]:
    return {
        c for c in codes if re.search(rf"(?<![A-Za-z0-9_]){re.escape(c)}(?![A-Za-z0-9_])", text)
    }


def check_zh(text: str) -> None:
    all_codes = {c for v in CODE_LISTS for c in v.codes}
    assert codes_shown(text, all_codes) == set()
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9]*", text))
    assert {w for w in words if len(re.sub(r"[0-9]", "", w)) >= 4} <= ZH_ALLOWED_WORDS


def check_en(text: str) -> None:
    assert codes_shown(text, EN_FORBIDDEN) == set()
    assert CJK.findall(text) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_speaks_one_language(examples, store, lang):
    page = render_html(examples, lang, store=store, case=CASE)
    text = without(visible_text(page), data_values(examples, store, CASE))
    (check_zh if lang == "zh" else check_en)(text)
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_text_speaks_one_language(examples, store, lang):
    text = without(render_text(examples, lang), data_values(examples, store, CASE))
    (check_zh if lang == "zh" else check_en)(text)


def test_text_labels(examples):
    zh, en = render_text(examples, "zh"), render_text(examples, "en")
    assert "结论: 须避让" in zh and "[须避让] GZ-F03" in zh and "坐标系 EPSG:4523 (用户指定)" in zh
    assert "项目类型: 采矿、采石、取土 (不扰动地面) · 线宽 26 m" in zh
    assert "范围要素: 1 (线)" in zh and "说明: 无 .cpg" in zh
    assert "Verdict: AVOID — Must avoid" in en and "[Must avoid] GZ-F03" in en and " mu" in en
    assert "project type: Mining, quarrying, borrow pits (no ground disturbance)" in en
    both = render_text(examples)
    assert "AVOID — 须避让 Must avoid" in both and "line width 26 m" in both and "亩" in both


def test_html_labels_the_settings(examples, store):
    zh = visible_text(render_html(examples, "zh", store=store))
    assert "化石产地：国家级重点 500 m，省级重点 300 m，一般 200 m" in zh
    assert "采矿、采石、取土 (不扰动地面)" in zh and "(边界: 近似)" in zh
    en = visible_text(render_html(examples, "en", store=store))
    assert "Site: national key 500 m, provincial key 300 m, general 200 m" in en
    assert "37 sites, 19 sections (boundaries: approximate)" in en  # with GZ-X01


@pytest.mark.parametrize(
    "value, lang, expected",
    [
        ("2026-11-29T09:52:03+00:00", "zh", "2026-11-29 17:52 北京时间 (UTC+8)"),
        ("2026-11-29T09:52:03Z", "en", "2026-11-29 17:52 Beijing time (UTC+8)"),
        ("2026-11-29T17:00:00", None, "2026-11-30 01:00 北京时间 Beijing time (UTC+8)"),
        ("2026-11-29T12:00:00+08:00", "en", "2026-11-29 12:00 Beijing time (UTC+8)"),
        ("2026-12-31", "zh", "2026-12-31"),
        ("not a time at all", "zh", "not a time at all"),
        (None, "zh", "–"),
    ],
)
def test_beijing_time(value, lang, expected):
    assert beijing_time(value, lang) == expected


def test_report_dates_are_beijing_time(examples, store):
    assert "2026-11-29 17:52 北京时间 (UTC+8)" in render_html(examples, "zh")
    assert "2026-11-29 17:52 Beijing time (UTC+8)" in render_html(examples, "en")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_case_block(examples, lang):
    page = render_html(examples, lang, case=CASE)
    text = visible_text(page)
    zh = lang == "zh"
    for value in ("GZHS-2026-0042", CASE["project_name"], CASE["officer"], "2026-12-31"):
        assert value in text
    assert vocab.CASE_STATUSES.label("evaluation_required", lang) in text
    assert ("需开展影响评价" if zh else "Evaluation required") in text
    assert ("决定时间" if zh else "Decided at") in text
    assert "2026-11-29 17:52" in text and "2026-12-03 01:30" in text  # Beijing time
    assert ("未完成" if zh else "Open") in text
    # the contact is not given: a dash, never "None"
    assert re.search(r"(联系方式|Applicant contact)</td><td>–</td>", page)
    assert "None" not in text
    # the case number heads every printed page
    assert '@top-right { content: "GZHS\\2d 2026\\2d 0042";' in page


def test_no_case_no_case_block(examples):
    page = render_html(examples, "zh")
    assert 'class="case"' not in page and "@top-right" not in page and "案卷编号" not in page


def test_case_values_are_escaped(examples):
    hostile = '"; } body { display: none } </style><script>alert(1)</script>'
    case = {**CASE, "number": hostile, "project_name": hostile, "status": hostile}
    page = render_html(examples, case=case)
    style = re.search(r"<style>(.*?)</style>", page, flags=re.S).group(1)
    assert "<script" not in page and "<" not in style and "display: none" not in style
    head = re.search(r'@top-right \{ content: "([^"]*)"', page).group(1)
    assert re.fullmatch(r"[0-9A-Za-z\\ ]*", head)
    assert "&lt;script&gt;" in page


def test_css_string_body():
    assert css_string_body("GZHS-2026/1") == "GZHS\\2d 2026\\2f 1"
    assert css_string_body('a"b\\c') == "a\\22 b\\5c c"
    assert css_string_body("贵州 1") == "贵州\\20 1"


def test_pages_are_numbered_on_a4(examples):
    page = render_html(examples)
    assert "size: A4" in page
    assert re.search(r'@bottom-center \{ content: counter\(page\) " / " counter\(pages\)', page)


def _map(page: str) -> str:
    return re.search(r'<svg [^>]*class="map".*?</svg></svg>', page, flags=re.S).group(0)


@pytest.mark.parametrize("lang", ["zh", "en", None])
def test_map_has_legend_rings_arrow_scale_and_corners(examples, store, lang):
    svg = _map(render_html(examples, lang, store=store))
    assert svg.count('class="ring-c"') >= 1 and svg.count('class="ring-a"') >= 1
    assert 'class="tg"' in svg and 'class="fp"' in svg
    text = visible_text(svg)
    legend = {
        "zh": ["图例", "项目范围", "化石产地、层型剖面边界", "建设控制地带外缘", "关注区外缘"],
        "en": ["Legend", "Project footprint", "Site or section boundary", "Control zone edge"],
    }
    for word in legend.get(lang, legend["zh"] + legend["en"]):
        assert word in text
    # the widths of the zones drawn: GZ-F03 is national key (500 m), GZ-X01 general (200 m)
    assert "外缘 (200/500 m)" in text or "edge (200/500 m)" in text
    assert "外缘 (1000 m)" in text or "edge (1000 m)" in text
    assert re.search(r"\b\d+(\.\d+)? k?m\b", text)  # scale bar
    north = {"zh": "北", "en": "N", None: "北 N"}[lang]
    assert re.search(rf'class="t" text-anchor="middle">{north}</text>', svg)
    corner = r"东经 10\d°\d\d′\d\d″  北纬 2\d°\d\d′\d\d″" if lang == "zh" else r"10\d°\d\d′\d\d″ E"
    assert len(re.findall(corner, text)) == 2
    assert "EPSG:4544" in text  # Gauss-Krüger zone 35 of the highway


def test_map_without_store_draws_no_targets(examples):
    svg = _map(render_html(examples, "en"))
    assert 'class="ring-c"' not in svg and 'class="tg"' not in svg and 'class="ctx"' not in svg
    assert "Project footprint" in svg and "Control zone edge" not in svg


def test_map_draws_other_sites_lightly_and_unlabelled(context_screening, store):
    page = render_html(context_screening, "zh", store=store)
    svg = _map(page)
    # GZ-X01 only (the province's other sites lie outside), and its legend sample
    assert svg.count('<path class="ctx"') == 1 and svg.count('<rect class="ctx"') == 1
    assert "其他化石产地、层型剖面" in svg and "测试产地" not in page
    assert 'class="lbl">GZ-F03' in svg


def _extent(svg_part: str) -> tuple[float, float]:
    xs = [float(v) for v in re.findall(r"(-?[\d.]+),-?[\d.]+", svg_part)]
    return min(xs), max(xs)


@pytest.mark.parametrize("kind, level", [("site", "national_key"), ("section", "general")])
def test_rings_are_the_rules_distances(kind, level):
    rules = load_rules()
    target = shapely.box(LON - 0.002, LAT - 0.002, LON + 0.002, LAT + 0.002)
    if kind == "section":
        target = shapely.LineString([(LON, LAT - 0.003), (LON, LAT + 0.003)])
    fp = gpd.GeoDataFrame(geometry=[shapely.Point(LON + 0.004, LAT)], crs=4490)
    m = sketch_map(fp, [("T", target, kind, level)], rules=rules, lang="en")
    bar = m["scale_bar"]
    metres = float(bar["label"].split()[0]) * (1000 if bar["label"].endswith("km") else 1)
    px_per_m = (float(bar["x2"]) - float(bar["x1"])) / metres
    tg = gpd.GeoSeries([target], crs=4490).to_crs("EPSG:4544").iloc[0]
    core = tg.buffer(rules.section_core_halfwidth_m) if kind == "section" else tg
    width = core.bounds[2] - core.bounds[0]
    (control,) = [s for s in m["rings"] if s["cls"] == "ring-c"]
    (attention,) = [s for s in m["rings"] if s["cls"] == "ring-a"]
    for shape, reach in ((control, rules.control_distance_for(kind, level)), (attention, 1000)):
        x0, x1 = _extent(shape["d"])
        drawn = (x1 - x0) / px_per_m
        if x0 > 0.5 and x1 < 639.5:  # not cut by the frame
            assert drawn == pytest.approx(width + 2 * reach, rel=0.01)
    assert [r["text"] for r in m["legend"]["rows"]][2:] == [
        f"Control zone edge ({rules.control_distance_for(kind, level):g} m)",
        "Attention zone edge (1000 m)",
    ]


def test_map_of_points_without_targets():
    fp = gpd.GeoDataFrame(geometry=[shapely.Point(LON, LAT), shapely.Point(LON + 0.01, LAT)])
    m = sketch_map(fp.set_crs(4490), [(None, None, "site", "general")], lang="zh")
    assert [s["tag"] for s in m["footprints"]] == ["circle", "circle"]
    assert m["targets"] == [] and m["rings"] == [] and m["context"] == []
    assert [(r["cls"], r["sample"], r["text"]) for r in m["legend"]["rows"]] == [
        ("fp", "dot", "项目范围")
    ]
    assert m["north"]["text"] == "北" and m["corners"][0]["text"].startswith("东经 105°")
