"""The alert lifecycle: the step machine and the Art. 18 clocks with fixed clocks (core), and
the ``alert_events`` repository on both stores (GeoPackage, PostGIS)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import sql
from patrol_fixtures import NEAR_F03, make_patrol, png_bytes

from fossilgis.cases.model import CaseError
from fossilgis.errors import ConflictError, RecordNotFoundError
from fossilgis.patrols.alert_lifecycle import (
    EVENT_COLUMNS,
    AlertStepError,
    allowed_steps,
    clocks,
    closed_times,
    closed_times_of,
    new_event,
    summarise,
)
from fossilgis.patrols.alerts import ALERT_COLUMNS, alerts

UTC = dt.timezone.utc
REPORT = dt.datetime(2025, 5, 10, 2, 0, tzinfo=UTC)  # 10:00 Beijing time
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
WP = "0b7c5f39-5f35-4c1b-8d43-3c2a3b2e9d10"
VISIT = "6a1f0c0e-2f8e-4f4b-9d6a-0b8c2e6f1a21"
PDF = b"%PDF-1.4\n% the authority's opinion\n%%EOF\n"


def step(events, name, at, now=None, **values):
    """``events`` with ``name`` at ``at`` appended (recorded at ``now``, default ``at``)."""
    if name == "visited":
        values.setdefault("visit_patrol_uuid", f"{VISIT[:-2]}{len(events):02d}")
    if name in ("referred", "reopened"):
        values.setdefault("note", "关岭县自然资源局")
    if name == "closed":
        values.setdefault("outcome", "resolved")
        values.setdefault("opinion", "回填盗坑，设置警示牌。")
    event = new_event(
        events,
        name,
        waypoint_uuid=WP,
        report_time=REPORT,
        now=now or at,
        user="admin1",
        at=at,
        **values,
    )
    return [*events, event]


def states(events, now):
    c = clocks(REPORT, events, now)
    return c["on_site_status"], c["opinion_status"], c["status"]


# -- the clocks stop at the right step ----------------------------------------------------------
def test_a_report_alone_runs_both_clocks_until_they_are_due():
    assert states([], REPORT + 23 * H) == ("open", "open", "open")
    assert states([], REPORT + 25 * H) == ("overdue", "open", "overdue")
    assert states([], REPORT + 8 * D) == ("overdue", "overdue", "overdue")
    c = clocks(REPORT, [], REPORT)
    assert (c["on_site_due"], c["opinion_due"]) == (REPORT + 24 * H, REPORT + 7 * D)


def test_acknowledging_and_referring_stop_no_clock():
    events = step([], "acknowledged", REPORT + 1 * H)
    events = step(events, "referred", REPORT + 2 * H)
    assert states(events, REPORT + 25 * H) == ("overdue", "open", "overdue")
    assert states(events, REPORT + 8 * D) == ("overdue", "overdue", "overdue")


def test_the_visit_stops_the_on_site_clock_in_time_or_late():
    ack = step([], "acknowledged", REPORT + 1 * H)
    in_time = step(ack, "visited", REPORT + 20 * H)
    assert states(in_time, REPORT + 30 * H) == ("met", "open", "open")
    assert states(in_time, REPORT + 8 * D) == ("met", "overdue", "overdue")
    late = step(ack, "visited", REPORT + 30 * H)
    assert states(late, REPORT + 2 * D) == ("late", "open", "open")
    # a later second visit changes nothing: the first one stopped the clock
    again = step(in_time, "visited", REPORT + 3 * D)
    assert clocks(REPORT, again, REPORT + 4 * D)["on_site_stopped"] == REPORT + 20 * H


def test_closing_stops_the_opinion_clock_and_reopening_starts_it_again():
    visited = step(step([], "acknowledged", REPORT + H), "visited", REPORT + 5 * H)
    closed = step(visited, "closed", REPORT + 6 * D)
    assert states(closed, REPORT + 30 * D) == ("met", "met", "closed")
    late = step(visited, "closed", REPORT + 8 * D)
    assert states(late, REPORT + 30 * D) == ("met", "late", "closed")
    reopened = step(closed, "reopened", REPORT + 9 * D)
    # the closing is void: the opinion clock runs again against the same due time
    assert states(reopened, REPORT + 9 * D) == ("met", "overdue", "overdue")
    assert summarise(reopened).closed_at is None and summarise(reopened).visited_at
    again = step(reopened, "closed", REPORT + 10 * D, outcome="rescue_excavation")
    assert states(again, REPORT + 11 * D) == ("met", "late", "closed")
    state = summarise(again)
    assert (state.closed_at, state.outcome, state.last_step) == (
        REPORT + 10 * D,
        "rescue_excavation",
        "closed",
    )


def test_the_clock_compares_with_the_due_time_inclusively():
    on_time = step(step([], "acknowledged", REPORT + H), "visited", REPORT + 24 * H)
    assert states(on_time, REPORT + 2 * D)[0] == "met"
    on_time = step(on_time, "closed", REPORT + 7 * D)
    assert states(on_time, REPORT + 8 * D)[1] == "met"


# -- which step may follow which ----------------------------------------------------------------
def test_allowed_steps_follow_the_lifecycle():
    assert allowed_steps([]) == ("acknowledged",)
    ack = step([], "acknowledged", REPORT + H)
    assert allowed_steps(ack) == ("visited", "referred")
    visited = step(ack, "visited", REPORT + 2 * H)
    assert allowed_steps(visited) == ("visited", "referred", "closed")
    closed = step(visited, "closed", REPORT + 3 * H)
    assert allowed_steps(closed) == ("reopened",)
    assert allowed_steps(step(closed, "reopened", REPORT + 4 * H)) == (
        "visited",
        "referred",
        "closed",
    )
    assert [e.seq for e in closed] == [1, 2, 3]


@pytest.mark.parametrize(
    ("before", "name", "message"),
    [
        ([], "visited", "not been acknowledged yet: acknowledge it first"),
        ([], "closed", "acknowledge it first"),
        (["acknowledged"], "acknowledged", "was acknowledged at 2025-05-10 11:00 \\(UTC\\+8\\)"),
        (["acknowledged"], "closed", "nobody has been on site yet"),
        (["acknowledged", "referred"], "closed", "record the visit with its patrol first"),
        (["acknowledged"], "reopened", "it is not closed"),
        (["acknowledged", "visited", "closed"], "visited", "reopen it first"),
        (["acknowledged", "visited", "closed"], "closed", "was closed at"),
    ],
)
def test_a_step_out_of_order_is_a_conflict_naming_the_way_on(before, name, message):
    events = []
    for i, prior in enumerate(before):
        events = step(events, prior, REPORT + (i + 1) * H)
    with pytest.raises(ConflictError, match=f"alert {WP}: cannot record '{name}': .*{message}"):
        step(events, name, REPORT + 10 * H)


def test_the_values_each_step_needs():
    ack = step([], "acknowledged", REPORT + H)
    visited = step(ack, "visited", REPORT + 2 * H)
    now = REPORT + 3 * H
    with pytest.raises(AlertStepError, match=r"^at: 2025-05-10 14:00 \(UTC\+8\) is in the future"):
        step(ack, "visited", REPORT + 4 * H, now=now)
    with pytest.raises(AlertStepError, match="^step: 'dug' is not one of acknowledged, visited"):
        step(ack, "dug", REPORT + 2 * H)
    with pytest.raises(AlertStepError, match="is before the report it answers"):
        step([], "acknowledged", REPORT - H)
    with pytest.raises(AlertStepError, match="^visit_patrol_uuid: a visit needs the patrol"):
        step(ack, "visited", REPORT + 2 * H, visit_patrol_uuid=None)
    with pytest.raises(ConflictError, match=f"the visit with patrol {VISIT[:-2]}01 is already"):
        step(visited, "visited", REPORT + 3 * H, visit_patrol_uuid=f"{VISIT[:-2]}01")
    with pytest.raises(AlertStepError, match="^note: say which authority"):
        step(ack, "referred", REPORT + 2 * H, note="  ")
    with pytest.raises(AlertStepError, match="^outcome: 'done' is not one of resolved"):
        step(visited, "closed", now, outcome="done")
    with pytest.raises(AlertStepError, match="^opinion: closing records the authority's"):
        step(visited, "closed", now, opinion="")
    with pytest.raises(AlertStepError, match="^opinion: 20001 characters, more than"):
        step(visited, "closed", now, opinion="x" * 20001)
    with pytest.raises(AlertStepError, match="^outcome, opinion: only a closing step"):
        step(ack, "referred", now, outcome="resolved")
    with pytest.raises(AlertStepError, match="is before the steps it closes"):
        step(visited, "closed", REPORT + 90 * dt.timedelta(minutes=1))
    closed = step(visited, "closed", now)
    with pytest.raises(AlertStepError, match="^note: say why the alert is reopened"):
        step(closed, "reopened", now, note=None)
    with pytest.raises(AlertStepError, match="is before the closing it reopens"):
        step(closed, "reopened", REPORT + 2 * H)
    referred = step(ack, "referred", now)
    with pytest.raises(ConflictError, match="this referral is already recorded"):
        step(referred, "referred", now)
    # visits and referrals of one open period may come in any time order
    early = step(referred, "visited", REPORT + 90 * dt.timedelta(minutes=1))
    assert summarise(early).visited_at == REPORT + 90 * dt.timedelta(minutes=1)


def test_an_event_keeps_what_was_given_and_defaults_its_time_to_now():
    ack = new_event(
        [], "acknowledged", waypoint_uuid=WP, report_time=REPORT, now=REPORT + H, user="p1"
    )
    assert (ack.seq, ack.at, ack.recorded_at, ack.username) == (1, REPORT + H, REPORT + H, "p1")
    visited = step([ack], "visited", REPORT + 2 * H, now=REPORT + 5 * H, note=" 现场 ")[-1]
    assert (visited.at, visited.recorded_at, visited.note) == (
        REPORT + 2 * H,
        REPORT + 5 * H,
        "现场",
    )
    assert visited.attachment_name is None and visited.outcome is None


# -- the alert table and the closed times -------------------------------------------------------
def _waypoints() -> gpd.GeoDataFrame:
    other = "1d4c2b6a-0f3e-4a5b-8c7d-9e0f1a2b3c4d"
    return gpd.GeoDataFrame(
        {
            "uuid": [WP, other, "2e5d3c7b-1f4e-4b6c-9d8e-0f1a2b3c4d5e"],
            "patrol_uuid": ["p1", "p2", "p2"],
            "category": ["illegal_excavation", "human_damage", "intact"],
            "severity": ["high", "low", "none"],
            "description": ["盗坑", None, ""],
            "observed_at": pd.to_datetime([REPORT, REPORT + H, REPORT], utc=True),
            "received_at": pd.to_datetime([REPORT + H] * 3, utc=True),
            "target_kind": ["site"] * 3,
            "target_id": ["GZ-F03"] * 3,
        },
        geometry=[shapely.Point(*NEAR_F03)] * 3,
        crs="EPSG:4490",
    )


def _frame(events) -> pd.DataFrame:
    frame = pd.DataFrame([e.as_row() for e in events])
    for col in ("at", "recorded_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def test_the_alert_table_carries_the_lifecycle():
    events = step(step([], "acknowledged", REPORT + H), "visited", REPORT + 3 * H)
    events = step(events, "closed", REPORT + 2 * D, attachment_sha256="ab" * 32)
    now = REPORT + 10 * D
    table = alerts(_waypoints(), now, _frame(events))
    assert list(table.columns) == ALERT_COLUMNS
    assert list(table["waypoint_uuid"])[1] == WP
    fresh, mine = table.iloc[0], table.iloc[1]
    assert (mine["on_site_status"], mine["opinion_status"], mine["status"]) == (
        "met",
        "met",
        "closed",
    )
    assert bool(mine["closed"]) and mine["steps"] == 3 and mine["outcome"] == "resolved"
    assert mine["visited_at"] == pd.Timestamp(REPORT + 3 * H)
    assert mine["closed_at"] == pd.Timestamp(REPORT + 2 * D) == mine["last_step_at"]
    assert (fresh["status"], fresh["steps"], fresh["last_step"]) == ("overdue", 0, None)
    assert not fresh["closed"] and pd.isna(fresh["closed_at"])
    # without events (as before the lifecycle): both clocks run
    plain = alerts(_waypoints(), now)
    assert list(plain["status"]) == ["overdue", "overdue"] and list(plain["steps"]) == [0, 0]
    assert isinstance(plain["closed_at"].dtype, pd.DatetimeTZDtype)
    assert alerts(_waypoints().iloc[2:], now).empty


def test_closed_times_are_those_of_the_closing_in_force():
    events = step(step([], "acknowledged", REPORT + H), "visited", REPORT + 3 * H)
    events = step(events, "closed", REPORT + 2 * D)
    other = [dataclasses.replace(e, waypoint_uuid="w2") for e in events]
    events = step(events, "reopened", REPORT + 3 * D)  # reopened: not closed any more
    times = closed_times_of(_frame(events + other))
    assert times.to_dict() == {"w2": pd.Timestamp(REPORT + 2 * D)}
    assert times.name == "closed_at" and times.index.name == "waypoint_uuid"
    assert closed_times_of(None).empty
    assert closed_times_of(pd.DataFrame(columns=EVENT_COLUMNS)).empty


# -- the repository, on both stores -------------------------------------------------------------
@pytest.fixture
def reported(store):
    """A stored patrol reporting an alert (illegal excavation) and a later visit patrol."""
    start = dt.datetime.now(UTC).replace(microsecond=0) - 3 * D
    alert = make_patrol(1, start=start)
    visit = make_patrol(0, start=start + 5 * H, category="intact")
    store.save_patrol(alert, "patroller1")
    store.save_patrol(visit, "patroller1")
    return store, alert, visit


def test_a_stored_alert_goes_from_open_to_closed_with_its_audit(reported):
    store, alert, visit = reported
    wp = alert.waypoints[0]
    repo = store.alert_events
    first = repo.record(wp.uuid, "acknowledged", user="patroller1", at=wp.observed_at + H)
    went = repo.record(wp.uuid, "visited", user="patroller1", visit_patrol_uuid=visit.uuid)
    assert went.at == visit.started_at  # a visit defaults to the start of its patrol
    repo.record(wp.uuid, "referred", user="admin1", note="报贵州省自然资源厅")
    closed = repo.record(
        wp.uuid.upper(),
        "closed",
        user="admin1",
        outcome="resolved",
        opinion="责令回填并立案调查。",
        attachment=("意见书.pdf", PDF),
    )
    events = repo.events(wp.uuid)
    assert events == [first, went, events[2], closed] and [e.seq for e in events] == [1, 2, 3, 4]
    assert events[2].note == "报贵州省自然资源厅" and closed.attachment_name == "意见书.pdf"
    got = repo.attachment(wp.uuid, 4)
    assert got["path"].read_bytes() == PDF and got["mime"] == "application/pdf"
    assert got["sha256"] == closed.attachment_sha256 and got["bytes"] == len(PDF)
    assert sql(store, "SELECT count(*) FROM case_blobs")[0][0] == 1
    audit = store.audit_rows(None, object_kind="alert")
    assert [(a["action"], a["username"], a["object_id"]) for a in reversed(audit)] == [
        ("acknowledged", "patroller1", wp.uuid),
        ("visited", "patroller1", wp.uuid),
        ("referred", "admin1", wp.uuid),
        ("closed", "admin1", wp.uuid),
    ]
    assert audit[0]["detail"]["opinion"] == "责令回填并立案调查。"
    assert audit[0]["detail"]["attachment_sha256"] == closed.attachment_sha256
    frame = repo.frame()
    assert list(frame["seq"]) == [1, 2, 3, 4] and isinstance(frame["at"].dtype, pd.DatetimeTZDtype)
    table = alerts(store.list_waypoints(), dt.datetime.now(UTC), frame)
    (row,) = table.to_dict("records")
    assert (row["status"], row["on_site_status"], row["visit_patrol_uuid"]) == (
        "closed",
        "met",
        visit.uuid,
    )
    assert closed_times(store).to_dict() == {wp.uuid: pd.Timestamp(closed.at)}
    reopened = repo.record(wp.uuid, "reopened", user="admin1", note="又发现新坑")
    assert reopened.seq == 5 and closed_times(store).empty


def test_the_store_refuses_what_is_not_an_alert_or_not_a_visit(reported):
    store, alert, visit = reported
    wp = alert.waypoints[0]
    repo = store.alert_events
    with pytest.raises(RecordNotFoundError, match="no alert .*no waypoint has this UUID"):
        repo.record("6a1f0c0e-2f8e-4f4b-9d6a-000000000000", "acknowledged", user="a")
    with pytest.raises(RecordNotFoundError, match="^waypoint_uuid: 'x' is not a UUID"):
        repo.record("x", "acknowledged", user="a")
    calm = make_patrol(1, category="intact")
    store.save_patrol(calm, "p")
    with pytest.raises(RecordNotFoundError, match="records 'intact', and only human_damage"):
        repo.record(calm.waypoints[0].uuid, "acknowledged", user="a")
    repo.record(wp.uuid, "acknowledged", user="p")
    with pytest.raises(AlertStepError, match="is the patrol that reported the alert"):
        repo.record(wp.uuid, "visited", user="p", visit_patrol_uuid=alert.uuid)
    with pytest.raises(RecordNotFoundError, match="^visit_patrol_uuid: no patrol .*record the"):
        repo.record(wp.uuid, "visited", user="p", visit_patrol_uuid=str(calm.uuid)[:-4] + "0000")
    with pytest.raises(AlertStepError, match=r"^at: .* is outside the visit patrol"):
        repo.record(wp.uuid, "visited", user="p", visit_patrol_uuid=visit.uuid, at=wp.observed_at)
    with pytest.raises(CaseError, match="^opinion.txt: not a PDF, JPEG or PNG"):
        repo.record(wp.uuid, "referred", user="p", note="x", attachment=("opinion.txt", b"hi"))
    store.delete_patrol(visit.uuid, "admin1")
    with pytest.raises(AlertStepError, match="is deleted; restore it or name another"):
        repo.record(wp.uuid, "visited", user="p", visit_patrol_uuid=visit.uuid)
    store.delete_patrol(alert.uuid, "admin1")
    with pytest.raises(ConflictError, match=f"its patrol {alert.uuid} is deleted; restore it"):
        repo.record(wp.uuid, "referred", user="p", note="x")
    assert len(repo.events(wp.uuid)) == 1  # nothing refused was written
    assert sql(store, "SELECT count(*) FROM case_blobs")[0][0] == 0
    with pytest.raises(RecordNotFoundError, match="step 1 has no attachment"):
        repo.attachment(wp.uuid, 1)


def test_two_people_acknowledging_at_once_record_one_step(reported):
    import threading

    store, alert, _ = reported
    wp = alert.waypoints[0].uuid
    barrier, results = threading.Barrier(4), []

    def acknowledge(name):
        barrier.wait()
        try:
            results.append(store.alert_events.record(wp, "acknowledged", user=name).username)
        except ConflictError as exc:
            results.append(str(exc))

    threads = [threading.Thread(target=acknowledge, args=(f"p{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r.startswith("p")]
    assert len(winners) == 1 and len(results) == 4
    assert all("was acknowledged at" in r for r in results if r not in winners)
    assert [e.username for e in store.alert_events.events(wp)] == winners


def test_a_photo_of_the_letter_is_an_attachment_too(reported):
    store, alert, visit = reported
    wp = alert.waypoints[0]
    store.alert_events.record(wp.uuid, "acknowledged", user="p")
    event = store.alert_events.record(
        wp.uuid, "referred", user="a", note="县局", attachment=("letter.png", png_bytes())
    )
    assert store.alert_events.attachment(wp.uuid, event.seq)["mime"] == "image/png"


@pytest.mark.postgis
def test_store_migrate_copies_the_steps_and_their_attachments(pg_url, layers_template, tmp_path):
    from conftest import copy_template, schema_url

    from fossilgis.store import open_store
    from fossilgis.store.postgis import PostGISStore
    from fossilgis.store.transfer import copy_store

    source = open_store(copy_template(layers_template, tmp_path / "gpkg"))
    alert = make_patrol(1, start=dt.datetime.now(UTC).replace(microsecond=0) - D)
    source.save_patrol(alert, "p")
    wp = alert.waypoints[0]
    source.alert_events.record(wp.uuid, "acknowledged", user="p")
    source.alert_events.record(
        wp.uuid, "referred", user="a", note="县局", attachment=("o.pdf", PDF)
    )
    target = PostGISStore(schema_url(pg_url), tmp_path / "pg", build=False)
    try:
        copy_store(source, target)
        assert target.alert_events.events(wp.uuid) == source.alert_events.events(wp.uuid)
        assert target.alert_events.attachment(wp.uuid, 2)["path"].read_bytes() == PDF
    finally:
        target.close()
        source.close()
