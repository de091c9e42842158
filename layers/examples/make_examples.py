"""Write the sample project footprints of the tour (shapefile, DXF red line, 界址点 TXT).

Run ``.venv/bin/python layers/examples/make_examples.py``; the outputs sit beside this
script and are byte-for-byte reproducible. Coordinates are computed from longitude/latitude
with pyproj (always_xy=True), so they are right in the CRS each file pretends to be in.
"""

from __future__ import annotations

import math
import os
import sys
import zipfile
from pathlib import Path

import ezdxf
import geopandas as gpd
import pyogrio
from pyproj import Transformer
from shapely.geometry import LineString, Polygon

HERE = Path(__file__).resolve().parent

# Fossil sites the samples are placed near (lon, lat), from domain/localities.md.
GUANLING = (105.4, 25.9)
KAILI = (108.414, 26.081)
QINGYAN = (106.7, 26.3)

#: fixed DBF "last update" date and zip timestamps, so reruns give identical bytes
FIXED_DATE = (2025, 1, 1)


def to_gk(epsg: int):
    """lon/lat -> (easting, northing) in a CGCS2000 GK CRS with zone prefix."""
    tr = Transformer.from_crs("EPSG:4490", f"EPSG:{epsg}", always_xy=True)
    return lambda lon, lat: tr.transform(lon, lat)


def _fix_dbf_date(dbf: Path) -> None:
    # Bytes 1-3 of a DBF header hold the date of last update (YY-1900, MM, DD).
    data = bytearray(dbf.read_bytes())
    data[1:4] = bytes([FIXED_DATE[0] - 1900, FIXED_DATE[1], FIXED_DATE[2]])
    dbf.write_bytes(bytes(data))


def make_highway() -> list[Path]:
    """G320 alignment through the Guanling biota: GBK attributes, no .prj, no .cpg."""
    fwd = to_gk(4523)
    lonlat = [
        (105.371, 25.878),
        (105.381, 25.884),
        (105.396, 25.897),
        (105.404, 25.903),
        (105.418, 25.914),
        (105.428, 25.924),
    ]
    line = LineString([fwd(lon, lat) for lon, lat in lonlat])
    gdf = gpd.GeoDataFrame(
        {
            "名称": ["关岭至兴义高速公路K12段"],
            "路线编号": ["G320"],
            "路基宽度": [26.0],
            "设计单位": ["贵州省交通规划勘察设计研究院"],
        },
        geometry=[line],
        crs="EPSG:4523",
    )
    folder = HERE / "highway"
    folder.mkdir(exist_ok=True)
    shp = folder / "highway_g320.shp"
    for old in folder.glob("highway_g320.*"):
        old.unlink()
    pyogrio.write_dataframe(gdf, shp, encoding="gbk")
    # An honest sample of what reviewers receive: no .prj and no .cpg.
    shp.with_suffix(".prj").unlink()
    shp.with_suffix(".cpg").unlink()
    _fix_dbf_date(shp.with_suffix(".dbf"))
    parts = [shp.with_suffix(s) for s in (".shp", ".shx", ".dbf")]
    zpath = HERE / "highway_g320.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in parts:
            info = zipfile.ZipInfo(p.name, date_time=(*FIXED_DATE, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, p.read_bytes())
    return [*parts, zpath]


def make_quarry() -> Path:
    """A quarry red line (closed LWPOLYLINE with an arc bulge) ~600 m east of the Kaili biota."""
    fwd = to_gk(4524)
    cx, cy = fwd(*KAILI)
    # 300 m x 200 m, west edge 600 m east of the site; the east edge is a bulging arc.
    x0, y0 = round(cx + 600.0, 2), round(cy - 100.0, 2)
    x1, y1 = x0 + 300.0, y0 + 200.0
    ezdxf.options.write_fixed_meta_data_for_testing = True  # fixed GUIDs and dates
    doc = ezdxf.new("R2004")
    doc.encoding = "gbk"  # written as $DWGCODEPAGE = ANSI_936, as Chinese CAD does
    doc.layers.add("红线", color=1)
    doc.layers.add("标注", color=7)
    msp = doc.modelspace()
    msp.add_lwpolyline(
        [(x0, y0, 0.0), (x1, y0, 0.4), (x1, y1, 0.0), (x0, y1, 0.0)],
        format="xyb",
        close=True,
        dxfattribs={"layer": "红线"},
    )
    msp.add_text(
        "凯里八郎采石场用地红线",
        dxfattribs={"layer": "标注", "height": 10.0, "insert": (x0, y1 + 20.0)},
    )
    out = HERE / "quarry_kaili.dxf"
    doc.saveas(out)
    return out


def _ring(fwd, lon, lat, dx0, dy0, dx1, dy1):
    """A rectangle offset (m) from a site, counter-clockwise, as GK (easting, northing)."""
    cx, cy = fwd(lon, lat)
    pts = [(cx + dx0, cy + dy0), (cx + dx1, cy + dy0), (cx + dx1, cy + dy1), (cx + dx0, cy + dy1)]
    return [(round(x, 3), round(y, 3)) for x, y in pts]


def make_parcels() -> Path:
    """Two parcels near the Qingyan fauna in the 报部 界址点 TXT format, GBK, Y with prefix 36."""
    fwd = to_gk(4524)
    # Parcel 1 overlaps the ~600 m site disc; parcel 2 lies 1.5 km north with a hole.
    p1 = _ring(fwd, *QINGYAN, 300.0, -250.0, 800.0, 250.0)
    p2_outer = _ring(fwd, *QINGYAN, -400.0, 1500.0, 400.0, 2100.0)
    p2_hole = _ring(fwd, *QINGYAN, -100.0, 1700.0, 100.0, 1900.0)
    parcels = [
        ("QY-01", "青岩镇物流园一期", "工业用地", "0601", [(1, p1)]),
        ("QY-02", "青岩镇安置区", "住宅用地", "0701", [(1, p2_outer), (2, p2_hole)]),
    ]
    lines = [
        "[属性描述]",
        "格式版本号=1.01版本",
        "数据产生单位=贵阳市花溪区自然资源局",
        "数据产生日期=2025-01-01",
        "坐标系=2000国家大地坐标系",
        "几度分带=3",
        "投影类型=高斯克吕格",
        "计量单位=米",
        "带号=36",
        "精度=0.001",
        "转换参数=,,,,,,",
        "[地块坐标]",
    ]
    for code, name, use, landclass, rings in parcels:
        area_m2 = Polygon(rings[0][1], [r for _n, r in rings[1:]]).area
        n_points = sum(len(r) + 1 for _n, r in rings)
        lines.append(f"{n_points},{area_m2 / 10_000:.4f},{code},{name},面,,{use},{landclass},@")
        k = 1
        for ring_no, ring in rings:
            first = k
            for x_east, y_north in ring:
                # 报部 format: X is the northing, Y the easting with the zone prefix 36.
                lines.append(f"J{k},{ring_no},{y_north:.3f},{x_east:.3f}")
                k += 1
            lines.append(f"J{first},{ring_no},{ring[0][1]:.3f},{ring[0][0]:.3f}")
    out = HERE / "parcels_qingyan.txt"
    out.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return out


def main() -> None:
    # ezdxf orders some DXF objects by set iteration, which follows Python's string-hash
    # seed; re-run with a fixed seed so the DXF is byte-for-byte reproducible.
    if os.environ.get("PYTHONHASHSEED") != "0":
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    for p in [*make_highway(), make_quarry(), make_parcels()]:
        print(p.relative_to(HERE), p.stat().st_size, "bytes")
    # The site disc radii the samples were placed against, for the record.
    print(f"Guanling 1 km disc: {math.pi * 1000**2 / 1e4:.1f} ha; Qingyan 600 m disc")


if __name__ == "__main__":
    main()
