"""The PostGIS store beyond the shared store tests: selection, concurrent first start,
screening in the database with identical results, `store migrate` from a GeoPackage."""

from __future__ import annotations

import multiprocessing
import re

import geopandas as gpd
import geopandas.testing
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from conftest import schema_url
from patrol_fixtures import NEAR_F03, jpeg_with_gps, make_patrol

from fossilgis.auth import create_user, issue_token
from fossilgis.cli.main import cli
from fossilgis.errors import StoreError
from fossilgis.impact import ScreenOptions
from fossilgis.io.read import ReadResult
from fossilgis.screening import screen_results
from fossilgis.store import open_store
from fossilgis.store.gpkg_schema import SCHEMA_VERSION
from fossilgis.store.postgis import PostGISStore, split_url
from fossilgis.store.transfer import TABLE_NAMES, dump_table

pytestmark = pytest.mark.postgis


# -- selecting the store -----------------------------------------------------------------
def test_store_url_or_env_selects_postgis(pg_url, tmp_path, monkeypatch):
    url = schema_url(pg_url)
    assert open_store(tmp_path, store=url).backend == "postgis"
    monkeypatch.setenv("FOSSILGIS_STORE", url)
    opened = open_store(tmp_path)
    assert opened.backend == "postgis" and opened.data_dir == tmp_path
    assert "(schema t" in opened.describe()
    assert open_store(tmp_path, store="gpkg").backend == "gpkg"


def test_bad_store_urls_are_explained(tmp_path):
    with pytest.raises(
        StoreError,
        match=r"--store 'mysql://x' is not a store URL; expected "
        r"postgresql://",
    ):
        open_store(tmp_path, store="mysql://x")
    with pytest.raises(StoreError, match=r"schema 'Bad-Name' is not a plain lower-case SQL"):
        split_url("postgresql://u@h/db?schema=Bad-Name")
    assert split_url("postgresql://u@h/db?sslmode=disable&schema=abc") == (
        "postgresql://u@h/db?sslmode=disable",
        "abc",
    )


def test_unreachable_server_is_a_message(tmp_path):
    result = CliRunner().invoke(
        cli,
        [
            "--data",
            str(tmp_path),
            "--store",
            "postgresql://nobody:secret@127.0.0.1:9/none",
            "store",
            "info",
        ],
    )
    assert result.exit_code == 2
    assert "cannot connect to the PostGIS store postgresql://nobody:***@127.0.0.1:9/none" in (
        result.output
    )
    assert "secret" not in result.output and "Traceback" not in result.output


def _open_and_count(url: str, data_dir: str):
    store = open_store(data_dir, store=url)
    return store.schema_version, store.layer_info("sites")["count"]


def test_processes_starting_at_once_migrate_and_fill_once(pg_url, tmp_path):
    url = schema_url(pg_url)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(6) as pool:
        got = pool.starmap(_open_and_count, [(url, str(tmp_path))] * 6)
    assert got == [(SCHEMA_VERSION, 36)] * 6
    store = open_store(tmp_path, store=url)
    assert store.layer_info("sites")["version"] == 1 and store.layer_history("sites") == []


# -- screening: the database pairs, Python measures: the same result ----------------------
def _footprints(n=3000, seed=7):
    """Polygons, lines and points, a quarter of them within a few km of a site or section."""
    from fossilgis.layers import read_source_layer

    rng = np.random.default_rng(seed)
    targets = np.concatenate(
        [read_source_layer("sites").geometry.values, read_source_layer("sections").geometry.values]
    )
    cx, cy = rng.uniform(104.0, 109.0, n), rng.uniform(25.0, 28.8, n)
    near = rng.random(n) < 0.25
    c = shapely.centroid(targets[rng.integers(0, len(targets), near.sum())])
    cx[near] = shapely.get_x(c) + rng.normal(0, 0.02, near.sum())
    cy[near] = shapely.get_y(c) + rng.normal(0, 0.02, near.sum())
    geoms = []
    for i, (x, y) in enumerate(zip(cx, cy)):
        d = rng.uniform(0.0003, 0.003)
        if i % 3 == 0:
            geoms.append(shapely.box(x - d, y - d, x + d, y + d * 0.7))
        elif i % 3 == 1:
            geoms.append(shapely.LineString([(x - d, y), (x, y + d), (x + 2 * d, y + d)]))
        else:
            geoms.append(shapely.Point(x, y))
    gdf = gpd.GeoDataFrame({"parcel": np.arange(n).astype(str)}, geometry=geoms, crs=4490)
    return [ReadResult(gdf=gdf, source="mixed.gpkg", layer="mixed")]


@pytest.mark.parametrize(
    "options",
    [ScreenOptions(), ScreenOptions("mining", line_width_m=30, point_radius_m=150)],
    ids=["plain", "buffered"],
)
def test_screening_is_identical_on_both_stores_and_both_paths(pg_url, tmp_path, options):
    results = _footprints()
    gpkg = open_store(tmp_path / "gpkg")
    pg = open_store(tmp_path / "pg", store=schema_url(pg_url))
    reference = screen_results(results, gpkg, options=options)
    in_memory = screen_results(results, pg, options=options, pair_in_store=False)
    in_db = screen_results(results, pg, options=options, pair_in_store=True)
    assert len(reference.impacts) > 150
    assert {"core", "control", "attention"} <= set(reference.impacts["zone"])
    for other in (in_memory, in_db):
        gpd.testing.assert_geodataframe_equal(other.impacts, reference.impacts)
        assert other.projects == reference.projects
        assert other.layers == reference.layers


def test_database_pairs_are_a_superset_of_the_exact_ones(pg_url, tmp_path):
    pg = open_store(tmp_path, store=schema_url(pg_url))
    site = pg.read_layer("sites").geometry.iloc[0]
    # points due east of the site's east edge at 100 m … 3 km; the attention distance is
    # what the caller passes (here 1000 m)
    east = site.bounds[2]
    fps = np.array(
        [shapely.Point(east + m / 100_000, site.centroid.y) for m in (100, 500, 990, 1500, 3000)],
        dtype=object,
    )
    pos, kinds, ids = pg.candidate_pairs(fps, 1000.0)
    mine = sorted(p for p, k, i in zip(pos, kinds, ids) if i == pg.read_layer("sites")["id"][0])
    assert mine[:3] == [0, 1, 2] and 4 not in mine
    assert pg.candidate_pairs(np.array([None, shapely.Point()], dtype=object), 1000.0)[0].size == 0


# -- store migrate ------------------------------------------------------------------------
def _filled_gpkg(data_dir):
    store = open_store(data_dir)
    sites = store.read_layer("sites")
    store.replace_layer(
        "sites",
        sites.iloc[:30],
        source="office.shp",
        demonstration=False,
        user="admin",
        note="registry 2025",
    )
    create_user(store, "alice", "alice-password-1", "patroller", by="root")
    create_user(store, "bob", "bob-password-22", "viewer", by="root")
    store.set_user_disabled("bob", by="root")
    issue_token(store, "alice", "tablet", by="root")
    sha = store.put_photo(jpeg_with_gps(*NEAR_F03), "pit.jpg")
    from fossilgis.patrols.model import PhotoRef

    patrols = [make_patrol(3) for _ in range(4)]
    patrols[0].waypoints[1].photos = [PhotoRef(sha256=sha, name="pit.jpg")]
    for p in patrols:
        store.save_patrol(p, "alice")
    rec = store.get_patrol(patrols[1].uuid)
    store.update_patrol(rec.replace(notes="补充"), "alice", base_hash=rec.content_hash)
    store.delete_patrol(patrols[2].uuid, "admin")
    store.append_audit("root", "note", "system", None, {"why": "test", "n": 1.5})
    from case_fixtures import details, east_of, screen_geoms

    screening = screen_geoms(store, [east_of(store.read_layer("sites").geometry.iloc[2], 300)])
    number = store.cases.open(details(), user="admin", screening=screening,
                              files=[("red.geojson", b"{}", "application/geo+json")])  # fmt: skip
    store.cases.attach(number, "letter.pdf", b"%PDF-1.4\n", "application/pdf", user="admin")
    return store, patrols


def test_migrate_copies_everything_and_verifies(pg_url, tmp_path):
    source, patrols = _filled_gpkg(tmp_path / "gpkg")
    url = schema_url(pg_url)
    target_dir = tmp_path / "pgdata"

    def migrate():
        args = ["store", "migrate", "--from", str(source.data_dir), "--to", url]
        return CliRunner().invoke(cli, ["--data", str(target_dir), *args])

    result = migrate()
    assert result.exit_code == 0, result.output
    for name in TABLE_NAMES:
        assert re.search(rf"^{name} +\d+ +\d+ +[0-9a-f]{{64}}  ok$", result.output, re.M), name
    assert re.search(r"^audit +16 +16 ", result.output, re.M)  # 3 layer loads + 13
    assert re.search(r"^photo files +1 +1 ", result.output, re.M)
    assert re.search(r"^case files +2 +2 ", result.output, re.M)

    target = open_store(target_dir, store=url)
    for name in TABLE_NAMES:
        rows = dump_table(target, name)
        if name == "audit":
            assert rows[-1]["action"] == "migrate"
            rows = rows[:-1]
        assert rows == dump_table(source, name), name
    for p in patrols:
        assert target.get_patrol(p.uuid) == source.get_patrol(p.uuid)
    gpd.testing.assert_geodataframe_equal(
        target.list_patrols(include_deleted=True), source.list_patrols(include_deleted=True)
    )
    gpd.testing.assert_geodataframe_equal(target.read_layer("sites"), source.read_layer("sites"))
    assert target.layer_history("sites") == source.layer_history("sites")
    assert target.audit_rows(None)[1:] == source.audit_rows(None)
    assert target.list_users() == source.list_users()
    assert target.token_owner(dump_table(source, "api_tokens")[0]["token_sha256"]) == "alice"
    sha = dump_table(source, "photos")[0]["sha256"]
    assert target.photo_path(sha).read_bytes() == source.photo_path(sha).read_bytes()
    assert (target_dir / "secret_key").exists() or not (source.data_dir / "secret_key").exists()
    # new rows continue the copied ids
    target.append_audit("root", "after", "system")
    assert target.audit_rows(1)[0]["id"] == 18  # 16 copied, 1 migrate row, then this one
    (case,) = target.cases.list()[0]
    assert (
        target.cases.screening(case["number"]).to_dict()
        == source.cases.screening(case["number"]).to_dict()
    )
    for f in target.cases.files(case["number"]):
        assert (
            target.cases.blob_path(f["sha256"]).read_bytes()
            == source.cases.blob_path(f["sha256"]).read_bytes()
        )

    again = migrate()
    assert again.exit_code == 2
    assert "is not empty (sites 30, sections 19, layer_meta 2, layer_archive 1" in again.output
    assert "--force" in again.output
    forced = CliRunner().invoke(
        cli,
        [
            "--data",
            str(target_dir),
            "store",
            "migrate",
            "--from",
            str(source.data_dir),
            "--to",
            url,
            "--force",
        ],
    )
    assert forced.exit_code == 0, forced.output
    # 16 copied rows + the migrate row
    assert len(open_store(target_dir, store=url).audit_rows(None)) == 17


def test_store_info_on_both(pg_url, tmp_path):
    url = schema_url(pg_url)
    open_store(tmp_path, store=url)
    open_store(tmp_path)
    for args in (["--store", url], []):
        result = CliRunner().invoke(cli, ["--data", str(tmp_path), *args, "store", "info"])
        assert result.exit_code == 0, result.output
        assert re.search(r"^  sites +36$", result.output, re.M)
        assert f"schema version: {SCHEMA_VERSION}" in result.output
    assert (
        "backend: postgis"
        in CliRunner()
        .invoke(cli, ["--data", str(tmp_path), "--store", url, "store", "info"])
        .output
    )


def test_migrate_refuses_bad_arguments(tmp_path):
    result = CliRunner().invoke(
        cli,
        [
            "store",
            "migrate",
            "--from",
            str(tmp_path / "none"),
            "--to",
            "postgresql://x@127.0.0.1:9/db",
        ],
    )
    assert result.exit_code == 2 and "no such directory" in result.output
    result = CliRunner().invoke(
        cli, ["store", "migrate", "--from", str(tmp_path), "--to", "sqlite:///x"]
    )
    assert result.exit_code == 2 and "is not a postgresql:// URL" in result.output


def test_open_without_create_refuses_an_empty_schema(pg_url, tmp_path):
    with pytest.raises(StoreError, match="no fossilgis schema in PostGIS"):
        PostGISStore(schema_url(pg_url), tmp_path, create=False)


def test_a_dropped_store_frees_its_idle_connections_quietly(pg_url, tmp_path):
    """Idle pooled connections of a store dropped without close() (say, in a reference
    cycle the collector reaches later) are freed without psycopg's "deleted while still
    open" warning, which the test run would turn into an error somewhere else."""
    import gc
    import sys

    store = open_store(tmp_path, store=schema_url(pg_url))
    store.read_layer("sites")
    idle = store.db.dialect._idle
    assert idle, "the read returned its connection to the pool"
    conns = list(idle)
    idle.clear()
    cycle = [conns]
    cycle.append(cycle)
    del conns, cycle
    raised = []
    hook, sys.unraisablehook = sys.unraisablehook, raised.append
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert raised == []
