"""Generate the demonstration layers sites.geojson and sections.geojson from the public CSV.

Run from the repository root::

    .venv/bin/python layers/make_demo_layers.py            # rewrite layers/*.geojson
    .venv/bin/python layers/make_demo_layers.py --check    # exit 1 if the files would change

The output is deterministic: the same CSV gives the same bytes. Every sizing choice is a
named constant or a table row below, with its reason; ``layers/README.md`` explains them
for readers who do not read Python.

Geometry recipe
---------------
* Each CSV row gives one documented point (lon, lat in degrees; CGCS2000 ≡ CRS84 at this
  accuracy). The point is projected into its CGCS2000 3° Gauss-Krüger zone
  (:func:`fossilgis.geo.gk_zone_for_lon`, :func:`fossilgis.geo.metric_crs_for_zone`).
* A **site** becomes a regular polygon of :data:`POLYGON_VERTICES` vertices centred on the
  point, whose planar area in the GK zone equals the target area: a documented extent where
  the sources give a usable one (:data:`SITE_AREA_M2`), else the area of a disc of radius
  :data:`DEFAULT_SITE_RADIUS_M`.
* A **section** becomes a straight line of :data:`DEFAULT_SECTION_LENGTH_M` centred on the
  point, along grid north–south of the GK zone (:data:`DEFAULT_SECTION_AZIMUTH_DEG`), because
  no public source gives a trace direction or a trace length.
* Text attributes are cleaned of the registry's working notes (:func:`clean_row`: the
  rules :data:`STATUS_NOTE_RULES`, :data:`STATUS_REWRITE` and the table :data:`FIELD_EDITS`);
  the CSV itself stays a verbatim copy. A `status` with nothing left is ``null``.
* Vertices are transformed back to lon/lat and rounded to :data:`COORD_DECIMALS` decimals.
  Rings are counter-clockwise (RFC 7946 §3.1.6).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from pathlib import Path

LAYERS_DIR = Path(__file__).resolve().parent
REPO_ROOT = LAYERS_DIR.parent
CSV_PATH = LAYERS_DIR / "sources" / "registry_second_pass.csv"

if str(REPO_ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(REPO_ROOT))

from fossilgis.geo import CRS_GEOGRAPHIC, gk_zone_for_lon, metric_crs_for_zone  # noqa: E402

#: vertices of each site polygon (closing vertex not counted); 64 keeps the area within
#: 0.16 % of the disc while staying small in the diff
POLYGON_VERTICES = 64

#: decimals of lon/lat in the files: 1e-6° is about 0.1 m, far below any accuracy class
COORD_DECIMALS = 6

#: a site without a documented extent: disc-equivalent radius 500 m (area 0.785 km²). Of the
#: order of the one documented core zone (Guanling, 0.94 km², radius 547 m) and small
#: enough that sites sharing a county-seat point do not swallow each other's control zones.
DEFAULT_SITE_RADIUS_M = 500.0

#: a section trace: 400 m. The thicknesses in the sources (e.g. Kaili Fm 277.5 m) are
#: stratigraphic thicknesses, not outcrop trace lengths, so none is used.
DEFAULT_SECTION_LENGTH_M = 400.0

#: direction unknown for every section: grid north–south (azimuth 0°) in the GK zone
DEFAULT_SECTION_AZIMUTH_DEG = 0.0

#: documented extents used as site areas (m²), with the reason. Sites not listed use the
#: default radius. Extents considered and NOT used are listed in SITE_AREA_NOT_USED.
SITE_AREA_M2: dict[str, tuple[float, str]] = {
    "GZ-F03": (
        0.94e6,
        "Guanling core zone 0.94 km² (localities.md §2, [R13]); the 200 km² reserve and 86 km² "
        "planning area are landscape designations, not the fossil site's core",
    ),
}

#: extents in the sources that are not used, and why (documentation only)
SITE_AREA_NOT_USED: dict[str, str] = {
    "GZ-F21": "Maotai tracksite ~350 m² [R58] is a disc of radius 10.6 m: smaller than the "
    "±15 km position error and than drawing precision, so it cannot be screened; default used",
    "GZ-F01": "Miaoling National Geopark 225 km² [R5] is a geopark, not the biota outcrop",
    "GZ-F03/F04/F08": "the three Triassic biotas' ~82.43 km² [R27] is a combined figure "
    "without a split per site",
}

#: positional uncertainty per accuracy class, metres (localities.md §1 "Accuracy classes")
ACCURACY_CLASS_M: dict[str, int] = {
    "A": 100,  # published GPS coordinate, ±0.1 km (stated)
    "B": 2_000,  # minute-level coordinate, about ±2 km (stated)
    "C": 10_000,  # PBDB/Fossilworks 0.1° grid, about ±10 km (stated)
    # county seat: the source says the site "may lie 10–50 km away"; §1b uses 25 km as the
    # conservative radius for most county-seat rows (also about the radius of an average
    # Guizhou county, ~2 000 km²)
    "D": 25_000,
    # prefecture seat: not stated per class; §1b uses 30 km for its prefecture/district rows
    "E": 30_000,
}

#: row-specific radii stated in localities.md (§1 main table or the §1b `acc_km` column) that
#: differ from the class value; they replace it. Source row numbers are the earlier pass's.
ACCURACY_OVERRIDE_M: dict[str, tuple[int, str]] = {
    "GZ-S10": (40_000, "§1 row 20 'D (±40 km)'; §1b acc_km 40"),
    "GZ-S11": (40_000, "§1b row 21 acc_km 40"),
    "GZ-S13": (10_000, "§1b row 26 acc_km 10 (section about 8 km W of the seat)"),
    "GZ-S14": (10_000, "§1b row 27 acc_km 10 (section 7 km S of the seat)"),
    "GZ-F03": (15_000, "§1 row 5 'C (±15 km)'; §1b acc_km 15"),
    "GZ-F05": (35_000, "§1 row 7 'D (±35 km)'; §1b acc_km 35"),
    "GZ-F08": (50_000, "§1 row 9 'D (±50 km; Xinmin is far from the seat)'; §1b acc_km 50"),
    "GZ-F10": (30_000, "§1b row 11 acc_km 30 (county unverified)"),
    "GZ-F16": (30_000, "§1b row 16 acc_km 30"),
    "GZ-F19": (10_000, "§1b row 27 acc_km 10 (Honghuayuan/Shanwangmiao row)"),
    "GZ-F20": (15_000, "§1b row 29 acc_km 15"),
    "GZ-F21": (15_000, "§1 row 30 'D (±15 km)'; §1b acc_km 15"),
    "GZ-F31": (15_000, "§1 row 35 'C (±15 km)'; §1b acc_km 15"),
}

#: protection levels that are not `general`, each with the statement in the sources.
#: Everything else is `general` because no public source states a designation.
PROTECTION_LEVEL: dict[str, tuple[str, str]] = {
    "GZ-F03": (
        "national_key",
        "national key protected fossil concentration site, 1st batch 2014 [R14][R15]",
    ),
    "GZ-F14": (
        "provincial_key",
        "贵州省重点古生物化石产地 (provincial key fossil site) and provincial geopark [R41]",
    ),
    "GZ-F05": (
        "provincial_key",
        "provincial cultural-relic protection unit (省级文物保护单位) [R19]: a provincial "
        "designation under cultural-relic law, screened as provincial key",
    ),
    "GZ-F34": (
        "national_key",
        "national key cultural-relic protection unit 2001 (全国重点文物保护单位): Quaternary "
        "human-related fossils fall under cultural-relic law (条例 Art. 2)",
    ),
    "GZ-F35": (
        "national_key",
        "national monument 1996 (全国重点文物保护单位): Quaternary human-related fossils fall "
        "under cultural-relic law (条例 Art. 2)",
    ),
}

PROTECTION_LEVELS = ("national_key", "provincial_key", "general")

# ---------------------------------------------------------------------------------------
# Cleaning: the registry CSV is a working document. Its text columns carry the compiler's
# notes (row numbers of the earlier pass, "NEW", PBDB record numbers, a second source's
# coordinate, how a point was chosen, what an excerpt did not show). Shipped attributes are
# for users, so the notes are removed here, by the explicit rules and tables below, never
# by editing the CSV (it stays a verbatim copy). layers/README.md ("Cleaning") lists them.
# What a note said about position is already carried by `accuracy_class` / `accuracy_m`.
# ---------------------------------------------------------------------------------------

#: the `status` value of the three reserve sections (the CSV says "RESERVE (beyond 16)"):
#: kept in `status`, the field the schema (fossilgis/schema.py) has for it
RESERVE_STATUS = "Reserve section (beyond the 16 core sections)"

#: `status` parts (the CSV joins parts with "; ") that are working notes, each with why it
#: goes. A part matching one of these is dropped whole.
STATUS_NOTE_RULES: tuple[tuple[str, str], ...] = (
    (r"earlier row \d+.*", "row number in the earlier registry pass (bookkeeping)"),
    (r"NEW", "'new in this pass' flag (bookkeeping)"),
    (r"RESERVE \(beyond 16\)", f"registry flag; replaced by {RESERVE_STATUS!r}"),
    (
        r"PBDB \d+(?:/\d+)*(?: \(.*\))?",
        "PBDB record number and how its point was placed; "
        "the record is the `source` URL, the point's quality is `accuracy_class`",
    ),
    (
        r"showcaves gives .*",
        "a second source's coordinate; the 0.5 km spread is within class B (accuracy_m 2 000)",
    ),
    (r"prefecture-seat point .*", "how the point was chosen; that is accuracy class E"),
    (
        r"site ~\d+ km [NSEW]{1,3} of .*",
        "offset of the site from the county-seat point; within class D (accuracy_m 25 000)",
    ),
    (
        r"County now supported by .*",
        "note on verifying the county; accuracy_m 30 000 already covers the unverified county",
    ),
    (r"Locality only partly resolved", "note on locating the site; that is accuracy class D"),
)

#: `status` parts kept but reworded so that a user can read them
STATUS_REWRITE: dict[str, str] = {
    "RESERVE (beyond 16)": RESERVE_STATUS,
    "Science 2023": "Described in Science (2023)",
    "OAB study section": "Olenekian-Anisian boundary study section",
    "leading candidate is Desli Caira (Romania)": "leading GSSP candidate is Desli Caira (Romania)",
    "Not national-level as of 2017": "Not a national-level site as of 2017",
    "One of best O/S sections in China": "One of the best Ordovician-Silurian boundary "
    "sections in China",
}

#: other attributes whose CSV value carries a working note: (id, field) →
#: (the CSV value, the shipped value, what was removed). The CSV value is checked, so a
#: changed registry row stops the generator instead of being silently overwritten.
FIELD_EDITS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("GZ-S02", "fossils_or_boundary"): (
        "Lithostratotype; de.wikipedia instead puts type locality at Wuliu-Zengjiayan (conflict)",
        "Lithostratotype",
        "note on a conflict between sources",
    ),
    ("GZ-S04", "fossils_or_boundary"): (
        "Bioclastic limestone; fossil list not captured from the lexicon excerpt",
        "Bioclastic limestone",
        "note on what the excerpt did not show",
    ),
    ("GZ-S05", "name_en"): (
        "Balang Fm auxiliary section, Zhangjiapo (20 km N of Jiangkou seat)",
        "Balang Fm auxiliary section, Zhangjiapo",
        "offset from the county seat (the point is the section's own class-B coordinate)",
    ),
    ("GZ-S05", "fossils_or_boundary"): (
        "Auxiliary section; type section Palang-Niuchang ~15 km NW of Duyun not located",
        "Auxiliary section",
        "note that another place (the type section) was not located",
    ),
    ("GZ-S06", "fossils_or_boundary"): (
        "Lower part rich in trilobites; type locality ~2 km SE of old Meitan seat",
        "Lower part rich in trilobites",
        "position of another place (the type locality)",
    ),
    ("GZ-S07", "age"): (
        "Cambrian Series 2 (age interval not captured)",
        "Cambrian Series 2",
        "note on what the excerpt did not show",
    ),
    ("GZ-S07", "fossils_or_boundary"): (
        "Archaeocyathid limestone interbeds; type locality ~17 km NW of Zunyi seat",
        "Archaeocyathid limestone interbeds",
        "position of another place (the type locality)",
    ),
    ("GZ-S08", "fossils_or_boundary"): (
        "Dolomite succession; no fossils noted in excerpt",
        "Dolomite succession",
        "note on what the excerpt did not show",
    ),
    ("GZ-S11", "county_zh"): (
        "罗甸县（仅据任务书）",
        "罗甸县（推定）",
        "'per brief only': the county is not stated in a source, i.e. inferred (推定)",
    ),
    ("GZ-S11", "county_en"): (
        "Luodian (per brief only)",
        "Luodian (inferred)",
        "'per brief only': the county is not stated in a source, i.e. inferred",
    ),
    ("GZ-S13", "name_en"): (
        "Meitan Fm type section, Wulipo (8 km W of Meitan)",
        "Meitan Fm type section, Wulipo",
        "offset from the county-seat point; in accuracy_m (10 000)",
    ),
    ("GZ-S14", "name_en"): (
        "Tongzi & Honghuayuan Fm type sections, Honghuayuan (7 km S of Tongzi)",
        "Tongzi & Honghuayuan Fm type sections, Honghuayuan",
        "offset from the county-seat point; in accuracy_m (10 000)",
    ),
    ("GZ-S19", "name_en"): (
        "Hanjiadian Fm type section (5 km N of Tongzi)",
        "Hanjiadian Fm type section, Hanjiadian village",
        "offset from the county-seat point, within class D (accuracy_m 25 000); the "
        "village named as in name_zh (韩家店村)",
    ),
    ("GZ-S19", "age"): (
        "Silurian (stage not captured)",
        "Silurian",
        "note on what the excerpt did not show",
    ),
    ("GZ-F07", "fossils_or_boundary"): (
        "Xingyi biota (listed as a source area)",
        "Xingyi biota",
        "note on how the row was sourced",
    ),
    ("GZ-F09", "age"): (
        "Ediacaran (~570 Ma per J. Paleont.)",
        "Ediacaran (~570 Ma)",
        "citation (the source is the `source` field)",
    ),
    ("GZ-F12", "name_zh"): (
        "金沙长岩沟牛蹄塘生物群（汉字未核实）",
        "金沙长岩沟牛蹄塘生物群",
        "'characters not verified' (汉字未核实): the place name is transliterated from "
        "'Changyangou' and is listed in layers/README.md as unverified",
    ),
    ("GZ-F13", "name_en"): (
        "Douposi Fm trilobite locality (Yankong area, inferred)",
        "Douposi Fm trilobite locality, Yankong area",
        "uncertainty of the place, already in county_en '(inferred)' and accuracy class C",
    ),
}

#: text that must not be left in any shipped text attribute (the generator refuses to
#: write it); tests/test_layers_data.py keeps its own, wider list
WORKING_NOTE_PATTERNS: tuple[str, ...] = (
    r"earlier row",
    r"\bNEW\b",
    r"RESERVE",
    r"PBDB \d",
    r"landmark-based",
    r"TODO",
    r"\d+\.\d{3,}",
    r"\d+\.\d+/\d+\.\d+",
    r"°",
    r"per brief",
    r"not captured",
    r"excerpt",
    r"未核实",
    r"任务书",
    r"\d+ km [NSEW]{1,3} of",
    r"\?",
)

#: text attributes of the CSV (all but ids, codes, coordinates and the source URL)
TEXT_COLUMNS = (
    "name_zh",
    "name_en",
    "county_zh",
    "county_en",
    "age",
    "formation",
    "fossils_or_boundary",
    "status",
)


def _split_parts(value: str) -> list[str]:
    """Split a registry text at top-level "; " (not inside parentheses)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(value):
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth -= 1
        elif ch == ";" and depth == 0:
            parts.append(value[start:i].strip())
            start = i + 1
    parts.append(value[start:].strip())
    return [p for p in parts if p]


def clean_status(value: str) -> str | None:
    """The user-facing `status`: the registry value without its working notes.

    Each "; "-separated part is dropped when it matches a :data:`STATUS_NOTE_RULES`
    pattern, reworded when :data:`STATUS_REWRITE` lists it, and otherwise kept as it is.
    Reserve sections keep their flag as :data:`RESERVE_STATUS`.

    Parameters
    ----------
    value : str
        The CSV `status` cell.

    Returns
    -------
    str or None
        The kept parts joined by "; ", or None when nothing is left.
    """
    kept = []
    for part in _split_parts(value):
        if part in STATUS_REWRITE:
            kept.append(STATUS_REWRITE[part])
        elif not any(re.fullmatch(pattern, part) for pattern, _ in STATUS_NOTE_RULES):
            kept.append(part)
    return "; ".join(kept) or None


def clean_row(row: dict[str, str]) -> dict[str, str | None]:
    """A copy of a registry row with :data:`FIELD_EDITS` applied and `status` cleaned.

    Raises
    ------
    ValueError
        When a FIELD_EDITS entry no longer matches the CSV, or when a working note
        (:data:`WORKING_NOTE_PATTERNS`) is left in a text attribute.
    """
    out: dict[str, str | None] = dict(row)
    for (fid, column), (source, clean, _why) in FIELD_EDITS.items():
        if fid == row["id_hint"]:
            if row[column] != source:
                raise ValueError(
                    f"{fid} {column}: CSV value {row[column]!r} is not {source!r}; "
                    "update FIELD_EDITS"
                )
            out[column] = clean
    out["status"] = clean_status(row["status"])
    for column in TEXT_COLUMNS:
        value = out[column]
        for pattern in WORKING_NOTE_PATTERNS:
            if value is not None and re.search(pattern, value):
                raise ValueError(
                    f"{row['id_hint']} {column}: working note left in {value!r} "
                    f"(matches {pattern!r}); add a cleaning rule"
                )
    return out


#: property order of each layer (the schema; layers/README.md documents each field)
SITE_FIELDS = (
    "id", "name_zh", "name_en", "county_zh", "county_en", "age", "formation", "fossils",
    "protection_level", "status", "accuracy_class", "accuracy_m", "boundary_status",
    "source", "lon", "lat",
)  # fmt: skip
SECTION_FIELDS = tuple("boundary" if f == "fossils" else f for f in SITE_FIELDS)


def read_registry(path: Path = CSV_PATH) -> list[dict[str, str]]:
    """Read the registry CSV (UTF-8, header row) as a list of dicts, in file order.

    Parameters
    ----------
    path : Path
        The CSV copied verbatim from ``localities.md`` ("Extended registry (second pass)").

    Returns
    -------
    list of dict
        One dict per row, values as strings.
    """
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _transformers(lon: float):
    from pyproj import Transformer

    zone = gk_zone_for_lon(lon)
    metric = metric_crs_for_zone(zone.zone)
    fwd = Transformer.from_crs(CRS_GEOGRAPHIC, metric, always_xy=True)
    inv = Transformer.from_crs(metric, CRS_GEOGRAPHIC, always_xy=True)
    return fwd, inv


def _round(xy: tuple[float, float]) -> list[float]:
    # + 0.0 turns a -0.0 into 0.0 so the text never depends on the sign of zero
    return [round(xy[0], COORD_DECIMALS) + 0.0, round(xy[1], COORD_DECIMALS) + 0.0]


def site_polygon(lon: float, lat: float, area_m2: float) -> dict:
    """A regular polygon of planar GK area ``area_m2`` centred on (lon, lat), as GeoJSON.

    Parameters
    ----------
    lon, lat : float
        Centre in CGCS2000 degrees.
    area_m2 : float
        Target area in the local CGCS2000 3° GK zone, m².

    Returns
    -------
    dict
        A GeoJSON Polygon with a counter-clockwise, closed exterior ring.
    """
    fwd, inv = _transformers(lon)
    cx, cy = fwd.transform(lon, lat)
    n = POLYGON_VERTICES
    # area of a regular n-gon with circumradius R is n/2 R² sin(2π/n)
    radius = math.sqrt(2.0 * area_m2 / (n * math.sin(2.0 * math.pi / n)))
    ring = []
    for k in range(n):  # counter-clockwise from east
        t = 2.0 * math.pi * k / n
        ring.append(_round(inv.transform(cx + radius * math.cos(t), cy + radius * math.sin(t))))
    ring.append(list(ring[0]))
    return {"type": "Polygon", "coordinates": [ring]}


def section_line(lon: float, lat: float, length_m: float, azimuth_deg: float) -> dict:
    """A straight line of ``length_m`` centred on (lon, lat) along a grid azimuth, as GeoJSON.

    Parameters
    ----------
    lon, lat : float
        Centre in CGCS2000 degrees.
    length_m : float
        Planar length in the local CGCS2000 3° GK zone, m.
    azimuth_deg : float
        Grid azimuth, degrees clockwise from grid north. The line runs from the
        ``azimuth + 180°`` end to the ``azimuth`` end.

    Returns
    -------
    dict
        A GeoJSON LineString with two vertices.
    """
    fwd, inv = _transformers(lon)
    cx, cy = fwd.transform(lon, lat)
    half = length_m / 2.0
    dx = half * math.sin(math.radians(azimuth_deg))
    dy = half * math.cos(math.radians(azimuth_deg))
    coords = [_round(inv.transform(cx - dx, cy - dy)), _round(inv.transform(cx + dx, cy + dy))]
    return {"type": "LineString", "coordinates": coords}


def accuracy_m(row: dict[str, str]) -> int:
    """Positional uncertainty in metres: a stated row value, else the class value."""
    override = ACCURACY_OVERRIDE_M.get(row["id_hint"])
    return override[0] if override else ACCURACY_CLASS_M[row["accuracy"]]


def _properties(row: dict[str, str], kind: str) -> dict:
    level = PROTECTION_LEVEL.get(row["id_hint"], ("general", ""))[0]
    row = clean_row(row)
    props = {
        "id": row["id_hint"],
        "name_zh": row["name_zh"],
        "name_en": row["name_en"],
        "county_zh": row["county_zh"],
        "county_en": row["county_en"],
        "age": row["age"],
        "formation": row["formation"],
        "fossils" if kind == "site" else "boundary": row["fossils_or_boundary"],
        "protection_level": level,
        "status": row["status"],
        "accuracy_class": row["accuracy"],
        "accuracy_m": accuracy_m(row),
        "boundary_status": "approximate",
        "source": row["source_url"],
        "lon": float(row["lon"]),
        "lat": float(row["lat"]),
    }
    fields = SITE_FIELDS if kind == "site" else SECTION_FIELDS
    assert tuple(props) == fields, (tuple(props), fields)
    return props


def build_features(rows: list[dict[str, str]], kind: str) -> list[dict]:
    """GeoJSON features of one kind (``"site"`` or ``"section"``), in CSV order.

    Parameters
    ----------
    rows : list of dict
        Rows from :func:`read_registry`.
    kind : {"site", "section"}
        Which rows to turn into features.

    Returns
    -------
    list of dict
        GeoJSON Feature objects.
    """
    features = []
    for row in rows:
        if row["kind"] != kind:
            continue
        lon, lat = float(row["lon"]), float(row["lat"])
        if kind == "site":
            default_area = math.pi * DEFAULT_SITE_RADIUS_M**2
            area = SITE_AREA_M2.get(row["id_hint"], (default_area, ""))[0]
            geometry = site_polygon(lon, lat, area)
        else:
            geometry = section_line(lon, lat, DEFAULT_SECTION_LENGTH_M, DEFAULT_SECTION_AZIMUTH_DEG)
        features.append(
            {"type": "Feature", "properties": _properties(row, kind), "geometry": geometry}
        )
    return features


def to_geojson_text(features: list[dict]) -> str:
    """Serialise a FeatureCollection with one feature per line (diff-friendly, UTF-8 text)."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def render(csv_path: Path = CSV_PATH) -> dict[str, str]:
    """The text of each output file, keyed by file name.

    Parameters
    ----------
    csv_path : Path
        The registry CSV.

    Returns
    -------
    dict
        ``{"sites.geojson": text, "sections.geojson": text}``.
    """
    rows = read_registry(csv_path)
    return {
        "sites.geojson": to_geojson_text(build_features(rows, "site")),
        "sections.geojson": to_geojson_text(build_features(rows, "section")),
    }


def overlap_groups(rows: list[dict[str, str]]) -> list[list[str]]:
    """Groups of ids that share one documented point (their shapes coincide)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        groups.setdefault((row["lon"], row["lat"]), []).append(row["id_hint"])
    return [ids for ids in groups.values() if len(ids) > 1]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: write (or ``--check``) the two GeoJSON files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=LAYERS_DIR, help="output folder")
    parser.add_argument("--csv", type=Path, default=CSV_PATH, help="registry CSV")
    parser.add_argument(
        "--check", action="store_true", help="only compare; exit 1 if a file would change"
    )
    args = parser.parse_args(argv)
    changed = []
    for name, text in render(args.csv).items():
        target = args.out / name
        data = text.encode("utf-8")
        if target.exists() and target.read_bytes() == data:
            continue
        changed.append(name)
        if not args.check:
            target.write_bytes(data)
    rows = read_registry(args.csv)
    verb = "would change" if args.check else "written"
    print(f"{len(changed)} file(s) {verb}: {', '.join(changed) or '-'}")
    print("groups sharing a point:", "; ".join(", ".join(g) for g in overlap_groups(rows)))
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
