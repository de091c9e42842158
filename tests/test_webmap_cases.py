"""/cases: the staff pages of the case register (list, search, map data, one case, decisions,
files, history) and "save as case" from a /check result, through the Flask test client."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
import zipfile

import pytest
from webmap_fixtures import INSIDE_SITE, XSS_NAME, zipped_shapefile

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
#: a Windows program's first bytes, sent under a PDF's name
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@pytest.fixture(scope="module")
def screening(webmap_data, tmp_path_factory):
    """A screen of a 200 m square on site GZ-F01 (grade avoid), reused by every case here."""
    from fossilgis.impact import ScreenOptions
    from fossilgis.screening import screen_paths
    from fossilgis.store import open_store

    path = zipped_shapefile(tmp_path_factory.mktemp("case-footprint"))
    store = open_store(str(webmap_data))
    return screen_paths([path], store, options=ScreenOptions(project_type="building"))


def _store(app):
    return app.extensions["fossilgis_store"]


def new_case(app, screening, *, source="office", files=None, **fields) -> str:
    """Open a case on the app's store; return its number."""
    from fossilgis.cases.model import CaseDetails

    values = {
        "project_name": f"project {uuid.uuid4().hex[:8]}",
        "applicant_unit": f"unit {uuid.uuid4().hex[:8]}",
        "applicant_contact": "王工 13800000000",
        "project_type": "building",
        "county": "剑河县",
        **fields,
    }
    details = CaseDetails(**values, officer="admin1", source=source)
    files = [("红线.geojson", b'{"type": "FeatureCollection"}', "application/geo+json")]
    return _store(app).cases.open(details, user="admin1", screening=screening, files=files)


def _html(r) -> str:
    return r.get_data(as_text=True)


def _numbers(html: str) -> list[str]:
    return re.findall(r'<tr class="case-row[^"]*" data-number="([^"]+)"', html)


# -- access ---------------------------------------------------------------------------------
def test_visitors_are_sent_to_sign_in(app, client, screening):
    number = new_case(app, screening)
    for path in ("/cases", f"/cases/{number}", f"/cases/{number}/files/1"):
        r = client.get(path)
        assert r.status_code == 303 and "/login?next=" in r.headers["Location"], path
    for path in ("/cases/footprints.geojson", f"/cases/{number}/map.geojson"):
        assert client.get(path).status_code == 401, path
    r = client.post(f"/cases/{number}/decide", data={"status": "cleared"})
    assert r.status_code == 303 and "/login" in r.headers["Location"]
    assert _store(app).cases.get(number)["status"] == "screened"


def test_viewers_read_every_part_but_change_nothing(app, viewer_client, screening):
    number = new_case(app, screening)
    html = _html(viewer_client.get(f"/cases/{number}"))
    assert 'id="case-impacts"' in html and 'id="case-history"' in html
    assert 'id="decide-form"' not in html and 'id="attach-form"' not in html
    assert 'id="follow-up-form"' not in html and 'id="move-withdrawn"' not in html
    for path, data in (
        ("decide", {"status": "cleared"}),
        ("attach", {"file": (io.BytesIO(PDF), "a.pdf")}),
        ("follow-ups", {"fu_text": "x"}),
        ("status", {"status": "withdrawn"}),
        ("restore", {}),
        ("acknowledge", {}),
    ):
        r = viewer_client.post(f"/cases/{number}/{path}", data=data)
        assert r.status_code == 403, path
        assert "admin role" in _html(r)
    assert _store(app).cases.get(number)["status"] == "screened"
    assert [f["role"] for f in _store(app).cases.files(number)] == ["submitted"]


def test_a_post_without_the_csrf_token_is_refused(app, admin_client, screening):
    number = new_case(app, screening)
    token = admin_client.environ_base.pop("HTTP_X_CSRF_TOKEN")
    r = admin_client.post(f"/cases/{number}/decide", data={"status": "avoid_required"})
    assert r.status_code == 400 and "CSRF" in _html(r)
    assert _store(app).cases.get(number)["status"] == "screened"
    r = admin_client.post(
        f"/cases/{number}/decide", data={"status": "avoid_required", "csrf_token": token}
    )
    assert r.status_code == 303


def test_an_unknown_case_or_file_is_a_404_page(admin_client, app, screening):
    r = admin_client.get("/cases/GZHS-1999-9999")
    assert r.status_code == 404 and "no case 'GZHS-1999-9999'" in _html(r).replace("&#39;", "'")
    number = new_case(app, screening)
    assert admin_client.get(f"/cases/{number}/files/99").status_code == 404
    assert admin_client.get("/cases/GZHS-1999-9999/map.geojson").get_json()["code"] == "not_found"


# -- the list -------------------------------------------------------------------------------
def test_list_filters_and_search_by_number_applicant_site_and_extent(app, admin_client, screening):
    tag = uuid.uuid4().hex[:6]
    a = new_case(app, screening, applicant_unit=f"黔东南交通建设 {tag}", county=f"县{tag}")
    b = new_case(app, screening, applicant_unit=f"other unit {tag}")
    _store(app).cases.set_status(b, "withdrawn", user="admin1")

    def listed(query: str) -> list[str]:
        r = admin_client.get("/cases?" + query)
        assert r.status_code == 200, _html(r)[:500]
        return _numbers(_html(r))

    assert listed(f"q={a}") == [a]  # by number
    assert listed(f"q=黔东南交通建设 {tag}") == [a]  # by applicant
    assert set(listed(f"q={tag}")) == {a, b}
    assert listed(f"q={tag}&status=withdrawn") == [b]
    assert listed(f"q={tag}&county=县{tag}") == [a]
    assert set(listed(f"q={tag}&grade=avoid")) == {a, b}
    assert listed(f"q={tag}&grade=none") == []
    assert a in listed("target=GZ-F01") and a in listed("q=GZ-F01")  # by site id
    assert a not in listed("target=GZ-F0")  # an id is matched whole
    x, y = INSIDE_SITE
    near = f"{x - 0.01},{y - 0.01},{x + 0.01},{y + 0.01}"
    assert set(listed(f"q={tag}&bbox={near}")) == {a, b}  # by map extent
    assert listed(f"q={tag}&bbox=104,26,104.1,26.1") == []
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
    assert set(listed(f"q={tag}&since={today}&until={today}")) == {a, b}
    assert listed(f"q={tag}&until=2020-01-01") == []
    html = _html(admin_client.get(f"/cases?q={tag}"))
    assert "黔东南交通建设" in html and "Beijing time" in html and 'id="case-filters"' in html


@pytest.mark.parametrize(
    "query,needle",
    [
        ("since=2026-13-01", "must be a date YYYY-MM-DD"),
        ("bbox=1,2,3", "bbox must be four numbers"),
        ("status=lost", "Unknown status 'lost'"),
        ("order=random", "Unknown order 'random'"),
    ],
)
def test_bad_filters_are_400_pages_naming_the_value(admin_client, query, needle):
    r = admin_client.get("/cases?" + query)
    assert r.status_code == 400
    assert needle in _html(r).replace("&#39;", "'") and "Traceback" not in _html(r)


def test_footprints_geojson_follows_the_filters_and_the_view(app, admin_client, screening):
    tag = uuid.uuid4().hex[:6]
    number = new_case(app, screening, project_name=f"凯里 {tag}")
    gj = admin_client.get(f"/cases/footprints.geojson?q={tag}").get_json()
    assert [f["properties"]["number"] for f in gj["features"]] == [number]
    props = gj["features"][0]["properties"]
    assert props["url"] == f"/cases/{number}" and props["status_label"] == "Screened"
    assert props["grade"] == "avoid" and gj["features"][0]["geometry"]["type"] == "Polygon"
    far = admin_client.get(f"/cases/footprints.geojson?q={tag}&view=104,26,104.1,26.1")
    assert far.get_json()["features"] == []
    both = admin_client.get(
        f"/cases/footprints.geojson?q={tag}&bbox=104,26,104.1,26.1&view=108,26,109,27"
    )
    assert both.get_json()["features"] == []  # the extent filter and the view do not meet
    assert admin_client.get("/cases/footprints.geojson?view=x").status_code == 400


def test_new_submissions_come_first_with_a_badge_until_staff_open_them(
    app, admin_client, screening
):
    number = new_case(app, screening, source="applicant")
    html = _html(admin_client.get("/cases"))
    assert _numbers(html)[0] == number
    row = html[html.index(f'data-number="{number}"') :]
    assert 'badge-new">new<' in row[: row.index("</tr>")]
    assert admin_client.get(f"/cases/{number}").status_code == 200  # the office opens it
    assert _store(app).cases.get(number)["seen_at"]
    html = _html(admin_client.get("/cases"))
    row = html[html.index(f'data-number="{number}"') :]
    assert "badge-new" not in row[: row.index("</tr>")]
    assert "seen" in [h["action"] for h in _store(app).cases.history(number)]


def _flag(app, screening, number):
    """What a registry revision leaves: GZ-F01 now 120 m (control zone), was 480 m."""
    from fossilgis.cases.snapshot import snapshot_of

    snap = snapshot_of(screening)
    was = {**snap["summary"]["site:GZ-F01"], "zone": "attention", "distance_m": 480.0}
    was["overlap_m2"] = 0.0
    now = {**was, "zone": "control", "distance_m": 120.0, "overlap_m2": 0.0}
    _store(app).cases.record_rescreens(
        [
            {
                "number": number,
                "footprints_seq": 1,
                "snapshot": snap,
                "changes": [{"target": "site:GZ-F01", "was": was, "now": now}],
                "was_grade": "attention",
            }
        ],
        revision="sites v2",
        layers={"sites": {"version": 2}, "sections": {"version": 1}},
        user="admin1",
    )


def test_flagged_cases_stand_out_and_the_flag_is_acknowledged(app, admin_client, screening):
    number = new_case(app, screening)
    _flag(app, screening, number)
    html = _html(admin_client.get(f"/cases?changed=1&q={number}"))
    assert _numbers(html) == [number] and "flag-row" in html
    assert "GZ-F01 now 120 m (Control zone), was 480 m (Attention zone)" in html
    page = _html(admin_client.get(f"/cases/{number}"))
    assert 'id="flag-box"' in page and 'id="acknowledge"' in page
    assert "Re-screened after a registry revision: sites v2" in page  # the screens table
    r = admin_client.post(f"/cases/{number}/acknowledge")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/cases/{number}")
    assert _store(app).cases.get(number)["flag"] is None
    page = _html(admin_client.get(f"/cases/{number}"))
    assert 'id="flag-box"' not in page and "Registry change reviewed" in page


def test_listing_300_cases_is_one_page_and_a_fixed_number_of_queries(app, admin_client):
    from fossilgis.store import case_rows

    store = _store(app)
    tag = uuid.uuid4().hex[:6]
    with store.cases.db.tx() as conn:  # 300 rows in one transaction: a fast setup
        for i in range(300):
            case_rows.insert(
                store.cases.db,
                conn,
                "cases",
                {
                    "number": f"BULK-{tag}-{i:04d}",
                    "year": 2020,
                    "seq": i,
                    "project_name": f"bulk {tag} {i}",
                    "project_type": "road",
                    "source": "office",
                    "status": "received",
                    "created_at": f"2020-01-01T00:{i // 60:02d}:{i % 60:02d}Z",
                    "updated_at": "2020-01-01T00:00:00Z",
                },
            )
    db = store.cases.db
    seen: list[str] = []
    one, all_ = db.one, db.all

    def counted(real):
        def call(sql, args=()):
            seen.append(sql)
            return real(sql, args)

        return call

    db.one, db.all = counted(one), counted(all_)
    try:
        started = time.perf_counter()
        r = admin_client.get(f"/cases?q=bulk {tag}&order=oldest&page=2")
        elapsed = time.perf_counter() - started
    finally:
        db.one, db.all = one, all_
    html = _html(r)
    assert r.status_code == 200 and "300 case(s)" in html and "page 2 of 6" in html
    assert _numbers(html) == [f"BULK-{tag}-{i:04d}" for i in range(50, 100)]
    case_queries = [q for q in seen if "FROM cases" in q or "FROM case_" in q]
    # the count, the page, the counts per status and the counties: no query per row
    assert len(case_queries) <= 4, case_queries
    assert elapsed < 2.0


# -- one case ---------------------------------------------------------------------------------
def test_case_page_shows_the_screen_follow_ups_and_basis(app, admin_client, screening):
    number = new_case(app, screening)
    html = _html(admin_client.get(f"/cases/{number}"))
    assert 'data-status="screened"' in html and 'data-grade="avoid"' in html
    impacts = html[
        html.index('id="case-impacts"') : html.index("</table>", html.index("case-impacts"))
    ]
    assert "GZ-F01" in impacts and "Kaili biota" in impacts and "Overlap" in impacts
    assert " ha = " in impacts and " mu" in impacts  # m², ha and mu
    assert 'id="rule-follow-ups"' in html and 'id="legal-basis"' in html
    assert "Regulations on the Protection of Fossils" in html and " / " not in _between(
        html, 'id="legal-basis"', "</ul>"
    )
    assert re.search(r'<option value="avoid_required" selected>', html)  # suggested
    assert "Beijing time (UTC+8)" in html
    zh = _html(admin_client.get(f"/cases/{number}?lang=zh"))
    assert "古生物化石保护条例" in _between(zh, 'id="legal-basis"', "</ul>")
    assert "北京时间" in zh and "须避让" in zh


def test_a_case_without_a_screen_has_no_map_and_no_decision_yet(app, admin_client):
    from fossilgis.cases.model import CaseDetails

    number = _store(app).cases.open(CaseDetails("无红线项目", "某单位"), user="admin1")
    r = admin_client.get(f"/cases/{number}")
    html = _html(r)
    assert r.status_code == 200 and 'id="no-screen"' in html and 'class="folium-map"' not in html
    assert 'data-status="received"' in html and 'id="decide-form"' not in html
    assert 'id="move-withdrawn"' in html and 'id="move-closed"' not in html
    assert admin_client.get(f"/cases/{number}/map.geojson").get_json()["features"] == []
    r = admin_client.get(f"/cases/{number}/report.html")
    assert r.status_code == 404 and "has not been screened yet" in _html(r)


def _between(text: str, start: str, end: str) -> str:
    i = text.index(start)
    return text[i : text.index(end, i)]


def test_case_map_has_footprints_targets_and_both_rings(app, admin_client, screening):
    number = new_case(app, screening)
    gj = admin_client.get(f"/cases/{number}/map.geojson").get_json()
    roles = [f["properties"]["role"] for f in gj["features"]]
    assert roles.count("footprint") == 1 and "target" in roles
    zones = {f["properties"]["zone"] for f in gj["features"] if f["properties"]["role"] == "zone"}
    assert zones == {"control", "attention"}
    assert roles == sorted(roles, key=["zone", "target", "footprint"].index)  # drawn in order
    targets = {
        f["properties"]["id"]: f for f in gj["features"] if f["properties"]["role"] == "target"
    }
    # the section crosses the footprint (avoid); the site holds it (assess: its rock extends)
    assert {k: v["properties"]["grade"] for k, v in targets.items()} == {
        "GZ-F01": "assess",
        "GZ-S01": "avoid",
    }
    target = targets["GZ-F01"]
    ring = target["geometry"]["coordinates"][0]
    assert any(abs(v * 100 - round(v * 100)) > 1e-6 for xy in ring for v in xy[:2])  # precise


def test_decide_moves_the_status_and_writes_the_history(app, admin_client, screening):
    number = new_case(app, screening)
    r = admin_client.post(
        f"/cases/{number}/decide",
        data={
            "status": "evaluation_required",
            "text": "须委托评价 / evaluation first",
            "fu_text": ["提交古生物化石影响评价报告", ""],
            "fu_due": ["2020-01-31", "2030-01-01"],
            "release": "1",
        },
    )
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/cases/{number}#decision")
    case = _store(app).cases.get(number)
    assert case["status"] == "evaluation_required" and case["decided_by"] == "admin1"
    items = _store(app).cases.follow_ups(number)
    assert [(i["text"], i["due_date"], i["released"]) for i in items] == [
        ("提交古生物化石影响评价报告", "2020-01-31", True)
    ]
    html = _html(admin_client.get(f"/cases/{number}"))
    assert 'data-status="evaluation_required"' in html and "须委托评价" in html
    assert "overdue-row" in html and "badge-overdue" in html  # due 2020-01-31, still open
    assert [h["action"] for h in _store(app).cases.history(number)] == ["open", "decide"]
    assert "Decided" in _between(html, 'id="case-history"', "</table>")

    r = admin_client.post(f"/cases/{number}/follow-ups/1/done")
    assert r.status_code == 303 and _store(app).cases.follow_ups(number)[0]["done_at"]
    assert "overdue-row" not in _html(admin_client.get(f"/cases/{number}"))
    r = admin_client.post(
        f"/cases/{number}/follow-ups", data={"fu_text": "竣工后复查", "fu_due": ""}
    )
    assert r.status_code == 303 and len(_store(app).cases.follow_ups(number)) == 2

    r = admin_client.post(f"/cases/{number}/status", data={"status": "closed", "note": "办结"})
    assert r.status_code == 303 and _store(app).cases.get(number)["status"] == "closed"
    html = _html(admin_client.get(f"/cases/{number}"))
    assert 'id="decide-form"' not in html and 'id="restore-case"' in html
    r = admin_client.post(f"/cases/{number}/decide", data={"status": "cleared"})
    assert r.status_code == 422
    assert "it cannot become cleared" in _html(r) and 'id="case-error"' in _html(r)
    r = admin_client.post(f"/cases/{number}/restore", data={"note": "误操作"})
    assert r.status_code == 303
    assert _store(app).cases.get(number)["status"] == "evaluation_required"
    actions = [h["action"] for h in _store(app).cases.history(number)]
    assert actions[-4:] == ["follow-up-done", "follow-up", "closed", "restore"]


@pytest.mark.parametrize(
    "data,needle",
    [
        ({"status": "screened"}, "decision 'screened' is not one of"),
        ({"status": "cleared", "fu_text": "x", "fu_due": "31/12/2026"}, "is not a date"),
        ({"status": "cleared", "text": "x" * 4001}, "at most 4000 are kept"),
    ],
)
def test_a_refused_decision_shows_the_case_page_with_the_problem(
    app, admin_client, screening, data, needle
):
    number = new_case(app, screening)
    r = admin_client.post(f"/cases/{number}/decide", data=data)
    assert r.status_code == 422
    html = _html(r).replace("&#39;", "'")
    assert needle in html and 'id="case-number"' in html
    assert _store(app).cases.get(number)["status"] == "screened"


def test_attach_a_pdf_download_it_and_refuse_an_exe_named_pdf(app, admin_client, screening):
    number = new_case(app, screening)
    r = admin_client.post(
        f"/cases/{number}/attach",
        data={"file": (io.BytesIO(PDF), "评价报告 (final).pdf"), "note": "影响评价报告"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303 and r.headers["Location"].endswith("#files")
    files = _store(app).cases.files(number)
    assert [(f["role"], f["name"], f["mime"]) for f in files] == [
        ("submitted", "红线.geojson", "application/geo+json"),
        ("attachment", "评价报告 (final).pdf", "application/pdf"),
    ]
    with admin_client.get(f"/cases/{number}/files/2") as d:
        assert d.status_code == 200 and d.data == PDF and d.mimetype == "application/pdf"
        disposition = d.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
        assert d.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in d.headers["Content-Security-Policy"]
    html = _html(admin_client.get(f"/cases/{number}"))
    assert "评价报告 (final).pdf" in html and "影响评价报告" in html

    r = admin_client.post(
        f"/cases/{number}/attach",
        data={"file": (io.BytesIO(EXE), "report.pdf")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 422
    assert "report.pdf: not a PDF, JPEG or PNG file" in _html(r)
    assert len(_store(app).cases.files(number)) == 2
    r = admin_client.post(f"/cases/{number}/attach", data={}, content_type="multipart/form-data")
    assert r.status_code == 422 and "Choose a PDF, JPEG or PNG file" in _html(r)


def test_report_dossier_and_geojson_exports(app, admin_client, screening):
    number = new_case(app, screening)
    report = admin_client.get(f"/cases/{number}/report.html")
    assert report.status_code == 200 and report.mimetype == "text/html"
    assert number in _html(report)
    z = admin_client.get(f"/cases/{number}/dossier.zip")
    assert z.status_code == 200 and z.mimetype == "application/zip"
    assert f'filename="{number}.zip"' in z.headers["Content-Disposition"]
    names = zipfile.ZipFile(io.BytesIO(z.data)).namelist()
    assert f"{number}/case.json" in names and f"{number}/submitted/01-红线.geojson" in names
    gj = admin_client.get(f"/cases/{number}/case.geojson")
    assert gj.status_code == 200 and json.loads(gj.data)["type"] == "FeatureCollection"


def test_everything_typed_into_a_case_is_escaped(app, admin_client, screening):
    number = new_case(
        app, screening, project_name=XSS_NAME, applicant_unit=XSS_NAME, county=XSS_NAME
    )
    admin_client.post(
        f"/cases/{number}/decide",
        data={"status": "avoid_required", "text": XSS_NAME, "fu_text": XSS_NAME},
    )
    admin_client.post(
        f"/cases/{number}/attach",
        data={"file": (io.BytesIO(PDF), "a.pdf"), "note": XSS_NAME},
        content_type="multipart/form-data",
    )
    for path in (
        "/cases",
        f"/cases?q={number}",
        f"/cases/{number}",
        f"/cases/{number}?lang=zh",
        f"/cases/{number}/report.html",
    ):
        html = _html(admin_client.get(path))
        assert XSS_NAME not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    body = admin_client.get(f"/cases/footprints.geojson?q={number}").get_data(as_text=True)
    assert json.loads(body)["features"][0]["properties"]["project_name"] == XSS_NAME


# -- "save as case" from /check ---------------------------------------------------------------
def _upload(client, path):
    r = client.post(
        "/check",
        data={"footprint": (open(path, "rb"), "红线范围.zip"), "project_type": "building"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303, _html(r)[:500]
    return r.headers["Location"]


def test_save_a_check_result_as_a_case_with_its_files(app, viewer_client, tmp_path):
    path = zipped_shapefile(tmp_path)
    result_url = _upload(viewer_client, path)
    token = result_url.rstrip("/").rsplit("/", 1)[1]
    html = _html(viewer_client.get(result_url))
    assert 'id="save-case-form"' in html and "Building" in html

    r = viewer_client.post(result_url + "/case", data={"project_name": "", "county": "凯里市"})
    assert r.status_code == 422 and "project name" in _html(r) and 'value="凯里市"' in _html(r)

    r = viewer_client.post(
        result_url + "/case",
        data={
            "project_name": "凯里至剑河公路改扩建",
            "applicant_unit": "黔东南州交通局",
            "applicant_contact": "李工",
            "county": "凯里市",
        },
    )
    assert r.status_code == 303
    number = r.headers["Location"].rsplit("/cases/", 1)[1]
    case = _store(app).cases.get(number)
    assert (case["project_name"], case["project_type"], case["source"]) == (
        "凯里至剑河公路改扩建",
        "building",
        "office",
    )
    assert case["status"] == "screened" and case["grade"] == "avoid"
    assert case["created_by"] == "viewer1" and case["county"] == "凯里市"
    files = _store(app).cases.files(number)
    assert [(f["role"], f["name"]) for f in files] == [("submitted", "红线范围.zip")]
    assert _store(app).cases.blob_path(files[0]["sha256"]).read_bytes() == path.read_bytes()

    # a second click opens nothing new
    again = viewer_client.post(result_url + "/case", data={"project_name": "again"})
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/cases/{number}")
    assert _store(app).cases.list(q="again")[1] == 0
    html = _html(viewer_client.get(result_url))
    assert 'id="saved-case-link"' in html and number in html and 'id="save-case-form"' not in html

    # the result outlives its time: it is read from the case once the file is gone
    results = app.extensions["fossilgis_results"]
    for suffix in (".pickle", ".files"):
        (results.directory / f"{token}{suffix}").unlink()
    page = viewer_client.get(result_url)
    assert page.status_code == 200 and 'data-grade="avoid"' in _html(page)
    assert viewer_client.get(result_url + "/result.geojson").status_code == 200
    assert viewer_client.get(result_url + "/report.html").status_code == 200


def test_a_drawn_result_keeps_the_drawing_and_expired_results_say_so(app, admin_client):
    from webmap_fixtures import drawn_geojson

    r = admin_client.post("/check", data={"drawn": json.dumps(drawn_geojson())})
    url = r.headers["Location"]
    r = admin_client.post(url + "/case", data={"project_name": "drawn project"})
    number = r.headers["Location"].rsplit("/cases/", 1)[1]
    files = _store(app).cases.files(number)
    assert [f["name"] for f in files] == ["drawn.geojson"]
    r = admin_client.post("/check/" + "A" * 22 + "/case", data={"project_name": "x"})
    assert r.status_code == 404 and "does not exist or has expired" in _html(r)


def test_save_as_case_needs_a_sign_in(app, client, viewer_client, tmp_path):
    url = _upload(viewer_client, zipped_shapefile(tmp_path))
    r = client.post(url + "/case", data={"project_name": "visitor's case"})
    assert r.status_code == 303 and "/login" in r.headers["Location"]
    assert _store(app).cases.list(q="visitor's case")[1] == 0
    html = _html(client.get(url))  # the link still shows the result, without the form
    assert 'id="grade"' in html and 'id="save-case-form"' not in html


def test_result_store_keeps_files_and_case_links(tmp_path):
    from webmap.results import ResultStore

    store = ResultStore(tmp_path, max_items=1, ttl_s=3600)
    a = store.put({"n": 1}, files=[("a.zip", b"PK", "application/zip")])
    assert store.files(a) == [("a.zip", b"PK", "application/zip")]
    assert store.claim_case(a) and not store.claim_case(a)  # one request opens the case
    assert store.case_of(a) is None
    store.link_case(a, "GZHS-2026-0001", 1)
    time.sleep(0.02)
    b = store.put({"n": 2})  # a is pruned (one result kept): its files go, its link stays
    assert store.get(a) is None and store.files(a) == [] and store.files(b) == []
    assert not (tmp_path / f"{a}.files").exists()
    assert store.case_of(a) == ("GZHS-2026-0001", 1)
    assert store.claim_case(b)
    store.release_case(b)  # opening the case failed: it may be tried again
    assert store.claim_case(b)
    assert store.case_of("../../etc/passwd") is None and not store.claim_case("x")
