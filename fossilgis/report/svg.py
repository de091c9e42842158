"""The sketch map of the HTML report, as plain data for ``templates/sketch_map.svg``.

The footprints (red) and the affected targets (brown, labelled) projected to their
Gauss-Krüger zone and fitted into the drawing, with a scale bar. This module only computes
coordinates; the template writes (and escapes) the SVG.
"""

from __future__ import annotations

import numpy as np
import shapely

WIDTH, HEIGHT = 640, 420


def sketch_map(footprints, targets) -> dict | None:
    """The shapes, labels and scale bar of a project's map; None when it has no geometry.

    Parameters
    ----------
    footprints : GeoDataFrame
        The project's footprints, in EPSG:4490 longitude/latitude.
    targets : list of (str, shapely geometry)
        The affected targets to draw, with their labels (plain text).

    Returns
    -------
    dict or None
        ``width``, ``height``, ``shapes`` (in drawing order, each a dict with ``tag``
        ``path`` / ``polyline`` / ``circle``, ``cls`` and its coordinates), ``labels``
        (``x``, ``y``, ``text``) drawn after their target, and ``scale_bar``
        (``x2``, ``label``).
    """
    import geopandas as gpd

    from fossilgis.geo import gk_zone_numbers, metric_crs_for_zone

    geoms = [g for g in footprints.geometry.values if g is not None and not g.is_empty]
    if not geoms:
        return None
    allg = geoms + [g for _, g in targets]
    c = shapely.centroid(shapely.union_all(geoms))
    zone = int(gk_zone_numbers([c.x])[0])
    proj = gpd.GeoSeries(allg, crs="EPSG:4490").to_crs(metric_crs_for_zone(zone)).values
    minx, miny, maxx, maxy = shapely.total_bounds(proj)
    span = max(maxx - minx, maxy - miny, 200.0) * 1.1
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    scale = min(WIDTH, HEIGHT) / span

    def xy(x, y) -> tuple[str, str]:
        return f"{(x - cx) * scale + WIDTH / 2:.1f}", f"{HEIGHT / 2 - (y - cy) * scale:.1f}"

    def pts(coords) -> str:
        return " ".join(",".join(xy(x, y)) for x, y in coords)

    def shapes(g, cls) -> list[dict]:
        out = []
        for part in getattr(g, "geoms", [g]):
            if part.geom_type == "Polygon":
                d = " ".join(f"M{pts(r.coords)}Z" for r in [part.exterior, *part.interiors])
                out.append({"tag": "path", "cls": cls, "d": d})
            elif part.geom_type in ("LineString", "LinearRing"):
                out.append({"tag": "polyline", "cls": cls, "points": pts(part.coords)})
            elif part.geom_type == "Point":
                x, y = xy(*part.coords[0][:2])
                out.append({"tag": "circle", "cls": cls, "cx": x, "cy": y})
        return out

    n = len(geoms)
    items = []
    for (label, _), g in zip(targets, proj[n:]):
        x, y = xy(*g.representative_point().coords[0][:2])
        items.append({"shapes": shapes(g, "tg"), "label": {"x": x, "y": y, "text": label}})
    footprint_shapes = [s for g in proj[:n] for s in shapes(g, "fp")]
    # scale bar: a round length near a fifth of the width
    goal = span / 5
    bar = 10 ** np.floor(np.log10(goal))
    bar = bar * (5 if goal / bar >= 5 else 2 if goal / bar >= 2 else 1)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "targets": items,
        "footprints": footprint_shapes,
        "scale_bar": {
            "x2": f"{20 + bar * scale:.1f}",
            "label": f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m",
        },
    }
