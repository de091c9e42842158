"""docs/deploy.md: the migration, backup and restore commands run as the page gives them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from case_fixtures import details
from patrol_fixtures import NEAR_F03, jpeg_with_gps, make_patrol

from fossilgis.auth import create_user
from fossilgis.patrols.model import PhotoRef
from fossilgis.store import open_store
from fossilgis.store.transfer import TABLE_NAMES

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "deploy.md"

pytestmark = pytest.mark.postgis


def blocks() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    found = re.findall(r"<!-- test: ([\w-]+) -->\n```sh\n(.*?)```", text, re.S)
    return dict(found)


def run_block(name: str, env: dict) -> str:
    bin_dir = str(Path(sys.executable).parent)
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", blocks()[name]],
        env={**os.environ, **env, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, f"{name}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def checksums(output: str) -> list[str]:
    return re.findall(r"^  \S+ +\d+  [0-9a-f]{64}$", output, re.M)


def test_the_page_has_the_tested_blocks():
    assert set(blocks()) == {"migrate", "gpkg-backup", "gpkg-restore", "pg-backup", "pg-restore"}


def test_backup_and_restore_as_documented(pg_url, tmp_path):
    import psycopg

    base, _, _ = pg_url.rpartition("/")
    name = f"docs_{os.getpid()}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for db in (name, "fossilgis_restored"):
            conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    data = tmp_path / "data"
    store = open_store(data)
    create_user(store, "alice", "alice-password-1", "patroller")
    sha = store.put_photo(jpeg_with_gps(*NEAR_F03), "pit.jpg")
    patrol = make_patrol(2)
    patrol.photos = [PhotoRef(sha256=sha, name="pit.jpg")]
    store.save_patrol(patrol, "alice")
    case = store.cases.open(details(), user="alice")
    letter = store.cases.attach(case, "letter.pdf", b"%PDF-1.4\n", "application/pdf", user="a")
    info = ["fossilgis", "--data", str(data), "store", "info", "--checksums"]
    env = {
        "FOSSILGIS_DATA": str(data),
        "BACKUP": str(tmp_path / "backup"),
        "DATABASE_URL": f"{base}/{name}",
        "RESTORE_URL": f"{base}/fossilgis_restored",
        "RESTORE_DATA": str(tmp_path / "restored-data"),
    }
    (tmp_path / "backup").mkdir()
    bin_env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    before = checksums(
        subprocess.run(info, capture_output=True, text=True, check=True, env=bin_env).stdout
    )
    assert len(before) == len(TABLE_NAMES)

    # GeoPackage: online backup, a later change, restore brings back the backup
    run_block("gpkg-backup", env)
    store.save_patrol(make_patrol(1), "alice")
    restored = checksums(run_block("gpkg-restore", env))
    assert restored == before
    assert (data / "secret_key").exists() == (tmp_path / "backup" / "gpkg" / "secret_key").exists()
    assert open_store(data).photo_path(sha).exists()
    assert open_store(data).cases.blob_path(letter["sha256"]).read_bytes() == b"%PDF-1.4\n"

    # into PostGIS, then pg_dump + data archive, restored into a new database
    out = run_block("migrate", env)
    assert "verified: every table has the same rows" in out
    pg_info = subprocess.run(
        [
            "fossilgis",
            "--data",
            str(data),
            "--store",
            env["DATABASE_URL"],
            "store",
            "info",
            "--checksums",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=bin_env,
    ).stdout
    run_block("pg-backup", env)
    restored_pg = run_block("pg-restore", env)
    assert "backend: postgis" in restored_pg
    assert checksums(restored_pg) == checksums(pg_info)
    again = open_store(env["RESTORE_DATA"], store=env["RESTORE_URL"])
    assert again.get_patrol(patrol.uuid).photos[0].sha256 == sha
    assert again.photo_path(sha).read_bytes() == store.photo_path(sha).read_bytes()
    again.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS fossilgis_restored WITH (FORCE)")
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
