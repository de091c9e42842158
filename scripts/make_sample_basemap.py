"""Render a small sample basemap of Guizhou from the context layers, as MBTiles or PMTiles.

The office's own basemap is an archive it brings; this sample proves the path end to end
without any download: it draws the shipped context layers (``layers/context/``: the
province outline, main rivers and prefecture cities, read with
:func:`fossilgis.context.read_context`) into 256-pixel PNG tiles in Web Mercator (XYZ),
zooms 6–10 over the province by default (~430 tiles, ~1 MB), and writes them with proper
metadata (name, format, bounds, center, zooms, attribution). Then::

    .venv/bin/python scripts/make_sample_basemap.py /tmp/guizhou-sample.mbtiles
    fossilgis basemap import /tmp/guizhou-sample.mbtiles --name sample

Place labels are Chinese and English when a CJK font is installed (WenQuanYi or Noto CJK,
Debian's fonts-wqy-zenhei / fonts-noto-cjk), English only otherwise: the tiles' bytes
depend on the fonts found, nothing else (the same machine gives the same file).
CGCS2000 coordinates are drawn as WGS 84 (they agree to centimetres).
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

#: drawn at this many times 256 pixels, then scaled down (smooth lines and text)
SUPERSAMPLE = 2
#: degrees drawn around the province's outline
MARGIN_DEG = 0.3
COLOURS = {
    "outside": (236, 238, 232),
    "province": (250, 246, 232),
    "outline": (150, 110, 70),
    "river": (120, 170, 215),
    "place": (60, 60, 60),
    "halo": (255, 255, 255),
}
FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


def world_px(lon, lat, z: int):
    """Web Mercator pixel coordinates (256-pixel tiles) of lon/lat arrays at zoom z."""
    import numpy as np

    scale = 256 * (1 << z)
    lat = np.clip(lat, -85.05, 85.05)
    x = (np.asarray(lon) + 180.0) / 360.0 * scale
    y = (1 - np.arcsinh(np.tan(np.radians(lat))) / math.pi) / 2 * scale
    return x, y


def tile_range(bounds, z: int):
    """(x0, x1, y0, y1): the XYZ tiles of zoom z covering (west, south, east, north)."""
    west, south, east, north = bounds
    (x0, x1), (y1, y0) = world_px([west, east], [south, north], z)
    last = (1 << z) - 1
    return (
        int(x0 // 256),
        min(int(x1 // 256), last),
        max(int(y0 // 256), 0),
        min(int(y1 // 256), last),
    )


def _font(size: int):
    from PIL import ImageFont

    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size=size), False


def _projected(z: int, layers):
    """Each layer's rings or lines (lists of (x, y) pixel tuples) and bounding boxes."""
    import numpy as np
    import shapely

    out = {}
    for name, gdf in layers.items():
        parts = []
        for geom in gdf.geometry:
            pieces = getattr(geom, "geoms", [geom])
            for piece in pieces:
                lines = [piece.exterior, *piece.interiors] if name == "province" else [piece]
                for line in lines:
                    xy = shapely.get_coordinates(line)
                    px, py = world_px(xy[:, 0], xy[:, 1], z)
                    pts = np.column_stack([px, py])
                    parts.append((pts, (px.min(), py.min(), px.max(), py.max())))
        out[name] = parts
    return out


def render_tile(z, x, y, shapes, places, font, bilingual: bool) -> bytes:
    """One PNG tile: province fill and outline, rivers, cities with labels."""
    from PIL import Image, ImageDraw

    s = SUPERSAMPLE
    size = 256 * s
    ox, oy = x * 256, y * 256
    image = Image.new("RGB", (size, size), COLOURS["outside"])
    draw = ImageDraw.Draw(image)

    def visible(box, pad=0):
        return (
            box[2] >= ox - pad
            and box[0] <= ox + 256 + pad
            and box[3] >= oy - pad
            and (box[1] <= oy + 256 + pad)
        )

    def local(pts):
        return [((px - ox) * s, (py - oy) * s) for px, py in pts]

    for pts, box in shapes["province"]:
        if visible(box):
            draw.polygon(local(pts), fill=COLOURS["province"])
    river_width = max(1, z - 6) * s
    for pts, box in shapes["rivers"]:
        if visible(box, 4):
            draw.line(local(pts), fill=COLOURS["river"], width=river_width, joint="curve")
    for pts, box in shapes["province"]:
        if visible(box, 4):
            draw.line(local(pts), fill=COLOURS["outline"], width=2 * s, joint="curve")
    radius = (2 + max(0, z - 7)) * s
    for row in places:
        px, py = world_px([row.geometry.x], [row.geometry.y], z)
        cx, cy = (px[0] - ox) * s, (py[0] - oy) * s
        if not (-400 * s <= cx <= 300 * s and -40 * s <= cy <= 300 * s):
            continue
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=COLOURS["place"])
        label = f"{row.name_zh} {row.name_en}" if bilingual and row.name_zh else row.name_en
        draw.text(
            (cx + radius + 2 * s, cy),
            label,
            font=font,
            fill=COLOURS["place"],
            anchor="lm",
            stroke_width=2 * s,
            stroke_fill=COLOURS["halo"],
        )
    small = image.resize((256, 256), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
    return out.getvalue()


def render_tiles(minzoom: int = 6, maxzoom: int = 10):
    """``({(z, x, y): png}, bounds, bilingual)`` over the province plus a margin."""
    from fossilgis.context import read_context

    layers = {name: read_context(name) for name in ("province", "rivers")}
    places = list(read_context("places").itertuples())
    w, s, e, n = layers["province"].total_bounds
    bounds = (w - MARGIN_DEG, s - MARGIN_DEG, e + MARGIN_DEG, n + MARGIN_DEG)
    tiles = {}
    bilingual = False
    for z in range(minzoom, maxzoom + 1):
        font, bilingual = _font(11 * SUPERSAMPLE)
        shapes = _projected(z, layers)
        x0, x1, y0, y1 = tile_range(bounds, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                tiles[(z, x, y)] = render_tile(z, x, y, shapes, places, font, bilingual)
    return tiles, bounds, bilingual


def metadata(bounds, minzoom: int, maxzoom: int) -> dict:
    from fossilgis.context import ATTRIBUTION

    west, south, east, north = bounds
    return {
        "name": "贵州示例底图 Guizhou sample basemap",
        "format": "png",
        "type": "baselayer",
        "version": "1",
        "description": "Sample basemap rendered from fossilgis layers/context "
        "(province, rivers, places) by scripts/make_sample_basemap.py",
        "attribution": ATTRIBUTION["en"],
        "bounds": f"{west:.4f},{south:.4f},{east:.4f},{north:.4f}",
        "center": f"{(west + east) / 2:.4f},{(south + north) / 2:.4f},{minzoom + 1}",
        "minzoom": str(minzoom),
        "maxzoom": str(maxzoom),
    }


def write_archive(out: Path, tiles: dict, meta: dict) -> None:
    """Write ``tiles`` ({(z, x, y): png}) to ``out`` (.mbtiles or .pmtiles), atomically."""
    from fossilgis._pmtiles import write_pmtiles
    from fossilgis._xyz_tiles import write_mbtiles
    from fossilgis.io.atomic import atomic_output

    with atomic_output(out) as tmp:
        if out.suffix.lower() == ".pmtiles":
            bounds = [float(v) for v in meta["bounds"].split(",")]
            with open(tmp, "wb") as fh:
                write_pmtiles(fh, tiles, tile_type="png", metadata=meta, bounds=bounds)
        else:
            write_mbtiles(tmp, meta, ((z, x, y, t) for (z, x, y), t in sorted(tiles.items())))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the archive to write: OUT.mbtiles or OUT.pmtiles")
    parser.add_argument("--minzoom", type=int, default=6)
    parser.add_argument("--maxzoom", type=int, default=10)
    args = parser.parse_args(argv)
    if args.out.suffix.lower() not in (".mbtiles", ".pmtiles"):
        parser.error(f"{args.out}: the name must end in .mbtiles or .pmtiles")
    if not 0 <= args.minzoom <= args.maxzoom <= 14:
        parser.error("zooms: expected 0 ≤ --minzoom ≤ --maxzoom ≤ 14")
    started = time.perf_counter()
    tiles, bounds, bilingual = render_tiles(args.minzoom, args.maxzoom)
    write_archive(args.out, tiles, metadata(bounds, args.minzoom, args.maxzoom))
    labels = "Chinese and English" if bilingual else "English (no CJK font found)"
    print(
        f"{args.out}: {len(tiles)} tiles, zooms {args.minzoom}–{args.maxzoom}, "
        f"{args.out.stat().st_size / 1024:.0f} KB, labels in {labels}, "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
