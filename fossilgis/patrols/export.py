"""Patrol exports: GeoJSON (exchange format), CSV for Excel (UTF-8 BOM), GPX and KML."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from fossilgis.errors import FossilGISError
from fossilgis.patrols.model import CHINA_TZ, OBSERVATION_CATEGORIES, Patrol, format_time

EXPORT_FORMATS = ("geojson", "csv", "gpx", "kml")

PATROL_CSV_COLUMNS = [
    "uuid", "target_kind", "target_id", "target_name_zh", "target_inferred", "team",
    "started_at_cst", "ended_at_cst", "duration_h", "track_km", "waypoint_count",
    "alert_count", "photo_count", "purpose", "notes", "lon", "lat", "created_by",
    "created_at_cst", "deleted_at_cst",
]  # fmt: skip
WAYPOINT_CSV_COLUMNS = [
    "patrol_uuid", "uuid", "observed_at_cst", "lon", "lat", "name", "category",
    "category_zh", "category_en", "severity", "description", "target_kind", "target_id",
    "photo_count",
]  # fmt: skip


def format_cst(value) -> str:
    """Local China time without offset, which Excel reads as a date (column names say CST)."""
    import pandas as pd

    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).tz_convert(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _cell(value) -> str:
    """Text for a CSV cell; a leading = + - @ is quoted so Excel does not run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _geodesic_km(geom) -> float:
    from pyproj import Geod

    if geom is None or geom.is_empty or "LineString" not in geom.geom_type:
        return 0.0
    return Geod(ellps="GRS80").geometry_length(geom) / 1000.0


def patrols_csv(patrols, target_names: dict | None = None) -> str:
    """CSV text of ``store.list_patrols()``: one row per patrol, times in CST (UTC+8).

    ``target_names`` maps target id to its Chinese name.
    """
    names = target_names or {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PATROL_CSV_COLUMNS)
    for row in patrols.itertuples(index=False):
        geom = row.geometry
        point = None if geom is None or geom.is_empty else geom.representative_point()
        hours = (row.ended_at - row.started_at).total_seconds() / 3600.0
        writer.writerow(
            [
                row.uuid,
                row.target_kind or "",
                row.target_id or "",
                _cell(names.get(row.target_id, "")),
                "yes" if row.target_inferred else "no",
                _cell("、".join(row.team)),
                format_cst(row.started_at),
                format_cst(row.ended_at),
                f"{hours:.2f}",
                f"{_geodesic_km(geom):.3f}",
                row.waypoint_count,
                row.alert_count,
                row.photo_count,
                _cell(row.purpose),
                _cell(row.notes),
                "" if point is None else f"{point.x:.6f}",
                "" if point is None else f"{point.y:.6f}",
                _cell(row.created_by),
                format_cst(row.created_at),
                format_cst(row.deleted_at),
            ]
        )
    return out.getvalue()


def waypoints_csv(waypoints) -> str:
    """CSV text of ``store.list_waypoints()``: one row per waypoint/observation."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(WAYPOINT_CSV_COLUMNS)
    for row in waypoints.itertuples(index=False):
        label = OBSERVATION_CATEGORIES.get(row.category)
        writer.writerow(
            [
                row.patrol_uuid,
                row.uuid,
                format_cst(row.observed_at),
                f"{row.geometry.x:.6f}",
                f"{row.geometry.y:.6f}",
                _cell(row.name),
                row.category or "",
                label.zh if label else "",
                label.en if label else "",
                row.severity or "",
                _cell(row.description),
                row.target_kind or "",
                row.target_id or "",
                row.photo_count,
            ]
        )
    return out.getvalue()


def _lines(track):
    return [] if track is None or track.is_empty else list(getattr(track, "geoms", [track]))


def _title(p: Patrol) -> str:
    target = f"{p.target_kind} {p.target_id}" if p.target_id else "no target"
    return f"{format_cst(p.started_at)[:10]} {target} ({p.uuid[:8]})"


#: characters XML 1.0 does not allow (ElementTree writes them anyway, and the file then
#: opens nowhere): C0 controls but tab and line breaks, lone surrogates, U+FFFE/U+FFFF.
#: New records refuse them (validate.py); this keeps older records exportable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _sub(parent, tag: str, text=None, **attrib):
    el = ET.SubElement(parent, tag, {k: _xml_text(v) for k, v in attrib.items()})
    if text is not None:
        el.text = _xml_text(text)
    return el


def patrols_gpx(patrols: list[Patrol]) -> str:
    """GPX 1.1: every waypoint as ``<wpt>`` (``<type>`` = category code), every track as
    ``<trk>`` with one ``<trkseg>`` per part. Readable by GPS devices and by this importer."""
    ns = "http://www.topografix.com/GPX/1/1"
    ET.register_namespace("", ns)
    root = ET.Element(f"{{{ns}}}gpx", {"version": "1.1", "creator": "fossilgis"})
    for p in patrols:  # GPX wants all <wpt> before any <trk>
        for w in p.waypoints:
            wpt = _sub(root, f"{{{ns}}}wpt", lat=f"{w.lat:.7f}", lon=f"{w.lon:.7f}")
            _sub(wpt, f"{{{ns}}}time", format_time(w.observed_at))
            _sub(wpt, f"{{{ns}}}name", w.name or (w.observation.category if w.observation else ""))
            if w.observation:
                _sub(wpt, f"{{{ns}}}desc", w.observation.description)
                _sub(wpt, f"{{{ns}}}type", w.observation.category)
    for p in patrols:
        lines = _lines(p.track)
        if not lines:
            continue
        trk = _sub(root, f"{{{ns}}}trk")
        _sub(trk, f"{{{ns}}}name", _title(p))
        _sub(trk, f"{{{ns}}}desc", f"patrol {p.uuid}; team {'、'.join(p.team)}; {p.purpose}")
        for line in lines:
            seg = _sub(trk, f"{{{ns}}}trkseg")
            for x, y, *_ in line.coords:
                _sub(seg, f"{{{ns}}}trkpt", lat=f"{y:.7f}", lon=f"{x:.7f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _extended(parent, ns: str, values: dict) -> None:
    data = _sub(parent, f"{{{ns}}}ExtendedData")
    for key, value in values.items():
        cell = _sub(data, f"{{{ns}}}Data", name=key)
        _sub(cell, f"{{{ns}}}value", "" if value is None else value)


def patrols_kml(patrols: list[Patrol]) -> str:
    """KML 2.2: one Folder per patrol with its track and waypoint Placemarks (ExtendedData
    carries the fields); opens in Google Earth, 奥维互动地图 and QGIS."""
    ns = "http://www.opengis.net/kml/2.2"
    ET.register_namespace("", ns)
    root = ET.Element(f"{{{ns}}}kml")
    doc = _sub(root, f"{{{ns}}}Document")
    _sub(doc, f"{{{ns}}}name", "fossilgis patrols 巡护记录")
    for p in patrols:
        folder = _sub(doc, f"{{{ns}}}Folder")
        _sub(folder, f"{{{ns}}}name", _title(p))
        lines = _lines(p.track)
        if lines:
            mark = _sub(folder, f"{{{ns}}}Placemark")
            _sub(mark, f"{{{ns}}}name", f"track {p.uuid[:8]}")
            _extended(
                mark,
                ns,
                {
                    "uuid": p.uuid,
                    "target_kind": p.target_kind,
                    "target_id": p.target_id,
                    "team": "、".join(p.team),
                    "started_at": format_time(p.started_at),
                    "ended_at": format_time(p.ended_at),
                    "purpose": p.purpose,
                    "notes": p.notes,
                },
            )
            multi = _sub(mark, f"{{{ns}}}MultiGeometry")
            for line in lines:
                coords = " ".join(f"{x:.7f},{y:.7f}" for x, y, *_ in line.coords)
                _sub(_sub(multi, f"{{{ns}}}LineString"), f"{{{ns}}}coordinates", coords)
        for w in p.waypoints:
            mark = _sub(folder, f"{{{ns}}}Placemark")
            obs = w.observation
            label = OBSERVATION_CATEGORIES[obs.category].zh if obs else ""
            _sub(mark, f"{{{ns}}}name", w.name or label or "waypoint")
            if obs:
                _sub(mark, f"{{{ns}}}description", obs.description)
            _sub(_sub(mark, f"{{{ns}}}TimeStamp"), f"{{{ns}}}when", format_time(w.observed_at))
            _extended(
                mark,
                ns,
                {
                    "uuid": w.uuid,
                    "patrol_uuid": p.uuid,
                    "category": obs.category if obs else None,
                    "severity": obs.severity if obs else None,
                },
            )
            point = _sub(mark, f"{{{ns}}}Point")
            _sub(point, f"{{{ns}}}coordinates", f"{w.lon:.7f},{w.lat:.7f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def export_patrols(
    store,
    fmt: str,
    path: str | Path,
    *,
    target_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    include_deleted: bool = False,
    waypoints: bool = False,
) -> tuple[Path, int]:
    """Write the store's patrols (filtered) to ``path`` in ``fmt``; (path, patrols written).

    ``waypoints=True`` with CSV writes one row per waypoint instead of one per patrol.
    CSV is UTF-8 with a BOM so that Excel shows Chinese text. The file is written whole
    or not at all, never over the store's own files (:mod:`fossilgis.io.atomic`).
    """
    from fossilgis.io.atomic import check_output, protected_paths_of, write_text_atomic
    from fossilgis.patrols.geojson import patrols_to_geojson

    if fmt not in EXPORT_FORMATS:
        raise FossilGISError(f"format {fmt!r}: expected one of {', '.join(EXPORT_FORMATS)}")
    protected = protected_paths_of(store)
    path = check_output(path, protected)
    table = store.list_patrols(
        target_id=target_id, since=since, until=until, include_deleted=include_deleted
    )
    if fmt == "csv":
        if waypoints:
            wps = store.list_waypoints(include_deleted=include_deleted)
            text = waypoints_csv(wps[wps["patrol_uuid"].isin(set(table["uuid"]))])
        else:
            names = {}
            for kind in ("sites", "sections"):
                layer = store.read_layer(kind)
                names.update(zip(layer["id"], layer["name_zh"]))
            text = patrols_csv(table, names)
        write_text_atomic(path, text, protected, encoding="utf-8-sig")
        return path, len(table)
    full = [store.get_patrol(u) for u in table["uuid"]]
    if fmt == "geojson":
        text = json.dumps(patrols_to_geojson(full), ensure_ascii=False, indent=1) + "\n"
    elif fmt == "gpx":
        text = patrols_gpx(full)
    else:
        text = patrols_kml(full)
    write_text_atomic(path, text, protected)
    return path, len(full)
