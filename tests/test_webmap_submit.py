"""/submit and /status: an applicant's submission, its receipt and status page, every bad
input as a 4xx form, and no precise location in anything an applicant can see."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
import shapely
from test_anonymous_exposure import _forms, leaks
from webmap_fixtures import INSIDE_SITE, csrf_of, signed_in, zipped_shapefile

PROJECT = {
    "project_name": "剑河县城南大道改造工程",
    "applicant_unit": "贵州某某建设集团有限公司",
    "applicant_contact": "王工 13800000000",
    "project_type": "linear",
    "county": "剑河县",
    "line_width_m": "30",
}
RELEASED = "提交化石影响评价报告，并附施工组织设计"
UNRELEASED = "内部：核对与 GZ-F01 的距离 35 m（108.4141, 26.0812）"
DECISION = "经审查，请按要求开展化石影响评价后再行报批。"


def _app(webmap_data, **config):
    from webmap import create_app

    return create_app({"DATA_DIR": str(webmap_data), "TESTING": True, **config})


def _files(*paths, names=None):
    names = names or [p.name for p in paths]
    return [(io.BytesIO(p.read_bytes()), n) for p, n in zip(paths, names)]


def _post(client, files=(), lang="zh", csrf=True, **fields):
    data = {**PROJECT, **fields}
    if csrf:
        data["csrf_token"] = csrf_of(client, "/submit")
    if files:
        data["footprint"] = list(files)
    return client.post(f"/submit?lang={lang}", data=data, content_type="multipart/form-data")


def _zip(tmp_path):
    """A zipped shapefile of a 200 m square on site GZ-F01, in a new folder each time."""
    folder = tmp_path / f"zip{len(list(tmp_path.glob('zip*')))}"
    folder.mkdir()
    return zipped_shapefile(folder)


def _submitted(client, path=None, tmp_path=None, **fields):
    """Submit (a zipped shapefile on site GZ-F01 by default): (number, status URL, receipt)."""
    path = path or _zip(tmp_path)
    r = _post(client, _files(path, names=["红线 范围(1).zip"]), **fields)
    assert r.status_code == 303, r.get_data(as_text=True)[-2000:]
    assert r.headers["Location"] == "/submit/receipt"
    receipt = client.get("/submit/receipt")
    html = receipt.get_data(as_text=True)
    number = re.search(r'id="receipt-number">([^<]+)<', html).group(1)
    link = re.search(r'id="receipt-link"[^>]*>([^<]+)<', html).group(1)
    return number, link, receipt


def _hidden(html: str, name: str) -> str | None:
    m = re.search(rf'name="{name}" value="([^"]*)"', html)
    return m.group(1) if m else None


def _crs_value(html: str) -> str:
    return re.search(r'<input type="text" name="crs" id="crs" value="([^"]*)"', html).group(1)


def _gk_shapefile(directory, *, prj=True, encoding="utf-8", cpg=None, name="红线"):
    """A loose shapefile of a 200 m square on GZ-F01 in CGCS2000 GK zone 36 (EPSG:4524)."""
    import geopandas as gpd

    x, y = INSIDE_SITE
    gdf = gpd.GeoDataFrame(
        {"name": ["城南红线"]},
        geometry=[shapely.box(x - 0.001, y - 0.001, x + 0.001, y + 0.001)],
        crs="EPSG:4490",
    ).to_crs("EPSG:4524")
    folder = directory / f"{name}_{encoding}"
    folder.mkdir()
    gdf.to_file(folder / f"{name}.shp", driver="ESRI Shapefile", encoding=encoding)
    if not prj:
        (folder / f"{name}.prj").unlink()
    if cpg is None:
        (folder / f"{name}.cpg").unlink(missing_ok=True)
    else:
        (folder / f"{name}.cpg").write_text(cpg, encoding="ascii")
    return sorted(folder.iterdir())


# -- the form, the receipt and the status page ----------------------------------------------
def test_form_for_a_signed_out_visitor_in_chinese_then_english(client):
    r = client.get("/submit")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "建设项目申报" in html  # no language asked: 中文
    assert 'name="csrf_token"' in html and 'type="file" name="footprint"' in html
    assert "线性工程（公路、铁路、管线、输电线路）" in html  # project types with their labels
    assert "隐私说明" in html and r.headers["Cache-Control"] == "no-store"
    html = client.get("/submit?lang=en").get_data(as_text=True)
    assert "Submit a construction project" in html and "What happens next" in html
    assert 'lang="en"' in html and "Linear (road, rail, pipeline, power line)" in html
    assert 'id="nav-submit"' in html  # the signed-out visitor's menu leads here


def test_submission_opens_an_applicant_case_with_a_receipt_and_status_page(app, tmp_path):
    client = app.test_client()
    number, link, receipt = _submitted(client, tmp_path=tmp_path)
    html = receipt.get_data(as_text=True)
    assert re.fullmatch(r"GZHS-\d{4}-\d{4}", number)
    assert link.startswith("http://localhost/status/") and len(link.rsplit("/", 1)[1]) == 32
    assert "以后不再显示" in html and "须避让" not in html and "GZ-F01" not in html
    assert receipt.headers["Referrer-Policy"] == "no-referrer"
    assert receipt.headers["Cache-Control"] == "no-store"
    again = client.get("/submit/receipt?lang=en")  # a reload or a language switch
    assert again.status_code == 200 and number in again.get_data(as_text=True)
    assert "not shown again later" in again.get_data(as_text=True)
    assert app.test_client().get("/submit/receipt").status_code == 404  # another browser
    with client.session_transaction() as sess:  # ten minutes later
        sess["submit_receipt"] = {**sess["submit_receipt"], "until": 0}
    gone = client.get("/submit/receipt?lang=zh")
    assert gone.status_code == 404 and "只在提交后显示 10 分钟" in gone.get_data(as_text=True)
    assert client.get("/submit/receipt").status_code == 404

    store = app.extensions["fossilgis_store"]
    case = store.cases.get(number)
    assert case["source"] == "applicant" and case["status"] == "screened"
    assert case["created_by"] is None and case["grade"] == "avoid"
    assert case["applicant_contact"] == PROJECT["applicant_contact"]
    assert [f["name"] for f in store.cases.files(number)] == ["红线 范围(1).zip"]
    newest, _total = store.cases.list(order="attention")
    assert newest[0]["number"] == number  # the office sees it at the top of /cases
    token = link.rsplit("/", 1)[1]
    assert store.cases.number_for_token(token) == number

    status = client.get(link.replace("http://localhost", ""))
    page = status.get_data(as_text=True)
    assert status.status_code == 200 and number in page
    assert 'data-status="under_review"' in page and "审查中" in page
    assert PROJECT["project_name"] in page and PROJECT["applicant_unit"] in page
    assert "北京时间" in page and PROJECT["applicant_contact"] not in page
    assert status.headers["Referrer-Policy"] == "no-referrer"
    assert status.headers["Cache-Control"] == "no-store"
    # anyone holding the link (another browser) sees the same page
    other = app.test_client().get(link.replace("http://localhost", "") + "?lang=en")
    assert "Under review" in other.get_data(as_text=True)


def test_status_page_shows_the_decision_and_only_released_follow_ups(app, tmp_path):
    from fossilgis.cases.model import Decision, FollowUp

    client = app.test_client()
    number, link, _ = _submitted(client, tmp_path=tmp_path)
    store = app.extensions["fossilgis_store"]
    follow_ups = [FollowUp(RELEASED, "2026-12-31", True), FollowUp(UNRELEASED, None, False)]
    store.cases.decide(number, Decision("evaluation_required", DECISION, follow_ups), user="admin1")
    page = client.get(link.replace("http://localhost", "")).get_data(as_text=True)
    assert 'data-status="evaluation_required"' in page and "需开展影响评价" in page
    assert DECISION in page and RELEASED in page and "2026-12-31" in page
    assert "尚未完成" in page and "内部" not in page and "GZ-F01" not in page
    store.cases.complete_follow_up(number, 1, user="admin1")
    page = client.get(link.replace("http://localhost", "") + "?lang=en").get_data(as_text=True)
    assert "Evaluation required" in page and "done on" in page


def test_unknown_status_link_is_404(client):
    for token in ("nope", "x" * 32, "x" * 300):
        r = client.get(f"/status/{token}")
        assert r.status_code == 404 and "此状态链接无效" in r.get_data(as_text=True)
        assert r.headers["Referrer-Policy"] == "no-referrer"


def test_markup_in_the_fields_is_escaped(app, tmp_path):
    client = app.test_client()
    _, link, _ = _submitted(
        client, tmp_path=tmp_path, project_name="<script>alert(1)</script>", applicant_unit="<b>x"
    )
    page = client.get(link.replace("http://localhost", "")).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<b>x" not in page


# -- what an applicant must never see -------------------------------------------------------
def _needles(store):
    """(lon, lat) pairs to 3 decimals of every vertex of every site and section, their ids
    and names."""
    pairs, names, ids = set(), set(), set()
    for kind in ("sites", "sections"):
        layer = store.read_layer(kind)
        ids |= set(layer["id"])
        names |= {n for col in ("name_zh", "name_en") for n in layer[col] if n}
        for geom in layer.geometry:
            coords = [*shapely.get_coordinates(geom), *shapely.get_coordinates(geom.centroid)]
            for lon, lat in coords:
                pairs |= {(a, b) for a in _forms(lon) for b in _forms(lat)}
    return pairs, names, ids


_DISTANCE = re.compile(r"\d+(?:\.\d+)?\s*(?:m|km|米|公里|千米)(?![A-Za-z])")
_PRECISE = re.compile(r"\d+\.\d{4,}")
_TARGET_ID = re.compile(r"GZ-[FS]")


def _exposed(body: str, needles, secrets: list[str]) -> list[str]:
    """What an applicant-visible ``body`` must not hold (random tokens taken out first)."""
    for secret in secrets:
        body = body.replace(secret, "TOKEN")
    body = re.sub(r'(csrf-token" content|name="csrf_token" value)="[^"]*"', "", body)
    pairs, names, ids = needles
    found = [f"id {m.group()}" for m in _TARGET_ID.finditer(body)]
    found += [f"name {n}" for n in names if n in body]
    found += [f"distance {m.group()}" for m in _DISTANCE.finditer(body)]
    found += [f"number {m.group()}" for m in _PRECISE.finditer(body)]
    found += leaks(body, pairs)
    return found


def test_no_applicant_visible_answer_holds_a_target_distance_or_position(webmap_data, tmp_path):
    """A footprint inside site GZ-F01 and ~20 m from section GZ-S01; every answer the
    applicant can get, before and after the office's decision."""
    from fossilgis.cases.model import Decision, FollowUp

    app = _app(webmap_data, SUBMIT_MAX_PER_HOUR=2)
    store = app.extensions["fossilgis_store"]
    needles = _needles(store)
    assert {"GZ-F01", "GZ-S01"} <= needles[2]
    client = app.test_client()
    answers = {
        "form": client.get("/submit"),
        "form en": client.get("/submit?lang=en"),
        "missing field": _post(client, _files(_zip(tmp_path)), project_name=""),
        "no csrf": _post(client, csrf=False),
    }
    gk = tmp_path / "gk"
    gk.mkdir()
    crs = _post(client, _files(*_gk_shapefile(gk, prj=False)))
    answers["crs question"] = crs
    pending = _hidden(crs.get_data(as_text=True), "pending")
    number, link, answers["receipt"] = _submitted(client, tmp_path=tmp_path)
    path = link.replace("http://localhost", "")
    answers["status"] = client.get(path)
    answers["status en"] = client.get(path + "?lang=en")
    follow_ups = [FollowUp(RELEASED, "2026-12-31", True), FollowUp(UNRELEASED, None, False)]
    store.cases.decide(number, Decision("avoid_required", DECISION, follow_ups), user="admin1")
    answers["decided"] = client.get(path)
    answers["decided en"] = client.get(path + "?lang=en")
    answers["404"] = client.get("/status/" + "y" * 32)
    answers["receipt again"] = client.get("/submit/receipt")
    _submitted(client, tmp_path=tmp_path)  # the second of two per hour
    answers["429"] = _post(client, _files(_zip(tmp_path)))
    assert answers["429"].status_code == 429
    assert answers["crs question"].status_code == 422 and pending
    assert RELEASED in answers["decided"].get_data(as_text=True)
    secrets = [link.rsplit("/", 1)[1], pending]
    for what, r in answers.items():
        body = r.get_data(as_text=True)
        assert not _exposed(body, needles, secrets), (what, _exposed(body, needles, secrets))
        assert "须避让" not in body and "Must avoid" not in body, what  # the screen's grade


def test_the_scan_finds_what_it_looks_for(app):
    needles = _needles(app.extensions["fossilgis_store"])
    x, y = next(iter(needles[0]))
    assert _exposed(f"<td>{x}, {y}</td>", needles, [])
    assert _exposed("凯里生物群（八郎）", needles, [])
    assert _exposed("距离 35 m", needles, []) and _exposed("35米", needles, [])
    assert _exposed("GZ-S01", needles, []) and _exposed("108.41412", needles, [])
    assert not _exposed("2026-11-29 17:52 北京时间 (UTC+8) · 20 MB", needles, [])


# -- bad input: the form again, with the problem, the fields and the file kept ---------------
def _zip_of(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _form_again(r, status: int) -> str:
    html = r.get_data(as_text=True)
    assert r.status_code == status, html[-1500:]
    assert 'id="submit-form"' in html and 'id="submit-error"' in html
    assert "Traceback" not in html and "/tmp/" not in html and "pending/" not in html
    assert "<…" not in html  # nothing of the page was taken for a server path
    assert f'value="{PROJECT["project_name"]}"' in html  # the fields are kept
    return html


@pytest.mark.parametrize(
    "name,members,needle",
    [
        ("notes.txt", None, "notes.txt"),
        ("evil.zip", {"../evil.shp": b"x"}, "'..'"),
        ("abs.zip", {"/etc/evil.shp": b"x"}, "absolute"),
        ("bomb.zip", {"big.shp": b"\0" * (8 * 1024 * 1024)}, "zip bomb"),
        ("empty.zip", {}, "empty.zip"),
        ("broken.geojson", None, "broken.geojson"),
    ],
)
def test_bad_files_come_back_on_the_form(client, tmp_path, name, members, needle):
    path = tmp_path / name
    if members is None:
        path.write_bytes("随便写的文字 {not json".encode())
    else:
        _zip_of(path, members)
    html = _form_again(_post(client, _files(path)), 422)
    assert needle in html.replace("&#39;", "'") and name in html  # the error, the kept file


def test_missing_fields_keep_the_file(app, tmp_path):
    client = app.test_client()
    r = _post(client, _files(_zip(tmp_path)), applicant_unit="  ")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "请填写建设单位" in html
    assert 'id="submit-kept-names">红线 范围(1).zip' not in html  # named as sent
    assert "footprint.zip" in html
    pending = _hidden(html, "pending")
    r = _post(client, pending=pending)  # no file sent again
    assert r.status_code == 303, r.get_data(as_text=True)[-1500:]
    r = _post(client, project_name="", pending="")
    assert r.status_code == 422 and "project name (项目名称) is required" in r.get_data(
        as_text=True
    )
    r = _post(client, lang="en")
    assert r.status_code == 400 and "Choose the red-line file" in r.get_data(as_text=True)


def test_crs_question_round_trip_keeps_the_file_and_proposes_the_crs(app, tmp_path):
    client = app.test_client()
    parts = _gk_shapefile(tmp_path, prj=False)
    assert {p.suffix for p in parts} == {".shp", ".shx", ".dbf"}
    html = _form_again(_post(client, _files(*parts), lang="en"), 422)
    assert "zone prefix 36" in html and 'id="submit-confirm-crs"' in html
    assert _crs_value(html) == "EPSG:4524"  # pre-filled from CRSError.proposed_crs
    assert '<details id="submit-advanced" open' in html
    kept = re.search(r'id="submit-kept-names">([^<]+)<', html).group(1)
    assert kept == "红线.dbf, 红线.shp, 红线.shx"
    pending = _hidden(html, "pending")
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", pending)
    r = _post(client, crs=_crs_value(html), pending=pending)  # the file is not sent again
    assert r.status_code == 303, r.get_data(as_text=True)[-1500:]
    number = re.search(
        r'id="receipt-number">([^<]+)<', client.get("/submit/receipt").get_data(as_text=True)
    ).group(1)
    store = app.extensions["fossilgis_store"]
    assert sorted(f["name"] for f in store.cases.files(number)) == [
        "红线.dbf",
        "红线.shp",
        "红线.shx",
    ]
    assert store.cases.get(number)["grade"] == "avoid"
    # the kept folder went with the case: the token opens nothing any more
    r = _post(client, crs="EPSG:4524", pending=pending)
    assert r.status_code == 400 and "不再保留" in r.get_data(as_text=True)


def test_a_kept_file_opens_only_for_the_session_that_sent_it(app, tmp_path):
    first, second = app.test_client(), app.test_client()
    html = _post(first, _files(*_gk_shapefile(tmp_path, prj=False))).get_data(as_text=True)
    r = _post(second, crs="EPSG:4524", pending=_hidden(html, "pending"))
    assert r.status_code == 400 and "不再保留" in r.get_data(as_text=True)
    for forged in ("../../secret_key", "x" * 32, "a/b"):
        assert _post(first, crs="EPSG:4524", pending=forged).status_code == 400


def test_gbk_shapefile_without_cpg_is_read(app, tmp_path):
    client = app.test_client()
    parts = _gk_shapefile(tmp_path, encoding="GBK")
    assert ".cpg" not in {p.suffix for p in parts}
    r = _post(client, _files(*parts))
    assert r.status_code == 303, r.get_data(as_text=True)[-1500:]


def test_encoding_question_round_trip(app, tmp_path):
    client = app.test_client()
    parts = _gk_shapefile(tmp_path, encoding="GBK", cpg="UTF-8")  # a .cpg that lies
    html = _form_again(_post(client, _files(*parts)), 422)
    assert 'id="submit-confirm-encoding"' in html and "属性编码" in html
    r = _post(client, encoding="gbk", pending=_hidden(html, "pending"))
    assert r.status_code == 303, r.get_data(as_text=True)[-1500:]


def test_bad_option_and_crs_come_back_on_the_form(client, tmp_path):
    html = _form_again(_post(client, _files(_zip(tmp_path)), line_width_m="-3", lang="en"), 400)
    assert "positive number" in html
    html = _form_again(_post(client, pending=_hidden(html, "pending"), crs="EPSG:99999"), 422)
    assert "EPSG:99999" in html
    html = _form_again(_post(client, pending=_hidden(html, "pending"), project_type="rocket"), 422)
    assert "rocket" in html


def test_too_large_upload_is_413(webmap_data):
    client = _app(webmap_data, SUBMIT_MAX_MB=0.01).test_client()  # 10 KB of files
    r = _post(client, [(io.BytesIO(b"x" * 400_000), "big.zip")])
    html = r.get_data(as_text=True)
    assert r.status_code == 413 and "0.01 MB" in html and 'id="submit-form"' in html
    r = _post(client, [(io.BytesIO(b"x" * 20_000), "big.zip")])  # under the request slack
    assert r.status_code == 413 and "0.01 MB" in r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "no-store"


def test_missing_csrf_is_400(client, tmp_path):
    r = _post(client, _files(_zip(tmp_path)), csrf=False)
    assert r.status_code == 400 and "CSRF" in r.get_data(as_text=True)


def test_rate_limit_is_429_in_the_page_language(webmap_data, tmp_path):
    app = _app(webmap_data, SUBMIT_MAX_PER_HOUR=1)
    client = app.test_client()
    _submitted(client, tmp_path=tmp_path)
    r = _post(client, _files(_zip(tmp_path)))
    assert r.status_code == 429 and "提交次数过多（最多 1 次）" in r.get_data(as_text=True)
    r = _post(client, _files(_zip(tmp_path)), lang="en")
    assert r.status_code == 429 and "Too many submissions" in r.get_data(as_text=True)
    # failed tries count too (each one reads a file), at TRIES_PER_CASE times the limit
    other = _app(webmap_data, SUBMIT_MAX_PER_HOUR=1).test_client()
    codes = [_post(other, [(io.BytesIO(b"junk"), "x.txt")]).status_code for _ in range(5)]
    assert codes == [422, 422, 422, 422, 429]


def test_signed_in_staff_may_submit_too(app, tmp_path):
    number, _link, _ = _submitted(signed_in(app, "viewer1"), tmp_path=tmp_path)
    assert app.extensions["fossilgis_store"].cases.get(number)["source"] == "applicant"


# -- the kept uploads and the proposed CRS ----------------------------------------------------
class _Upload:
    def __init__(self, name, data):
        self.filename, self.data = name, data

    def __bool__(self):
        return True

    def save(self, path):
        path.write_bytes(self.data)


def test_pending_uploads_are_path_safe_owned_sized_and_pruned(tmp_path):
    import os
    import time

    from fossilgis.errors import InputTooLargeError
    from webmap.uploads import PendingUploads

    store = PendingUploads(tmp_path / "pending", ttl_s=60, max_items=2)
    assert store.save([], max_bytes=10) is None
    kept = store.save(
        [_Upload("../a.shp", b"1"), _Upload("a.dbf", b"2"), _Upload(".hidden", b"3")],
        max_bytes=10,
        owner="me",
    )
    assert kept.names() == ["a.dbf", "a.shp", "hidden"]  # no directories, no dot files
    assert [p.name for p in kept.read_paths()] == ["a.shp", "hidden"]
    assert [r[0] for r in kept.records()] == ["a.dbf", "a.shp", "hidden"]
    assert store.get(kept.token, "me") == kept
    assert store.get(kept.token, "someone else") is None and store.get(kept.token) is None
    for bad in ("..", "../pending", kept.token + "/", "a" * 31, None, 7):
        assert store.get(bad, "me") is None
    with pytest.raises(InputTooLargeError, match="at most"):
        store.save([_Upload("big.zip", b"x" * 11)], max_bytes=10)
    assert len(list((tmp_path / "pending").iterdir())) == 1  # nothing kept of it
    old = time.time() - 120
    os.utime(kept.directory, (old, old))
    assert store.get(kept.token, "me") is None and not kept.directory.exists()
    tokens = [store.save([_Upload("a.kml", b"k")], max_bytes=10).token for _ in range(3)]
    store.prune()
    assert sorted(p.name for p in (tmp_path / "pending").iterdir()) == sorted(tokens[-2:])


def test_crs_error_proposes_the_crs_it_names(tmp_path):
    from fossilgis.errors import CRSError
    from fossilgis.io._crs import detect_crs

    with pytest.raises(CRSError, match=r"Re-run with --crs EPSG:4524") as exc:
        detect_crs((36_440_000, 2_885_000, 36_441_000, 2_886_000), "a.shp", "no .prj")
    assert exc.value.proposed_crs == "EPSG:4524"
    with pytest.raises(CRSError, match="outside Guizhou") as exc:
        detect_crs((116.0, 39.0, 116.1, 39.1), "a.shp", "no .prj")
    assert exc.value.proposed_crs == "EPSG:4490"
    with pytest.raises(CRSError, match="central meridian") as exc:
        detect_crs((440_000, 2_885_000, 441_000, 2_886_000), "a.shp", "no .prj")
    assert exc.value.proposed_crs is None  # three candidates: the user chooses
    assert CRSError("plain").proposed_crs is None
