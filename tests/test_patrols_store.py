"""Patrols in both stores (GeoPackage, PostGIS): never lost, never duplicated, audited,
soft-deleted."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pyogrio
import pytest
from conftest import db_errors, reopen, sql, store_url
from patrol_fixtures import NOW, make_patrol, write_patrols

from fossilgis.errors import ConflictError, RecordNotFoundError
from fossilgis.patrols.model import content_hash
from fossilgis.patrols.submit import submit_patrol
from fossilgis.store.gpkg import SCHEMA_VERSION

TESTS = Path(__file__).resolve().parent


def counts(store, uuid=None) -> dict:
    where, args = ("WHERE patrol_uuid=?", (uuid,)) if uuid else ("", ())
    return {
        "patrols": sql(
            store, "SELECT count(*) FROM patrols" + (" WHERE uuid=?" if uuid else ""), args
        )[0][0],
        "waypoints": sql(store, f"SELECT count(*) FROM waypoints {where}", args)[0][0],
        # patrol audit rows only (building the store also audits the layer loads)
        "audit": sql(
            store,
            "SELECT count(*) FROM audit WHERE object_kind NOT IN ('sites', 'sections')"
            + (" AND object_id=?" if uuid else ""),
            args,
        )[0][0],
    }


def test_schema_is_migrated_and_readable_by_gis_clients(store):
    assert store.schema_version == SCHEMA_VERSION >= 3
    patrol = make_patrol(3)
    store.save_patrol(patrol, "alice")
    if store.backend == "postgis":
        assert sql(store, "SELECT uuid, GeometryType(geom) FROM patrols") == [
            (patrol.uuid, "MULTILINESTRING")
        ]
        assert sql(store, "SELECT count(*) FROM waypoints WHERE ST_SRID(geom) = 4490") == [(3,)]
        return
    via_gdal = pyogrio.read_dataframe(store.path, layer="patrols")
    assert list(via_gdal["uuid"]) == [patrol.uuid]
    assert via_gdal.geometry.iloc[0].geom_type == "MultiLineString"
    assert len(pyogrio.read_dataframe(store.path, layer="waypoints")) == 3


def test_round_trip_keeps_the_content(store):
    patrol = make_patrol(4)
    record, created = store.save_patrol(patrol, "alice")
    assert created and record.created_by == "alice" and record.deleted_at is None
    assert record.content_hash == content_hash(patrol) == content_hash(record)
    assert [w.uuid for w in record.waypoints] == [w.uuid for w in patrol.waypoints]
    assert record.waypoints[2].observation.description == "新挖坑 2"
    assert record.track.equals(patrol.track)


def test_same_uuid_same_content_is_stored_once(store):
    patrol = make_patrol(2)
    first, created = store.save_patrol(patrol, "alice")
    again, created_again = store.save_patrol(
        make_patrol(0).replace(
            **{
                f: getattr(patrol, f)
                for f in (
                    "uuid",
                    "started_at",
                    "ended_at",
                    "team",
                    "purpose",
                    "target_kind",
                    "target_id",
                    "track",
                    "waypoints",
                )
            }
        ),
        "bob",
    )
    assert created and not created_again
    assert again.created_by == "alice" and again.content_hash == first.content_hash
    assert counts(store) == {"patrols": 1, "waypoints": 2, "audit": 1}


def test_same_uuid_different_content_is_a_conflict(store):
    patrol = make_patrol(2)
    store.save_patrol(patrol, "alice")
    with pytest.raises(
        ConflictError, match=f"patrol {patrol.uuid} is already stored with different content"
    ):
        store.save_patrol(patrol.replace(notes="changed"), "alice")
    assert store.get_patrol(patrol.uuid).notes == ""
    assert counts(store) == {"patrols": 1, "waypoints": 2, "audit": 1}


def test_waypoint_uuid_of_another_patrol_is_refused_whole(store):
    first = make_patrol(1)
    store.save_patrol(first, "alice")
    second = make_patrol(2)
    second.waypoints[1].uuid = first.waypoints[0].uuid
    with pytest.raises(ConflictError, match=r"waypoints\[1\].uuid: .* already belongs to patrol"):
        store.save_patrol(second, "alice")
    assert store.get_patrol(second.uuid) is None
    assert counts(store, second.uuid) == {"patrols": 0, "waypoints": 0, "audit": 0}


def test_submit_infers_the_site_and_resend_still_matches(store):
    patrol = make_patrol(1, site_id=None)
    result = submit_patrol(store, patrol, user="alice", now=NOW)
    assert result.created and result.warnings == []
    rec = result.record
    assert (rec.target_kind, rec.target_id, rec.target_inferred) == ("site", "GZ-F03", True)
    resend = make_patrol(1, site_id=None, patrol_uuid=patrol.uuid)
    resend.waypoints = rec.waypoints
    resend.started_at, resend.ended_at = patrol.started_at, patrol.ended_at
    assert not submit_patrol(store, resend, user="alice", now=NOW).created


def test_soft_delete_restore_and_audit(store):
    patrol = make_patrol(1)
    store.save_patrol(patrol, "alice")
    store.delete_patrol(patrol.uuid, "bob")
    assert store.list_patrols().empty
    assert list(store.list_patrols(include_deleted=True)["uuid"]) == [patrol.uuid]
    assert store.get_patrol(patrol.uuid).deleted_by == "bob"
    assert store.list_waypoints().empty
    with pytest.raises(ConflictError, match="already deleted"):
        store.delete_patrol(patrol.uuid, "bob")
    store.restore_patrol(patrol.uuid, "root")
    assert len(store.list_patrols()) == 1
    rows = store.audit_rows(object_id=patrol.uuid)
    assert [(r["action"], r["username"]) for r in rows] == [
        ("restore", "root"),
        ("delete", "bob"),
        ("create", "alice"),
    ]
    assert rows[2]["detail"]["content_hash"] == content_hash(patrol)
    with pytest.raises(RecordNotFoundError, match="no patrol"):
        store.delete_patrol("00000000-0000-0000-0000-000000000000", "bob")


def test_audit_log_is_append_only(store):
    store.append_audit("alice", "note", "system", None, {"x": 1})
    statements = ["UPDATE audit SET username='mallory'", "DELETE FROM audit"]
    if store.backend == "postgis":
        statements.append("TRUNCATE audit")
    for statement in statements:
        with pytest.raises(db_errors(), match="append-only"), store._tx() as conn:
            conn.execute(statement)
    assert store.audit_rows()[0]["username"] == "alice"


def test_edit_needs_the_current_hash(store):
    patrol = make_patrol(2)
    rec, _ = store.save_patrol(patrol, "alice")
    edited = store.update_patrol(rec.replace(notes="补充说明"), "bob", base_hash=rec.content_hash)
    assert edited.notes == "补充说明" and edited.created_by == "alice"
    assert len(edited.waypoints) == 2
    with pytest.raises(ConflictError, match="changed by someone else"):
        store.update_patrol(rec.replace(notes="x"), "carol", base_hash=rec.content_hash)
    assert [r["action"] for r in store.audit_rows(object_id=patrol.uuid)] == ["edit", "create"]


def test_list_filters(store):
    old = make_patrol(1, start=NOW - dt.timedelta(days=100))
    new = make_patrol(1, site_id="GZ-F04", centre=(104.898, 25.089))
    for p in (old, new):
        store.save_patrol(p, "alice")
    assert list(store.list_patrols(since=NOW - dt.timedelta(days=10))["uuid"]) == [new.uuid]
    assert list(store.list_patrols(until=NOW - dt.timedelta(days=50))["uuid"]) == [old.uuid]
    assert list(store.list_patrols(target_id="GZ-F04")["uuid"]) == [new.uuid]
    assert list(store.list_patrols(bbox=(105.3, 25.8, 105.5, 26.0))["uuid"]) == [old.uuid]
    assert list(store.list_patrols(limit=1)["uuid"]) == [new.uuid]  # newest first
    table = store.list_patrols()
    assert table.crs.to_epsg() == 4490 and list(table["alert_count"]) == [1, 1]


def test_twenty_threads_store_twenty_patrols(store):
    patrols = [make_patrol(5) for _ in range(20)]
    errors = []
    barrier = threading.Barrier(20)

    def write(p):
        try:
            barrier.wait()
            store.save_patrol(p, "thread")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(p,)) for p in patrols]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(store.list_patrols()["uuid"]) == sorted(p.uuid for p in patrols)
    assert counts(store) == {"patrols": 20, "waypoints": 100, "audit": 20}


def test_twenty_threads_resending_one_patrol_store_one(store):
    patrol = make_patrol(3)
    results = []
    barrier = threading.Barrier(20)

    def send():
        barrier.wait()
        results.append(store.save_patrol(patrol, "thread")[1])

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 19 + [True]
    assert counts(store) == {"patrols": 1, "waypoints": 3, "audit": 1}


@pytest.mark.slow
def test_twenty_processes_store_twenty_patrols(store):
    ctx = multiprocessing.get_context("spawn")  # no fork of a threaded pytest process
    with ctx.Pool(20) as pool:
        written = pool.starmap(
            write_patrols, [(str(store.data_dir), 1, str(i), store_url(store)) for i in range(20)]
        )
    uuids = [u for batch in written for u in batch]
    assert len(set(uuids)) == 20
    assert sorted(store.list_patrols()["uuid"]) == sorted(uuids)
    assert counts(store) == {"patrols": 20, "waypoints": 40, "audit": 20}


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    from patrol_fixtures import make_patrol
    from fossilgis.store import open_store
    from fossilgis.store import patrols as patrol_repository

    marker = Path(sys.argv[2])

    def slow():  # inside the transaction, after each waypoint row
        marker.touch()
        time.sleep(0.02)

    store = open_store(sys.argv[1], store=sys.argv[4] or None)
    patrol_repository._after_waypoint_row = slow
    patrol = make_patrol(500, patrol_uuid="7d6f4c1e-8a2b-4c3d-9e8f-0a1b2c3d4e5f")
    store.save_patrol(patrol, "killed")
    print("COMMITTED")
    """
)


@pytest.mark.slow
def test_killed_upload_leaves_no_partial_record(store, tmp_path):
    marker = tmp_path / "in-transaction"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_WRITER,
            str(store.data_dir),
            str(marker),
            str(TESTS),
            store_url(store) or "",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.stderr.read()
        assert time.monotonic() < deadline, "the writer never reached its transaction"
        time.sleep(0.01)
    time.sleep(0.3)  # some waypoint rows are written, the commit is ~10 s away
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate()
    assert proc.returncode == -signal.SIGKILL and "COMMITTED" not in out

    again = reopen(store)
    uuid = "7d6f4c1e-8a2b-4c3d-9e8f-0a1b2c3d4e5f"
    assert again.get_patrol(uuid) is None
    assert counts(again, uuid) == {"patrols": 0, "waypoints": 0, "audit": 0}
    if again.backend == "gpkg":
        assert sql(again, "PRAGMA integrity_check")[0][0] == "ok"
    record, created = again.save_patrol(make_patrol(3, patrol_uuid=uuid), "retry")
    assert created and len(record.waypoints) == 3
