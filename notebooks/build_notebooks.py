"""Write the three teaching notebooks (outputs stripped) from the cells below.

Run ``.venv/bin/python notebooks/build_notebooks.py`` after editing a cell; ``--check``
exits 1 when a committed notebook differs from what this script writes (the test suite runs
it). The notebooks are committed without outputs; ``tests/test_notebooks.py`` executes
each of them top to bottom on the shipped data.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

#: finds the repository from the notebook's folder (Jupyter starts kernels there)
SETUP = '''\
import tempfile
from pathlib import Path

import pandas as pd

pd.set_option("display.max_colwidth", 60)
ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "layers" / "examples").is_dir())
EXAMPLES = ROOT / "layers" / "examples"
DATA = Path(tempfile.mkdtemp(prefix="fossilgis-notebook-"))  # never the real store
print("data directory for this notebook:", DATA)'''

CDN_NOTE = (
    "The map below is a folium `Map` made in the notebook. In a notebook folium loads "
    "Leaflet and the OpenStreetMap tiles from the internet (CDN); without a connection the "
    "map stays blank. The web map (`fossilgis serve`) is the offline one: it ships its own "
    "assets (see [docs/webmap.md](../docs/webmap.md))."
)

IMPACT = [
    ("md", """\
# Screening construction projects: a road and a quarry

This notebook does what `fossilgis impact-check` does, step by step through the library, on
the sample files shipped in `layers/examples/`:

1. open a store and look at the reference layers (fossil sites 化石产地, type sections 层型剖面);
2. read a highway alignment (zipped shapefile, no `.prj`) and confirm its CRS;
3. screen it, then a quarry red line (DXF) and two land parcels (界址点 TXT);
4. read the result table: zones, distances, overlap areas, grades, follow-ups;
5. draw everything on an interactive map and write the printable report.

The store lives in a temporary directory made for this notebook, filled from `layers/` on
first use: your own data directory is not touched.

> The shipped layers are a **demonstration**: approximate boundaries around publicly
> documented points (see `layers/README.md`). Results are examples, not decisions."""),
    ("code", SETUP),
    ("code", """\
from fossilgis.store import open_store

store = open_store(DATA)  # created and filled from layers/ on first use
pd.DataFrame({kind: store.layer_info(kind) for kind in ("sites", "sections")})"""),
    ("md", """\
## The reference layers

Sites are polygons, sections are lines, both in CGCS2000 longitude/latitude (EPSG:4490).
`protection_level` decides the width of the construction-control zone; `accuracy_m` says
how far the documented point may be from the real place (up to tens of kilometres for a
county-seat point)."""),
    ("code", """\
sites = store.read_layer("sites")
sections = store.read_layer("sections")
cols = ["id", "name_zh", "name_en", "protection_level", "accuracy_class", "accuracy_m"]
print(sites["protection_level"].value_counts().to_string())
sites[cols].head(8)"""),
    ("md", """\
## Zones and grades

Every site and section has three zones, whose widths come from `layers/rules.toml`:

| zone | 中文 | extent |
|---|---|---|
| `core` | 保护范围 | the site's boundary; a section's trace ± 50 m |
| `control` | 建设控制地带 | core + 500 m (national key), 300 m (provincial), 200 m (general) |
| `attention` | 关注区 | out to 1000 m from the core |

A rule table (zone × target kind × protection level × project type × ground disturbance)
turns each footprint–target pair into one of four grades, from least to most serious:
`none` 未涉及, `attention` 邻近需关注, `assess` 需开展影响评价, `avoid` 须避让. A project's
verdict is its worst grade."""),
    ("code", """\
from fossilgis.rules import load_rules

rules = load_rules()
print("rules version", rules.version, "· attention distance", rules.attention_distance_m, "m")
pd.DataFrame({
    kind: {level: rules.control_distance_for(kind, level)
           for level in ("national_key", "provincial_key", "general")}
    for kind in ("site", "section")
})"""),
    ("code", """\
# the rule table, expanded: here the grades a linear project that digs gets for sites
table = rules.outcome_table()
linear = table[(table.project_type == "linear") & table.ground_disturbance
               & (table.target_kind == "site")]
linear.pivot(index="protection_level", columns="zone", values="grade")[
    ["core", "control", "attention"]]"""),
    ("md", """\
## A highway alignment: read it, confirm the CRS

The consultant's zipped shapefile has GBK attributes without a `.cpg` and Gauss-Krüger
coordinates without a `.prj`. fossilgis never guesses a projected CRS: it refuses the file
and proposes the zone that the coordinates' prefix names."""),
    ("code", """\
from fossilgis.errors import CRSError
from fossilgis.io import read_footprints

highway = EXAMPLES / "highway_g320.zip"
try:
    read_footprints(highway)
except CRSError as exc:
    print(exc)"""),
    ("code", """\
road = read_footprints(highway, crs="EPSG:4523")  # confirmed: CGCS2000 GK zone 35
r = road[0]
print(r.source, "·", r.crs_in, f"({r.crs_basis})", "· encoding", r.encoding)
for note in r.notes:
    print("note:", note)
r.gdf"""),
    ("md", """\
## Screen the road

A road is a line: `line_width_m=26` buffers it 13 m each side, so that it has an area
inside the sites it crosses."""),
    ("code", """\
from fossilgis.impact import ScreenOptions
from fossilgis.screening import screen_results

road_screen = screen_results(
    road, store, options=ScreenOptions(project_type="linear", line_width_m=26))
print("verdict:", road_screen.grade)
shown = ["project_id", "target_id", "target_name_en", "protection_level", "zone",
         "distance_m", "bearing_deg", "overlap_area_ha", "overlap_area_mu", "grade"]
rounding = {"distance_m": 1, "bearing_deg": 0, "overlap_area_ha": 2, "overlap_area_mu": 1}
road_screen.impacts[shown].round(rounding)"""),
    ("md", """\
The road runs through the core of the Guanling biota (GZ-F03), a national key site: grade
`avoid`. Each row also carries the reasons, the follow-ups and the legal basis, in Chinese
and English:"""),
    ("code", """\
first = road_screen.impacts.iloc[0]
print(first["reason_en"])
for item in first["follow_up"]:
    print(" -", item.split(" / ")[1])"""),
    ("md", """\
## A quarry red line and two land parcels

The quarry is a CAD drawing (DXF: a closed polyline with an arc, no CRS, zone 36 coordinates).
`screen_paths` reads and screens in one call. The parcels file holds two parcels; the
field `地块编号` splits it into two projects."""),
    ("code", """\
from fossilgis.screening import screen_paths

quarry_screen = screen_paths([EXAMPLES / "quarry_kaili.dxf"], store, crs="EPSG:4524",
                             options=ScreenOptions(project_type="mining"))
print("verdict:", quarry_screen.grade)
quarry_screen.impacts[shown].round(rounding)"""),
    ("md", """\
The quarry lies about 100 m from the Kaili biota (GZ-F01, a general site): inside its
200 m construction-control zone, so `assess`: an impact evaluation before approval. The
Wuliuan GSSP section (GZ-S01) is about 620 m away: only its attention zone, so the
chance-find protocol (条例 Art. 18)."""),
    ("code", """\
parcels_screen = screen_paths([EXAMPLES / "parcels_qingyan.txt"], store,
                              id_field="地块编号",
                              options=ScreenOptions(project_type="building"))
pd.DataFrame([
    {"project": p["project_id"], "grade": p["grade"], "crs": p["crs_in"],
     "basis": p["crs_basis"], "area_ha": round(p["footprint_area_m2"] / 1e4, 2),
     "targets": ", ".join(i["target_id"] for i in p["impacts"])}
    for p in parcels_screen.projects
])"""),
    ("md", """\
The 界址点 TXT declares its CRS in its header, so `crs_basis` is `prj` (declared by the
file) and no `crs=` was needed.

## The JSON form

`Screening.to_dict()` is the machine form that `--format json` and `POST /api/impact` return
(fields explained in `docs/impact-check.md`)."""),
    ("code", """\
import json

result = quarry_screen.to_dict()
print(sorted(result))
print(json.dumps(result["projects"][0]["impacts"][0], ensure_ascii=False, indent=1)[:900])"""),
    ("md", "## An interactive map\n\n" + CDN_NOTE),
    ("code", """\
import folium

from fossilgis.zones import target_zones

screens = [road_screen, quarry_screen, parcels_screen]
footprints = pd.concat([s.footprints for s in screens], ignore_index=True)
impacts = pd.concat([s.impacts for s in screens], ignore_index=True)
hit_ids = set(impacts["target_id"])
near_sites = sites[sites["id"].isin(hit_ids)]
near_sections = sections[sections["id"].isin(hit_ids)]
zones = target_zones(near_sites, near_sections, rules)

m = folium.Map(tiles="OpenStreetMap")
zone_style = {"control": "#f39c12", "attention": "#f7dc6f"}
folium.GeoJson(
    zones[["target_id", "zone", "outer_m", "geometry"]], name="zones",
    style_function=lambda f: {"color": zone_style[f["properties"]["zone"]], "weight": 1,
                              "fillOpacity": 0.15},
    tooltip=folium.GeoJsonTooltip(["target_id", "zone", "outer_m"]),
).add_to(m)
for layer, colour in ((near_sites, "#8e44ad"), (near_sections, "#2c3e50")):
    folium.GeoJson(
        layer[["id", "name_en", "protection_level", "geometry"]], name="sites and sections",
        style_function=lambda f, c=colour: {"color": c, "weight": 3, "fillOpacity": 0.3},
        tooltip=folium.GeoJsonTooltip(["id", "name_en", "protection_level"]),
    ).add_to(m)
folium.GeoJson(
    footprints[["project_id", "footprint_area_m2", "geometry"]], name="projects",
    style_function=lambda f: {"color": "#c0392b", "weight": 2, "fillOpacity": 0.2},
    tooltip=folium.GeoJsonTooltip(["project_id", "footprint_area_m2"]),
).add_to(m)
overlaps = impacts[impacts.geometry.notna() & ~impacts.geometry.is_empty]
folium.GeoJson(
    overlaps[["project_id", "target_id", "grade", "overlap_area_mu", "geometry"]],
    name="overlaps", style_function=lambda f: {"color": "black", "fillColor": "red",
                                               "weight": 1, "fillOpacity": 0.7},
    tooltip=folium.GeoJsonTooltip(["project_id", "target_id", "grade", "overlap_area_mu"]),
).add_to(m)
folium.LayerControl().add_to(m)
minx, miny, maxx, maxy = footprints.total_bounds
m.fit_bounds([[miny, minx], [maxy, maxx]])
m"""),
    ("md", """\
## Reports

The same renderers as the command line: text, CSV (UTF-8 with BOM, for Excel) and a
self-contained printable HTML report (written here to the temporary directory)."""),
    ("code", """\
from fossilgis.report import render_csv, render_html, render_text

print(render_text(quarry_screen, lang="en"))
report = DATA / "quarry_report.html"
report.write_text(render_html(quarry_screen, lang="en", store=store), encoding="utf-8")
print(report, f"{report.stat().st_size:,} bytes")
print(render_csv(parcels_screen).splitlines()[0])"""),
    ("md", """\
The command line does the same in one line each, e.g.
`fossilgis impact-check layers/examples/quarry_kaili.dxf --crs EPSG:4524 --project-type mining`
(see `docs/impact-check.md`)."""),
]

PATROL = [
    ("md", """\
# Patrol review: coverage, overdue sites and alerts

Patrols (巡护) reach the store from the web form, `POST /api/patrols` and `fossilgis patrol
import`, all through one function, `fossilgis.patrols.submit.submit_patrol`. The shipped
store has no patrols, so this notebook first makes a few, as a field app would send them
(the GeoJSON exchange format, `docs/patrols.md`), then reviews them as the office does:

- which sites and sections were patrolled when, and which are overdue (90 days);
- the alerts (damage, illegal excavation, encroachment) with the 条例 Art. 18 clocks;
- a chart of patrols per month and a map.

Everything happens in a temporary data directory; dates are relative to the time you run
it, so the picture is the same whenever you run it."""),
    ("code", SETUP),
    ("code", """\
import datetime as dt
import uuid

from fossilgis.patrols.submit import load_targets
from fossilgis.store import open_store

store = open_store(DATA)
targets = load_targets(store)  # sites and sections in one frame, with a `kind` column
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
targets.groupby("kind").size()"""),
    ("md", """\
## Make some patrols

Each patrol is a GeoJSON FeatureCollection: one `patrol` feature (the track) and
`waypoint` features, some with an observation. The UUIDs are made by the client (here
derived from a name, so that running the cell twice sends the same records)."""),
    ("code", """\
def spot(target_id, east_m=0.0, north_m=0.0):
    \"\"\"A point near a target's centre, offset in metres.\"\"\"
    c = targets.set_index("id").loc[target_id, "geometry"].centroid
    return [round(c.x + east_m / 100_000, 6), round(c.y + north_m / 111_000, 6)]


def patrol_geojson(name, target_id, days_ago, observations=(), team=("张三", "李四")):
    \"\"\"A patrol of 2 hours that ended ``days_ago`` days before NOW, as the app sends it.\"\"\"
    pid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"fossilgis-notebook/{name}"))
    end = NOW - dt.timedelta(days=days_ago)
    start = end - dt.timedelta(hours=2)
    track = [spot(target_id, -300, -200), spot(target_id, 0, 0), spot(target_id, 300, 250)]
    target_key = "section_id" if target_id.startswith("GZ-S") else "site_id"
    features = [{
        "type": "Feature", "geometry": {"type": "LineString", "coordinates": track},
        "properties": {"feature_type": "patrol", "uuid": pid, target_key: target_id,
                       "team": list(team), "started_at": start.isoformat(),
                       "ended_at": end.isoformat(), "purpose": "例行巡护 routine patrol"},
    }]
    for n, (category, severity, text) in enumerate(observations):
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": spot(target_id, 50 * n)},
            "properties": {"feature_type": "waypoint", "patrol_uuid": pid,
                           "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{pid}/{n}")),
                           "observed_at": (start + dt.timedelta(minutes=30 + 10 * n)).isoformat(),
                           "category": category, "severity": severity, "description": text},
        })
    return {"type": "FeatureCollection", "features": features}


plan = [
    ("guanling-1", "GZ-F03", 200, [("intact", "none", "化石层完好")]),
    ("guanling-2", "GZ-F03", 120, [("weathering", "low", "雨后坡面冲刷")]),
    ("guanling-3", "GZ-F03", 40, [("vegetation", "low", "")]),
    ("guanling-4", "GZ-F03", 1, [("illegal_excavation", "high", "发现新鲜盗挖坑两处")]),
    ("qingyan-1", "GZ-F14", 150, [("intact", "none", "")]),
    ("qingyan-2", "GZ-F14", 100, [("signage_damaged", "medium", "界桩倾倒")]),
    ("kaili-1", "GZ-F01", 60, [("intact", "none", "")]),
    ("kaili-2", "GZ-F01", 0.125,
     [("construction_encroachment", "medium", "采石场排土越过控制线")]),
    ("wuliuan-1", "GZ-S01", 75, [("intact", "none", "金钉子标志完好")]),
    ("wuliuan-2", "GZ-S01", 20, []),
    ("xingyi-1", "GZ-F04", 300, [("human_damage", "low", "游客敲取化石")]),
]
bodies = {name: patrol_geojson(name, tid, days, obs) for name, tid, days, obs in plan}
len(bodies)"""),
    ("md", """\
`submit_patrol` validates (coordinates in Guizhou, times not in the future, known
categories), stores the photos, infers the target when none is given, and saves the record
in one transaction. A second send of the same UUID with the same content is not stored
again (`created=False`): the field app can retry after a lost connection without making
duplicates."""),
    ("code", """\
from fossilgis.patrols.geojson import patrols_from_geojson
from fossilgis.patrols.submit import submit_patrol

for name, body in bodies.items():
    (patrol,) = patrols_from_geojson(body)
    result = submit_patrol(store, patrol, user="notebook", targets=targets)
    print(f"{name:11} created={result.created}", *result.warnings)

(again,) = patrols_from_geojson(bodies["guanling-4"])  # a re-send after a lost connection
print("re-send stored again?", submit_patrol(store, again, user="notebook").created)"""),
    ("code", """\
patrols = store.list_patrols()
patrols[["target_id", "started_at", "ended_at", "waypoint_count", "alert_count", "team"]]"""),
    ("md", """\
## Coverage by site and overdue sites

`coverage()` gives, for every site and section, its last patrol, the days since, the number
of patrols in the window and whether it is overdue (no patrol in the last 90 days; the
default is `DEFAULT_COVERAGE_DAYS`). Never-patrolled targets come first: with the
demonstration layers that is most of them."""),
    ("code", """\
from fossilgis.patrols.coverage import DEFAULT_COVERAGE_DAYS, coverage, overdue_targets

cov = coverage(patrols, targets, NOW, days=DEFAULT_COVERAGE_DAYS)
patrolled = cov[cov["last_patrol"].notna()].copy()
patrolled["days_since"] = patrolled["days_since"].round(1)
patrolled[["kind", "id", "name_en", "last_patrol", "days_since", "patrols_in_window",
           "overdue"]]"""),
    ("code", """\
overdue = overdue_targets(patrols, targets, NOW)
never = overdue["last_patrol"].isna()
print(f"{len(overdue)} of {len(targets)} targets overdue: {never.sum()} never patrolled, "
      f"{(~never).sum()} patrolled more than {DEFAULT_COVERAGE_DAYS} days ago:")
overdue[~never][["id", "name_en", "last_patrol"]]"""),
    ("md", """\
## Alerts and the Art. 18 clocks

Observations in the alert categories (`human_damage`, `illegal_excavation`,
`construction_encroachment`) start two clocks from the observation time: the authority on
site within 24 h (`on_site_due`) and a handling opinion within 7 days (`opinion_due`). Each
is `open` until due, then `overdue`."""),
    ("code", """\
from fossilgis.patrols.alerts import alerts

waypoints = store.list_waypoints()
alert_table = alerts(waypoints, NOW)
alert_table[["target_id", "category_en", "severity", "description", "report_time",
             "on_site_status", "opinion_status", "status"]]"""),
    ("md", """\
## Patrols per month and days since the last patrol"""),
    ("code", """\
import matplotlib.pyplot as plt

cst = patrols["ended_at"].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
months = cst.dt.to_period("M")
per_month = months.value_counts().reindex(
    pd.period_range(months.min(), months.max(), freq="M"), fill_value=0)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.5))
per_month.plot.bar(ax=ax1, color="#2e86c1")
ax1.set(title="Patrols per month (China Standard Time)", xlabel="", ylabel="patrols")
ax1.tick_params(axis="x", labelrotation=45)
ax1.yaxis.get_major_locator().set_params(integer=True)
days = patrolled.set_index("id")["days_since"].sort_values()
days.plot.barh(ax=ax2, color=["#c0392b" if d > DEFAULT_COVERAGE_DAYS else "#27ae60"
                              for d in days])
ax2.axvline(DEFAULT_COVERAGE_DAYS, color="grey", linestyle="--")
ax2.set(title=f"Days since the last patrol (overdue after {DEFAULT_COVERAGE_DAYS})",
        xlabel="days", ylabel="")
fig.tight_layout()
plt.show()"""),
    ("md", "## A map of patrols and alerts\n\n" + CDN_NOTE),
    ("code", """\
import folium

m = folium.Map(tiles="OpenStreetMap")
status = cov.set_index("id")["overdue"]
seen = targets[targets["id"].isin(patrolled["id"])].copy()
seen["state"] = seen["id"].map(lambda i: "overdue" if status[i] else "patrolled in time")
folium.GeoJson(
    seen[["kind", "id", "name_en", "state", "geometry"]], name="patrolled targets",
    style_function=lambda f: {"color": "#c0392b" if f["properties"]["state"] == "overdue"
                              else "#27ae60", "weight": 3, "fillOpacity": 0.3},
    tooltip=folium.GeoJsonTooltip(["id", "name_en", "state"]),
).add_to(m)
tracks = patrols[["uuid", "target_id", "ended_at", "geometry"]].copy()
tracks["ended_at"] = tracks["ended_at"].astype(str)
folium.GeoJson(tracks, name="tracks", style_function=lambda f: {"color": "#2e86c1"},
               tooltip=folium.GeoJsonTooltip(["target_id", "ended_at"])).add_to(m)
for row in alert_table.itertuples():
    folium.Marker(
        [row.lat, row.lon],
        tooltip=f"{row.category_en} ({row.severity}): {row.status}",
        icon=folium.Icon(color="red" if row.status == "overdue" else "orange"),
    ).add_to(m)
folium.LayerControl().add_to(m)
minx, miny, maxx, maxy = seen.total_bounds
m.fit_bounds([[miny, minx], [maxy, maxx]])
m"""),
    ("md", """\
The command line gives the same tables: `fossilgis patrol coverage`, `fossilgis patrol
alerts` and `fossilgis patrol export --format csv|geojson|gpx|kml -o FILE` (see
`docs/patrols.md`)."""),
]

REGISTRY = [
    ("md", """\
# Importing the office's registry

The shipped layers are a demonstration. The office's registry of fossil sites (化石产地名录)
usually arrives as a shapefile made years ago: Chinese field names, attributes in GBK with
no `.cpg`, Gauss-Krüger coordinates with no `.prj`, protection levels written in Chinese.
This notebook imports such a file into a temporary store:

1. build a stand-in registry file with those properties (the real registry is not public);
2. inspect it: what a naive reader shows, what fossilgis detects;
3. confirm the CRS that fossilgis proposes, and check where the features land;
4. map the fields to the fossilgis schema (the Chinese level labels are recoded), validate;
5. import it (the previous version is archived), screen a project against it, then restore.

`docs/data.md` shows the same steps with the `fossilgis layers` commands."""),
    ("code", SETUP),
    ("md", """\
## A registry file as offices have them

The stand-in holds the six demonstration sites that lie in Gauss-Krüger zone 35, written
the way an old registry is: this is the code of `notebooks/make_registry_example.py`."""),
    ("code", "import pyogrio\n\n" + "{REGISTRY_SOURCE}" + """

shp = write_registry(DATA / "registry")
sorted(p.name for p in shp.parent.iterdir())"""),
    ("md", """\
## Inspect it

No `.prj`, no `.cpg`. A reader that trusts the DBF defaults shows the Chinese as mojibake,
and the coordinates are 8-digit eastings starting with 35: the zone prefix."""),
    ("code", """\
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # GDAL warns about the missing .prj
    naive = pyogrio.read_dataframe(shp)
print("columns as read without an encoding:", list(naive.columns))
print("CRS:", naive.crs, "· bounds:", naive.total_bounds.round(1))"""),
    ("code", """\
from fossilgis.errors import CRSError
from fossilgis.io import read_vector

try:
    read_vector(shp)
except CRSError as exc:
    print(exc)"""),
    ("md", """\
fossilgis refuses to guess a projected CRS, but the message names the zone the prefix
stands for. **Confirm it** with whoever made the file (or the file's metadata) before
going on: a wrong zone moves every feature by hundreds of kilometres. A quick check is to
read it with the proposed CRS and see where the features fall."""),
    ("code", """\
(registry,) = read_vector(shp, crs="EPSG:4523")
print(registry.crs_in, f"({registry.crs_basis})", "· encoding", registry.encoding,
      f"({registry.encoding_basis})")
for note in registry.notes:
    print("note:", note)
registry.gdf.drop(columns="geometry")"""),
    ("code", """\
# the features should lie on the places the registry names
from fossilgis.store import open_store

store = open_store(DATA)
demo = store.read_layer("sites").set_index("id")
check = registry.gdf.set_index("编号")
pd.DataFrame({
    "名称": check["名称"],
    "centre lon": check.geometry.centroid.x.round(4),
    "centre lat": check.geometry.centroid.y.round(4),
    "county (demo layer)": demo.loc[check.index, "county_zh"],
})"""),
    ("md", """\
## Map the fields, validate

`--map FIELD=SOURCE` on the command line, a dict here (source field → fossilgis field).
Fields the registry lacks are filled with `defaults`; this stand-in keeps the demonstration
(approximate) boundaries, so it says `boundary_status = approximate`; a surveyed registry
says `surveyed`. Validation lists every problem and changes nothing."""),
    ("code", """\
from fossilgis.layers import parse_mapping, prepare_registry, validate_layer

mapping = parse_mapping(["id=编号", "name_zh=名称", "name_en=英文名", "county_zh=县市",
                         "age=时代", "protection_level=保护级别"])
sites = prepare_registry(registry.gdf, "sites", mapping,
                         defaults={"boundary_status": "approximate"})
for problem in validate_layer(sites, "sites"):
    print(problem)"""),
    ("md", """\
The levels become the codes `national_key`, `provincial_key`, `general`: registries'
Chinese labels (国家级重点, 省级重点, 一般, …) are recoded by `prepare_registry` (and by
`fossilgis layers import`); any other value would be listed above as a problem."""),
    ("code", """\
pd.DataFrame({"保护级别": registry.gdf["保护级别"],
              "protection_level": sites["protection_level"]})"""),
    ("md", """\
## Import: the whole layer is replaced, the previous version archived"""),
    ("code", """\
version = store.replace_layer("sites", sites, source=shp.name, demonstration=False,
                              note=f"imported from {shp.name}")
print("sites are now version", version)
history_columns = ["version", "count", "source", "demonstration", "replaced_at"]
pd.DataFrame(store.layer_history("sites"))[history_columns]"""),
    ("md", """\
The same import from the command line, on the registry file as it came, run here on the
notebook's data directory:"""),
    ("code", """\
import subprocess
import sys

fossilgis = Path(sys.executable).with_name("fossilgis")
maps = [arg for pair in mapping.items() for arg in ("--map", f"{pair[1]}={pair[0]}")]
run = subprocess.run(
    [fossilgis, "--data", DATA, "layers", "import", shp, "--kind", "sites",
     "--crs", "EPSG:4523", "--boundary-status", "approximate", *maps],
    capture_output=True, text=True)
print(run.stdout + run.stderr)
run = subprocess.run([fossilgis, "--data", DATA, "layers", "validate"],
                     capture_output=True, text=True)
print(run.stdout + run.stderr)"""),
    ("md", """\
## Screen against the registry

The highway of the tour crosses GZ-F03; with the registry imported, the screen reads the
registry's sites (and says which version it used)."""),
    ("code", """\
from fossilgis.impact import ScreenOptions
from fossilgis.screening import screen_paths

screen = screen_paths([EXAMPLES / "highway_g320.zip"], store, crs="EPSG:4523",
                      options=ScreenOptions(project_type="linear", line_width_m=26))
print("layers used:", screen.to_dict()["layers"]["sites"])
screen.impacts[["target_id", "target_name_zh", "zone", "overlap_area_mu", "grade"]].round(1)"""),
    ("md", """\
## History and restore

Every import archives the previous version; `restore_layer` (or `fossilgis layers restore
--kind sites --version N`) makes an archived version current again, itself archiving the
current one."""),
    ("code", """\
new = store.restore_layer("sites", 1)
print(f"version 1 (the demonstration layer) restored as version {new}")
info = store.layer_info("sites")
print(info["count"], "sites; demonstration:", info["demonstration"])
pd.DataFrame(store.layer_history("sites"))[history_columns]"""),
]


def _registry_source() -> str:
    """The constants and ``write_registry`` of make_registry_example.py, as notebook code."""
    path = HERE / "make_registry_example.py"
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    wanted = {"REGISTRY_IDS", "LEVEL_LABELS", "FIELDS", "write_registry"}
    parts = []
    for node in tree.body:
        names = {t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)}
        if getattr(node, "name", None) in wanted or names & wanted:
            start = node.lineno - 1
            lines = text.splitlines()
            # keep the comment line above a constant (#: ...)
            if start and lines[start - 1].startswith("#:"):
                start -= 1
            parts.append("\n".join(lines[start:node.end_lineno]))
    code = "\n".join(parts)
    # in the notebook ROOT comes from the setup cell, not from __file__
    return code.replace('    root = Path(__file__).resolve().parent.parent\n', "").replace(
        "root / ", "ROOT / ")


NOTEBOOKS = {
    "impact_assessment.ipynb": IMPACT,
    "patrol_review.ipynb": PATROL,
    "import_official_registry.ipynb": REGISTRY,
}


def build(name: str, cells) -> nbformat.NotebookNode:
    """A notebook without outputs, with stable cell ids (so that rebuilding changes nothing)."""
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    }
    stem = name.removesuffix(".ipynb")
    for n, (kind, source) in enumerate(cells):
        if "{REGISTRY_SOURCE}" in source:
            source = source.replace("{REGISTRY_SOURCE}", _registry_source())
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell.id = f"{stem}-{n:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def render(name: str) -> str:
    return nbformat.writes(build(name, NOTEBOOKS[name])) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name in NOTEBOOKS:
        path = HERE / name
        text = render(name)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(HERE.parent)}")
    if stale:
        print(f"stale notebooks (run {Path(__file__).name}): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
