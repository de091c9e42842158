"""The sketch map of the HTML report, as plain data for ``templates/sketch_map.svg``.

The footprints (red), the affected targets (brown, labelled) with the construction-control
and attention zone edges that graded them (dashed), and geographic context (grey,
unlabelled), all projected to the footprints' CGCS2000 3° Gauss-Krüger zone. Rings are
buffered there, in metres. North is up to within the meridian convergence (under 1.5° in
Guizhou). Around them: a frame with the longitude and latitude of two opposite corners, a
legend, a scale bar and a north arrow. This module only computes coordinates and words; the
template writes (and escapes) the SVG.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import shapely

from fossilgis.report.locator import INSET_H, INSET_W, SAMPLES
from fossilgis.report.wording import both, pick_sentence

#: the map frame, in SVG pixels; the drawing adds margins for the corner coordinates
WIDTH, HEIGHT = 640, 420
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 10, 20, 36

#: the words on the map, by the class of what they explain
WORDS = {
    "legend": {"zh": "图例", "en": "Legend"},
    "fp": {"zh": "项目范围", "en": "Project footprint"},
    "tg": {"zh": "化石产地、层型剖面边界", "en": "Site or section boundary"},
    "ring-c": {"zh": "建设控制地带外缘", "en": "Control zone edge"},
    "ring-a": {"zh": "关注区外缘", "en": "Attention zone edge"},
    "north": {"zh": "北", "en": "N"},
    "crs": {"zh": "高斯-克吕格 3° 分带 第 {zone} 带", "en": "3° Gauss-Krüger zone {zone}"},
}


class MapTarget(NamedTuple):
    """An affected target to draw: its label, EPSG:4490 geometry, kind and level."""

    label: str
    geometry: object
    kind: str  # "site" | "section"
    protection_level: str


class ContextItem(NamedTuple):
    """A geometry drawn lightly for orientation.

    ``label`` names it in the legend (one legend row per ``cls``); ``cls`` is its style in
    the template (``ctx``: other sites and sections; ``ctx-prov``, ``ctx-river``,
    ``ctx-place`` …: the context layers, :mod:`fossilgis.report.locator`); ``name``, when
    given, is written beside it on the map (a city's name).
    """

    label: str
    geometry: object
    cls: str = "ctx"
    name: str = ""


def _text_px(text: str, size: float = 11) -> float:
    """A rough width of ``text`` in pixels: CJK characters are square, others about half."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.58 for ch in text)


def _dms(value: float) -> str:
    s = round(abs(value) * 3600)
    return f"{s // 3600}°{s % 3600 // 60:02d}′{s % 60:02d}″"


def _corner_text(lon: float, lat: float, lang: str | None) -> str:
    """``东经 105°21′24″  北纬 25°55′35″`` or ``105°21′24″ E  25°55′35″ N``."""
    if lang == "zh":
        return f"东经 {_dms(lon)}  北纬 {_dms(lat)}"
    return f"{_dms(lon)} {'E' if lon >= 0 else 'W'}  {_dms(lat)} {'N' if lat >= 0 else 'S'}"


def _rings(targets: list[MapTarget], metric, rules) -> list[tuple[str, object, float]]:
    """``(cls, zone outline polygon, distance from the core edge)`` for every target.

    As the engine draws them (:mod:`fossilgis.zones`): a section's core is its trace
    buffered by ``section_core_halfwidth_m``; the control zone reaches the control width
    from the core edge, the attention zone the larger of that and the attention distance.
    """
    if rules is None:
        return []
    attention = float(rules.attention_distance_m)
    half = float(rules.section_core_halfwidth_m)
    out = []
    for t, g in zip(targets, metric):
        core = shapely.buffer(g, half) if t.kind == "section" else g
        control = float(rules.control_distance_for(t.kind, t.protection_level))
        reach = max(attention, control)
        out.append(("ring-a", shapely.buffer(core, reach), reach))
        out.append(("ring-c", shapely.buffer(core, control), control))
    return out


def _distances(rings, cls: str) -> str:
    return "/".join(f"{d:g}" for d in sorted({d for c, _, d in rings if c == cls})) + " m"


def _scale_bar(metres_across: float, scale: float) -> dict:
    """A round length near a fifth of the frame, drawn at the lower left."""
    goal = metres_across / 5
    bar = 10 ** np.floor(np.log10(goal))
    bar = float(bar * (5 if goal / bar >= 5 else 2 if goal / bar >= 2 else 1))
    label = f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m"
    px = bar * scale
    return {
        "box_width": f"{px + _text_px(label) + 30:.1f}",
        "x1": "16",
        "xm": f"{16 + px / 2:.1f}",
        "x2": f"{16 + px:.1f}",
        "half": f"{px / 2:.1f}",
        "label_x": f"{22 + px:.1f}",
        "label": label,
    }


class _Frame:
    """The map frame over Gauss-Krüger metres: ``(x0, y0)``–``(x1, y1)`` at ``scale`` px/m."""

    def __init__(self, bounds) -> None:
        minx, miny, maxx, maxy = bounds
        dx, dy = max(maxx - minx, 200.0) * 1.1, max(maxy - miny, 200.0) * 1.1
        self.scale = min(WIDTH / dx, HEIGHT / dy)
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        half_w, half_h = WIDTH / 2 / self.scale, HEIGHT / 2 / self.scale
        self.x0, self.y0, self.x1, self.y1 = cx - half_w, cy - half_h, cx + half_w, cy + half_h
        pad = 0.02 * (self.x1 - self.x0)
        #: what is drawn is cut to this box (a little beyond the frame, which clips)
        self.clip = (self.x0 - pad, self.y0 - pad, self.x1 + pad, self.y1 + pad)

    def xy(self, x, y) -> tuple[str, str]:
        return f"{(x - self.x0) * self.scale:.1f}", f"{(self.y1 - y) * self.scale:.1f}"

    def box(self, px: float, py: float, w: float, h: float):
        """The pixel box (left, top, width, height) in metres."""
        s = self.scale
        return shapely.box(
            self.x0 + px / s, self.y1 - (py + h) / s, self.x0 + (px + w) / s, self.y1 - py / s
        )

    def shapes(self, g, cls: str) -> list[dict]:
        """SVG shapes of ``g`` (metres), cut to the frame."""
        if g.geom_type != "Point":
            g = shapely.clip_by_rect(g, *self.clip)
        out = []
        for part in getattr(g, "geoms", [g]):
            if part.is_empty:
                continue
            if part.geom_type == "Polygon":
                d = " ".join(f"M{self._pts(r.coords)}Z" for r in [part.exterior, *part.interiors])
                out.append({"tag": "path", "cls": cls, "d": d})
            elif part.geom_type in ("LineString", "LinearRing"):
                out.append({"tag": "polyline", "cls": cls, "points": self._pts(part.coords)})
            elif part.geom_type == "Point":
                x, y = self.xy(*part.coords[0][:2])
                out.append({"tag": "circle", "cls": cls, "cx": x, "cy": y})
            else:  # a collection left by clipping
                out += self.shapes(part, cls)
        return out

    def _pts(self, coords) -> str:
        return " ".join(",".join(self.xy(x, y)) for x, y, *_ in coords)


def _legend(rows: list[tuple[str, str, str]], lang: str | None, frame: _Frame, drawn) -> dict:
    """The legend box of ``rows`` (cls, sample, text) at the lower right or the upper left
    corner of the frame, whichever hides less of ``drawn`` ((weight, geometry) in metres)."""
    title = both(WORDS["legend"], lang)
    width = 44 + max(_text_px(t) for t in [title] + [r[2] for r in rows])
    height = 24 + 16 * len(rows)

    def hidden(corner) -> float:
        box = frame.box(*corner, width, height)
        return sum(w * shapely.area(shapely.intersection(box, g)) for w, g in drawn)

    x, y = min([(WIDTH - width - 8, HEIGHT - height - 8), (8, 8)], key=hidden)
    return {
        "x": f"{x:.1f}",
        "y": f"{y:.1f}",
        "width": f"{width:.1f}",
        "height": f"{height:.1f}",
        "title": title,
        "title_y": f"{y + 15:.1f}",
        "sample_x": f"{x + 8:.1f}",
        "sample_x2": f"{x + 30:.1f}",
        "sample_cx": f"{x + 19:.1f}",
        "text_x": f"{x + 36:.1f}",
        "rows": [
            {"cls": cls, "sample": sample, "text": text, "y": f"{y + 32 + 16 * i:.1f}"}
            for i, (cls, sample, text) in enumerate(rows)
        ],
    }


def sketch_map(
    footprints, targets=(), *, rules=None, context=(), lang=None, inset=None
) -> dict | None:
    """The shapes, labels, legend, scale bar, north arrow and corners of a project's map.

    Parameters
    ----------
    footprints : GeoDataFrame
        The project's footprints, in EPSG:4490 longitude/latitude.
    targets : sequence of MapTarget or (label, geometry, kind, protection_level)
        The affected targets to draw with their labels (plain text), in EPSG:4490.
    rules : fossilgis.rules.Rules, optional
        When given, each target's control-zone and attention-zone edges are drawn.
    context : sequence of ContextItem or (label, geometry, cls)
        Geometries (EPSG:4490) drawn lightly under everything where they reach the frame.
    lang : {"zh", "en", None}
        The language of the legend, the corners and the north arrow.
    inset : callable, optional
        ``inset((x, y)) -> dict``: the locator inset drawn with its upper-left corner at
        frame pixel ``(x, y)``, in the corner the legend leaves free
        (:func:`fossilgis.report.locator.locator`).

    Returns
    -------
    dict or None
        None when the project has no geometry. Else ``width``, ``height`` (the drawing),
        ``frame`` (``x``, ``y``, ``width``, ``height``), the shape lists ``context``,
        ``rings``, ``footprints`` and ``targets`` (each with ``shapes`` and ``label``) in
        frame pixels (a shape is a dict with ``tag`` ``path`` / ``polyline`` / ``circle``,
        ``cls`` and its coordinates), ``legend``, ``scale_bar``, ``north``, ``corners`` and
        ``crs_note``.
    """
    import geopandas as gpd
    from pyproj import Transformer

    from fossilgis.geo import CRS_GEOGRAPHIC, GK_ZONES, gk_zone_numbers, metric_crs_for_zone

    geoms = [g for g in footprints.geometry.values if g is not None and not g.is_empty]
    if not geoms:
        return None
    targets = [MapTarget(*t) for t in targets if t[1] is not None and not t[1].is_empty]
    context = [ContextItem(*c) for c in context if c[1] is not None and not c[1].is_empty]
    zone = int(gk_zone_numbers([shapely.centroid(shapely.union_all(geoms)).x])[0])
    crs = metric_crs_for_zone(zone)

    def metric(gs) -> list:
        gs = list(gs)
        return list(gpd.GeoSeries(gs, crs=CRS_GEOGRAPHIC).to_crs(crs).values) if gs else []

    fp, tg = metric(geoms), metric(t.geometry for t in targets)
    rings = _rings(targets, tg, rules)
    # the frame holds the footprints, the targets and their control zones
    frame = _Frame(shapely.total_bounds([*fp, *tg, *(g for k, g, _ in rings if k == "ring-c")]))
    # context where it reaches the frame: tested in degrees, then drawn in metres
    to_deg = Transformer.from_crs(crs, CRS_GEOGRAPHIC, always_xy=True)
    frame_m = shapely.segmentize(shapely.box(*frame.clip), (frame.x1 - frame.x0) / 8)
    frame_deg = shapely.transform(frame_m, lambda a: np.column_stack(to_deg.transform(*a.T)))
    context = [i for i in context if shapely.intersects(i.geometry, frame_deg)]
    items = []
    for t, g in zip(targets, tg):
        drawn = shapely.clip_by_rect(g, *frame.clip)
        if not drawn.is_empty:
            x, y = frame.xy(*drawn.representative_point().coords[0][:2])
            label = {"x": x, "y": y, "text": t.label}
            items.append({"shapes": frame.shapes(g, "tg"), "label": label})

    kinds = {g.geom_type.removeprefix("Multi") for g in fp}
    sample = "rect" if "Polygon" in kinds else "line" if "LineString" in kinds else "dot"
    rows = [("fp", sample, both(WORDS["fp"], lang))]
    if items:
        rows.append(("tg", "rect", both(WORDS["tg"], lang)))
    for cls in ("ring-c", "ring-a"):
        if any(k == cls for k, _, _ in rings):
            rows.append((cls, "line", f"{both(WORDS[cls], lang)} ({_distances(rings, cls)})"))
    rows += [(cls, SAMPLES.get(cls, "rect"), label) for cls, label in _context_rows(context)]
    # footprints weigh most: the legend should never hide the project
    px4 = 4 / frame.scale
    drawn = [(4.0, shapely.buffer(g, px4)) for g in fp] + [
        (1.0, shapely.buffer(g, px4)) for g in tg
    ]

    legend = _legend(rows, lang, frame, drawn)
    free = (8, 8) if float(legend["x"]) > 8 else (WIDTH - INSET_W - 8, HEIGHT - INSET_H - 8)
    names = []
    for item, g in zip(context, metric(i.geometry for i in context)):
        if item.name and shapely.intersects(g, shapely.box(*frame.clip)):
            x, y = frame.xy(*shapely.get_coordinates(g)[0])
            label = {"x": f"{float(x) + 5:.1f}", "y": f"{float(y) - 4:.1f}", "text": item.name}
            names.append(label)
    nw, se = to_deg.transform(frame.x0, frame.y1), to_deg.transform(frame.x1, frame.y0)
    crs_words = pick_sentence(WORDS["crs"], lang).format(zone=zone)
    return {
        "width": WIDTH + 2 * MARGIN_X,
        "height": HEIGHT + MARGIN_TOP + MARGIN_BOTTOM,
        "frame": {"x": MARGIN_X, "y": MARGIN_TOP, "width": WIDTH, "height": HEIGHT},
        "context": [
            s
            for item, g in zip(context, metric(i.geometry for i in context))
            for s in frame.shapes(g, item.cls)
        ],
        "rings": [s for k, g, _ in rings for s in frame.shapes(g, k)],
        "targets": items,
        "footprints": [s for g in fp for s in frame.shapes(g, "fp")],
        "context_names": names,
        "inset": inset(free) if inset is not None else {},
        "legend": legend,
        "scale_bar": _scale_bar(WIDTH / frame.scale, frame.scale),
        "north": {"x": WIDTH - 22, "text": both(WORDS["north"], lang)},
        "corners": [
            {
                "x": MARGIN_X,
                "y": MARGIN_TOP - 6,
                "anchor": "start",
                "text": _corner_text(*nw, lang),
            },
            {
                "x": MARGIN_X + WIDTH,
                "y": MARGIN_TOP + HEIGHT + 14,
                "anchor": "end",
                "text": _corner_text(*se, lang),
            },
        ],
        "crs_note": {
            "x": MARGIN_X,
            "y": MARGIN_TOP + HEIGHT + 30,
            "text": f"CGCS2000 {crs_words} (EPSG:{GK_ZONES[zone][1]})",
        },
    }


def _context_rows(context: list[ContextItem]) -> list[tuple[str, str]]:
    """``(cls, label)`` of each kind of context drawn, once, in the order first met."""
    rows: dict[str, str] = {}
    for item in context:
        rows.setdefault(item.cls, item.label)
    return list(rows.items())
