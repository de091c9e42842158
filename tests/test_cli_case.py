"""`fossilgis impact-check --case` and `fossilgis case …` end to end, on both stores: from a
DXF red line to a decided, attached, exported case, and a registry import that flags it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pyogrio
import shapely
from click.testing import CliRunner
from conftest import store_url

from fossilgis.cli.main import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "layers" / "examples"
QUARRY = [str(EXAMPLES / "quarry_kaili.dxf"), "--crs", "EPSG:4524", "--project-type", "mining"]
PDF = b"%PDF-1.4\n%%EOF\n"


def run(store, *args):
    url = store_url(store)
    head = ["--data", str(store.data_dir), *(["--store", url] if url else [])]
    return CliRunner().invoke(cli, [*head, *args], catch_exceptions=False)


def test_from_a_red_line_to_a_filed_case(store, tmp_path):
    r = run(store, "impact-check", *QUARRY, "--case", "NEW", "--project-name", "凯里采石场",
            "--applicant", "凯里建材公司", "--county", "凯里市", "--user", "officer")  # fmt: skip
    assert r.exit_code == 0, r.output
    number = r.stderr.split("case ")[1].split()[0]
    assert "opened: screen 1, grade assess" in r.stderr
    r = run(store, "case", "list", "--q", "建材")
    assert number in r.output and "GZ-F01" in r.output
    r = run(store, "case", "decide", number, "--status", "evaluation_required", "--text",
            "请开展影响评价", "--follow-up", "提交评价报告|2027-01-31", "--release")  # fmt: skip
    assert r.exit_code == 0 and "evaluation_required (需开展影响评价)" in r.output
    report = tmp_path / "评价报告.pdf"
    report.write_bytes(PDF)
    assert run(store, "case", "attach", number, str(report), "--note", "评价报告").exit_code == 0
    fake = tmp_path / "virus.pdf"
    fake.write_bytes(b"MZ\x90\x00 not a pdf")
    r = run(store, "case", "attach", number, str(fake))
    assert r.exit_code == 2 and "virus.pdf: not a PDF, JPEG or PNG" in r.output
    r = run(store, "case", "show", number, "--lang", "zh")
    for text in ("需开展影响评价", "凯里建材公司", "提交评价报告 — 期限 2027-01-31",
                 "[附件] 评价报告.pdf", "北京时间 (UTC+8)", "作出处理决定"):  # fmt: skip
        assert text in r.output, text
    # a second red line on the same case: the first screen stays
    r = run(store, "impact-check", *QUARRY, "--case", number, "--line-width", "10")
    assert r.exit_code == 0 and f"case {number}: screen 2 recorded" in r.stderr
    dossier = tmp_path / "dossier.zip"
    r = run(store, "case", "export", number, "-o", str(dossier), "--lang", "zh")
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(dossier) as zf:
        names = set(zf.namelist())
        record = json.loads(zf.read(f"{number}/case.json"))
        html = zf.read(f"{number}/report.html").decode()
    assert {
        f"{number}/case.json",
        f"{number}/history.csv",
        f"{number}/report.html",
        f"{number}/screen.gpkg",
        f"{number}/submitted/01-quarry_kaili.dxf",
        f"{number}/submitted/03-quarry_kaili.dxf",
        f"{number}/attachments/02-评价报告.pdf",
    } <= names
    assert [s["seq"] for s in record["screens"]] == [1, 2] and number in html
    assert "status_token_sha256" not in json.dumps(record)
    gpkg = tmp_path / "case.gpkg"
    assert run(store, "case", "export", number, "-o", str(gpkg)).exit_code == 0
    assert {n for n, _ in pyogrio.list_layers(gpkg)} == {"footprints", "impacts"}
    r = run(store, "case", "close", number)
    assert r.exit_code == 0 and "closed (已办结)" in r.output
    r = run(store, "case", "decide", number, "--status", "cleared")
    assert r.exit_code == 2 and "cannot become cleared" in r.output
    assert "restored to evaluation_required" in run(store, "case", "restore", number).output


def test_a_registry_import_lists_the_cases_it_changes(store, tmp_path):
    r = run(store, "impact-check", *QUARRY, "--case", "NEW")
    number = r.stderr.split("case ")[1].split()[0]
    assert run(store, "case", "list", "--changed").output.startswith("no cases match")
    # the office's revised registry moves GZ-F01 onto the quarry
    sites = store.read_layer("sites")
    fp = store.cases.footprints(number, 1).geometry.iloc[0]
    i = sites.index[sites["id"] == "GZ-F01"][0]
    g = sites.loc[i, "geometry"]
    sites.loc[i, "geometry"] = shapely.affinity.translate(
        g, fp.centroid.x - g.centroid.x, fp.centroid.y - g.centroid.y
    )
    registry = tmp_path / "sites_2026_3.gpkg"
    sites.to_file(registry, driver="GPKG")
    r = run(store, "layers", "import", str(registry), "--kind", "sites")
    assert r.exit_code == 0, r.output
    assert "1 changed" in r.output and f"{number}: " in r.output and "GZ-F01 now" in r.output
    r = run(store, "case", "list", "--changed")
    assert number in r.output and "! " in r.output
    r = run(store, "case", "acknowledge", number)
    assert run(store, "case", "list", "--changed").output.startswith("no cases match")
    r = run(store, "case", "show", number, "--format", "json")
    shown = json.loads(r.output)
    assert [s["reason"] for s in shown["screens"]][0] == "submitted"
    assert shown["screens"][1]["reason"].startswith("registry revision")
