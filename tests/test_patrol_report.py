"""The quarterly patrol report: counts checked against the raw records (both stores), the
effort grid, the CLI (text, CSV, HTML, GeoPackage grid) and /patrols/report."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import sys
import types
import uuid

import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from conftest import store_url
from pyproj import Geod, Transformer
from webmap_fixtures import XSS_NAME, _app, add_users, signed_in

from fossilgis.cli.main import cli
from fossilgis.patrols.model import ALERT_CATEGORIES, Observation, Patrol, Waypoint

CST = dt.timezone(dt.timedelta(hours=8))
#: the reported quarter (in the past for any clock a test runs under)
QUARTER, FIRST, LAST = "2024Q3", dt.date(2024, 7, 1), dt.date(2024, 9, 30)
#: after the quarter: the "visited" window ends at the quarter's end
NOW = dt.datetime(2024, 11, 2, 12, tzinfo=dt.timezone.utc)
DAYS = 100
GRID_CRS = "EPSG:4545"
TO_GK = Transformer.from_crs("EPSG:4490", GRID_CRS, always_xy=True)
TO_LONLAT = Transformer.from_crs(GRID_CRS, "EPSG:4490", always_xy=True)
#: the 1 km cell holding GZ-F03's neighbourhood (105.40 E, 25.90 N)
CELL = tuple(int(v // 1000) for v in TO_GK.transform(105.40, 25.90))


def centre(col: int, row: int) -> tuple[float, float]:
    """The lon/lat of the centre of grid cell (col, row) offset from :data:`CELL`."""
    return TO_LONLAT.transform((CELL[0] + col) * 1000 + 500, (CELL[1] + row) * 1000 + 500)


def walk(lon: float, lat: float, n: int = 40, seed: int = 0) -> shapely.MultiLineString:
    rng = np.random.default_rng(seed)
    steps = rng.normal(0, 0.0004, (n, 2)).cumsum(axis=0)
    return shapely.MultiLineString([steps + (lon, lat)])


def patrol(target, start, hours, track, alerts=(), kind="site") -> Patrol:
    """A patrol of ``target`` starting at ``start`` (CST), with alert waypoints at the
    given CST times."""
    started = start.replace(tzinfo=CST)
    x, y = shapely.get_coordinates(track)[0] if track is not None else (106.5, 26.5)
    waypoints = [
        Waypoint(
            uuid=str(uuid.uuid4()),
            lon=float(x),
            lat=float(y),
            observed_at=when.replace(tzinfo=CST),
            observation=Observation(category, "high", "新挖坑"),
        )
        for when, category in alerts
    ]
    if track is None:  # a patrol without a track: its waypoints are its geometry
        waypoints.append(
            Waypoint(str(uuid.uuid4()), 106.5, 26.5, started, observation=Observation("intact"))
        )
    return Patrol(
        uuid=str(uuid.uuid4()),
        started_at=started,
        ended_at=started + dt.timedelta(hours=hours),
        team=["王丽"],
        target_kind=kind if target else None,
        target_id=target,
        track=track,
        waypoints=waypoints,
    )


def seed(store) -> dict:
    """Patrols around the edges of the quarter; returns the records and the closures."""
    d = dt.datetime
    line_x = shapely.MultiLineString(
        [[centre(0, 0), centre(2, 0)], [centre(2, 0), centre(2, 1)]]  # 2 km east, 1 km north
    )
    line_y = shapely.MultiLineString([[centre(0, 0), centre(0, 2)]])
    exc, enc, dmg = ALERT_CATEGORIES[1], ALERT_CATEGORIES[2], ALERT_CATEGORIES[0]
    records = [
        # 00:30 Beijing on 1 July is still 30 June in UTC: in the quarter
        patrol("GZ-F03", d(2024, 7, 1, 0, 30), 3, line_x),
        # over midnight: two patrol-days, 1 July counted once for GZ-F03
        patrol("GZ-F03", d(2024, 7, 1, 20, 0), 6, line_y),
        patrol("GZ-F01", d(2024, 8, 15, 10, 0), 3, walk(108.41, 26.08, seed=1),
               alerts=[(d(2024, 8, 15, 10, 30), exc), (d(2024, 8, 15, 11, 0), enc)]),
        # starts on the last evening, ends after the quarter: one patrol-day
        patrol("GZ-S01", d(2024, 9, 30, 23, 0), 2, walk(108.41, 26.07, seed=2), kind="section"),
        # starts 30 June 23:30 Beijing: not in the quarter (but ends in the window)
        patrol("GZ-F02", d(2024, 6, 30, 23, 30), 1.5, walk(107.0, 26.0, seed=3)),
        # 00:10 Beijing on 1 October is 30 September in UTC: not in the quarter
        patrol("GZ-F03", d(2024, 10, 1, 0, 10), 2, walk(105.4, 25.9, seed=4)),
        # an earlier alert on GZ-F01, closed in the quarter
        patrol("GZ-F01", d(2024, 6, 10, 9, 0), 2, walk(108.41, 26.08, seed=5),
               alerts=[(d(2024, 6, 10, 9, 30), dmg)]),
        # no site or section; its alert is closed after the quarter
        patrol(None, d(2024, 8, 1, 8, 0), 4, walk(106.7, 26.5, seed=6),
               alerts=[(d(2024, 8, 1, 9, 0), exc)]),
        # waypoints only: a patrol with no distance
        patrol("GZ-F04", d(2024, 9, 2, 9, 0), 1, None),
        # deleted: counts nowhere
        patrol("GZ-F03", d(2024, 8, 20, 9, 0), 2, walk(105.4, 25.9, seed=7),
               alerts=[(d(2024, 8, 20, 9, 30), exc)]),
    ]  # fmt: skip
    for record in records:
        store.save_patrol(record, "tests")
    alert_ids = [w.uuid for r in records for w in r.waypoints if w.observation.category != "intact"]
    closed = {
        alert_ids[0]: d(2024, 8, 16, 16, 30, tzinfo=CST),  # 30 h after its report
        alert_ids[2]: d(2024, 7, 5, 9, 30, tzinfo=CST),  # reported in June
        alert_ids[3]: d(2024, 10, 3, 9, 0, tzinfo=CST),  # closed after the quarter
        alert_ids[4]: d(2024, 8, 21, 9, 30, tzinfo=CST),  # of the deleted patrol
    }
    store.delete_patrol(records[-1].uuid, "tests")
    return {"records": records, "deleted": {records[-1].uuid}, "closed": closed}


# -- the expected report, computed from the raw records with plain loops -------------------
def expected(store, seeded) -> dict:
    start = dt.datetime.combine(FIRST, dt.time(), CST)
    end = dt.datetime.combine(LAST + dt.timedelta(days=1), dt.time(), CST)
    as_of = min(NOW, end - dt.timedelta(microseconds=1))
    geod = Geod(ellps="GRS80")
    county = {}
    for layer in ("sites", "sections"):
        for rec in store.read_layer(layer).to_dict("records"):
            county[rec["id"]] = rec["county_zh"]
    out = {"targets": {}, "counties": {}, "months": {}, "alerts": []}

    def row(table, key):
        return table.setdefault(
            key, {"patrols": 0, "days": set(), "distance": 0.0, "opened": 0, "closed": 0, "h": []}
        )

    for p in seeded["records"]:
        if p.uuid in seeded["deleted"]:
            continue
        tid = p.target_id or ""
        if start <= p.started_at < end:
            length = 0.0 if p.track is None else geod.geometry_length(p.track)
            day = p.started_at.astimezone(CST).date()
            last_day = min(p.ended_at.astimezone(CST).date(), LAST)
            month = f"{day:%Y-%m}"
            for table, key in ((out["targets"], tid), (out["months"], month)):
                r = row(table, key)
                r["patrols"] += 1
                r["distance"] += length
            while day <= last_day:
                row(out["targets"], tid)["days"].add(day)
                row(out["months"], f"{day:%Y-%m}")["days"].add((tid, day))
                day += dt.timedelta(days=1)
        for w in p.waypoints:
            if w.observation.category not in ALERT_CATEGORIES:
                continue
            closed_at = seeded["closed"].get(w.uuid)
            opened = start <= w.observed_at < end
            closed = closed_at is not None and start <= closed_at < end
            hours = (closed_at - w.observed_at).total_seconds() / 3600 if closed else None
            out["alerts"].append((tid, opened, closed, hours))
            for table, key in ((out["targets"], tid), (out["months"], None)):
                r = row(table, key)
                r["opened"] += opened
                r["closed"] += closed
                if hours is not None:
                    r["h"].append(hours)
    visited = set()
    for p in seeded["records"]:
        if p.uuid not in seeded["deleted"] and p.target_id:
            if as_of - dt.timedelta(days=DAYS) <= p.ended_at <= as_of:
                visited.add(p.target_id)
    out["visited"] = visited
    for tid, r in out["targets"].items():
        c = row(out["counties"], county.get(tid, "未关联保护对象"))
        for key in ("patrols", "distance", "opened", "closed"):
            c[key] += r[key]
        c["days"] |= {(tid, day) for day in r["days"]}
        c["h"] += r["h"]
    out["county_of"] = county
    return out


LIFECYCLE = "fossilgis.patrols.alert_lifecycle"


def lifecycle_closing(monkeypatch, closed: dict) -> None:
    """Stand in for the alert log: ``fossilgis.patrols.alert_lifecycle.closed_times(store)``
    (through which the report reads closures) answers ``closed``."""
    series = pd.Series({k: pd.Timestamp(v).tz_convert("UTC") for k, v in closed.items()})
    try:
        module = importlib.import_module(LIFECYCLE)
    except ModuleNotFoundError:  # before the alert log exists: a module of its own
        module = types.ModuleType(LIFECYCLE)
        monkeypatch.setitem(sys.modules, LIFECYCLE, module)
    monkeypatch.setattr(module, "closed_times", lambda store: series, raising=False)


@pytest.fixture
def seeded_store(store, monkeypatch):
    seeded = seed(store)
    lifecycle_closing(monkeypatch, seeded["closed"])
    return store, seeded


def test_report_counts_match_the_raw_records(seeded_store):
    from fossilgis.patrols.report_data import load_report
    from fossilgis.patrols.report_period import parse_quarter

    store, seeded = seeded_store
    want = expected(store, seeded)
    report = load_report(store, parse_quarter(QUARTER), days=DAYS, now=NOW, cell_m=1000)

    targets = report.targets.set_index("id")
    assert len(targets) == len(want["county_of"]) + 1  # every target, and the unattributed row
    for tid, r in want["targets"].items():
        got = targets.loc[tid]
        assert got["patrols"] == r["patrols"], tid
        assert got["patrol_days"] == len(r["days"]), tid
        assert got["distance_m"] == pytest.approx(r["distance"], rel=1e-9, abs=1e-6), tid
        assert (got["alerts_opened"], got["alerts_closed"]) == (r["opened"], r["closed"]), tid
        if r["h"]:
            assert got["median_close_h"] == pytest.approx(float(np.median(r["h"])))
    assert targets.loc["GZ-F03", "patrol_days"] == 2  # 1 and 2 July
    assert targets.loc["GZ-S01", "patrol_days"] == 1  # 30 September only
    # GZ-F01: closed after 30 h (reported in August) and 600 h (reported in June)
    assert targets.loc["GZ-F01", "median_close_h"] == pytest.approx(315.0)
    assert targets.loc["GZ-F04", "distance_m"] == 0.0 and targets.loc["GZ-F04", "patrols"] == 1
    quiet = [t for t in want["county_of"] if t not in want["targets"]]
    assert (targets.loc[quiet, ["patrols", "patrol_days", "alerts_opened"]] == 0).all().all()
    layer = targets.loc[list(want["county_of"])]
    assert set(layer.index[layer["visited"].astype(bool)]) == want["visited"]
    assert targets.loc["", "county_zh"] == "未关联保护对象" and pd.isna(targets.loc["", "visited"])

    counties = report.counties.set_index("county_zh")
    for name, r in want["counties"].items():
        got = counties.loc[name]
        assert (got["patrols"], got["patrol_days"]) == (r["patrols"], len(r["days"])), name
        assert got["distance_m"] == pytest.approx(r["distance"], rel=1e-9, abs=1e-6)
        assert (got["alerts_opened"], got["alerts_closed"]) == (r["opened"], r["closed"])
        if r["h"]:
            assert got["mean_close_h"] == pytest.approx(float(np.mean(r["h"])))
    for name, n in pd.Series(want["county_of"]).value_counts().items():
        assert counties.loc[name, "targets"] == n
        ids = [t for t, c in want["county_of"].items() if c == name]
        assert counties.loc[name, "visited"] == len(set(ids) & want["visited"])
        assert counties.loc[name, "not_visited"] == n - len(set(ids) & want["visited"])

    months = report.months.set_index("month")
    assert list(months.index) == ["2024-07", "2024-08", "2024-09"]
    for month, r in want["months"].items():
        if month is None:
            continue
        assert months.loc[month, "patrols"] == r["patrols"]
        assert months.loc[month, "patrol_days"] == len(r["days"])
        assert months.loc[month, "distance_m"] == pytest.approx(r["distance"], rel=1e-9)

    s = report.summary
    alerts = want["alerts"]
    hours = [h for *_, h in alerts if h is not None]
    assert s["patrols"] == sum(r["patrols"] for r in want["targets"].values()) == 6
    assert s["patrol_days"] == sum(len(r["days"]) for r in want["targets"].values())
    assert s["distance_m"] == pytest.approx(sum(r["distance"] for r in want["targets"].values()))
    assert (s["alerts_opened"], s["alerts_closed"]) == (
        sum(a[1] for a in alerts),
        sum(a[2] for a in alerts),
    )
    assert (s["alerts_opened"], s["alerts_closed"]) == (3, 2)
    assert s["median_close_h"] == pytest.approx(float(np.median(hours)))
    assert s["visited"] == len(want["visited"]) and s["targets"] == len(want["county_of"])
    assert report.notes == {"county": ["layer"], "closure": "alert_lifecycle"}
    # the grid shares each patrol's geodesic length among its cells
    assert report.grid["length_m"].sum() == pytest.approx(s["distance_m"], rel=1e-9)
    assert report.grid.crs == GRID_CRS and report.grid_meta["cell_m"] == 1000


def test_geodesic_lengths_agree_with_pyproj():
    from fossilgis.patrols.report import track_lengths_m

    geod = Geod(ellps="GRS80")
    tracks = [walk(104 + i * 0.5, 25 + i * 0.3, n=200, seed=i) for i in range(10)]
    tracks += [shapely.LineString([(105, 26), (108, 28)]), None, shapely.Point(105, 26)]
    tracks.append(shapely.MultiLineString([[(105, 26), (105.001, 26)], [(107, 27), (107, 27.01)]]))
    want = [0.0 if t is None or t.geom_type == "Point" else geod.geometry_length(t) for t in tracks]
    assert track_lengths_m(tracks) == pytest.approx(want, rel=1e-9, abs=1e-6)


def test_effort_grid_counts_the_cells_a_track_crosses():
    from fossilgis.patrols.effort import effort_grid

    tracks = [
        shapely.LineString([centre(0, 0), centre(3, 0)]),
        shapely.LineString([centre(1, -1), centre(1, 1)]),
        shapely.MultiPoint([centre(5, 5)]),
    ]
    grid = effort_grid(tracks).set_index(["col", "row"])
    cells = {(CELL[0] + c, CELL[1] + r): n for (c, r), n in {
        (0, 0): 1, (1, 0): 2, (2, 0): 1, (3, 0): 1, (1, -1): 1, (1, 1): 1, (5, 5): 1,
    }.items()}  # fmt: skip
    assert grid["patrols"].to_dict() == cells
    geod = Geod(ellps="GRS80")
    # 1 km of each track's geodesic length; a piece across a cell edge counts on one side
    middle = geod.geometry_length(tracks[0]) / 3 + geod.geometry_length(tracks[1]) / 2
    assert grid.loc[(CELL[0] + 1, CELL[1]), "length_m"] == pytest.approx(middle, abs=250)
    assert grid["length_m"].sum() == pytest.approx(
        geod.geometry_length(tracks[0]) + geod.geometry_length(tracks[1]), rel=1e-9
    )
    assert grid.loc[(CELL[0] + 5, CELL[1] + 5), "length_m"] == 0.0
    x, y = CELL[0] * 1000, CELL[1] * 1000
    assert grid.geometry.loc[CELL].equals(shapely.box(x, y, x + 1000, y + 1000))


def test_periods_and_their_errors():
    from fossilgis.patrols.report_period import (
        ReportPeriodError,
        check_days,
        current_quarter,
        dates_period,
        parse_quarter,
    )

    q = parse_quarter("2026q4")
    assert (q.first, q.last, q.label) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026Q4")
    assert q.start == pd.Timestamp("2026-09-30T16:00Z") and q.end == pd.Timestamp(
        "2026-12-31T16:00Z"
    )
    assert parse_quarter("2024-Q1").months() == ["2024-01", "2024-02", "2024-03"]
    now = dt.datetime(2026, 3, 31, 17, tzinfo=dt.timezone.utc)  # 1 April in Beijing
    assert current_quarter(now).label == "2026Q2"
    with pytest.raises(ReportPeriodError, match=r"--quarter: '2026Q5' is not a quarter.*2026Q3"):
        parse_quarter("2026Q5")
    with pytest.raises(ReportPeriodError, match=r"--to: 2026-06-30 is before --from 2026-07-01"):
        dates_period("2026-07-01", "2026-06-30")
    with pytest.raises(ReportPeriodError, match=r"from: '7/1/2026' is not a date; .*YYYY-MM-DD"):
        dates_period("7/1/2026", "2026-07-02", ("from", "to"))
    with pytest.raises(ReportPeriodError, match=r"days: '0'; expected a whole number"):
        check_days("0", "days")


def test_county_from_the_counties_layer_when_the_layer_has_none():
    import geopandas as gpd

    from fossilgis.patrols.report_data import report_targets

    sites = gpd.GeoDataFrame(
        {"id": ["A", "B", "C"], "name_zh": ["甲", "乙", "丙"], "name_en": ["a", "b", "c"],
         "county_zh": ["本县", None, None], "county_en": ["Home", None, None]},
        geometry=[shapely.Point(106.1, 26.1), shapely.Point(106.2, 26.2), shapely.Point(109, 29)],
        crs="EPSG:4490",
    )  # fmt: skip
    counties = gpd.GeoDataFrame(
        {"name_zh": ["西县"], "name_en": ["West"]},
        geometry=[shapely.box(106, 26, 106.5, 26.5)],
        crs="EPSG:4490",
    )
    out = report_targets(sites, None, counties).set_index("id")
    assert out.loc["A", ["county_zh", "county_source"]].tolist() == ["本县", "layer"]
    assert out.loc["B", ["county_zh", "county_en", "county_source"]].tolist() == [
        "西县", "West", "counties"
    ]  # fmt: skip
    assert out.loc["C", ["county_zh", "county_source"]].tolist() == ["县名未知", "none"]


def test_without_the_alert_log_nothing_is_closed(monkeypatch, seeded_store):
    from fossilgis.patrols.report_data import closed_times, load_report
    from fossilgis.patrols.report_period import parse_quarter

    store, _ = seeded_store
    monkeypatch.delattr(importlib.import_module(LIFECYCLE), "closed_times")  # no function
    assert closed_times(store) is None
    report = load_report(store, parse_quarter(QUARTER), days=DAYS, now=NOW, cell_m=0)
    assert report.notes["closure"] == "none"
    assert (report.summary["alerts_opened"], report.summary["alerts_closed"]) == (3, 0)
    assert np.isnan(report.summary["median_close_h"])
    monkeypatch.setitem(sys.modules, LIFECYCLE, None)  # no module at all
    assert closed_times(store) is None


def test_the_real_alert_log_is_read(store):
    """The alert lifecycle's own ``closed_times(store)``: no closing recorded, none closed."""
    from fossilgis.patrols.report_data import load_report
    from fossilgis.patrols.report_period import parse_quarter

    seed(store)
    report = load_report(store, parse_quarter(QUARTER), days=DAYS, now=NOW, cell_m=0)
    assert report.notes["closure"] == "alert_lifecycle"
    assert (report.summary["alerts_opened"], report.summary["alerts_closed"]) == (3, 0)


def test_alert_flow_without_closures():
    from fossilgis.patrols.report import alert_flow
    from fossilgis.patrols.report_period import parse_quarter

    alerts = pd.DataFrame(
        {
            "waypoint_uuid": ["a", "b"],
            "report_time": pd.to_datetime(["2024-07-01T00:00Z", "2024-06-01T00:00Z"], utc=True),
            "closed_at": pd.Series([pd.NaT, pd.NaT], dtype="datetime64[ns, UTC]"),
        }
    )
    flow = alert_flow(alerts, parse_quarter(QUARTER))
    assert flow["opened"].tolist() == [True, False] and not flow["closed"].any()
    assert flow["close_h"].isna().all() and flow["id"].tolist() == ["", ""]


# -- the command ---------------------------------------------------------------------------
@pytest.fixture
def run(seeded_store):
    store, _ = seeded_store
    where = ["--data", str(store.data_dir)] + (
        ["--store", store_url(store)] if store_url(store) else []
    )

    def invoke(*args):
        return CliRunner().invoke(cli, [*where, "patrol", "report", *args])

    return invoke


def _section(rows: list[list[str]], title: str) -> list[dict]:
    """The rows under the CSV section titled ``title`` as dicts by heading."""
    at = next(i for i, r in enumerate(rows) if r == [title])
    heads, out = rows[at + 1], []
    for r in rows[at + 2 :]:
        if not r:
            break
        out.append(dict(zip(heads, r)))
    return out


def test_cli_writes_csv_html_and_the_grid(run, seeded_store, tmp_path):
    import pyogrio

    store, seeded = seeded_store
    want = expected(store, seeded)
    out, grid = tmp_path / "q3.csv", tmp_path / "effort.gpkg"
    r = run("--quarter", QUARTER, "--days", str(DAYS), "--format", "csv", "-o", str(out),
            "--grid", str(grid))  # fmt: skip
    assert r.exit_code == 0, r.output
    assert f"Wrote the {QUARTER} report (csv) to {out}" in r.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [f"巡护报告 Patrol report {QUARTER}"]
    counties = {r["县（市、区） County"]: r for r in _section(rows, "按县统计 By county")}
    guanling = counties["关岭县 Guanling"]
    assert guanling["巡护次数 Patrols"] == str(want["counties"]["关岭县"]["patrols"]) == "2"
    assert float(guanling["巡护里程（千米） Distance (km)"]) == pytest.approx(
        want["counties"]["关岭县"]["distance"] / 1000, abs=5e-4
    )
    targets = {r["编号 ID"]: r for r in _section(rows, "按保护对象统计 By site or section")}
    assert targets["GZ-F01"]["关闭用时中位数（小时） Median time to close (h)"] == "315.0"
    assert targets["GZ-S01"][f"近 {DAYS} 天已巡护 Visited in last {DAYS} days"] == "否 no"
    months = _section(rows, "按月统计 By month")
    assert [m["月份 Month"] for m in months] == ["2024-07", "2024-08", "2024-09"]

    cells = pyogrio.read_dataframe(grid, layer="patrol_effort")
    assert cells.crs == GRID_CRS and list(cells.columns[:4]) == [
        "col",
        "row",
        "patrols",
        "length_m",
    ]
    total = sum(r["distance"] for r in want["targets"].values())
    assert cells["length_m"].sum() == pytest.approx(total, rel=1e-9)

    html_path = tmp_path / "q3.html"
    r = run("--quarter", QUARTER, "--days", str(DAYS), "--format", "html", "-o", str(html_path))
    assert r.exit_code == 0, r.output
    page = html_path.read_text(encoding="utf-8")
    assert (
        page.count("<svg") == 3
        and "<script" not in page
        and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    assert "各县巡护次数 Patrols per county" in page and "按县统计 By county" in page
    assert "北京时间 Beijing time" in page


def test_cli_text_and_its_errors(run, seeded_store):
    store, _ = seeded_store
    r = run("--from", "2024-07-01", "--to", "2024-09-30", "--days", str(DAYS), "--lang", "zh")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("巡护报告 2024-07-01–2024-09-30")
    assert "关岭县" in r.output and "GZ-F03" in r.output and "Patrols" not in r.output
    bad = run("--quarter", "2024Q5")
    assert bad.exit_code == 2 and "--quarter: '2024Q5' is not a quarter" in bad.output
    both = run("--quarter", QUARTER, "--from", "2024-07-01")
    assert both.exit_code == 2 and "give --quarter or --from/--to, not both" in both.output
    half = run("--from", "2024-07-01")
    assert half.exit_code == 2 and "--to is missing" in half.output
    back = run("--from", "2024-09-01", "--to", "2024-07-01")
    assert back.exit_code == 2 and "--to: 2024-07-01 is before --from 2024-09-01" in back.output
    cell = run("--quarter", QUARTER, "--cell", "5")
    assert cell.exit_code == 2 and "--cell" in cell.output
    if store.backend == "gpkg":
        over = run("--quarter", QUARTER, "-o", str(store.path))
        assert over.exit_code == 2 and "Traceback" not in over.output
    for result in (bad, both, half, back, cell):
        assert "Traceback" not in result.output


# -- the page ------------------------------------------------------------------------------
def _prepare(store) -> None:
    add_users(store)
    sites = store.read_layer("sites")
    sites.loc[sites["id"] == "GZ-F03", "county_zh"] = XSS_NAME  # markup in a county name
    store.replace_layer("sites", sites, source="test: report", demonstration=True)
    seed(store)


@pytest.fixture(scope="module")
def web_data(template_copy):
    """A GeoPackage data directory with the accounts and the seeded patrols (the app is
    given DATA_DIR only)."""
    return template_copy("patrol-report", _prepare)


@pytest.fixture
def web(web_data):
    return _app(web_data)


def test_page_is_for_staff_and_shows_the_report(web):
    visitor = web.test_client()
    r = visitor.get(f"/patrols/report?quarter={QUARTER}")
    assert r.status_code == 303 and "/login" in r.headers["Location"]
    assert visitor.get(f"/patrols/report?quarter={QUARTER}&format=csv").status_code == 303

    staff = signed_in(web, "viewer1")
    page = staff.get(f"/patrols/report?quarter={QUARTER}&days={DAYS}&lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="report-counties"' in html and 'id="report-targets"' in html
    assert html.count("<svg") == 3 and "Patrols per county" in html
    assert "closure times in the alert log" in html
    zh = staff.get(f"/patrols/report?quarter={QUARTER}&lang=zh").get_data(as_text=True)
    assert "各县巡护次数" in zh and "按县统计" in zh
    # the county name is markup: escaped in the tables and in the chart
    assert XSS_NAME not in zh and zh.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3

    csv_resp = staff.get(f"/patrols/report?quarter={QUARTER}&format=csv")
    assert csv_resp.status_code == 200 and csv_resp.data.startswith(b"\xef\xbb\xbf")
    assert csv_resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        'filename="patrol-report-20240701-20240930.csv"' in csv_resp.headers["Content-Disposition"]
    )
    printable = staff.get(f"/patrols/report?quarter={QUARTER}&format=print")
    text = printable.get_data(as_text=True)
    assert printable.status_code == 200 and "按县统计 By county" in text
    assert XSS_NAME not in text and "<script" not in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("quarter=2024Q7", "quarter: &#39;2024Q7&#39; is not a quarter"),
        ("quarter=2024Q3&from=2024-07-01", "give a quarter or two dates, not both"),
        ("from=2024-09-01&to=2024-07-01", "to: 2024-07-01 is before from 2024-09-01"),
        ("days=-3", "days: &#39;-3&#39;; expected a whole number of days"),
        ("cell=abc", "cell: &#39;abc&#39;; expected the cell size in metres"),
        ("format=xlsx", "format: &#39;xlsx&#39;; expected csv or print"),
    ],
)
def test_page_refuses_bad_queries_with_a_message(web, query, message):
    staff = signed_in(web, "viewer1")
    r = staff.get(f"/patrols/report?{query}")
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)


def test_a_store_without_patrols_gives_a_report_of_zeros(tmp_path):
    """Every target listed as not visited, no error (found running the README's command on
    a new store)."""
    data = tmp_path / "data"
    r = CliRunner().invoke(
        cli, ["--data", str(data), "patrol", "report", "--quarter", "2026Q3", "--format", "csv"]
    )
    assert r.exit_code == 0, r.output
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(r.output.lstrip("\ufeff"))) if row}
    assert rows["巡护次数 Patrols"] == ["0"] and rows["新增预警 Alerts opened"] == ["0"]
    assert (
        rows["近 90 天未巡护 Not visited in last 90 days"] == rows["保护对象数 Sites and sections"]
    )
