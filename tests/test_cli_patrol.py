"""The patrol, users and audit commands: exit codes and messages."""

from __future__ import annotations

import csv
import io
import re

import pytest
from click.testing import CliRunner
from conftest import store_url
from patrol_fixtures import jpeg_with_gps

from fossilgis.cli.main import cli


@pytest.fixture
def run(store):
    """``run(*args)``: the CLI on ``store`` (either backend: ``--store`` for PostGIS)."""
    where = ["--data", str(store.data_dir)] + (
        ["--store", store_url(store)] if store_url(store) else []
    )

    def invoke(*args, input=None):
        return CliRunner().invoke(cli, [*where, *args], input=input)

    return invoke


@pytest.fixture
def observations_csv(tmp_path):
    path = tmp_path / "obs.csv"
    path.write_text(
        "lon,lat,time,category,severity,description,photo\n"
        "105.401,25.901,2025-05-08T10:00+08:00,illegal_excavation,high,新挖坑,pit.jpg\n"
        "105.402,25.902,2025-05-08T11:30+08:00,intact,none,,\n",
        encoding="utf-8",
    )
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "pit.jpg").write_bytes(jpeg_with_gps(105.401, 25.901))
    (photos / "extra.jpg").write_bytes(jpeg_with_gps(105.402, 25.902, color=(9, 9, 9)))
    (photos / "readme.txt").write_text("not a photo")
    return path, photos


def test_import_list_show_export(run, observations_csv, tmp_path):
    path, photos = observations_csv
    result = run("patrol", "import", str(path), "--photos", str(photos), "--team", "张三,李四")
    assert result.exit_code == 0, result.output
    uuid = re.search(
        r"Stored patrol ([0-9a-f-]{36}): site GZ-F03 \(inferred, 0 m\); "
        r"2 waypoint\(s\), 2 photo\(s\)",
        result.output,
    ).group(1)
    again = run("patrol", "import", str(path), "--photos", str(photos), "--team", "张三,李四")
    assert again.exit_code == 0
    assert f"Already stored, nothing changed: patrol {uuid}" in again.output
    conflict = run("patrol", "import", str(path), "--photos", str(photos), "--team", "王五")
    assert conflict.exit_code == 2
    assert f"A patrol with the ID {uuid} is already stored with different" in conflict.output

    listed = run("patrol", "list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(listed.output)))
    assert [(r["uuid"], r["target_id"], r["team_names"], r["alert_count"]) for r in rows] == [
        (uuid, "GZ-F03", "张三、李四", "1")
    ]
    assert '"feature_type": "waypoint"' in run("patrol", "show", uuid).output

    out = tmp_path / "out.kml"
    exported = run("patrol", "export", "--format", "kml", "-o", str(out))
    assert exported.exit_code == 0 and "Wrote 1 patrol(s)" in exported.output
    assert out.read_text(encoding="utf-8").startswith("<?xml")


def test_coverage_and_alerts(run, observations_csv):
    path, photos = observations_csv
    run("patrol", "import", str(path), "--site", "GZ-F03", "--photos", str(photos))
    cov = run("patrol", "coverage", "--days", "100000", "--format", "csv")
    ids = [r["id"] for r in csv.DictReader(io.StringIO(cov.output))]
    assert cov.exit_code == 0 and "GZ-F03" not in ids and "GZ-F01" in ids
    text = run("patrol", "coverage")
    assert re.search(r"\d+ site\(s\)/section\(s\) not patrolled in the last 90 days", text.output)
    alerts = run("patrol", "alerts", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(alerts.output)))
    assert len(rows) == 1 and rows[0]["category"] == "illegal_excavation"
    assert rows[0]["on_site_due"].startswith("2025-05-09 02:00:00")
    assert rows[0]["status"] == "overdue"  # 2025 is long past
    assert "非法采挖" in run("patrol", "alerts").output


def test_errors_are_messages(run, tmp_path):
    bad = tmp_path / "far.csv"
    bad.write_text("lon,lat,time\n-71.1,42.36,2025-05-08T10:00\n")
    result = run("patrol", "import", str(bad))
    assert result.exit_code == 2 and "point 1 (longitude -71.1, latitude 42.36) is outside" in (
        result.output
    )
    assert "Traceback" not in result.output
    missing = run("patrol", "delete", "00000000-0000-0000-0000-000000000000")
    assert missing.exit_code == 2 and "Error: no patrol" in missing.output
    bad_time = run("patrol", "list", "--since", "yesterday")
    assert bad_time.exit_code == 2 and "“yesterday”, is not a time that can" in bad_time.output


def test_users_roles_delete_restore_and_audit(run, observations_csv):
    path, photos = observations_csv
    assert (
        run(
            "users", "add", "ana", "--role", "admin", "--password-stdin", input="admin-pass-1\n"
        ).exit_code
        == 0
    )
    assert (
        run(
            "users", "add", "pat", "--role", "patroller", input="patrol-pass-1\npatrol-pass-1\n"
        ).exit_code
        == 0
    )
    assert (
        run(
            "users", "add", "vic", "--role", "viewer", "--password-stdin", input="viewer-pass-1\n"
        ).exit_code
        == 0
    )
    denied = run("patrol", "import", str(path), "--photos", str(photos), "--user", "vic")
    assert denied.exit_code == 2 and "need the patroller or admin role; vic (viewer)" in (
        denied.output
    )
    stored = run("patrol", "import", str(path), "--photos", str(photos), "--user", "pat")
    uuid = re.search(r"Stored patrol ([0-9a-f-]{36})", stored.output).group(1)
    assert run("patrol", "delete", uuid, "--user", "pat").exit_code == 0
    assert run("patrol", "list").output.strip() == "(none / 无)"
    refused = run("patrol", "restore", uuid, "--user", "pat")
    assert refused.exit_code == 2 and "admin role" in refused.output
    assert run("patrol", "restore", uuid, "--user", "ana").exit_code == 0
    assert uuid in run("patrol", "list").output

    token = run("users", "token", "pat", "--label", "tablet 3")
    assert token.exit_code == 0 and re.match(r"fgis_[\w-]{43}\n", token.output)
    assert run("users", "disable", "pat").output.startswith("Disabled pat; 1 API token(s) revoked")
    listing = run("users", "list").output
    assert re.search(r"pat\s+patroller\s+巡护员\s+disabled", listing)

    log = run("audit", "--limit", "20").output.splitlines()
    actions = [line.split()[3] for line in log]
    assert actions[:4] == ["revoke", "disable", "create", "restore"]
    assert any(f"delete   patrol  {uuid}" in line and " pat " in line for line in log)
    assert run("audit", "--object", uuid, "--json").output.count("\n") == 3
