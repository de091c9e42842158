"""Reading GPS-device GPX files: the track (all segments), its times, and the waypoints."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from fossilgis.errors import InputFileError
from fossilgis.patrols.model import Observation, category_code


@dataclass
class GpxWaypoint:
    """A ``<wpt>`` as the device wrote it (category still to be interpreted)."""

    lon: float
    lat: float
    time: dt.datetime | None
    name: str = ""
    description: str = ""
    type: str = ""
    symbol: str = ""

    def observation(self) -> Observation | None:
        """What the waypoint records: its first type, symbol or name that names a category,
        else ``other`` when it has a description; None when it has neither."""
        codes = (category_code(v) for v in (self.type, self.symbol, self.name) if v)
        code = next((c for c in codes if c), None)
        if code:
            return Observation(code, "none", self.description)
        return Observation("other", "none", self.description) if self.description else None


@dataclass
class GpxContent:
    """What a GPX file holds for a patrol: a MultiLineString track (lon/lat), time span,
    waypoints. ``notes`` says what was dropped (routes, empty segments, elevations)."""

    track: object | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    waypoints: list[GpxWaypoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _text(value) -> str:
    return "" if value is None or value != value else str(value).strip()  # NaN-safe


def _moment(value) -> dt.datetime | None:
    import pandas as pd

    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")  # GPX is UTC
    return ts.to_pydatetime()


def read_gpx(path: str | Path) -> GpxContent:
    """Read a GPX file with GDAL's GPX driver (layers tracks, track_points, waypoints).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    GpxContent
        Every track segment of every ``<trk>`` becomes one part of the MultiLineString
        (segments with fewer than 2 points are dropped with a note). Times span the track
        points and waypoints. Elevation is dropped (patrol tracks are 2D).

    Raises
    ------
    InputFileError
        When the file is not GPX or holds neither a track nor waypoints.
    """
    import pyogrio
    import shapely
    from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

    path = Path(path)
    head = path.read_bytes()[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"<") or b"<gpx" not in head:
        raise InputFileError(
            f"{path.name}: not a GPX file (no <gpx> element at the start); "
            "export the track from the device as GPX 1.1 / 不是 GPX 文件"
        )
    try:
        layers = {name for name, _ in pyogrio.list_layers(path)}
        notes: list[str] = []
        lines = []
        times = []
        if "track_points" in layers:
            pts = pyogrio.read_dataframe(
                path,
                layer="track_points",
                columns=["track_fid", "track_seg_id", "track_seg_point_id", "time"],
            )
            if len(pts):
                times += [t for t in (_moment(v) for v in pts["time"]) if t is not None]
                pts = pts.sort_values(["track_fid", "track_seg_id", "track_seg_point_id"])
                for _, seg in pts.groupby(["track_fid", "track_seg_id"], sort=True):
                    coords = [(p.x, p.y) for p in seg.geometry]
                    if len(coords) >= 2:
                        lines.append(shapely.LineString(coords))
                    else:
                        notes.append("a track segment with a single point was dropped")
        wpts = []
        if "waypoints" in layers:
            wdf = pyogrio.read_dataframe(path, layer="waypoints")
            for rec, geom in zip(wdf.drop(columns="geometry").to_dict("records"), wdf.geometry):
                moment = _moment(rec.get("time"))
                if moment is not None:
                    times.append(moment)
                wpts.append(
                    GpxWaypoint(
                        lon=geom.x,
                        lat=geom.y,
                        time=moment,
                        name=_text(rec.get("name")),
                        description=_text(rec.get("desc")) or _text(rec.get("cmt")),
                        type=_text(rec.get("type")),
                        symbol=_text(rec.get("sym")),
                    )
                )
        if "routes" in layers and len(
            pyogrio.read_dataframe(path, layer="routes", read_geometry=False, columns=["name"])
        ):
            notes.append("routes (<rte>, planned paths) were ignored; only tracks are patrols")
    except (
        DataSourceError,
        DataLayerError,
        FieldError,
        GeometryError,
        ValueError,
        KeyError,
        AttributeError,
    ) as exc:
        # GDAL names the file by its full path: keep only its name
        detail = str(exc).replace(str(path), path.name)[:300]
        raise InputFileError(f"{path.name}: GDAL cannot read it as GPX ({detail})") from None
    if not lines and not wpts:
        raise InputFileError(
            f"{path.name}: the GPX file has no track points and no waypoints / 无轨迹和航点"
        )
    return GpxContent(
        track=shapely.MultiLineString(lines) if lines else None,
        started_at=min(times) if times else None,
        ended_at=max(times) if times else None,
        waypoints=wpts,
        notes=notes,
    )
