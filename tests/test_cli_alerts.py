"""``fossilgis patrol alerts`` and ``fossilgis patrol alert STEP``: an alert from open to closed
from the command line, on both stores, with roles, messages and the audit log."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from click.testing import CliRunner
from conftest import store_url
from patrol_fixtures import make_patrol

from fossilgis.cli.main import cli

PDF = b"%PDF-1.4\n% opinion letter\n%%EOF\n"


@pytest.fixture
def run(store):
    """``run(*args)``: the CLI on ``store`` (either backend: ``--store`` for PostGIS)."""
    where = ["--data", str(store.data_dir)] + (
        ["--store", store_url(store)] if store_url(store) else []
    )
    return lambda *args: CliRunner().invoke(cli, [*where, *args])


@pytest.fixture
def reported(store):
    """A patrol reporting illegal excavation 3 days ago, a visit patrol 5 hours later, and
    the accounts admin1 and patroller1."""
    from fossilgis.auth import create_user

    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(days=3)
    alert = make_patrol(1, start=start)
    visit = make_patrol(0, start=start + dt.timedelta(hours=5), category="intact")
    for p in (alert, visit):
        store.save_patrol(p, "patroller1")
    for name, role in (("admin1", "admin"), ("patroller1", "patroller")):
        create_user(store, name, "correct horse battery", role, by="tests")
    return alert.waypoints[0].uuid, visit.uuid


def _rows(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def test_an_alert_goes_from_open_to_closed_on_the_command_line(run, reported, tmp_path):
    wp, visit = reported
    listed = run("patrol", "alerts")
    assert listed.exit_code == 0, listed.output
    assert "非法采挖" in listed.output and wp in listed.output
    assert listed.output.rstrip().endswith(
        "1 alert(s): 1 not closed, 1 overdue, 0 closed / 告警 1 条：未办结 1，超期 1，已办结 0"
    )
    out = run("patrol", "alert", "acknowledge", wp, "--user", "patroller1")
    assert out.exit_code == 0, out.output
    said = rf"Alert {wp}: acknowledged at .* \(UTC\+8\) by patroller1 \(step 1\)"
    assert re.match(said, out.output)
    out = run("patrol", "alert", "visit", wp, "--patrol", visit, "--user", "patroller1")
    assert out.exit_code == 0, out.output
    said = "on site (24 h): met; opinion (7 d): running / 到场：按时完成；处理意见：未到期"
    assert said in out.output
    out = run("patrol", "alert", "refer", wp, "--note", "关岭县自然资源局", "--user", "admin1")
    assert out.exit_code == 0, out.output
    letter = tmp_path / "意见书.pdf"
    letter.write_bytes(PDF)
    out = run(
        "patrol", "alert", "close", wp, "--outcome", "resolved",
        "--opinion", "责令回填，立案调查。", "--attachment", str(letter), "--user", "admin1",
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert f"Alert {wp}: closed at" in out.output and "attachment 意见书.pdf" in out.output
    assert "opinion (7 d): met" in out.output

    (row,) = _rows(run("patrol", "alerts", "--status", "closed", "--format", "csv"))
    assert (row["status"], row["closed"], row["outcome"], row["steps"]) == (
        "closed",
        "True",
        "resolved",
        "4",
    )
    assert (row["on_site_status"], row["opinion_status"], row["visit_patrol_uuid"]) == (
        "met",
        "met",
        visit,
    )
    assert "(none / 无)" in run("patrol", "alerts", "--status", "open").output
    shown = run("patrol", "alert", "show", wp.upper())
    assert shown.exit_code == 0, shown.output
    assert "4. 已办结 Closed" in shown.output and "opinion: 责令回填，立案调查。" in shown.output
    assert f"patrol {visit}" in shown.output and shown.output.rstrip().endswith("next: reopen")

    out = run("patrol", "alert", "reopen", wp, "--note", "又发现新坑", "--user", "admin1")
    assert out.exit_code == 0, out.output
    (row,) = _rows(run("patrol", "alerts", "--status", "open", "--format", "csv"))
    assert (row["status"], row["last_step"], row["closed_at"]) == ("open", "reopened", "")
    audit = run("audit", "--object", wp)
    for action in ("acknowledged", "visited", "referred", "closed", "reopened"):
        assert action in audit.output


def test_steps_out_of_order_wrong_roles_and_values_are_messages(run, reported, store):
    wp, visit = reported
    out = run("patrol", "alert", "visit", wp, "--patrol", visit)
    assert out.exit_code == 2 and "Traceback" not in out.output
    assert f"Error: alert {wp}: cannot record 'visited': it has not been acknowledged yet" in (
        out.output
    )
    out = run("patrol", "alert", "acknowledge", wp, "--at", "2199-01-01T10:00")
    assert out.exit_code == 2 and "at: 2199-01-01 10:00 (UTC+8) is in the future" in out.output
    assert run("patrol", "alert", "acknowledge", wp).exit_code == 0  # as cli:<os user>
    out = run("patrol", "alert", "refer", wp, "--note", "县局", "--user", "patroller1")
    assert out.exit_code == 2 and "this needs the admin role / 需要管理员权限" in out.output
    out = run("patrol", "alert", "close", wp, "--outcome", "done", "--opinion", "x")
    assert out.exit_code == 2 and "Invalid value for '--outcome'" in out.output
    out = run("patrol", "alert", "close", wp, "--outcome", "resolved", "--opinion", "x")
    assert out.exit_code == 2 and "nobody has been on site yet" in out.output
    out = run("patrol", "alert", "refer", wp)
    assert out.exit_code == 2 and "note: say which authority it was referred to" in out.output
    out = run("patrol", "alert", "acknowledge", "not-a-uuid")
    assert out.exit_code == 2 and "waypoint_uuid: 'not-a-uuid' is not a UUID" in out.output
    out = run("patrol", "alert", "show", "6a1f0c0e-2f8e-4f4b-9d6a-000000000000")
    assert out.exit_code == 2 and "no alert 6a1f0c0e-2f8e-4f4b-9d6a-000000000000" in out.output
    assert [e.step for e in store.alert_events.events(wp)] == ["acknowledged"]
    assert store.alert_events.events(wp)[0].username.startswith("cli:")


def test_the_list_filters_by_status_category_and_site(run, reported):
    wp, _ = reported
    assert len(_rows(run("patrol", "alerts", "--format", "csv"))) == 1
    assert (
        _rows(run("patrol", "alerts", "--status", "overdue", "--format", "csv"))[0]["waypoint_uuid"]
        == wp
    )
    assert _rows(run("patrol", "alerts", "--category", "human_damage", "--format", "csv")) == []
    assert _rows(run("patrol", "alerts", "--site", "GZ-F01", "--format", "csv")) == []
    assert len(_rows(run("patrol", "alerts", "--site", "GZ-F03", "--format", "csv"))) == 1
