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
# # Importing the office's registry
#
# The shipped layers are a demonstration. The office's registry of fossil sites (化石产地名录)
# usually arrives as a shapefile made years ago: Chinese field names, attributes in GBK with
# no `.cpg`, Gauss-Krüger coordinates with no `.prj`, protection levels written in Chinese.
# This notebook imports such a file into a temporary store:
#
# 1. build a stand-in registry file with those properties (the real registry is not public);
# 2. inspect it: what a naive reader shows, what fossilgis detects;
# 3. confirm the CRS that fossilgis proposes, and check where the features land;
# 4. map the fields to the fossilgis schema (the Chinese level labels are recoded), validate;
# 5. import it (the previous version is archived), screen a project against it, then restore.
#
# `docs/data.md` shows the same steps with the `fossilgis layers` commands.

# %%
import tempfile
from pathlib import Path

import pandas as pd

pd.set_option("display.max_colwidth", 60)
ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "layers" / "examples").is_dir())
EXAMPLES = ROOT / "layers" / "examples"
DATA = Path(tempfile.mkdtemp(prefix="fossilgis-notebook-"))  # never the real store
print("data directory for this notebook:", DATA)

# %% [markdown]
# ## A registry file as offices have them
#
# The stand-in holds the six demonstration sites that lie in Gauss-Krüger zone 35, written
# the way an old registry is: this is the code of `notebooks/make_registry_example.py`.

# %%
import pyogrio

#: the demonstration sites in zone 35 used for the stand-in
REGISTRY_IDS = ["GZ-F03", "GZ-F05", "GZ-F08", "GZ-F29", "GZ-F34", "GZ-F35"]
#: how a registry writes the protection levels
LEVEL_LABELS = {"national_key": "国家级重点", "provincial_key": "省级重点", "general": "一般"}
#: the registry's field names → fossilgis fields
FIELDS = {"id": "编号", "name_zh": "名称", "name_en": "英文名", "county_zh": "县市",
          "age": "时代", "protection_level": "保护级别"}  # fmt: skip


def write_registry(folder, *, codes: bool = False) -> Path:
    """Write ``FOLDER/fossil_sites.shp`` (GBK, no .prj, no .cpg, EPSG:4523 coordinates)."""
    sites = pyogrio.read_dataframe(ROOT / "layers" / "sites.geojson")
    sites = sites[sites["id"].isin(REGISTRY_IDS)].set_crs(4490, allow_override=True)
    registry = sites[list(FIELDS) + ["geometry"]].rename(columns=FIELDS)
    if not codes:
        registry["保护级别"] = registry["保护级别"].map(LEVEL_LABELS)
    registry = registry.to_crs("EPSG:4523")  # zone 35, X with the prefix 35
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shp = folder / "fossil_sites.shp"
    for old in folder.glob("fossil_sites.*"):
        old.unlink()
    pyogrio.write_dataframe(registry, shp, encoding="gbk")
    # What offices send: no .prj (the CRS is "known" to everyone) and no .cpg.
    for sidecar in (".prj", ".cpg"):
        shp.with_suffix(sidecar).unlink(missing_ok=True)
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[1:4] = bytes([125, 1, 1])  # fixed "last update" date (2025-01-01): same bytes each run
    dbf.write_bytes(bytes(data))
    return shp


shp = write_registry(DATA / "registry")
sorted(p.name for p in shp.parent.iterdir())

# %% [markdown]
# ## Inspect it
#
# No `.prj`, no `.cpg`. A reader that trusts the DBF defaults shows the Chinese as mojibake,
# and the coordinates are 8-digit eastings starting with 35: the zone prefix.

# %%
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # GDAL warns about the missing .prj
    naive = pyogrio.read_dataframe(shp)
print("columns as read without an encoding:", list(naive.columns))
print("CRS:", naive.crs, "· bounds:", naive.total_bounds.round(1))

# %%
from fossilgis.errors import CRSError
from fossilgis.io import read_vector

try:
    read_vector(shp)
except CRSError as exc:
    print(exc)

# %% [markdown]
# fossilgis refuses to guess a projected CRS, but the message names the zone the prefix
# stands for. **Confirm it** with whoever made the file (or the file's metadata) before
# going on: a wrong zone moves every feature by hundreds of kilometres. A quick check is to
# read it with the proposed CRS and see where the features fall.

# %%
(registry,) = read_vector(shp, crs="EPSG:4523")
print(
    registry.crs_in,
    f"({registry.crs_basis})",
    "· encoding",
    registry.encoding,
    f"({registry.encoding_basis})",
)
for note in registry.notes:
    print("note:", note)
registry.gdf.drop(columns="geometry")

# %%
# the features should lie on the places the registry names
from fossilgis.store import open_store

store = open_store(DATA)
demo = store.read_layer("sites").set_index("id")
check = registry.gdf.set_index("编号")
pd.DataFrame(
    {
        "名称": check["名称"],
        "centre lon": check.geometry.centroid.x.round(4),
        "centre lat": check.geometry.centroid.y.round(4),
        "county (demo layer)": demo.loc[check.index, "county_zh"],
    }
)

# %% [markdown]
# ## Map the fields, validate
#
# `--map FIELD=SOURCE` on the command line, a dict here (source field → fossilgis field).
# Fields the registry lacks are filled with `defaults`; this stand-in keeps the demonstration
# (approximate) boundaries, so it says `boundary_status = approximate`; a surveyed registry
# says `surveyed`. Validation lists every problem and changes nothing.

# %%
from fossilgis.layers import parse_mapping, prepare_registry, validate_layer

mapping = parse_mapping(
    [
        "id=编号",
        "name_zh=名称",
        "name_en=英文名",
        "county_zh=县市",
        "age=时代",
        "protection_level=保护级别",
    ]
)
sites = prepare_registry(
    registry.gdf, "sites", mapping, defaults={"boundary_status": "approximate"}
)
for problem in validate_layer(sites, "sites"):
    print(problem)

# %% [markdown]
# The levels become the codes `national_key`, `provincial_key`, `general`: registries'
# Chinese labels (国家级重点, 省级重点, 一般, …) are recoded by `prepare_registry` (and by
# `fossilgis layers import`); any other value would be listed above as a problem.

# %%
pd.DataFrame({"保护级别": registry.gdf["保护级别"], "protection_level": sites["protection_level"]})

# %% [markdown]
# ## Import: the whole layer is replaced, the previous version archived

# %%
version = store.replace_layer(
    "sites", sites, source=shp.name, demonstration=False, note=f"imported from {shp.name}"
)
print("sites are now version", version)
history_columns = ["version", "count", "source", "demonstration", "replaced_at"]
pd.DataFrame(store.layer_history("sites"))[history_columns]

# %% [markdown]
# The same import from the command line, on the registry file as it came, run here on the
# notebook's data directory:

# %%
import subprocess
import sys

fossilgis = Path(sys.executable).with_name("fossilgis")
maps = [arg for pair in mapping.items() for arg in ("--map", f"{pair[1]}={pair[0]}")]
run = subprocess.run(
    [
        fossilgis,
        "--data",
        DATA,
        "layers",
        "import",
        shp,
        "--kind",
        "sites",
        "--crs",
        "EPSG:4523",
        "--boundary-status",
        "approximate",
        *maps,
    ],
    capture_output=True,
    text=True,
)
print(run.stdout + run.stderr)
run = subprocess.run(
    [fossilgis, "--data", DATA, "layers", "validate"], capture_output=True, text=True
)
print(run.stdout + run.stderr)

# %% [markdown]
# ## Screen against the registry
#
# The highway of the tour crosses GZ-F03; with the registry imported, the screen reads the
# registry's sites (and says which version it used).

# %%
from fossilgis.impact import ScreenOptions
from fossilgis.screening import screen_paths

screen = screen_paths(
    [EXAMPLES / "highway_g320.zip"],
    store,
    crs="EPSG:4523",
    options=ScreenOptions(project_type="linear", line_width_m=26),
)
print("layers used:", screen.to_dict()["layers"]["sites"])
screen.impacts[["target_id", "target_name_zh", "zone", "overlap_area_mu", "grade"]].round(1)

# %% [markdown]
# ## History and restore
#
# Every import archives the previous version; `restore_layer` (or `fossilgis layers restore
# --kind sites --version N`) makes an archived version current again, itself archiving the
# current one.

# %%
new = store.restore_layer("sites", 1)
print(f"version 1 (the demonstration layer) restored as version {new}")
info = store.layer_info("sites")
print(info["count"], "sites; demonstration:", info["demonstration"])
pd.DataFrame(store.layer_history("sites"))[history_columns]
