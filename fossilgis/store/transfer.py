"""Copying a whole store into PostGIS, with per-table counts and checksums; online backups.

Every table of either store is read as *canonical rows*: plain JSON values that do not
depend on the backend (times as UTC ISO 8601 text, booleans, parsed JSON, geometries as
little-endian 2D WKB in hex), sorted by the table's key. The same rows are what
:func:`copy_store` writes into the target and what its checksums (SHA-256 over one JSON
line per row) are computed on, so "same checksum" means "same content" on both sides.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import shutil
from pathlib import Path

from fossilgis.errors import StoreError
from fossilgis.store._common import SRS_ID
from fossilgis.store.tables import TABLE_NAMES, TABLES, Table  # noqa: F401


# -- canonical rows ---------------------------------------------------------------------
def _time(value) -> str | None:
    from fossilgis.patrols.model import format_time

    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
    return format_time(value)


def _canonical(table: Table, values, geom) -> dict:
    import shapely

    row = {}
    for col, value in zip(table.columns, values):
        if col in table.times:
            value = _time(value)
        elif col in table.bools:
            value = None if value is None else bool(value)
        elif col in table.json:
            value = json.loads(value) if isinstance(value, str) else value
            if col == "extra" and not value:
                value = None  # no extra attributes: NULL in both stores
        elif isinstance(value, float) and math.isnan(value):
            value = None
        elif isinstance(value, memoryview):
            value = bytes(value)
        row[col] = value
    if table.geom:
        row["geom"] = (
            None
            if geom is None
            else shapely.to_wkb(geom, hex=True, byte_order=1, output_dimension=2)
        )
    return row


def dump_table(store, name: str) -> list[dict]:
    """The canonical rows of table ``name`` of a GeoPackage or PostGIS store, by key."""
    table = TABLES[TABLE_NAMES.index(name)]
    cols = ", ".join(table.columns)
    dialect = store.db.dialect
    geom_sql = f", {dialect.geom_col('geom')}" if table.geom else ""
    with store.db.read() as conn:
        rows = conn.execute(f"SELECT {cols}{geom_sql} FROM {name}").fetchall()
    geoms = dialect.decode_geoms([r[-1] for r in rows]) if table.geom else [None] * len(rows)
    n = len(table.columns)
    out = [_canonical(table, r[:n], g) for r, g in zip(rows, geoms)]
    out.sort(key=lambda r: tuple("" if r[k] is None else r[k] for k in table.key))
    return out


def checksum(rows: list[dict]) -> str:
    """SHA-256 over one canonical JSON line per row."""
    digest = hashlib.sha256()
    for row in rows:
        line = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def table_summary(store) -> dict[str, dict]:
    """{table: {"rows": n, "sha256": …}} for every table of ``store``."""
    out = {}
    for name in TABLE_NAMES:
        rows = dump_table(store, name)
        out[name] = {"rows": len(rows), "sha256": checksum(rows)}
    return out


def table_counts(store) -> dict[str, int]:
    with store.db.read() as conn:
        return {
            name: int(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0])
            for name in TABLE_NAMES
        }


# -- loading into PostGIS ---------------------------------------------------------------
def _load_rows(conn, table: Table, rows: list[dict]) -> None:
    if not rows:
        return
    marks = []
    for col in table.columns:
        if col in table.json:
            marks.append("%s::jsonb")
        else:
            marks.append("%s")
    cols = list(table.columns)
    if table.geom:
        cols.append("geom")
        marks.append(f"ST_GeomFromWKB(%s, {SRS_ID})")
    params = []
    for row in rows:
        values = []
        for col in table.columns:
            value = row[col]
            if col in table.json and value is not None:
                value = json.dumps(value, ensure_ascii=False)
            values.append(value)
        if table.geom:
            values.append(None if row["geom"] is None else bytes.fromhex(row["geom"]))
        params.append(values)
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join(marks)})", params
        )


def _reset_sequences(conn) -> None:
    for name, col in (
        ("sites", "fid"),
        ("sections", "fid"),
        ("patrols", "fid"),
        ("waypoints", "fid"),
        ("audit", "id"),
        ("case_footprints", "fid"),
        ("formations", "fid"),
    ):
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{name}', '{col}'), "
            f"coalesce((SELECT max({col}) FROM {name}), 0) + 1, false)"
        )


@dataclasses.dataclass
class TableReport:
    name: str
    source_rows: int
    target_rows: int
    source_sha256: str
    target_sha256: str

    @property
    def ok(self) -> bool:
        return (self.source_rows, self.source_sha256) == (self.target_rows, self.target_sha256)


def copy_store(source, target, *, force: bool = False, user: str | None = None) -> list:
    """Copy every table of ``source`` into the PostGIS store ``target`` and verify it.

    The target's tables are filled in one transaction (its audit rows keep their ids and
    times); then both stores are read again and compared table by table (row count and
    SHA-256 of the canonical rows). Photo files are copied when the data directories
    differ and checked against their SHA-256 names. After a successful verification the
    target's audit log gets one ``migrate`` row.

    Parameters
    ----------
    source : Store
        GeoPackage or PostGIS.
    target : fossilgis.store.postgis.PostGISStore
        Opened with ``build=False``.
    force : bool
        Replace a target that already holds data (its audit log included).

    Returns
    -------
    list of TableReport, plus a final ``photo files`` report.

    Raises
    ------
    StoreError
        The target is not PostGIS, is not empty (without ``force``), or the verification
        finds a difference.
    """
    if target.backend != "postgis":
        raise StoreError(f"--to must be a postgresql:// store URL, got {target.describe()}")
    held = {k: v for k, v in table_counts(target).items() if v}
    if held and not force:
        listed = ", ".join(f"{k} {v}" for k, v in held.items())
        raise StoreError(
            f"the target {target.describe()} is not empty ({listed}); migrate into an empty "
            "schema (?schema=NEW) or pass --force to replace its contents"
        )
    dumps = {name: dump_table(source, name) for name in TABLE_NAMES}
    with target.db.tx() as conn:
        if held:
            conn.execute("ALTER TABLE audit DISABLE TRIGGER USER")
            conn.execute(f"TRUNCATE {', '.join(TABLE_NAMES)} RESTART IDENTITY")
            conn.execute("ALTER TABLE audit ENABLE TRIGGER USER")
        for table in TABLES:
            _load_rows(conn, table, dumps[table.name])
        _reset_sequences(conn)
    target.layers.cache.clear()
    reports = []
    for name in TABLE_NAMES:
        got = dump_table(target, name)
        reports.append(
            TableReport(name, len(dumps[name]), len(got), checksum(dumps[name]), checksum(got))
        )
    reports.append(_copy_photos(source, target, dumps["photos"]))
    reports.append(_copy_case_files(source, target, dumps["case_blobs"]))
    bad = [r.name for r in reports if not r.ok]
    if bad:
        raise StoreError(
            f"verification failed for {', '.join(bad)}: the target differs from the source; "
            "nothing in the source was changed. Re-run with --force after checking the target"
        )
    _copy_secret_key(source, target)
    target.append_audit(
        user,
        "migrate",
        "store",
        None,
        {"from": source.describe(), "tables": {r.name: r.target_rows for r in reports}},
    )
    return reports


def _copy_photos(source, target, photos: list[dict]) -> TableReport:
    """Copy photo files (and thumbnails) to the target's data directory and check them."""
    from fossilgis.patrols.photos import photo_relpath

    src, dst = Path(source.data_dir).resolve(), Path(target.data_dir).resolve()
    good, names = 0, []
    for row in photos:
        for thumbnail in (False, True):
            rel = photo_relpath(row["sha256"], row["mime"], thumbnail=thumbnail)
            if src != dst and (src / rel).exists() and not (dst / rel).exists():
                (dst / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src / rel, dst / rel)
        rel = photo_relpath(row["sha256"], row["mime"])
        path = dst / rel
        names.append(rel)
        if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"]:
            good += 1
    listing = checksum([{"file": n} for n in sorted(names)])
    return TableReport(
        "photo files",
        len(photos),
        good,
        listing,
        listing if good == len(photos) else "missing or damaged files",
    )


def _copy_case_files(source, target, blobs: list[dict]) -> TableReport:
    """Copy case files (named by SHA-256) to the target's data directory and check them."""
    from fossilgis.store.cases import blob_relpath

    src, dst = Path(source.data_dir).resolve(), Path(target.data_dir).resolve()
    good = 0
    names = sorted(blob_relpath(row["sha256"]) for row in blobs)
    for row in blobs:
        rel = blob_relpath(row["sha256"])
        if src != dst and (src / rel).exists() and not (dst / rel).exists():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / rel, dst / rel)
        path = dst / rel
        if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"]:
            good += 1
    listing = checksum([{"file": n} for n in names])
    damaged = listing if good == len(blobs) else "missing or damaged files"
    return TableReport("case files", len(blobs), good, listing, damaged)


def _copy_secret_key(source, target) -> None:
    from fossilgis.auth import SECRET_KEY_FILE

    src = Path(source.data_dir) / SECRET_KEY_FILE
    dst = Path(target.data_dir) / SECRET_KEY_FILE
    if src.exists() and not dst.exists():
        shutil.copy2(src, dst)
