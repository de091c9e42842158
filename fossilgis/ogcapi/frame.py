"""Features as one audience sees them: a whole frame indexed for queries, or a page's records."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import shapely

from fossilgis.ogcapi.params import Interval, ParameterError
from fossilgis.serving import json_safe

if TYPE_CHECKING:
    from fossilgis.ogcapi.providers import Field


def utc_text(instants: np.ndarray) -> list[str | None]:
    """Naive-UTC ``datetime64`` values as RFC 3339 text (``...Z``); NaT → None."""
    text = np.datetime_as_string(instants, unit="s")
    return [None if t == "NaT" else t + "Z" for t in text.tolist()]


def utc_seconds(instant: dt.datetime) -> str:
    """An aware datetime as RFC 3339 text to the second in UTC (``…Z``), as :func:`utc_text`."""
    return instant.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat("T", "seconds") + "Z"


def _utc_datetime64(values) -> np.ndarray:
    """A column of instants as naive-UTC ``datetime64[us]`` (NaT for missing)."""
    import pandas as pd

    series = pd.to_datetime(pd.Series(values), utc=True, errors="coerce")
    return series.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")


def _as_datetime64(instant: dt.datetime) -> np.datetime64:
    return np.datetime64(instant.astimezone(dt.timezone.utc).replace(tzinfo=None), "us")


def filter_value(field: Field, value: str) -> str | bool | float:
    """The value of an equality filter on ``field`` as the property's type (str, bool or
    float); ParameterError for a value of the wrong type."""
    if field.type == "str":
        return value
    if field.type == "bool":
        if value not in ("true", "false"):
            raise ParameterError(f"{field.name}={value!r}: expected true or false")
        return value == "true"
    try:
        return float(value)
    except ValueError:
        raise ParameterError(
            f"{field.name}={value!r} is not a number; expected e.g. {field.name}=100"
        ) from None


def _json_column(field: Field, values: list) -> list:
    """One property's values as :class:`ServedFrame` serves them (times to the second, UTC)."""
    if field.type == "datetime":
        utc = dt.timezone.utc
        return [
            None if v is None else v.astimezone(utc).isoformat(timespec="seconds")[:19] + "Z"
            for v in values
        ]
    if field.type == "int":
        return [None if v is None or v != v else int(v) for v in values]  # v != v: NaN
    if field.type == "float":
        return [None if v is None or v != v else float(v) for v in values]
    return [v if v is None or type(v) is str else json_safe(v) for v in values]


def record_features(records, geoms, fields: Sequence[Field], decimals: int) -> list[dict]:
    """Features of plain records, as :meth:`ServedFrame.features` makes them of a frame.

    Parameters
    ----------
    records : list of dict
        Property name → value (aware datetimes for ``datetime`` properties), ``id`` among them;
        a property missing from a record is served as null.
    geoms : sequence of shapely geometries or None
        One per record, in CRS84; rounded to ``decimals``.
    fields : sequence of Field
        The properties served, in order.
    """
    rounded = shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.round(xy, decimals))
    names = [f.name for f in fields]
    columns = [_json_column(f, [rec.get(f.name) for rec in records]) for f in fields]
    return [
        {
            "type": "Feature",
            "id": str(rec["id"]),
            "geometry": None if geometry is None else json.loads(geometry),
            "properties": dict(zip(names, values)),
        }
        for rec, geometry, values in zip(
            records,
            shapely.to_geojson(rounded).tolist(),
            zip(*columns) if columns else [()] * len(records),
        )
    ]


class ServedFrame:
    """A frame as one audience sees it: rounded geometry, an STRtree, arrays per property."""

    def __init__(
        self, gdf, fields: Sequence[Field], decimals: int, time_fields: tuple[str, str] | None
    ):
        gdf = gdf.reset_index(drop=True)
        self.fields = list(fields)
        geoms = np.asarray(gdf.geometry.values)
        self.geoms = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
        self.tree = shapely.STRtree(self.geoms)
        self.ids = np.array([str(v) for v in gdf["id"]], dtype=object)
        self.row_of_id = {fid: i for i, fid in enumerate(self.ids)}
        self.columns: dict[str, np.ndarray] = {}
        for f in self.fields:
            if f.name not in gdf.columns:
                self.columns[f.name] = np.full(len(gdf), None, dtype=object)
            elif f.type == "datetime":
                self.columns[f.name] = _utc_datetime64(gdf[f.name])
            elif f.type in ("float", "int"):
                self.columns[f.name] = gdf[f.name].to_numpy(dtype="float64", na_value=np.nan)
            else:
                col = gdf[f.name].to_numpy(dtype=object, copy=True)
                col[gdf[f.name].isna().to_numpy()] = None
                self.columns[f.name] = col
        if time_fields:
            starts = _utc_datetime64(gdf[time_fields[0]])
            self.time_span = (starts, _utc_datetime64(gdf[time_fields[1]]))
        else:
            self.time_span = None
        valid = self.geoms[~shapely.is_missing(self.geoms)]
        self.bounds = (
            [round(float(v), decimals) for v in shapely.total_bounds(valid)] if len(valid) else None
        )

    def __len__(self) -> int:
        return len(self.ids)

    def _column_values(self, field: Field, rows: np.ndarray) -> list:
        """JSON-ready values of one property for ``rows``, converted column-wise (fast)."""
        column = self.columns[field.name][rows]
        if field.type == "datetime":
            return utc_text(column)
        if field.type in ("float", "int"):
            values = column.tolist()
            if field.type == "int":
                return [None if v != v else int(v) for v in values]  # v != v: NaN
            return [None if v != v else v for v in values]
        return [json_safe(v) for v in column.tolist()]

    def features(self, rows: np.ndarray) -> list[dict]:
        """GeoJSON-like features of ``rows`` (CRS84), built a page at a time."""
        rows = np.asarray(rows, dtype=np.intp)
        geometries = shapely.to_geojson(self.geoms[rows]).tolist()
        names = [f.name for f in self.fields]
        columns = [self._column_values(f, rows) for f in self.fields]
        return [
            {
                "type": "Feature",
                "id": fid,
                "geometry": None if geometry is None else json.loads(geometry),
                "properties": dict(zip(names, values)),
            }
            for fid, geometry, values in zip(
                self.ids[rows].tolist(), geometries, zip(*columns) if columns else [()] * len(rows)
            )
        ]

    def equal_mask(self, field: Field, value: str, rows: np.ndarray) -> np.ndarray:
        """Which of ``rows`` have ``field == value``; ParameterError for a value of wrong type."""
        return self.columns[field.name][rows] == filter_value(field, value)

    def time_mask(self, interval: Interval, rows: np.ndarray) -> np.ndarray:
        """Which of ``rows`` have a time span that intersects ``interval``."""
        starts, ends = self.time_span[0][rows], self.time_span[1][rows]
        mask = ~np.isnat(starts) & ~np.isnat(ends)
        start, end = interval
        if start is not None:
            mask &= ends >= _as_datetime64(start)
        if end is not None:
            mask &= starts <= _as_datetime64(end)
        return mask
