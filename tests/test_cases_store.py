"""The case register on both stores: opening, numbers, decisions, files, search, history,
and registry revisions that re-screen past cases and flag exactly the changed ones."""

from __future__ import annotations

import hashlib

import pytest
import shapely
from case_fixtures import details, east_of, moved_east, screen_geoms, site

from fossilgis.cases.model import CaseError, Decision, FollowUp, parse_follow_up
from fossilgis.cases.rescreen import rescreen_cases
from fossilgis.cases.snapshot import describe_flag
from fossilgis.errors import RecordNotFoundError

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_screened_case_keeps_files_footprints_and_the_whole_result(store):
    s = screen_geoms(store, [east_of(site(store, "GZ-F03"), 300)])
    number = store.cases.open(
        details("公路改线", applicant_contact="张工 0851-1234567", county="关岭县"),
        user="officer",
        screening=s,
        files=[("red_line.geojson", b'{"type": "FeatureCollection"}', "application/geo+json")],
    )
    assert number.startswith("GZHS-") and number.endswith("-0001")
    case = store.cases.get(number)
    assert case["status"] == "screened" and case["grade"] == s.grade == "assess"
    assert case["targets"] == ["GZ-F03"] and case["source"] == "office"
    assert case["min_lon"] < case["max_lon"] and case["registry_checked"]
    (f,) = store.cases.files(number)
    blob = store.cases.blob_path(f["sha256"]).read_bytes()
    assert hashlib.sha256(blob).hexdigest() == f["sha256"] and f["name"] == "red_line.geojson"
    again = store.cases.screening(number)
    assert again.to_dict()["projects"] == s.to_dict()["projects"]
    assert again.to_dict()["rules"] == s.to_dict()["rules"]
    fps = store.cases.footprints(number, 1)
    assert shapely.equals_exact(fps.geometry.iloc[0], s.footprints.geometry.iloc[0], 1e-9)
    assert fps["footprint_index"].dtype.kind == "i"
    (opened,) = store.cases.history(number)
    assert opened["action"] == "open" and opened["username"] == "officer"
    assert opened["detail"]["files"][0]["sha256"] == f["sha256"]


def test_numbers_count_up_and_follow_the_configured_format(store):
    a = store.cases.open(details("一"), user="u")
    store.cases.set_number_format("GZ{year}-{seq:05d}", user="admin")
    b = store.cases.open(details("二"), user="u")
    assert a.endswith("-0001") and b.endswith("-00002") and b.startswith("GZ20")
    assert store.cases.get(a)["status"] == "received"
    with pytest.raises(CaseError, match=r"must contain \{seq\}"):
        store.cases.set_number_format("GZ-{year}", user="admin")
    with pytest.raises(CaseError, match="only letters, digits"):
        store.cases.set_number_format("案件 {seq}", user="admin")


def test_decisions_follow_the_allowed_moves_and_nothing_is_deleted(store):
    s = screen_geoms(store, [east_of(site(store, "GZ-F03"), 300)])
    number = store.cases.open(details(), user="u", screening=s)
    with pytest.raises(CaseError, match="cannot become closed"):
        store.cases.set_status(number, "closed", user="admin")
    store.cases.decide(
        number,
        Decision(
            "evaluation_required",
            "请委托有资质单位开展影响评价",
            [FollowUp("提交评价报告", "2027-01-31", True), parse_follow_up("现场核查")],
        ),
        user="admin",
    )
    case = store.cases.get(number)
    assert case["status"] == "evaluation_required" and case["decided_by"] == "admin"
    ups = store.cases.follow_ups(number)
    assert [(u["text"], u["due_date"], u["released"]) for u in ups] == [
        ("提交评价报告", "2027-01-31", True),
        ("现场核查", None, False),
    ]
    store.cases.complete_follow_up(number, 1, user="admin")
    with pytest.raises(RecordNotFoundError, match="no open follow-up item 1"):
        store.cases.complete_follow_up(number, 1, user="admin")
    store.cases.set_status(number, "closed", user="admin")
    with pytest.raises(CaseError, match="restore it before adding a screen"):
        store.cases.add_screen(number, s, user="admin")
    assert store.cases.restore(number, user="admin") == "evaluation_required"
    store.cases.set_status(number, "withdrawn", user="admin", note="项目取消")
    assert store.cases.restore(number, user="admin") == "evaluation_required"
    actions = [h["action"] for h in store.cases.history(number)]
    assert actions == [
        "open", "decide", "follow-up-done", "closed", "restore", "withdrawn", "restore",
    ]  # fmt: skip
    with pytest.raises(CaseError, match=r"due date '31/01/2027' is not a date"):
        FollowUp("x", "31/01/2027")


def test_attachments_are_kept_once_by_hash(store):
    number = store.cases.open(details(), user="u")
    a = store.cases.attach(number, "评价报告.pdf", PDF, "application/pdf", user="admin")
    b = store.cases.attach(number, "copy.pdf", PDF, "application/pdf", user="admin", note="副本")
    assert a["sha256"] == b["sha256"] and [f["seq"] for f in store.cases.files(number)] == [1, 2]
    with pytest.raises(RecordNotFoundError, match="no case 'GZHS-0000'"):
        store.cases.attach("GZHS-0000", "x.pdf", PDF, "application/pdf", user="admin")


def test_cases_are_found_by_text_target_extent_status_and_source(store):
    f03, f01 = site(store, "GZ-F03"), site(store, "GZ-F01")
    near3 = store.cases.open(
        details("关岭公路", applicant_unit="黔西南交通公司"),
        user="u",
        screening=screen_geoms(store, [east_of(f03, 300)]),
    )
    near1 = store.cases.open(
        details("凯里厂房", source="applicant"), user=None,
        screening=screen_geoms(store, [east_of(f01, 300)]),
    )  # fmt: skip
    paper = store.cases.open(details("纸质来文"), user="u")
    assert [c["number"] for c in store.cases.list(q="交通")[0]] == [near3]
    assert [c["number"] for c in store.cases.list(target="GZ-F01")[0]] == [near1]
    box = shapely.buffer(f03, 0.02).bounds
    assert [c["number"] for c in store.cases.list(bbox=box)[0]] == [near3]
    assert store.cases.list(status="received")[0][0]["number"] == paper
    rows, total = store.cases.list()
    assert total == 3 and rows[0]["number"] == near1  # an unseen submission comes first
    store.cases.mark_seen(near1, user="admin")
    assert store.cases.list()[0][0]["number"] == paper  # then newest first
    assert store.cases.list(source="applicant")[1] == 1
    fps = store.cases.map_footprints(bbox=box)
    assert list(fps["number"]) == [near3]


def test_a_registry_revision_flags_exactly_the_cases_it_changes(store):
    sites = store.read_layer("sites")
    f03, f01 = site(store, "GZ-F03"), site(store, "GZ-F01")
    # GZ-F03 is national key: control 500 m, attention 1000 m
    a = store.cases.open(details("A"), user="u", screening=screen_geoms(store, [east_of(f03, 700)]))
    b = store.cases.open(details("B"), user="u", screening=screen_geoms(store, [east_of(f01, 150)]))
    far = store.cases.open(
        details("C"), user="u", screening=screen_geoms(store, [east_of(f03, 5000)])
    )
    closed = store.cases.open(
        details("D"), user="u", screening=screen_geoms(store, [east_of(f03, 650)])
    )
    store.cases.decide(closed, Decision("cleared"), user="admin")
    store.cases.set_status(closed, "closed", user="admin")
    assert store.cases.get(a)["grade"] == "attention"
    # the revision moves GZ-F03 400 m east (towards A, C and D) and leaves GZ-F01 alone
    revised = sites.copy()
    i = revised.index[revised["id"] == "GZ-F03"][0]
    revised.loc[i, "geometry"] = moved_east(f03, 400)
    store.replace_layer("sites", revised, source="revision.gpkg", demonstration=False, user="u")
    seen = []
    report = rescreen_cases(store, user="u", progress=lambda d, t: seen.append((d, t)))
    assert report.cases == 3 and seen[-1] == (3, 3)  # the closed case is history
    assert list(report.changed) == [a]
    assert "GZ-F03 now" in report.changed[a] and "was 700 m" in report.changed[a]
    changed = store.cases.list(changed=True)[0]
    assert [c["number"] for c in changed] == [a]
    case = store.cases.get(a)
    assert case["grade"] == "assess" and case["flag"]["was_grade"] == "attention"
    assert "sites v2" in case["flag"]["revision"]
    assert "Nearby: attention required → Affected" in describe_flag(case["flag"], "en")
    assert "原为 700 m" in describe_flag(case["flag"], "zh")
    screens = store.cases.screens(a)
    assert [s["grade"] for s in screens] == ["attention", "assess"]  # the original stays
    assert screens[1]["reason"].startswith("registry revision") and screens[1]["changes"]
    assert store.cases.screening(a, 1).grade == "attention"
    assert store.cases.screening(a).grade == "assess"
    # unchanged cases only note what they were checked against; C moved closer but stayed
    # out of reach, B is untouched
    for n in (b, far):
        assert store.cases.get(n)["flag"] is None and len(store.cases.screens(n)) == 1
        assert "sites v2" in store.cases.get(n)["registry_checked"]
    assert len(store.cases.screens(closed)) == 1
    store.cases.acknowledge_flag(a, user="admin")
    assert store.cases.list(changed=True)[1] == 0
    assert rescreen_cases(store).changed == {}  # a second pass finds nothing new
