"""Patrol files: the corpus GPX, CSV and GeoJSON import; GeoJSON, CSV, GPX and KML export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pyogrio
import pytest
from io_helpers import corpus_file
from patrol_fixtures import NOW, make_patrol

from fossilgis.errors import InputFileError, PatrolValidationError, UnsupportedFormatError
from fossilgis.patrols.export import export_patrols
from fossilgis.patrols.gpx import read_gpx
from fossilgis.patrols.importer import read_patrol_file
from fossilgis.patrols.submit import submit_patrol


@pytest.fixture
def gpx_in_guizhou(tmp_path) -> Path:
    """The corpus GPX (recorded in Boston) moved to Guanling, Guizhou, dates to 2024."""
    text = corpus_file("test_gpx.gpx").read_text(encoding="utf-8")
    text = re.sub(r'lat="42\.3', 'lat="25.8', text)
    text = re.sub(r'lon="-71\.1', 'lon="105.4', text).replace("2014-06-11", "2024-06-11")
    path = tmp_path / "guanling.gpx"
    path.write_text(text, encoding="utf-8")
    return path


def test_corpus_gpx_is_read():
    content = read_gpx(corpus_file("test_gpx.gpx"))
    assert content.track.geom_type == "MultiLineString" and len(content.track.geoms) == 1
    assert len(content.track.geoms[0].coords) == 19
    assert content.started_at.isoformat() == "2014-06-11T12:21:40+00:00"
    assert content.ended_at.isoformat() == "2014-06-11T12:24:04+00:00"
    assert content.waypoints == []


def test_corpus_gpx_import_is_refused_outside_guizhou(store):
    patrols, _ = read_patrol_file(corpus_file("test_gpx.gpx"))
    with pytest.raises(PatrolValidationError, match=r"The track has 19 point\(s\) outside Guizhou"):
        submit_patrol(store, patrols[0], user="alice")
    assert store.list_patrols().empty


def test_gpx_import_is_idempotent(store, gpx_in_guizhou):
    patrols, _ = read_patrol_file(gpx_in_guizhou, team=["张三"])
    first = submit_patrol(store, patrols[0], user="alice")
    assert first.created and first.record.target_id == "GZ-F03" and first.record.target_inferred
    assert first.record.started_at == dt.datetime(2024, 6, 11, 12, 21, 40, tzinfo=dt.timezone.utc)
    again, _ = read_patrol_file(gpx_in_guizhou, team=["张三"])
    assert not submit_patrol(store, again[0], user="alice").created
    assert len(store.list_patrols()) == 1


def test_not_a_gpx(tmp_path):
    fake = tmp_path / "track.gpx"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n....")
    with pytest.raises(InputFileError, match=r"track.gpx: not a GPX file"):
        read_patrol_file(fake)
    with pytest.raises(UnsupportedFormatError, match=r"track.kmz: .kmz is not a patrol file"):
        read_patrol_file(tmp_path / "track.kmz")


def test_csv_import_gbk_with_chinese_headers(tmp_path):
    rows = (
        "经度,纬度,时间,类别,严重程度,描述\n"
        "105.401,25.901,2025-05-08 10:00,非法采挖,high,新挖坑\n"
        "105.402,25.902,2025-05-08 11:30,完好,,\n"
    )
    path = tmp_path / "obs.csv"
    path.write_bytes(rows.encode("gbk"))
    (patrol,), notes = read_patrol_file(path, target_id="GZ-F03", team=["王五"])
    assert notes == ["read as gb18030"]
    assert [w.observation.category for w in patrol.waypoints] == ["illegal_excavation", "intact"]
    assert patrol.started_at.isoformat() == "2025-05-08T02:00:00+00:00"  # naive = CST
    assert patrol.target_id == "GZ-F03" and patrol.team == ["王五"]


def test_csv_errors_name_the_line(tmp_path):
    path = tmp_path / "obs.csv"
    path.write_text("lon,lat,time\n105.4,25.9,2025-05-08T10:00\nabc,25.9,2025-05-08T10:00\n")
    with pytest.raises(PatrolValidationError, match=r"obs.csv line 3: lon 'abc'"):
        read_patrol_file(path)
    path.write_text("x_coord,lat\n1,2\n")
    with pytest.raises(InputFileError, match=r"no column for lon, time; found columns x_co"):
        read_patrol_file(path)


@pytest.fixture
def two_patrols(store):
    a, b = make_patrol(2), make_patrol(0, site_id="GZ-F04", centre=(104.898, 25.089))
    a.waypoints[0].observation.description = '=HYPERLINK("http://x")'
    for p in (a, b):
        submit_patrol(store, p, user="alice", now=NOW)
    return store, a, b


def test_geojson_export_imports_again(two_patrols, tmp_path):
    store, a, b = two_patrols
    path, n = export_patrols(store, "geojson", tmp_path / "p.geojson")
    assert n == 2
    body = json.loads(path.read_text(encoding="utf-8"))
    assert {f["properties"]["feature_type"] for f in body["features"]} == {"patrol", "waypoint"}
    patrols, _ = read_patrol_file(path)
    assert sorted(p.uuid for p in patrols) == sorted([a.uuid, b.uuid])
    for p in patrols:  # same store: identical re-sends
        assert not submit_patrol(store, p, user="bob", now=NOW).created


def test_csv_export_is_excel_friendly(two_patrols, tmp_path):
    store, a, _ = two_patrols
    path, _ = export_patrols(store, "csv", tmp_path / "p.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    row = next(r for r in rows if r["uuid"] == a.uuid)
    assert row["team"] == "张三、李四" and row["target_name_zh"].startswith("关岭生物群")
    assert row["started_at_cst"] == "2025-05-08 20:00:00" and row["alert_count"] == "2"
    path, _ = export_patrols(store, "csv", tmp_path / "w.csv", waypoints=True)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 2 and rows[0]["category_zh"] == "非法采挖"
    assert {r["description"] for r in rows} >= {'\'=HYPERLINK("http://x")'}  # no formula


@pytest.mark.parametrize("fmt", ["gpx", "kml"])
def test_gpx_and_kml_export_read_by_gdal(two_patrols, tmp_path, fmt):
    store, a, b = two_patrols
    path, _ = export_patrols(store, fmt, tmp_path / f"p.{fmt}")
    if fmt == "gpx":
        tracks = pyogrio.read_dataframe(path, layer="tracks")
        points = pyogrio.read_dataframe(path, layer="waypoints")
        assert len(tracks) == 2 and len(points) == 2
        assert set(points["type"]) == {"illegal_excavation"}
        (again,), _ = read_patrol_file(path)  # and our own importer reads it
        assert len(again.track.geoms) == 4 and len(again.waypoints) == 2
    else:
        layers = pyogrio.list_layers(path)
        assert len(layers) == 2  # one folder per patrol
        first = pyogrio.read_dataframe(path, layer=layers[0][0])
        assert len(first) >= 1
