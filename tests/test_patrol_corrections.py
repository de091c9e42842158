"""An admin's correction of a patrol record: the core (what may change, the diff, the
versions), both stores (one transaction, audited, the upload's hash kept), the CLI, and the
client's re-send of the original over the API (still 200, and the correction stays)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from click.testing import CliRunner
from conftest import sql, store_url
from patrol_fixtures import NOW, make_patrol

from fossilgis.cli.main import cli
from fossilgis.errors import ConflictError, PatrolValidationError, RecordNotFoundError
from fossilgis.patrols.corrections import (
    KEEP,
    Correction,
    apply_correction,
    content_changes,
    editable_content,
    parse_target,
    versions,
)
from fossilgis.patrols.model import content_hash
from fossilgis.patrols.submit import load_targets, submit_patrol


@pytest.fixture(scope="module")
def targets(layers_template):
    from fossilgis.store import open_store

    store = open_store(layers_template, create=False)
    try:
        return load_targets(store)
    finally:
        store.close()


# -- the core ---------------------------------------------------------------------------------
def test_a_correction_changes_only_the_editable_fields(targets):
    patrol = make_patrol(2)
    wp = patrol.waypoints[1].uuid
    applied = apply_correction(
        patrol,
        Correction(
            "wrong site and category",
            target=("site", "GZ-F01"),
            notes="  checked again  ",
            observations={wp: {"category": "非法采挖", "severity": "low", "description": "旧坑"}},
        ),
        targets,
    )
    new = applied.patrol
    assert (new.target_kind, new.target_id, new.target_inferred) == ("site", "GZ-F01", False)
    assert new.target_distance_m > 100_000  # GZ-F01 is at Kaili; the warning says so
    assert "km from site GZ-F01" in applied.warnings[0]
    assert new.notes == "checked again"
    assert new.waypoints[1].observation.category == "illegal_excavation"  # a label is read
    assert (new.waypoints[1].observation.severity, new.waypoints[1].observation.description) == (
        "low",
        "旧坑",
    )
    # never the track, positions, times or photos; the original is untouched
    assert new.track == patrol.track and new.started_at == patrol.started_at
    assert [(w.lon, w.lat, w.observed_at) for w in new.waypoints] == [
        (w.lon, w.lat, w.observed_at) for w in patrol.waypoints
    ]
    assert patrol.notes == "" and patrol.target_id == "GZ-F03"
    assert applied.previous == editable_content(patrol)
    assert [(c["field"], c["waypoint"], c["old"], c["new"]) for c in applied.changes] == [
        ("target", None, "site:GZ-F03", "site:GZ-F01"),
        ("notes", None, "", "checked again"),
        ("severity", 2, "high", "low"),
        ("description", 2, "新挖坑 1", "旧坑"),
    ]


def test_removing_adding_an_observation_and_clearing_the_target(targets):
    patrol = make_patrol(2)
    patrol.waypoints[1].observation = None
    first, second = (w.uuid for w in patrol.waypoints)
    applied = apply_correction(
        patrol,
        Correction(
            "false alarm",
            target=None,
            observations={first: {"category": ""}, second: {"category": "intact"}},
        ),
        targets,
    )
    assert applied.patrol.target_id is None and applied.patrol.target_kind is None
    assert applied.patrol.waypoints[0].observation is None
    assert applied.patrol.waypoints[1].observation.severity == "none"
    fields = [(c["field"], c["waypoint"]) for c in applied.changes]
    assert ("target", None) in fields and ("category", 1) in fields and ("category", 2) in fields


def test_confirming_an_inferred_target_makes_it_given(targets):
    patrol = make_patrol(1).replace(target_inferred=True, target_distance_m=0.0)
    applied = apply_correction(patrol, Correction("confirmed on site", ("site", "GZ-F03")), targets)
    assert applied.patrol.target_inferred is False
    assert [(c["field"], c["old"], c["new"]) for c in applied.changes] == [
        ("target_inferred", True, False)
    ]


@pytest.mark.parametrize(
    "correction, needle",
    [
        (Correction("  ", notes="x"), "reason: missing"),
        (Correction("why", notes=""), "nothing to correct"),
        (Correction("why", target=("site", "GZ-NOPE")), "no site with id 'GZ-NOPE'"),
        (Correction("why", target=("county", "x")), "expected site:ID or section:ID"),
        (Correction("why", notes="bad \x00 byte"), "notes: character U+0000"),
        (Correction("why", purpose="x" * 501), "purpose: 501 characters"),
        (Correction("why\x1b[2J"), "reason: character U+001B"),
    ],
)
def test_a_bad_correction_names_the_field(targets, correction, needle):
    with pytest.raises(PatrolValidationError, match=re.escape(needle)):
        apply_correction(make_patrol(1), correction, targets)


def test_observation_problems_name_the_waypoint(targets):
    patrol = make_patrol(2)
    wp = patrol.waypoints[0].uuid
    with pytest.raises(PatrolValidationError) as err:
        apply_correction(
            patrol,
            Correction(
                "why",
                observations={
                    wp: {"category": "dinosaurs", "lon": "105"},
                    "00000000-0000-4000-8000-000000000000": {"category": "intact"},
                    patrol.waypoints[1].uuid: {"severity": "catastrophic"},
                },
            ),
            targets,
        )
    problems = err.value.problems
    assert any("not a waypoint of patrol" in p for p in problems)
    assert any(p.startswith("waypoints[0]: cannot change lon") for p in problems)
    assert any("waypoints[1].severity: 'catastrophic' is not a severity" in p for p in problems)
    patrol.waypoints[0].observation = None
    with pytest.raises(PatrolValidationError, match=r"waypoints\[0\]: has no observation"):
        apply_correction(patrol, Correction("why", observations={wp: {"severity": "low"}}))


def test_parse_target(targets):
    assert parse_target("site:GZ-F03") == ("site", "GZ-F03")
    assert parse_target("GZ-F03", targets) == ("site", "GZ-F03")
    assert parse_target("none") is None and parse_target("") is None
    with pytest.raises(PatrolValidationError, match="expected site:ID or section:ID"):
        parse_target("county:x")
    with pytest.raises(PatrolValidationError, match="not a known site or section"):
        parse_target("GZ-NOPE", targets)


def test_versions_rebuild_every_version_from_the_kept_contents():
    patrol = make_patrol(1)
    v0 = editable_content(patrol)
    v1 = {**v0, "notes": "first fix"}
    current = patrol.replace(notes="second fix", revision=2, created_by="p1", created_at=NOW)
    rows = [
        {"revision": 2, "edited_at": NOW, "edited_by": "a2", "reason": "r2", "previous": v1},
        {"revision": 1, "edited_at": NOW, "edited_by": "a1", "reason": "r1", "previous": v0},
    ]
    out = versions(current, rows)
    assert [(v["revision"], v["by"], v["reason"]) for v in out] == [
        (0, "p1", None),
        (1, "a1", "r1"),
        (2, "a2", "r2"),
    ]
    assert [c["new"] for c in out[1]["changes"]] == ["first fix"]
    assert [(c["old"], c["new"]) for c in out[2]["changes"]] == [("first fix", "second fix")]
    assert content_changes(v0, v0) == []


# -- both stores ------------------------------------------------------------------------------
def test_correction_is_stored_with_its_version_and_audit_and_keeps_the_hash(store, targets):
    patrol = make_patrol(2)
    stored, _ = store.save_patrol(patrol, "patroller1")
    wp = patrol.waypoints[0].uuid
    applied = store.patrols.revisions.correct(
        patrol.uuid,
        Correction("wrong category", notes="复核", observations={wp: {"category": "intact"}}),
        "admin1",
        targets=targets,
        expected_revision=0,
    )
    rec = store.get_patrol(patrol.uuid)
    assert rec == applied.patrol
    assert rec.revision == 1 and rec.notes == "复核" and rec.updated_at is not None
    assert rec.waypoints[0].observation.category == "intact"
    assert rec.waypoints[0].observation.severity == "high"  # unchanged
    assert rec.content_hash == stored.content_hash == content_hash(patrol)  # the upload's
    # the alert is gone from the alert list: categories are read from the corrected rows
    alerts = store.list_waypoints(categories=["illegal_excavation"])
    assert list(alerts["uuid"]) == [patrol.waypoints[1].uuid]
    rows = store.patrols.revisions.rows(patrol.uuid)
    assert [(r["revision"], r["edited_by"], r["reason"]) for r in rows] == [
        (1, "admin1", "wrong category")
    ]
    assert rows[0]["previous"] == editable_content(stored)
    assert rows[0]["edited_at"].tzinfo is not None
    audit = store.audit_rows(1, object_kind="patrol", object_id=patrol.uuid)[0]
    assert audit["action"] == "correct" and audit["username"] == "admin1"
    assert audit["detail"]["revision"] == 1 and audit["detail"]["reason"] == "wrong category"
    assert [c["field"] for c in audit["detail"]["changes"]] == ["notes", "category"]

    history = store.patrols.revisions.history(patrol.uuid)
    assert [(v["revision"], v["by"]) for v in history] == [(0, "patroller1"), (1, "admin1")]
    assert history[0]["content"]["observations"][0]["category"] == "illegal_excavation"
    assert history[1]["content"]["observations"][0]["category"] == "intact"


def test_a_resend_of_the_original_is_200_and_keeps_the_correction(store, targets):
    """An inferred target, corrected by an admin; the client's outbox then re-sends the
    original (no target): "stored before", the correction (not inferred) stays; a re-send
    with other content is still a conflict."""
    original = make_patrol(1, site_id=None, start=NOW - dt.timedelta(days=2))
    first = submit_patrol(
        store, dataclasses.replace(original), user="patroller1", targets=targets, now=NOW
    )
    assert first.created and first.record.target_inferred
    store.patrols.revisions.correct(
        original.uuid,
        Correction(
            "wrong site", target=("section", targets[targets["kind"] == "section"]["id"].iloc[0])
        ),
        "admin1",
        targets=targets,
    )
    corrected = store.get_patrol(original.uuid)
    resent = submit_patrol(
        store, dataclasses.replace(original), user="patroller1", targets=targets, now=NOW
    )
    assert resent.created is False
    assert resent.record == corrected == store.get_patrol(original.uuid)
    assert corrected.target_kind == "section" and corrected.target_inferred is False
    changed = dataclasses.replace(original, notes="edited on the phone")
    with pytest.raises(ConflictError, match="already stored with different content"):
        submit_patrol(store, changed, user="patroller1", targets=targets, now=NOW)
    assert sql(store, "SELECT count(*) FROM patrols WHERE uuid=?", (original.uuid,)) == [(1,)]


def test_a_stale_or_deleted_record_is_not_corrected(store, targets):
    patrol = make_patrol(1)
    store.save_patrol(patrol, "patroller1")
    revisions = store.patrols.revisions
    revisions.correct(patrol.uuid, Correction("one", notes="a"), "admin1", expected_revision=0)
    with pytest.raises(ConflictError, match="corrected by someone else meanwhile"):
        revisions.correct(patrol.uuid, Correction("two", notes="b"), "admin2", expected_revision=0)
    store.delete_patrol(patrol.uuid, "admin1")
    with pytest.raises(ConflictError, match="is deleted; restore it first"):
        revisions.correct(patrol.uuid, Correction("three", notes="c"), "admin1")
    with pytest.raises(RecordNotFoundError, match="no patrol"):
        revisions.correct("00000000-0000-4000-8000-000000000000", Correction("x"), "admin1")
    assert store.get_patrol(patrol.uuid).notes == "a"
    assert [r["revision"] for r in revisions.rows(patrol.uuid)] == [1]


def test_a_failed_correction_leaves_nothing(store, targets, monkeypatch):
    """One transaction: the audit row failing rolls back the version, the record and the
    waypoints."""
    patrol = make_patrol(1)
    store.save_patrol(patrol, "patroller1")
    before = store.get_patrol(patrol.uuid)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store.patrols.revisions.audit, "record", boom)
    wp = patrol.waypoints[0].uuid
    with pytest.raises(RuntimeError, match="disk full"):
        store.patrols.revisions.correct(
            patrol.uuid, Correction("x", notes="n", observations={wp: {"category": "intact"}}), "a"
        )
    assert store.get_patrol(patrol.uuid) == before
    assert store.patrols.revisions.rows(patrol.uuid) == []


# -- the CLI ----------------------------------------------------------------------------------
@pytest.fixture
def run(store):
    where = ["--data", str(store.data_dir)] + (
        ["--store", store_url(store)] if store_url(store) else []
    )
    return lambda *args: CliRunner().invoke(cli, [*where, *args])


def test_cli_correct_and_history(run, store):
    patrol = make_patrol(2)
    store.save_patrol(patrol, "patroller1")
    result = run(
        "patrol", "correct", patrol.uuid, "--reason", "wrong site, and the pit was old",
        "--target", "GZ-F01", "--team", "王五，赵六",
        "--observation", "2:category=intact,severity=none,description=old pit, not new",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Corrected patrol {patrol.uuid}: revision 1, 5 change(s)" in result.output
    assert "target / 保护对象: site:GZ-F03 → site:GZ-F01" in result.output
    assert "waypoint 2 / 航点 2 description / 描述: 新挖坑 1 → old pit, not new" in result.output
    assert "warning:" in result.output  # GZ-F01 is far from the track
    rec = store.get_patrol(patrol.uuid)
    assert rec.team == ["王五", "赵六"] and rec.waypoints[1].observation.category == "intact"

    shown = run("patrol", "history", patrol.uuid)
    assert shown.exit_code == 0, shown.output
    assert "2 version(s)" in shown.output
    assert "revision 0 · uploaded by patroller1" in shown.output
    assert re.search(r"revision 1 · corrected by cli:\S+ · .*北京时间", shown.output)
    assert "reason / 理由: wrong site, and the pit was old" in shown.output
    as_json = run("patrol", "history", patrol.uuid, "--format", "json")
    assert as_json.exit_code == 0 and '"revision": 1' in as_json.output


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--notes", "x"], "Missing option '--reason'"),
        (["--reason", "r", "--observation", "9:category=intact"], "has 1 waypoint(s)"),
        (["--reason", "r", "--observation", "1:colour=red"], "is not FIELD=VALUE"),
        (["--reason", "r", "--target", "county:x"], "Invalid value for --target"),
        (["--reason", "r"], "nothing to correct"),
        (["--reason", "r", "--notes", "x", "--user", "patroller1"], "needs"),
    ],
)
def test_cli_errors(run, store, args, needle):
    from webmap_fixtures import add_users

    add_users(store)
    patrol = make_patrol(1)
    store.save_patrol(patrol, "patroller1")
    result = run("patrol", "correct", patrol.uuid, *args)
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert store.get_patrol(patrol.uuid).revision == 0


def test_cli_history_of_an_unknown_patrol(run):
    result = run("patrol", "history", "00000000-0000-4000-8000-000000000000")
    assert result.exit_code == 2 and "no patrol" in result.output


# -- the client's re-send over the API ---------------------------------------------------------
def test_api_resend_after_a_web_correction_answers_200_with_the_correction(
    patroller_client, admin_client, app
):
    from fossilgis.patrols.geojson import patrols_to_geojson

    patrol = make_patrol(2, start=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
    body = patrols_to_geojson([patrol])
    assert patroller_client.post("/api/patrols", json=body).status_code == 201
    store = app.extensions["fossilgis_store"]
    store.patrols.revisions.correct(
        patrol.uuid, Correction("typo", notes="corrected note", target=KEEP), "admin1"
    )
    again = patroller_client.post("/api/patrols", json=body)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["created"] is False
    assert again.get_json()["features"][0]["properties"]["notes"] == "corrected note"
    assert store.get_patrol(patrol.uuid).notes == "corrected note"
    body["features"][0]["properties"]["notes"] = "another text"
    assert patroller_client.post("/api/patrols", json=body).status_code == 409
    page = admin_client.get(f"/patrols/{patrol.uuid}").get_data(as_text=True)
    assert 'data-revision="0"' in page and 'data-revision="1"' in page
