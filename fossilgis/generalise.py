"""What anonymous visitors may see: generalised geometry and scrubbed attributes.

Exact fossil-site boundaries help looters, so every public route (web map pages and
GeoJSON, exports, search, OGC API) takes its data through the functions here:

- :func:`public_layer` — a reference layer (sites, sections) as the public sees it: the
  attributes of :data:`PUBLIC_FIELDS` only, free text scrubbed of coordinates, site
  shapes (and sections near a site) replaced by the ~1 km grid cells they touch;
- :func:`generalise_geometries` — the one grid behind every generalised shape;
- :func:`scrub_coordinates` / :func:`public_text` — coordinates in free text withheld;
- :func:`public_patrols` — patrols without the site, the position or the staff fields.
"""

from __future__ import annotations

import math
import re

import numpy as np
import shapely

from fossilgis.schema import field_names

#: grid cell size in degrees (0.01° ≈ 1.1 km north–south, ≈ 1.0 km east–west in Guizhou)
DEFAULT_CELL_DEG = 0.01

#: decimals that still carry information in generalised coordinates
GENERALISED_DECIMALS = 5

#: what replaces a coordinate found in a public text
WITHHELD = "[位置已隐去 / location withheld]"

#: the attributes of each reference layer that the public may see (an allow-list: a
#: column added to the store later, or a source's extra attributes, stays private).
#: ``id`` and the codes are not free text; the others are scrubbed by :func:`public_text`.
PUBLIC_FIELDS: dict[str, tuple[str, ...]] = {
    kind: tuple(field_names(kind)) for kind in ("sites", "sections")
}
#: public attributes that are codes or identifiers, never scrubbed
_CODE_FIELDS = {"id", "protection_level", "accuracy_class", "boundary_status"}

#: the patrol columns the public may see: when, and how much was recorded; not which site
#: (target), where (geometry), why (purpose, free text naming the site) or who
PUBLIC_PATROL_FIELDS = (
    "id",
    "uuid",
    "started_at",
    "ended_at",
    "waypoint_count",
    "alert_count",
    "photo_count",
    "created_at",
    "updated_at",
)

_HEMI = r"[NSEWnsew北南东西]"
_COORDINATE_PATTERNS = [
    # degrees, minutes (and seconds): 26°07'24"N, 26°07.4', 26度07分24秒, 26 07' 24"
    re.compile(
        rf"(?:(?<![A-Za-z]){_HEMI}\s*(?:纬|经|Lat\.?|Lon\.?)?\s*)?"
        r"\d{1,3}(?:\.\d+)?\s*[°º度]\s*\d{1,2}(?:\.\d+)?\s*['′’分]"
        r"(?:\s*\d{1,2}(?:\.\d+)?\s*(?:[\"″”]|''|秒))?"
        rf"(?:\s*{_HEMI}(?![A-Za-z]))?"
    ),
    # Gauss-Krüger / UTM metres: a pair of 6–8 digit numbers, or one 7–8 digit number
    re.compile(
        r"(?:(?<![A-Za-z])[XYxyEN]\s*[=:：]\s*)?"
        r"(?<![\d.])\d{6,8}(?:\.\d+)?\s*(?:m\b|米)?\s*[,，;；/、\s]\s*"
        r"(?:[XYxyEN]\s*[=:：]\s*)?\d{6,8}(?:\.\d+)?(?![\d.])"
    ),
    re.compile(r"(?<![\d.])\d{7,8}(?:\.\d+)?(?![\d.])"),
    # decimal degrees with 3 or more decimals (~100 m or better), with hemisphere or °
    re.compile(
        rf"(?:(?<![A-Za-z]){_HEMI}\s*(?:纬|经|Lat\.?|Lon\.?)?\s*)?(?<![\d.])-?\d{{1,3}}\.\d{{3,}}(?![\d.])"
        rf"(?:\s*°)?(?:\s*{_HEMI}(?![A-Za-z]))?"
    ),
]

#: a latitude and longitude withheld side by side read as one withheld position
_REPEATED = re.compile(rf"{re.escape(WITHHELD)}(?:[\s,，;；/、]*{re.escape(WITHHELD)})+")


def scrub_coordinates(text: str) -> str:
    """``text`` with every coordinate-looking substring replaced by :data:`WITHHELD`.

    Withheld: degrees-minutes(-seconds) in any common notation, decimal numbers with three
    or more decimals (decimal degrees to ~100 m), and Gauss-Krüger metres (a pair of 6–8
    digit numbers, or any 7–8 digit number). Erring on the side of withholding is
    deliberate: a false positive costs a visitor a number, a miss shows a looter the site.
    """
    for pattern in _COORDINATE_PATTERNS:
        text = pattern.sub(WITHHELD, text)
    return _REPEATED.sub(WITHHELD, text)


def public_text(value):
    """A value fit for a public answer: strings scrubbed of coordinates, others unchanged."""
    return scrub_coordinates(value) if isinstance(value, str) else value


def _cell_indices(x, y, cell_deg: float):
    return np.floor(np.asarray(x, dtype=float) / cell_deg), np.floor(
        np.asarray(y, dtype=float) / cell_deg
    )


def coarse_cells(geom, cell_deg: float = DEFAULT_CELL_DEG):
    """The union of the grid cells (``cell_deg`` squares aligned on 0°) that ``geom`` touches.

    Always contains ``geom``, so whatever overlaps the true site also overlaps its public
    shape; it reveals the site's position and extent only to the cell size.
    """
    if geom is None or geom.is_empty:
        return geom
    minx, miny, maxx, maxy = geom.bounds
    # the small epsilon keeps a vertex lying on a cell edge from adding a row of cells
    eps = cell_deg * 1e-6
    i0, i1 = math.floor((minx + eps) / cell_deg), math.floor((maxx - eps) / cell_deg)
    j0, j1 = math.floor((miny + eps) / cell_deg), math.floor((maxy - eps) / cell_deg)
    ii, jj = np.meshgrid(np.arange(i0, max(i0, i1) + 1), np.arange(j0, max(j0, j1) + 1))
    ii, jj = ii.ravel(), jj.ravel()
    cells = shapely.box(ii * cell_deg, jj * cell_deg, (ii + 1) * cell_deg, (jj + 1) * cell_deg)
    hit = cells[shapely.intersects(cells, geom)]
    if len(hit) == 0:  # a point or sliver exactly on an edge
        hit = cells[:1]
    merged = shapely.union_all(hit)
    return shapely.simplify(shapely.set_precision(merged, 10**-GENERALISED_DECIMALS), 0)


def generalise_geometries(geoms, cell_deg: float = DEFAULT_CELL_DEG) -> np.ndarray:
    """Each geometry as the grid cells it touches (a point: the one cell around it).

    The one generalisation of every public shape: sites, the sections near them, and any
    other geometry that would lead to a site.
    """
    if not cell_deg > 0:
        raise ValueError(f"cell_deg must be a positive number of degrees, got {cell_deg!r}")
    geoms = np.asarray(geoms, dtype=object)
    out = np.empty(len(geoms), dtype=object)
    present = ~shapely.is_missing(geoms)
    points = present & (shapely.get_type_id(geoms) == 0)
    if points.any():  # the common case, done at once
        i, j = _cell_indices(shapely.get_x(geoms[points]), shapely.get_y(geoms[points]), cell_deg)
        out[points] = shapely.box(
            i * cell_deg, j * cell_deg, (i + 1) * cell_deg, (j + 1) * cell_deg
        )
    others = present & ~points
    out[others] = [coarse_cells(g, cell_deg) for g in geoms[others]]
    return out


def near_sites(geoms, sites, distance_m: float) -> np.ndarray:
    """Which of ``geoms`` (EPSG:4490) come within ``distance_m`` metres of any site.

    Distances are measured in the CGCS2000 3° Gauss-Krüger zone of each geometry.
    """
    import geopandas as gpd

    from fossilgis.geo import CRS_GEOGRAPHIC, gk_zone_numbers, metric_crs_for_zone

    geoms = np.asarray(geoms, dtype=object)
    hit = np.zeros(len(geoms), dtype=bool)
    present = ~shapely.is_missing(geoms)
    site_geoms = np.asarray(sites.geometry.values) if sites is not None else np.array([])
    site_geoms = site_geoms[~shapely.is_missing(site_geoms)] if len(site_geoms) else site_geoms
    if not present.any() or len(site_geoms) == 0:
        return hit
    zones = np.zeros(len(geoms), dtype=int)
    zones[present] = gk_zone_numbers(shapely.get_x(shapely.centroid(geoms[present])))
    for zone in np.unique(zones[present]):
        sel = present & (zones == zone)
        crs = metric_crs_for_zone(int(zone))
        mine = gpd.GeoSeries(geoms[sel], crs=CRS_GEOGRAPHIC).to_crs(crs).values
        tree = shapely.STRtree(gpd.GeoSeries(site_geoms, crs=CRS_GEOGRAPHIC).to_crs(crs).values)
        rows, _ = tree.query(np.asarray(mine), predicate="dwithin", distance=distance_m)
        idx = np.flatnonzero(sel)
        hit[idx[np.unique(rows)]] = True
    return hit


def attention_reach_m(rules) -> float:
    """How far from a site its attention zone reaches (the widest of all levels), metres."""
    from fossilgis.schema import PROTECTION_LEVELS

    return max(
        [float(rules.attention_distance_m)]
        + [float(rules.control_distance_for("site", lvl)) for lvl in PROTECTION_LEVELS]
    )


def public_layer(gdf, kind: str, *, sites=None, rules=None, cell_deg: float = DEFAULT_CELL_DEG):
    """A reference layer (EPSG:4490) as anonymous visitors may see it.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The precise layer (``store.read_layer(kind)``).
    kind : str
        ``"sites"`` or ``"sections"``.
    sites : geopandas.GeoDataFrame, optional
        The precise sites; needed for sections: a section within a site's attention zone
        would draw the site, so it is generalised like the site.
    rules : fossilgis.rules.Rules, optional
        Gives the attention distance (default: :func:`fossilgis.rules.load_rules`).
    cell_deg : float
        Grid cell size in degrees.

    Returns
    -------
    geopandas.GeoDataFrame
        Same rows; only the :data:`PUBLIC_FIELDS` of ``kind`` (free text scrubbed of
        coordinates, ``extra`` and any other column dropped); a boolean column
        ``generalised``: every site, and each section within a site's attention zone, as
        the ~1 km grid cells it touches.
    """
    import geopandas as gpd
    import pandas as pd

    from fossilgis.schema import check_kind

    check_kind(kind)
    if not cell_deg > 0:
        raise ValueError(f"cell_deg must be a positive number of degrees, got {cell_deg!r}")
    keep = [c for c in PUBLIC_FIELDS[kind] if c in gdf.columns]
    out = gpd.GeoDataFrame(gdf[keep].copy(), geometry=list(gdf.geometry.values), crs=gdf.crs)
    for col in keep:
        if col not in _CODE_FIELDS and not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = [public_text(v) for v in out[col]]
    geoms = np.asarray(gdf.geometry.values)
    if kind == "sites":
        mask = np.ones(len(out), dtype=bool)
    else:
        if rules is None:
            from fossilgis.rules import load_rules

            rules = load_rules()
        mask = near_sites(geoms, sites, attention_reach_m(rules))
    public = geoms.copy()
    if mask.any():
        public[mask] = generalise_geometries(geoms[mask], cell_deg)
    out = out.set_geometry(list(public), crs=gdf.crs)
    out["generalised"] = mask
    return out


def generalise_sites(gdf, *, cell_deg: float = DEFAULT_CELL_DEG):
    """A copy of a site layer (EPSG:4490) whose geometry is generalised for the public.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Sites in geographic coordinates (EPSG:4490).
    cell_deg : float
        Grid cell size in degrees; each site becomes the union of the cells it touches.

    Returns
    -------
    geopandas.GeoDataFrame
        Same rows and attributes, geometry replaced, ``extra`` emptied (it may hold the
        source's exact coordinates), and a boolean column ``generalised`` set to True.
        Attributes are not scrubbed: public routes use :func:`public_layer`.
    """
    if not cell_deg > 0:
        raise ValueError(f"cell_deg must be a positive number of degrees, got {cell_deg!r}")
    out = gdf.copy()
    out[out.geometry.name] = list(generalise_geometries(gdf.geometry.values, cell_deg))
    if "extra" in out:
        out["extra"] = [{} for _ in range(len(out))]
    out["generalised"] = True
    return out


def public_patrols(gdf):
    """Patrols (``store.list_patrols()``, ``uuid`` or ``id``) as the public may see them.

    When and how much, not where or which site: the per-site dates of patrols would
    rebuild the staff-only coverage layer (which sites nobody visited lately). Keeps
    :data:`PUBLIC_PATROL_FIELDS`; the geometry is emptied.
    """
    import geopandas as gpd

    keep = [c for c in PUBLIC_PATROL_FIELDS if c in gdf.columns]
    return gpd.GeoDataFrame(gdf[keep].copy(), geometry=[None] * len(gdf), crs=gdf.crs)
