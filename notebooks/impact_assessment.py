# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Screening construction projects: a road and a quarry
#
# This notebook does what `fossilgis impact-check` does, step by step through the library, on
# the sample files shipped in `layers/examples/`:
#
# 1. open a store and look at the reference layers (fossil sites 化石产地, type sections 层型剖面);
# 2. read a highway alignment (zipped shapefile, no `.prj`) and confirm its CRS;
# 3. screen it, then a quarry red line (DXF) and two land parcels (界址点 TXT);
# 4. read the result table: zones, distances, overlap areas, grades, follow-ups;
# 5. draw everything on an interactive map and write the printable report.
#
# The store lives in a temporary directory made for this notebook, filled from `layers/` on
# first use: your own data directory is not touched.
#
# > The shipped layers are a **demonstration**: approximate boundaries around publicly
# > documented points (see `layers/README.md`). Results are examples, not decisions.

# %%
import tempfile
from pathlib import Path

import pandas as pd

pd.set_option("display.max_colwidth", 60)
ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "layers" / "examples").is_dir())
EXAMPLES = ROOT / "layers" / "examples"
DATA = Path(tempfile.mkdtemp(prefix="fossilgis-notebook-"))  # never the real store
print("data directory for this notebook:", DATA)

# %%
from fossilgis.store import open_store

store = open_store(DATA)  # created and filled from layers/ on first use
pd.DataFrame({kind: store.layer_info(kind) for kind in ("sites", "sections")})

# %% [markdown]
# ## The reference layers
#
# Sites are polygons, sections are lines, both in CGCS2000 longitude/latitude (EPSG:4490).
# `protection_level` decides the width of the construction-control zone; `accuracy_m` says
# how far the documented point may be from the real place (up to tens of kilometres for a
# county-seat point).

# %%
sites = store.read_layer("sites")
sections = store.read_layer("sections")
cols = ["id", "name_zh", "name_en", "protection_level", "accuracy_class", "accuracy_m"]
print(sites["protection_level"].value_counts().to_string())
sites[cols].head(8)

# %% [markdown]
# ## Zones and grades
#
# Every site and section has three zones, whose widths come from `layers/rules.toml`:
#
# | zone | 中文 | extent |
# |---|---|---|
# | `core` | 保护范围 | the site's boundary; a section's trace ± 50 m |
# | `control` | 建设控制地带 | core + 500 m (national key), 300 m (provincial), 200 m (general) |
# | `attention` | 关注区 | out to 1000 m from the core |
#
# A rule table (zone × target kind × protection level × project type × ground disturbance)
# turns each footprint–target pair into one of four grades, from least to most serious:
# `none` 未涉及, `attention` 邻近需关注, `assess` 需开展影响评价, `avoid` 须避让. A project's
# verdict is its worst grade.

# %%
from fossilgis.rules import load_rules

rules = load_rules()
print("rules version", rules.version, "· attention distance", rules.attention_distance_m, "m")
pd.DataFrame(
    {
        kind: {
            level: rules.control_distance_for(kind, level)
            for level in ("national_key", "provincial_key", "general")
        }
        for kind in ("site", "section")
    }
)

# %%
# the rule table, expanded: here the grades a linear project that digs gets for sites
table = rules.outcome_table()
linear = table[
    (table.project_type == "linear") & table.ground_disturbance & (table.target_kind == "site")
]
linear.pivot(index="protection_level", columns="zone", values="grade")[
    ["core", "control", "attention"]
]

# %% [markdown]
# ## A highway alignment: read it, confirm the CRS
#
# The consultant's zipped shapefile has GBK attributes without a `.cpg` and Gauss-Krüger
# coordinates without a `.prj`. fossilgis never guesses a projected CRS: it refuses the file
# and proposes the zone that the coordinates' prefix names.

# %%
from fossilgis.errors import CRSError
from fossilgis.io import read_footprints

highway = EXAMPLES / "highway_g320.zip"
try:
    read_footprints(highway)
except CRSError as exc:
    print(exc)

# %%
road = read_footprints(highway, crs="EPSG:4523")  # confirmed: CGCS2000 GK zone 35
r = road[0]
print(r.source, "·", r.crs_in, f"({r.crs_basis})", "· encoding", r.encoding)
for note in r.notes:
    print("note:", note)
r.gdf

# %% [markdown]
# ## Screen the road
#
# A road is a line: `line_width_m=26` buffers it 13 m each side, so that it has an area
# inside the sites it crosses.

# %%
from fossilgis.impact import ScreenOptions
from fossilgis.screening import screen_results

road_screen = screen_results(
    road, store, options=ScreenOptions(project_type="linear", line_width_m=26)
)
print("verdict:", road_screen.grade)
shown = [
    "project_id",
    "target_id",
    "target_name_en",
    "protection_level",
    "zone",
    "distance_m",
    "bearing_deg",
    "overlap_area_ha",
    "overlap_area_mu",
    "grade",
]
rounding = {"distance_m": 1, "bearing_deg": 0, "overlap_area_ha": 2, "overlap_area_mu": 1}
road_screen.impacts[shown].round(rounding)

# %% [markdown]
# The road runs through the core of the Guanling biota (GZ-F03), a national key site: grade
# `avoid`. Each row also carries the reasons, the follow-ups and the legal basis, in Chinese
# and English:

# %%
first = road_screen.impacts.iloc[0]
print(first["reason_en"])
for item in first["follow_up"]:
    print(" -", item.split(" / ")[1])

# %% [markdown]
# ## A quarry red line and two land parcels
#
# The quarry is a CAD drawing (DXF: a closed polyline with an arc, no CRS, zone 36 coordinates).
# `screen_paths` reads and screens in one call. The parcels file holds two parcels; the
# field `地块编号` splits it into two projects.

# %%
from fossilgis.screening import screen_paths

quarry_screen = screen_paths(
    [EXAMPLES / "quarry_kaili.dxf"],
    store,
    crs="EPSG:4524",
    options=ScreenOptions(project_type="mining"),
)
print("verdict:", quarry_screen.grade)
quarry_screen.impacts[shown].round(rounding)

# %% [markdown]
# The quarry lies about 100 m from the Kaili biota (GZ-F01, a general site): inside its
# 200 m construction-control zone, so `assess`: an impact evaluation before approval. The
# Wuliuan GSSP section (GZ-S01) is about 620 m away: only its attention zone, so the
# chance-find protocol (条例 Art. 18).

# %%
parcels_screen = screen_paths(
    [EXAMPLES / "parcels_qingyan.txt"],
    store,
    id_field="地块编号",
    options=ScreenOptions(project_type="building"),
)
pd.DataFrame(
    [
        {
            "project": p["project_id"],
            "grade": p["grade"],
            "crs": p["crs_in"],
            "basis": p["crs_basis"],
            "area_ha": round(p["footprint_area_m2"] / 1e4, 2),
            "targets": ", ".join(i["target_id"] for i in p["impacts"]),
        }
        for p in parcels_screen.projects
    ]
)

# %% [markdown]
# The 界址点 TXT declares its CRS in its header, so `crs_basis` is `prj` (declared by the
# file) and no `crs=` was needed.
#
# ## The JSON form
#
# `Screening.to_dict()` is the machine form that `--format json` and `POST /api/impact` return
# (fields explained in `docs/impact-check.md`).

# %%
import json

result = quarry_screen.to_dict()
print(sorted(result))
print(json.dumps(result["projects"][0]["impacts"][0], ensure_ascii=False, indent=1)[:900])

# %% [markdown]
# ## An interactive map
#
# The map below is a folium `Map` made in the notebook. In a notebook folium loads Leaflet and the OpenStreetMap tiles from the internet (CDN); without a connection the map stays blank. The web map (`fossilgis serve`) is the offline one: it ships its own assets (see [docs/webmap.md](../docs/webmap.md)).

# %%
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
    zones[["target_id", "zone", "outer_m", "geometry"]],
    name="zones",
    style_function=lambda f: {
        "color": zone_style[f["properties"]["zone"]],
        "weight": 1,
        "fillOpacity": 0.15,
    },
    tooltip=folium.GeoJsonTooltip(["target_id", "zone", "outer_m"]),
).add_to(m)
for layer, colour in ((near_sites, "#8e44ad"), (near_sections, "#2c3e50")):
    folium.GeoJson(
        layer[["id", "name_en", "protection_level", "geometry"]],
        name="sites and sections",
        style_function=lambda f, c=colour: {"color": c, "weight": 3, "fillOpacity": 0.3},
        tooltip=folium.GeoJsonTooltip(["id", "name_en", "protection_level"]),
    ).add_to(m)
folium.GeoJson(
    footprints[["project_id", "footprint_area_m2", "geometry"]],
    name="projects",
    style_function=lambda f: {"color": "#c0392b", "weight": 2, "fillOpacity": 0.2},
    tooltip=folium.GeoJsonTooltip(["project_id", "footprint_area_m2"]),
).add_to(m)
overlaps = impacts[impacts.geometry.notna() & ~impacts.geometry.is_empty]
folium.GeoJson(
    overlaps[["project_id", "target_id", "grade", "overlap_area_mu", "geometry"]],
    name="overlaps",
    style_function=lambda f: {
        "color": "black",
        "fillColor": "red",
        "weight": 1,
        "fillOpacity": 0.7,
    },
    tooltip=folium.GeoJsonTooltip(["project_id", "target_id", "grade", "overlap_area_mu"]),
).add_to(m)
folium.LayerControl().add_to(m)
minx, miny, maxx, maxy = footprints.total_bounds
m.fit_bounds([[miny, minx], [maxy, maxx]])
m

# %% [markdown]
# ## Reports
#
# The same renderers as the command line: text, CSV (UTF-8 with BOM, for Excel) and a
# self-contained printable HTML report (written here to the temporary directory).

# %%
from fossilgis.report import render_csv, render_html, render_text

print(render_text(quarry_screen, lang="en"))
report = DATA / "quarry_report.html"
report.write_text(render_html(quarry_screen, lang="en", store=store), encoding="utf-8")
print(report, f"{report.stat().st_size:,} bytes")
print(render_csv(parcels_screen).splitlines()[0])

# %% [markdown]
# The command line does the same in one line each, e.g.
# `fossilgis impact-check layers/examples/quarry_kaili.dxf --crs EPSG:4524 --project-type mining`
# (see `docs/impact-check.md`).

# %% [markdown]
# ## The case register
#
# A screen the office acts on becomes a case (`docs/cases.md`): the store keeps the files,
# the footprints, the whole screen, the decision and the history. The same calls as
# `fossilgis impact-check … --case NEW` and `fossilgis case decide`:

# %%
from fossilgis.cases.files import submitted_files
from fossilgis.cases.model import CaseDetails, Decision, FollowUp

quarry_case = store.cases.open(
    CaseDetails("凯里八郎采石场", "凯里市建材有限公司", project_type="mining", county="凯里市"),
    user="notebook",
    screening=quarry_screen,
    files=submitted_files([EXAMPLES / "quarry_kaili.dxf"]),
)
store.cases.decide(
    quarry_case,
    Decision(
        "evaluation_required",
        "请委托有资质单位开展影响评价。",
        [FollowUp("提交化石影响评价报告", "2027-01-31", released=True)],
    ),
    user="notebook",
)
store.cases.open(
    CaseDetails("清镇宗地", "清镇市自然资源局", project_type="building", county="清镇市"),
    user="notebook",
    screening=parcels_screen,
)

# %% [markdown]
# The register as a DataFrame: which open cases affect which site, by status and grade.

# %%
rows, total = store.cases.list(limit=None)
register = pd.DataFrame(rows).set_index("number")
register[["status", "grade", "project_name", "applicant_unit", "county", "targets"]]

# %%
register.explode("targets").groupby(["targets", "status"]).size().rename("cases")

# %% [markdown]
# ## Fossil potential: the rock, not only the registered sites
#
# Known sites are a few dozen polygons; fossils are in the rock. With the office's
# geological map in the store, every screen also reports the **fossil potential** of the
# ground a project disturbs (classes 1–5 and U after the BLM's PFYC, from
# `layers/potential.toml`; see `docs/potential.md`).
#
# The map below is **SYNTHETIC** (three straight bands drawn by
# `fossilgis.potential.demo`, every unit noted "synthetic, not real geology"), written the
# way offices send maps: GBK attributes without `.cpg`, zone-prefixed Gauss-Krüger
# coordinates, no `.prj`. To import the office's real map, give its file to
# `fossilgis layers import FILE --kind formations --map unit=代号 --map name_zh=名称`.

# %%
from fossilgis.layers import parse_mapping, read_registry
from fossilgis.potential.classes import current_map
from fossilgis.potential.demo import write_demo

geology_file, quarries_file = write_demo(DATA / "demo")
units, how = read_registry(
    geology_file,
    "formations",
    mapping=parse_mapping(["unit=代号", "name_zh=名称"]),
    crs="EPSG:4523",  # confirmed: the coordinates carry the zone prefix 35
)
store.formations.replace(units, source=geology_file.name, user="notebook")
classed = current_map(store)
classed.frame[["unit", "name_zh", "potential_class", "table_row"]]

# %% [markdown]
# Two quarries lie 4–8 km from the nearest registered site, so the site screen alone
# clears both. One is on the 法郎组 band (class 5), the other on basalt (class 1):

# %%
potential_screen = screen_paths(
    [quarries_file], store, id_field="name", options=ScreenOptions(project_type="mining")
)
pd.DataFrame(
    [
        {
            "project": p["project_id"],
            "registry grade": p["registry_grade"],
            "highest class": p["potential"]["highest_class"],
            "potential grade": p["potential"]["grade"],
            "grade": p["grade"],
            "actions": ", ".join(a["id"] for a in p["potential"]["actions"]),
        }
        for p in potential_screen.projects
    ]
)

# %% [markdown]
# The pieces of each footprint on each unit, with their ellipsoidal areas (m²), are what
# the GeoJSON and GeoPackage outputs carry (role / layer `potential`):

# %%
potential_screen.potential[["project_id", "unit", "name_zh", "potential_class", "area_m2"]]
