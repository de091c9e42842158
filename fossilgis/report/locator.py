"""The context of a report's sketch map: the province, its rivers and cities where they
reach the frame, and a small locator inset that shows where in Guizhou the project lies.

Drawn from the context layers (:mod:`fossilgis.context`: the office's own files in the
store's data directory, else the shipped ones); when none is there the map simply has no
context. This module only computes coordinates and words; the template writes the SVG.
"""

from __future__ import annotations

import math

import shapely

from fossilgis.report.wording import both

#: the inset, in SVG pixels (inside the map frame, in the corner the legend leaves free)
INSET_W, INSET_H = 120, 92
#: context layers drawn in the frame: (layer, ContextItem class, legend words)
FRAME_LAYERS = (
    ("counties", "ctx-county", {"zh": "县界", "en": "County boundary"}),
    ("province", "ctx-prov", {"zh": "省界", "en": "Province boundary"}),
    ("rivers", "ctx-river", {"zh": "河流", "en": "River"}),
    ("roads", "ctx-road", {"zh": "道路", "en": "Road"}),
    ("places", "ctx-place", {"zh": "市（州）驻地", "en": "City"}),
)
#: how each context class is shown in the legend
SAMPLES = {"ctx-county": "line", "ctx-prov": "line", "ctx-river": "line", "ctx-road": "line"}
SAMPLES["ctx-place"] = "dot"
LOCATION = {"zh": "项目位置", "en": "Location"}


def _read(name: str, data_dir):
    from fossilgis.context import available_context_layers, read_context

    if name not in available_context_layers(data_dir):
        return None
    return read_context(name, data_dir)


def context_items(data_dir, lang: str | None) -> list:
    """ContextItems of every available context layer (polygons as their outlines, so that
    they never hide the sites), with the places' names as labels."""
    from fossilgis.report.svg import ContextItem

    items = []
    for name, cls, words in FRAME_LAYERS:
        gdf = _read(name, data_dir)
        if gdf is None:
            continue
        label = both(words, lang)
        names = _names(gdf, lang)
        for geom, text in zip(gdf.geometry.values, names):
            if geom is None or geom.is_empty:
                continue
            if geom.geom_type in ("Polygon", "MultiPolygon"):
                geom = geom.boundary
            items.append(ContextItem(label, geom, cls, text if name == "places" else ""))
    return items


def _names(gdf, lang: str | None) -> list[str]:
    zh = gdf["name_zh"].tolist() if "name_zh" in gdf else [None] * len(gdf)
    en = gdf["name_en"].tolist() if "name_en" in gdf else [None] * len(gdf)
    out = []
    for a, b in zip(zh, en):
        a = a if isinstance(a, str) else ""
        b = b if isinstance(b, str) else ""
        out.append((b or a) if lang == "en" else (a or b))
    return out


def locator(footprints_deg, data_dir, lang: str | None, corner: tuple[float, float]) -> dict:
    """The locator inset at ``corner`` (its upper-left pixel in the frame): the province
    outline, the cities and a marker on the project; {} without a province layer."""
    province = _read("province", data_dir)
    if province is None or not len(province):
        return {}
    outline = shapely.union_all(province.geometry.values)
    minx, miny, maxx, maxy = outline.bounds
    k = math.cos(math.radians((miny + maxy) / 2))  # equirectangular at the mid latitude
    scale = min((INSET_W - 12) / ((maxx - minx) * k), (INSET_H - 22) / (maxy - miny))
    x0, y0 = corner

    def xy(lon, lat):
        return (
            round(x0 + 6 + (lon - minx) * k * scale, 1),
            round(y0 + 16 + (maxy - lat) * scale, 1),
        )

    rings = []
    simple = shapely.simplify(outline, 0.5 / scale)
    for poly in getattr(simple, "geoms", [simple]):
        pts = " ".join(f"{x},{y}" for x, y in (xy(*c[:2]) for c in poly.exterior.coords))
        rings.append(pts)
    cities = []
    places = _read("places", data_dir)
    if places is not None:
        for g in places.geometry.values:
            if g is not None and not g.is_empty:
                cities.append(dict(zip(("cx", "cy"), xy(g.centroid.x, g.centroid.y))))
    c = shapely.centroid(shapely.union_all(list(footprints_deg)))
    mx, my = xy(c.x, c.y)
    return {
        "x": x0,
        "y": y0,
        "width": INSET_W,
        "height": INSET_H,
        "title": both(LOCATION, lang),
        "title_x": x0 + 6,
        "title_y": y0 + 12,
        "rings": rings,
        "cities": cities,
        "marker": {"cx": mx, "cy": my},
    }
