"""Feature collections behind the OGC API: a small provider base class and its implementations."""

from __future__ import annotations

import abc
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from fossilgis.ogcapi.frame import ServedFrame, filter_value, record_features, utc_seconds, utc_text
from fossilgis.ogcapi.params import Boxes, Interval
from fossilgis.schema import LABELS, LAYER_FIELDS, LAYER_KINDS
from fossilgis.serving import (
    PRECISE_DECIMALS,
    VersionedCache,
    for_audience,
    layer_versions,
    served_decimals,
)


@dataclass(frozen=True)
class Field:
    """One property of a collection's features.

    Attributes
    ----------
    name : str
        Property name, also the name of its equality filter parameter.
    type : str
        ``"str"``, ``"float"``, ``"int"``, ``"bool"`` or ``"datetime"``.
    required : bool
        True when every feature has a value.
    private : bool
        Shown to, and filterable by, staff only: personal data (who patrolled) or data
        that would lead to a site (which site was patrolled when).
    description : str
        One line for the OpenAPI document and the HTML views.
    why : str
        Why a private field is private, for the error answered to a public filter on it.
    """

    name: str
    type: str
    required: bool = False
    private: bool = False
    description: str = ""
    why: str = "personal data"

    @property
    def filterable(self) -> bool:
        """Equality filters exist for text, number and boolean properties."""
        return self.type in ("str", "float", "int", "bool")


def layer_fields(kind: str) -> list[Field]:
    """The properties of a reference layer, from :data:`fossilgis.schema.LAYER_FIELDS`."""
    fields = [Field(name, ftype, required) for name, ftype, required in LAYER_FIELDS[kind]]
    fields.append(
        Field(
            "generalised",
            "bool",
            True,
            description="true when the geometry is the public ~1 km grid-cell shape",
        )
    )
    return fields


#: what makes a patrol's property private when it ties the patrol to a site
_SITE = {"private": True, "why": "staff data (which site was patrolled when)"}
#: properties of the patrols collection (from ``store.patrols.page()``); personal ones, and
#: those that tie a patrol to a site, private
PATROL_FIELDS = [
    Field("id", "str", True, description="the patrol's UUID"),
    Field("started_at", "datetime", True),
    Field("ended_at", "datetime", True),
    Field("target_kind", "str", description="site or section (staff only)", **_SITE),
    Field("target_id", "str", description="(staff only)", **_SITE),
    Field(
        "target_inferred",
        "bool",
        True,
        description="target inferred from the location (staff only)",
        **_SITE,
    ),
    Field("target_distance_m", "float", description="(staff only)", **_SITE),
    Field("purpose", "str", description="free text, may name the site (staff only)", **_SITE),
    Field("waypoint_count", "int", True),
    Field("alert_count", "int", True, description="observations of damage or digging"),
    Field("photo_count", "int", True),
    Field("created_at", "datetime", True, description="when the server received it"),
    Field("updated_at", "datetime"),
    Field("team", "str", private=True, description="team members (staff only)"),
    Field("created_by", "str", private=True, description="who uploaded it (staff only)"),
    Field("notes", "str", private=True, description="free text, may name people (staff only)"),
]


class Provider(abc.ABC):
    """One feature collection: its metadata, property schema, queries and single features.

    Subclasses implement :meth:`query`, :meth:`get` and :meth:`extent`. Features are
    GeoJSON-like dicts in CRS84 (longitude, latitude) with ``id``, ``geometry`` and
    ``properties``; ``staff=False`` must never reveal precise site geometry or
    :attr:`Field.private` properties.
    """

    #: collection id, used in URLs
    cid: str
    title: str
    description: str
    #: the GeoJSON geometry type of the collection's features
    geometry_type: str
    fields: Sequence[Field]
    #: the (start, end) properties of each feature's time span (the same twice for an
    #: instant), or None for collections without time
    time_fields: tuple[str, str] | None = None

    def visible_fields(self, *, staff: bool) -> list[Field]:
        """The properties this audience sees (and may filter on)."""
        return [f for f in self.fields if staff or not f.private]

    @abc.abstractmethod
    def query(
        self,
        *,
        bbox: Boxes | None,
        limit: int,
        offset: int,
        datetime: Interval | None,
        filters: Mapping[str, str],
        staff: bool,
    ) -> tuple[list[dict], int]:
        """One page of matching features and the number of all matching ones.

        Parameters
        ----------
        bbox : list of (minx, miny, maxx, maxy) or None
            Features intersecting any of the boxes (CRS84) match.
        limit, offset : int
            Page size and the number of matching features skipped.
        datetime : (start, end) or None
            UTC instants, None for an open end; ignored by collections without time.
        filters : Mapping[str, str]
            Property name → value that must be equal; names are visible fields.
        staff : bool
            Precise data for staff, public data otherwise.

        Returns
        -------
        (list of dict, int)
            The features of the page, and numberMatched.
        """

    @abc.abstractmethod
    def get(self, fid: str, *, staff: bool) -> dict | None:
        """The feature with id ``fid`` as this audience sees it, or None."""

    @abc.abstractmethod
    def extent(self, *, staff: bool) -> dict:
        """``{"bbox": [minx, miny, maxx, maxy] | None, "interval": [start, end] | None}``."""


class FrameProvider(Provider):
    """A collection read whole from a GeoDataFrame loader, served from memory with an STRtree.

    Parameters
    ----------
    cid, title, description, geometry_type
        Collection id and metadata.
    fields : sequence of Field
        Properties served, in order; columns missing from the frame are served as null.
    load : callable
        Returns the frame (lon/lat degrees, EPSG:4490 or 4326) with an ``id`` column.
    version : callable
        Returns a value that changes whenever the data change; checked every
        :data:`fossilgis.serving.VERSION_CHECK_S` seconds.
    public : callable, optional
        Turns the loaded frame into what anonymous callers may see (e.g. generalised
        geometry); private fields are dropped in any case.
    time_fields : (str, str), optional
        The columns of each feature's time span (start, end) that ``datetime`` queries
        filter on; name one column twice for instants.
    decimals, public_decimals : int
        Coordinate decimals served to staff and to the public.
    """

    def __init__(
        self,
        cid: str,
        *,
        title: str,
        description: str,
        geometry_type: str,
        fields: Sequence[Field],
        load: Callable[[], object],
        version: Callable[[], Hashable] = lambda: 0,
        public: Callable[[object], object] | None = None,
        time_fields: tuple[str, str] | None = None,
        decimals: int = PRECISE_DECIMALS,
        public_decimals: int | None = None,
    ):
        self.cid, self.title, self.description = cid, title, description
        self.geometry_type = geometry_type
        self.fields = list(fields)
        self.time_fields = time_fields
        self._load, self._public = load, public
        self._decimals = {True: decimals, False: public_decimals or decimals}
        self._cache = VersionedCache(self._build, version)

    def served(self, *, staff: bool) -> ServedFrame:
        """The frame as ``staff`` or the public sees it, rebuilt after the data changed."""
        return self._cache.get(staff)

    def _build(self, staff: bool) -> ServedFrame:
        gdf = self._load()
        if not staff and self._public is not None:
            gdf = self._public(gdf)
        return ServedFrame(
            gdf, self.visible_fields(staff=staff), self._decimals[staff], self.time_fields
        )

    def query(self, *, bbox, limit, offset, datetime, filters, staff):
        frame = self.served(staff=staff)
        if bbox:
            hits = [frame.tree.query(shapely.box(*box), predicate="intersects") for box in bbox]
            rows = np.unique(np.concatenate(hits))
        else:
            rows = np.arange(len(frame))
        by_name = {f.name: f for f in frame.fields}
        mask = np.ones(len(rows), dtype=bool)
        for name, value in filters.items():
            mask &= frame.equal_mask(by_name[name], value, rows)
        if datetime is not None and frame.time_span is not None:
            mask &= frame.time_mask(datetime, rows)
        rows = rows[mask]
        page = rows[offset : offset + limit]
        return frame.features(page), int(len(rows))

    def get(self, fid, *, staff):
        frame = self.served(staff=staff)
        row = frame.row_of_id.get(fid)
        return None if row is None else frame.features(np.array([row]))[0]

    def extent(self, *, staff):
        frame = self.served(staff=staff)
        interval = None
        if frame.time_span is not None:
            starts, ends = (t[~np.isnat(t)] for t in frame.time_span)
            if len(starts) and len(ends):
                interval = utc_text(np.array([starts.min(), ends.max()]))
        return {"bbox": frame.bounds, "interval": interval}


class LayerProvider(FrameProvider):
    """A reference layer of the store ("sites" | "sections"); public sites are generalised."""

    def __init__(self, store, kind: str):
        zh, en = LABELS[kind]
        sensitive = kind == "sites"
        description = (
            f"Guizhou {en} ({zh}) from the provincial register. "
            + (
                "Anonymous callers get each site as the ~1 km grid cells it touches "
                "(generalised = true); a bearer token of staff shows precise boundaries."
                if sensitive
                else "Anonymous callers get each section within a site's attention zone as "
                "the ~1 km grid cells it touches (generalised = true), the others "
                "precise; a bearer token of staff shows every section precise."
            )
            + " Anonymous callers get coordinates in free text withheld."
        )

        def public(gdf):
            return for_audience(store, kind, gdf, staff=False, rules=self._rules)

        super().__init__(
            kind,
            title=f"{en[0].upper()}{en[1:]} {zh}",
            description=description,
            geometry_type="Polygon" if sensitive else "LineString",
            fields=layer_fields(kind),
            load=lambda: self._load_layer(store, kind),
            version=lambda: layer_versions(store),
            public=public,
            public_decimals=served_decimals(kind, staff=False),
        )
        self._rules_cache = None

    def _rules(self):
        if self._rules_cache is None:
            from fossilgis.rules import load_rules

            self._rules_cache = load_rules()
        return self._rules_cache

    @staticmethod
    def _load_layer(store, kind: str):
        gdf = store.read_layer(kind)
        gdf["generalised"] = False
        return gdf


#: patrols column of an OGC API property, where the names differ
_PATROL_COLUMNS = {"id": "uuid"}


class PatrolProvider(Provider):
    """The patrols of the store, asked of the store's SQL for each request.

    An items query is one SQL statement for the page and its count (:meth:`.Patrols.page`:
    bbox by the spatial index, time span, equality filters, order, LIMIT/OFFSET), so a new
    patrol is in the very next answer and memory does not grow with the patrols; only the
    extent is kept until the patrols change.

    Anonymous callers get when and how much (times and counts) but neither where nor
    which site (no geometry, no target, no purpose) and no personal data: per-site patrol
    dates would rebuild the staff-only coverage layer. As their patrols have no geometry,
    a bbox matches none of them (no probing for where patrols went). Staff see precise
    tracks and waypoints.
    """

    cid = "patrols"
    title = "Patrols 巡护记录"
    description = (
        "Patrols of fossil sites and sections: track (or waypoints), time span "
        "and counts of waypoints, alerts and photos. datetime selects patrols "
        "whose span [started_at, ended_at] meets it. Anonymous callers get "
        "the times and counts only: no geometry, no target site, no personal "
        "data (which site was patrolled when is staff data)."
    )
    geometry_type = "MultiLineString"
    fields = PATROL_FIELDS
    time_fields = ("started_at", "ended_at")

    def __init__(self, store):
        self._patrols = store.patrols
        self._decimals = {True: PRECISE_DECIMALS, False: served_decimals("patrols", staff=False)}
        self._extent = VersionedCache(self._build_extent, lambda: patrols_version(store))

    def _features(self, records, geoms, *, staff: bool) -> list[dict]:
        """The records of a page (``Patrols.page_records``) as features for this audience."""
        from fossilgis.generalise import PUBLIC_PATROL_FIELDS

        for rec in records:
            rec["id"], rec["team"] = rec["uuid"], ", ".join(rec["team"])
        if not staff:  # as generalise.public_patrols: its columns only, no geometry
            records = [{k: rec[k] for k in PUBLIC_PATROL_FIELDS if k in rec} for rec in records]
            geoms = [None] * len(records)
        return record_features(
            records, geoms, self.visible_fields(staff=staff), self._decimals[staff]
        )

    def query(self, *, bbox, limit, offset, datetime, filters, staff):
        by_name = {f.name: f for f in self.visible_fields(staff=staff)}
        equal = {
            _PATROL_COLUMNS.get(name, name): filter_value(by_name[name], value)
            for name, value in filters.items()
        }
        if bbox and not staff:
            return [], 0
        start, end = datetime if datetime is not None else (None, None)
        records, geoms, total = self._patrols.page_records(
            bbox=bbox, start=start, end=end, equal=equal, limit=limit, offset=offset
        )
        return self._features(records, geoms, staff=staff), total

    def get(self, fid, *, staff):
        records, geoms, _ = self._patrols.page_records(equal={"uuid": fid}, limit=1, count=False)
        return self._features(records, geoms, staff=staff)[0] if records else None

    def extent(self, *, staff):
        return self._extent.get(staff)

    def _build_extent(self, staff: bool) -> dict:
        # the box only for staff: the public's patrols have no geometry
        found = self._patrols.extent()
        interval = found["interval"] and [utc_seconds(t) for t in found["interval"]]
        bbox = found["bbox"] if staff else None
        if bbox is not None:
            bbox = [round(v, self._decimals[True]) for v in bbox]
        return {"bbox": bbox, "interval": interval}


def patrols_version(store) -> Hashable:
    """A value that changes whenever a patrol is added, edited, deleted or restored."""
    return store.patrols_version()


def default_providers(store) -> dict[str, Provider]:
    """The collections served from ``store``: sites, sections and (when kept) patrols."""
    providers: dict[str, Provider] = {kind: LayerProvider(store, kind) for kind in LAYER_KINDS}
    if hasattr(store, "list_patrols"):
        providers["patrols"] = PatrolProvider(store)
    return providers
