"""What a patrol report reads from the store: the period's patrols in chunks, the targets with
their county, the alerts with their closure, each target's last patrol.

The patrols are read with one SQL statement on the store's own tables (the ones starting in
the period, not deleted), a chunk at a time: each chunk's track lengths and effort cells are
computed and its geometries dropped, so memory does not grow with the patrols. Everything
else is the store's public API (``read_layer``, ``list_waypoints``,
``patrols.maps.last_by_target``) and :mod:`fossilgis.context`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from fossilgis.patrols.report import COUNTY_UNKNOWN, PatrolReport, build_report, track_lengths_m
from fossilgis.patrols.report_period import Period

PATROL_COLUMNS = ["uuid", "target_kind", "target_id", "started_at", "ended_at", "length_m"]


def report_targets(sites, sections, counties=None) -> pd.DataFrame:
    """Sites and sections with their county: ``kind``, ``id``, ``name_zh``, ``name_en``,
    ``county_zh``, ``county_en``, ``county_source`` (``layer``, ``counties`` or ``none``).

    A target's county is its layer's ``county_zh``/``county_en`` when given; else the
    polygon of ``counties`` (``name_zh``, ``name_en``; EPSG:4490) holding a point on the
    target; else :data:`~fossilgis.patrols.report.COUNTY_UNKNOWN`.
    """
    import geopandas as gpd

    parts = []
    for kind, layer in (("site", sites), ("section", sections)):
        if layer is None or len(layer) == 0:
            continue
        part = gpd.GeoDataFrame(
            {
                "kind": kind,
                "id": layer["id"].astype(str).to_numpy(),
                "name_zh": _text(layer, "name_zh"),
                "name_en": _text(layer, "name_en"),
                "county_zh": _text(layer, "county_zh"),
                "county_en": _text(layer, "county_en"),
            },
            geometry=layer.geometry.to_numpy(),
            crs=layer.crs,
        )
        parts.append(part)
    if not parts:
        return pd.DataFrame(
            columns=["kind", "id", "name_zh", "name_en", "county_zh", "county_en", "county_source"]
        )
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    named = (out["county_zh"] != "") | (out["county_en"] != "")
    out["county_source"] = np.where(named, "layer", "none")
    if counties is not None and len(counties) and not named.all():
        out = _county_lookup(out, ~named, counties)
    none = out["county_source"] == "none"
    out.loc[none, "county_zh"] = COUNTY_UNKNOWN.zh
    out.loc[none, "county_en"] = COUNTY_UNKNOWN.en
    # one language given, the other empty: show the one there is
    out["county_zh"] = out["county_zh"].where(out["county_zh"] != "", out["county_en"])
    out["county_en"] = out["county_en"].where(out["county_en"] != "", out["county_zh"])
    return pd.DataFrame(out.drop(columns="geometry"))


def _text(layer, col: str) -> np.ndarray:
    if col not in layer:
        return np.full(len(layer), "", dtype=object)
    return layer[col].fillna("").astype(str).str.strip().to_numpy()


def _county_lookup(out, missing, counties):
    """``out`` with the county of each ``missing`` row from the polygon holding it."""
    import geopandas as gpd

    counties = counties.to_crs(out.crs or "EPSG:4490")
    points = gpd.GeoDataFrame(geometry=out.loc[missing].representative_point(), crs=counties.crs)
    joined = points.sjoin(counties[["name_zh", "name_en", "geometry"]], predicate="within")
    joined = joined[~joined.index.duplicated()]
    for col in ("name_zh", "name_en"):
        values = joined[col].fillna("").astype(str)
        out.loc[joined.index, "county_" + col[5:]] = values
    out.loc[joined.index, "county_source"] = "counties"
    return out


def counties_layer(data_dir):
    """The counties context layer (the office's own file) or None when there is none."""
    from fossilgis.context import available_context_layers, read_context

    if "counties" not in available_context_layers(data_dir):
        return None
    return read_context("counties", data_dir)


def closed_times(store):
    """Per alert waypoint, when it was closed (a Series waypoint_uuid → closed_at) from
    :mod:`fossilgis.patrols.alert_lifecycle` when it is there; else None."""
    import importlib

    name = "fossilgis.patrols.alert_lifecycle"
    try:
        alert_lifecycle = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:  # the module is there but needs something missing: a bug
            raise
        return None
    reader = getattr(alert_lifecycle, "closed_times", None)
    return None if reader is None else reader(store)


def alerts_with_closure(store, now: dt.datetime) -> tuple[pd.DataFrame, str]:
    """The alert table (:func:`fossilgis.patrols.alerts.alerts`) with ``closed_at`` (NaT
    while open or unrecorded), and where closures came from: ``alert_lifecycle`` or
    ``none``."""
    from fossilgis.patrols.alerts import alerts
    from fossilgis.patrols.model import ALERT_CATEGORIES

    table = alerts(store.list_waypoints(categories=list(ALERT_CATEGORIES)), now)
    closed = closed_times(store)
    if closed is None:
        table["closed_at"] = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns, UTC]")
        return table, "none"
    when = {k: pd.Timestamp(v) for k, v in pd.Series(closed, dtype=object).items() if pd.notna(v)}
    found = pd.to_datetime([when.get(u, pd.NaT) for u in table["waypoint_uuid"]], utc=True)
    table["closed_at"] = pd.Series(found, index=table.index, dtype="datetime64[ns, UTC]")
    return table, "alert_lifecycle"


def period_patrols(store, period: Period, grid=None) -> pd.DataFrame:
    """The patrols starting in ``period`` (not deleted): :data:`PATROL_COLUMNS`, times
    aware (UTC), ``length_m`` geodesic; each chunk's geometries are also added to ``grid``
    (an :class:`~fossilgis.patrols.effort.EffortGrid`) when given."""
    from fossilgis.store.patrol_maps import chunks

    d = store.db.dialect
    if d.name == "postgis":
        bounds = [period.start.to_pydatetime(), period.end.to_pydatetime()]
    else:  # text times: the 19-character prefix orders "…SSZ" and "…SS.mmmZ" alike
        bounds = [t.strftime("%Y-%m-%dT%H:%M:%S") for t in (period.start, period.end)]
    sql = (
        f"SELECT uuid, target_kind, target_id, started_at, ended_at, {d.geom_col('geom')} "
        "FROM patrols WHERE deleted_at IS NULL AND started_at >= ? AND started_at < ?"
    )
    frames = []
    for rows in chunks(store.db, sql, bounds):
        geoms = np.asarray(d.decode_geoms([r[5] for r in rows]), dtype=object)
        lengths = track_lengths_m(geoms)
        if grid is not None:
            grid.add(geoms, lengths)
        frames.append(
            pd.DataFrame(
                {
                    "uuid": [r[0] for r in rows],
                    "target_kind": [r[1] for r in rows],
                    "target_id": [r[2] for r in rows],
                    "started_at": _times([r[3] for r in rows], d),
                    "ended_at": _times([r[4] for r in rows], d),
                    "length_m": lengths,
                }
            )
        )
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PATROL_COLUMNS}).astype(
            {
                "started_at": "datetime64[ns, UTC]",
                "ended_at": "datetime64[ns, UTC]",
                "length_m": float,
            }  # fmt: skip
        )
    return pd.concat(frames, ignore_index=True)


def _times(values, d):
    """Stored times (GeoPackage ISO text, PostGIS datetimes) as aware UTC timestamps."""
    if d.name == "postgis":
        return pd.to_datetime(values, utc=True)
    return pd.to_datetime(values, utc=True, format="ISO8601")


def load_report(
    store,
    period: Period,
    *,
    days: int,
    now: dt.datetime | None = None,
    cell_m: float | None = None,
    grid_crs: str | None = None,
) -> PatrolReport:
    """The report of ``period`` from ``store``, with its effort grid unless ``cell_m`` is 0.

    Parameters
    ----------
    store : fossilgis.store.Store
    period : Period
    days : int
        The "not visited" window.
    now : datetime, optional
        Aware (default: now); the window ends at the end of the period or now.
    cell_m : float, optional
        Cell size of the effort grid (default :data:`~fossilgis.patrols.effort.DEFAULT_CELL_M`;
        0: no grid).
    grid_crs : str, optional
        Metric CRS of the grid (default :func:`~fossilgis.patrols.effort.default_grid_crs`).
    """
    from fossilgis.patrols.effort import DEFAULT_CELL_M, EffortGrid

    now = now or dt.datetime.now(dt.timezone.utc)
    grid = None if cell_m == 0 else EffortGrid(cell_m or DEFAULT_CELL_M, grid_crs)
    targets = report_targets(
        store.read_layer("sites"),
        store.read_layer("sections"),
        counties_layer(getattr(store, "data_dir", None)),
    )
    patrols = period_patrols(store, period, grid)
    alerts, closure = alerts_with_closure(store, now)
    as_of = min(now, period.end.to_pydatetime() - dt.timedelta(microseconds=1))
    last = store.patrols.maps.last_by_target(as_of, as_of - dt.timedelta(days=days))
    report = build_report(patrols, targets, alerts, period, now=now, days=days, last=last)
    # how counties and closures were found: codes of report_html.SOURCES, said in the report
    sources = sorted(set(targets["county_source"])) if len(targets) else ["none"]
    report.notes = {"county": sources, "closure": closure}
    if grid is not None:
        report.grid = grid.frame()
        report.grid_meta = {"cell_m": grid.cell_m, "crs": grid.crs}
    return report


def map_backdrop(store):
    """(province outline, sites and sections) as lon/lat GeoSeries for the effort map; the
    outline is None when the province context layer is missing."""
    import geopandas as gpd

    from fossilgis.context import available_context_layers, read_context

    data_dir = getattr(store, "data_dir", None)
    outline = None
    if "province" in available_context_layers(data_dir):
        outline = read_context("province", data_dir).geometry
    layers = [store.read_layer(kind).geometry for kind in ("sites", "sections")]
    points = gpd.GeoSeries(pd.concat(layers, ignore_index=True), crs=layers[0].crs)
    return outline, points


def report_charts(report, lang: str | None, backdrop=None) -> list[str]:
    """The SVG pictures of ``report``: patrols per county, per month, and the effort map
    when the report has a grid (``backdrop``: :func:`map_backdrop`)."""
    from fossilgis.patrols import report_svg

    charts = [report_svg.county_chart(report, lang), report_svg.month_chart(report, lang)]
    if report.grid is not None:
        outline, points = backdrop or (None, None)
        charts.append(
            report_svg.effort_map(
                report.grid, report.grid_meta, lang, outline=outline, points=points
            )
        )
    return charts
