"""The patrol report's pictures as SVG text, drawn on the server: bar charts (patrols per
county, per month) and the effort map (the grid of :mod:`fossilgis.patrols.effort`).

No script, no external file: the SVG is inline in the web page and the printable report.
Every text is escaped here (:func:`esc`), so callers may insert the result as markup.
Labels are Chinese, English or both (``lang`` None), as the rest of the report.
"""

from __future__ import annotations

import html
import math
import re

import numpy as np

from fossilgis.report.wording import both

#: sequential colours of the effort classes (ColorBrewer YlOrRd, 5 classes)
CLASS_COLOURS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
#: lower bounds (patrols per cell) of the classes: 1, 2–3, 4–7, 8–15, 16 and more
CLASS_BREAKS = [1, 2, 4, 8, 16]
#: cells drawn at most; a larger grid is drawn in merged cells (the busiest cell shown)
MAX_DRAWN_CELLS = 40_000
BAR_COLOUR = "#3b6ea8"
#: the effort map shows at least this span (metres) around the patrolled cells
MIN_SPAN_M = 20_000.0
#: a cell is drawn at least this size (pixels) so that a single one stays visible
MIN_CELL_PX = 4.0
WORDS = {
    "by_county": {"zh": "各县巡护次数", "en": "Patrols per county"},
    "by_month": {"zh": "各月巡护次数", "en": "Patrols per month"},
    "none": {"zh": "本期无巡护", "en": "No patrols in this period"},
    "effort": {"zh": "巡护强度（每格巡护次数）", "en": "Patrol effort (patrols per cell)"},
    "cell": {"zh": "网格 {cell}，{crs}", "en": "cells of {cell}, {crs}"},
    "merged": {
        "zh": "显示为 {cell} 合并格（取最大值）",
        "en": "drawn as {cell} cells (busiest shown)",
    },
    "targets": {"zh": "化石产地、层型剖面", "en": "Sites and sections"},
    "north": {"zh": "北", "en": "N"},
}
#: characters XML 1.0 does not allow: a layer's text may hold them
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def esc(text) -> str:
    """``text`` escaped for SVG/HTML text and attribute values."""
    return html.escape(_NOT_XML.sub("\ufffd", str(text)), quote=True)


def _width(text: str, size: float = 12) -> float:
    """A rough width of ``text`` in pixels: CJK characters are square, others about half."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.58 for ch in text)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _svg(width: float, height: float, body: list[str], label: str, cls: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{cls}" role="img" '
        f'aria-label="{esc(label)}" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'style="max-width:100%;height:auto" font-family="sans-serif" font-size="12">'
        + "".join(body)
        + "</svg>"
    )


def bar_chart(items, title: str, *, horizontal: bool, empty: str, cls: str = "chart") -> str:
    """A bar chart of ``items`` (label, value) with each value written at its bar."""
    items = [(str(label), float(value)) for label, value in items]
    top = 24
    body = [f'<text x="0" y="15" font-weight="bold">{esc(title)}</text>']
    if not items or max(v for _, v in items) <= 0:
        body.append(f'<text x="0" y="{top + 16}">{esc(empty)}</text>')
        return _svg(480, top + 28, body, title, cls)
    high = max(v for _, v in items)
    if horizontal:
        left = min(260.0, max(_width(label) for label, _ in items) + 8)
        room, row = 480 - left - 60, 20
        for i, (label, value) in enumerate(items):
            y = top + i * row
            w = room * value / high
            body.append(
                f'<text x="{left - 6:.1f}" y="{y + 14}" text-anchor="end">{esc(label)}</text>'
                f'<rect x="{left:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
                f'fill="{BAR_COLOUR}"/>'
                f'<text x="{left + w + 4:.1f}" y="{y + 14}">{esc(_number(value))}</text>'
            )
        return _svg(480, top + len(items) * row + 6, body, title, cls)
    slot = max(28.0, min(80.0, 440 / len(items)))
    plot_h, base = 160, top + 16 + 160
    for i, (label, value) in enumerate(items):
        x = 30 + i * slot
        h = plot_h * value / high
        body.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{base - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" fill="{BAR_COLOUR}"/>'
            f'<text x="{x + slot / 2:.1f}" y="{base - h - 4:.1f}" text-anchor="middle">'
            f"{esc(_number(value))}</text>"
            f'<text x="{x + slot / 2:.1f}" y="{base + 14}" text-anchor="middle" '
            f'font-size="{11 if slot >= 56 else 9}">{esc(label)}</text>'
        )
    body.append(
        f'<line x1="26" y1="{base}" x2="{34 + len(items) * slot:.1f}" y2="{base}" stroke="#555"/>'
    )
    return _svg(max(480.0, 40 + len(items) * slot), base + 22, body, title, cls)


def county_chart(report, lang: str | None) -> str:
    """Patrols per county (counties with patrols, most first)."""
    counties = report.counties[report.counties["patrols"] > 0]
    counties = counties.sort_values("patrols", ascending=False, kind="stable")
    names = counties["county_zh"] if lang == "zh" else counties["county_en"]
    if lang is None:
        names = counties["county_zh"] + " " + counties["county_en"]
    items = list(zip(names, counties["patrols"]))
    return bar_chart(
        items,
        both(WORDS["by_county"], lang),
        horizontal=True,
        empty=both(WORDS["none"], lang),
        cls="chart chart-county",
    )


def month_chart(report, lang: str | None) -> str:
    """Patrols per month of the period."""
    items = list(zip(report.months["month"], report.months["patrols"]))
    return bar_chart(
        items,
        both(WORDS["by_month"], lang),
        horizontal=False,
        empty=both(WORDS["none"], lang),
        cls="chart chart-month",
    )


def classes(patrols) -> np.ndarray:
    """The effort class (0–4) of each count of patrols."""
    return np.searchsorted(CLASS_BREAKS, np.asarray(patrols), side="right") - 1


def _drawn_cells(grid, cell_m: float):
    """(cols, rows, patrols, cell size) to draw: the grid, or merged cells when too many."""
    factor = 1
    if len(grid) > MAX_DRAWN_CELLS:
        factor = math.ceil(math.sqrt(len(grid) / MAX_DRAWN_CELLS)) + 1
    cols, rows = grid["col"].to_numpy() // factor, grid["row"].to_numpy() // factor
    if factor == 1:
        return cols, rows, grid["patrols"].to_numpy(), cell_m, 1
    import pandas as pd

    merged = pd.DataFrame({"c": cols, "r": rows, "p": grid["patrols"].to_numpy()})
    merged = merged.groupby(["c", "r"], as_index=False)["p"].max()
    return (
        merged["c"].to_numpy(),
        merged["r"].to_numpy(),
        merged["p"].to_numpy(),
        cell_m * factor,
        factor,
    )


def _size_text(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


def effort_map(grid, meta: dict, lang: str | None, *, outline=None, points=None) -> str:
    """The effort grid as a map: cells coloured by patrols, the province outline and the
    sites and sections (``points``, lon/lat) for orientation, a legend and a scale bar.

    Parameters
    ----------
    grid : geopandas.GeoDataFrame
        :meth:`fossilgis.patrols.effort.EffortGrid.frame`.
    meta : dict
        ``cell_m`` and ``crs`` of the grid.
    outline, points : geopandas.GeoSeries, optional
        Lon/lat (EPSG:4490) geometries drawn under and over the cells.
    """
    import shapely

    crs, cell_m = meta["crs"], float(meta["cell_m"])
    title = both(WORDS["effort"], lang)
    cols, rows, counts, size, factor = _drawn_cells(grid, cell_m)
    outline = None if outline is None else outline.to_crs(crs)
    points = None if points is None else points.to_crs(crs)
    boxes = []
    if len(cols):  # framed on the patrolled cells, with room around them
        x0, y0 = cols.min() * size, rows.min() * size
        x1, y1 = (cols.max() + 1) * size, (rows.max() + 1) * size
        pad = max(0.15 * max(x1 - x0, y1 - y0), (MIN_SPAN_M - max(x1 - x0, y1 - y0)) / 2, 0)
        boxes.append((x0 - pad, y0 - pad, x1 + pad, y1 + pad))
    else:
        boxes += [tuple(e.total_bounds) for e in (outline, points) if e is not None and len(e)]
    if not boxes:
        empty = both(WORDS["none"], lang)
        return bar_chart([], title, horizontal=True, empty=empty, cls="effort-map")
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    span = max(x1 - x0, y1 - y0, size)
    width, top, margin = 600.0, 24.0, 10.0
    scale = (width - 2 * margin) / span
    height = top + (y1 - y0) * scale + 2 * margin

    def px(x, y):
        return margin + (x - x0) * scale, top + margin + (y1 - y) * scale

    body = [f'<text x="0" y="15" font-weight="bold">{esc(title)}</text>']
    frame_h = height - top - 2 * margin
    body.append(
        f'<clipPath id="effort-frame"><rect x="{margin}" y="{top + margin}" '
        f'width="{width - 2 * margin:.1f}" height="{frame_h:.1f}"/></clipPath>'
        f'<g clip-path="url(#effort-frame)">'
        f'<rect x="{margin}" y="{top + margin}" width="{width - 2 * margin:.1f}" '
        f'height="{frame_h:.1f}" fill="#fbfbfb" stroke="#ccc"/>'
    )
    if outline is not None:
        for polygon in shapely.get_parts(np.asarray(outline, dtype=object)):
            rings = shapely.get_rings(polygon)
            d = "".join(
                "M" + " ".join(f"{a:.1f},{b:.1f}" for a, b in (px(x, y) for x, y in xy)) + "Z"
                for xy in (shapely.get_coordinates(r) for r in rings)
            )
            body.append(f'<path d="{d}" fill="#f1f1ea" stroke="#999" fill-rule="evenodd"/>')
    side = max(size * scale, MIN_CELL_PX)
    shift = (side - size * scale) / 2  # a small cell drawn larger, on its centre
    klass = classes(counts)
    for k, colour in enumerate(CLASS_COLOURS):
        chosen = klass == k
        if not chosen.any():
            continue
        xs, ys = cols[chosen] * size, (rows[chosen] + 1) * size
        d = "".join(
            f"M{a - shift:.1f} {b - shift:.1f}h{side:.2f}v{side:.2f}h{-side:.2f}z"
            for a, b in (px(x, y) for x, y in zip(xs, ys))
        )
        body.append(f'<path class="effort-{k}" d="{d}" fill="{colour}" stroke="none"/>')
    if points is not None and len(points):
        for x, y in shapely.get_coordinates(points.representative_point().to_numpy()):
            a, b = px(x, y)
            body.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.2" fill="none" stroke="#333"/>')
    body.append("</g>")
    body += _legend(width, height, lang, cell_m, crs, size if factor > 1 else None)
    body += _scale_bar(scale, height + 64, margin)
    body.append(
        f'<text x="{width - 14}" y="{top + 22}" text-anchor="middle" font-weight="bold">'
        f"{esc(both(WORDS['north'], lang))}</text>"
        f'<path d="M{width - 14} {top + 26}l-5 12h10z" fill="#333"/>'
    )
    return _svg(width, height + 84, body, title, "effort-map")


def _legend(width, height, lang, cell_m, crs, merged) -> list[str]:
    out = []
    bounds = zip(CLASS_BREAKS, CLASS_BREAKS[1:])
    labels = [f"{lo}–{hi - 1}" if hi - 1 > lo else f"{lo}" for lo, hi in bounds]
    labels.append(f"≥{CLASS_BREAKS[-1]}")
    for k, (colour, label) in enumerate(zip(CLASS_COLOURS, labels)):
        x = 10 + k * 70
        out.append(
            f'<rect x="{x}" y="{height + 4}" width="14" height="14" fill="{colour}" stroke="#999"/>'
            f'<text x="{x + 18}" y="{height + 15}">{esc(label)}</text>'
        )
    x = 10 + len(CLASS_COLOURS) * 70
    out.append(
        f'<circle cx="{x + 6}" cy="{height + 11}" r="2.2" fill="none" stroke="#333"/>'
        f'<text x="{x + 14}" y="{height + 15}">{esc(both(WORDS["targets"], lang))}</text>'
    )
    note = both(WORDS["cell"], lang).format(cell=_size_text(cell_m), crs=crs)
    if merged:
        note += "; " + both(WORDS["merged"], lang).format(cell=_size_text(merged))
    out.append(f'<text x="10" y="{height + 36}" font-size="11" fill="#444">{esc(note)}</text>')
    return out


def _scale_bar(scale: float, y: float, x: float) -> list[str]:
    """A scale bar of a round length about 100 px long."""
    target = 100 / scale
    nice = 10 ** math.floor(math.log10(target))
    nice *= next((m for m in (5, 2, 1) if nice * m <= target), 1)
    w = nice * scale
    return [
        f'<path d="M{x} {y - 6}v6h{w:.1f}v-6" fill="none" stroke="#333"/>'
        f'<text x="{x + w + 6:.1f}" y="{y}">{esc(_size_text(nice))}</text>'
    ]
