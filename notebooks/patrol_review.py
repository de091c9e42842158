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
# # Patrol review: coverage, overdue sites and alerts
#
# Patrols (巡护) reach the store from the web form, `POST /api/patrols` and `fossilgis patrol
# import`, all through one function, `fossilgis.patrols.submit.submit_patrol`. The shipped
# store has no patrols, so this notebook first makes a few, as a field app would send them
# (the GeoJSON exchange format, `docs/patrols.md`), then reviews them as the office does:
#
# - which sites and sections were patrolled when, and which are overdue (90 days);
# - the alerts (damage, illegal excavation, encroachment) with the 条例 Art. 18 clocks;
# - a chart of patrols per month and a map.
#
# Everything happens in a temporary data directory; dates are relative to the time you run
# it, so the picture is the same whenever you run it.

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
import datetime as dt
import uuid

from fossilgis.patrols.submit import load_targets
from fossilgis.store import open_store

store = open_store(DATA)
targets = load_targets(store)  # sites and sections in one frame, with a `kind` column
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
targets.groupby("kind").size()


# %% [markdown]
# ## Make some patrols
#
# Each patrol is a GeoJSON FeatureCollection: one `patrol` feature (the track) and
# `waypoint` features, some with an observation. The UUIDs are made by the client (here
# derived from a name, so that running the cell twice sends the same records).


# %%
def spot(target_id, east_m=0.0, north_m=0.0):
    """A point near a target's centre, offset in metres."""
    c = targets.set_index("id").loc[target_id, "geometry"].centroid
    return [round(c.x + east_m / 100_000, 6), round(c.y + north_m / 111_000, 6)]


def patrol_geojson(name, target_id, days_ago, observations=(), team=("张三", "李四")):
    """A patrol of 2 hours that ended ``days_ago`` days before NOW, as the app sends it."""
    pid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"fossilgis-notebook/{name}"))
    end = NOW - dt.timedelta(days=days_ago)
    start = end - dt.timedelta(hours=2)
    track = [spot(target_id, -300, -200), spot(target_id, 0, 0), spot(target_id, 300, 250)]
    target_key = "section_id" if target_id.startswith("GZ-S") else "site_id"
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": track},
            "properties": {
                "feature_type": "patrol",
                "uuid": pid,
                target_key: target_id,
                "team": list(team),
                "started_at": start.isoformat(),
                "ended_at": end.isoformat(),
                "purpose": "例行巡护 routine patrol",
            },
        }
    ]
    for n, (category, severity, text) in enumerate(observations):
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": spot(target_id, 50 * n)},
                "properties": {
                    "feature_type": "waypoint",
                    "patrol_uuid": pid,
                    "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{pid}/{n}")),
                    "observed_at": (start + dt.timedelta(minutes=30 + 10 * n)).isoformat(),
                    "category": category,
                    "severity": severity,
                    "description": text,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


plan = [
    ("guanling-1", "GZ-F03", 200, [("intact", "none", "化石层完好")]),
    ("guanling-2", "GZ-F03", 120, [("weathering", "low", "雨后坡面冲刷")]),
    ("guanling-3", "GZ-F03", 40, [("vegetation", "low", "")]),
    ("guanling-4", "GZ-F03", 1, [("illegal_excavation", "high", "发现新鲜盗挖坑两处")]),
    ("qingyan-1", "GZ-F14", 150, [("intact", "none", "")]),
    ("qingyan-2", "GZ-F14", 100, [("signage_damaged", "medium", "界桩倾倒")]),
    ("kaili-1", "GZ-F01", 60, [("intact", "none", "")]),
    ("kaili-2", "GZ-F01", 0.125, [("construction_encroachment", "medium", "采石场排土越过控制线")]),
    ("wuliuan-1", "GZ-S01", 75, [("intact", "none", "金钉子标志完好")]),
    ("wuliuan-2", "GZ-S01", 20, []),
    ("xingyi-1", "GZ-F04", 300, [("human_damage", "low", "游客敲取化石")]),
]
bodies = {name: patrol_geojson(name, tid, days, obs) for name, tid, days, obs in plan}
len(bodies)

# %% [markdown]
# `submit_patrol` validates (coordinates in Guizhou, times not in the future, known
# categories), stores the photos, infers the target when none is given, and saves the record
# in one transaction. A second send of the same UUID with the same content is not stored
# again (`created=False`): the field app can retry after a lost connection without making
# duplicates.

# %%
from fossilgis.patrols.geojson import patrols_from_geojson
from fossilgis.patrols.submit import submit_patrol

for name, body in bodies.items():
    (patrol,) = patrols_from_geojson(body)
    result = submit_patrol(store, patrol, user="notebook", targets=targets)
    print(f"{name:11} created={result.created}", *result.warnings)

(again,) = patrols_from_geojson(bodies["guanling-4"])  # a re-send after a lost connection
print("re-send stored again?", submit_patrol(store, again, user="notebook").created)

# %%
patrols = store.list_patrols()
patrols[["target_id", "started_at", "ended_at", "waypoint_count", "alert_count", "team"]]

# %% [markdown]
# ## Coverage by site and overdue sites
#
# `coverage()` gives, for every site and section, its last patrol, the days since, the number
# of patrols in the window and whether it is overdue (no patrol in the last 90 days; the
# default is `DEFAULT_COVERAGE_DAYS`). Never-patrolled targets come first: with the
# demonstration layers that is most of them.

# %%
from fossilgis.patrols.coverage import DEFAULT_COVERAGE_DAYS, coverage, overdue_targets

cov = coverage(patrols, targets, NOW, days=DEFAULT_COVERAGE_DAYS)
patrolled = cov[cov["last_patrol"].notna()].copy()
patrolled["days_since"] = patrolled["days_since"].round(1)
patrolled[["kind", "id", "name_en", "last_patrol", "days_since", "patrols_in_window", "overdue"]]

# %%
overdue = overdue_targets(patrols, targets, NOW)
never = overdue["last_patrol"].isna()
print(
    f"{len(overdue)} of {len(targets)} targets overdue: {never.sum()} never patrolled, "
    f"{(~never).sum()} patrolled more than {DEFAULT_COVERAGE_DAYS} days ago:"
)
overdue[~never][["id", "name_en", "last_patrol"]]

# %% [markdown]
# ## Alerts and the Art. 18 clocks
#
# Observations in the alert categories (`human_damage`, `illegal_excavation`,
# `construction_encroachment`) start two clocks from the observation time: the authority on
# site within 24 h (`on_site_due`) and a handling opinion within 7 days (`opinion_due`). Each
# is `open` until due, then `overdue`.

# %%
from fossilgis.patrols.alerts import alerts

waypoints = store.list_waypoints()
alert_table = alerts(waypoints, NOW)
alert_table[
    [
        "target_id",
        "category_en",
        "severity",
        "description",
        "report_time",
        "on_site_status",
        "opinion_status",
        "status",
    ]
]

# %% [markdown]
# ## Patrols per month and days since the last patrol

# %%
import matplotlib.pyplot as plt

cst = patrols["ended_at"].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
months = cst.dt.to_period("M")
per_month = months.value_counts().reindex(
    pd.period_range(months.min(), months.max(), freq="M"), fill_value=0
)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.5))
per_month.plot.bar(ax=ax1, color="#2e86c1")
ax1.set(title="Patrols per month (China Standard Time)", xlabel="", ylabel="patrols")
ax1.tick_params(axis="x", labelrotation=45)
ax1.yaxis.get_major_locator().set_params(integer=True)
days = patrolled.set_index("id")["days_since"].sort_values()
days.plot.barh(ax=ax2, color=["#c0392b" if d > DEFAULT_COVERAGE_DAYS else "#27ae60" for d in days])
ax2.axvline(DEFAULT_COVERAGE_DAYS, color="grey", linestyle="--")
ax2.set(
    title=f"Days since the last patrol (overdue after {DEFAULT_COVERAGE_DAYS})",
    xlabel="days",
    ylabel="",
)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## A map of patrols and alerts
#
# The map below is a folium `Map` made in the notebook. In a notebook folium loads Leaflet and the OpenStreetMap tiles from the internet (CDN); without a connection the map stays blank. The web map (`fossilgis serve`) is the offline one: it ships its own assets (see [docs/webmap.md](../docs/webmap.md)).

# %%
import folium

m = folium.Map(tiles="OpenStreetMap")
status = cov.set_index("id")["overdue"]
seen = targets[targets["id"].isin(patrolled["id"])].copy()
seen["state"] = seen["id"].map(lambda i: "overdue" if status[i] else "patrolled in time")
folium.GeoJson(
    seen[["kind", "id", "name_en", "state", "geometry"]],
    name="patrolled targets",
    style_function=lambda f: {
        "color": "#c0392b" if f["properties"]["state"] == "overdue" else "#27ae60",
        "weight": 3,
        "fillOpacity": 0.3,
    },
    tooltip=folium.GeoJsonTooltip(["id", "name_en", "state"]),
).add_to(m)
tracks = patrols[["uuid", "target_id", "ended_at", "geometry"]].copy()
tracks["ended_at"] = tracks["ended_at"].astype(str)
folium.GeoJson(
    tracks,
    name="tracks",
    style_function=lambda f: {"color": "#2e86c1"},
    tooltip=folium.GeoJsonTooltip(["target_id", "ended_at"]),
).add_to(m)
for row in alert_table.itertuples():
    folium.Marker(
        [row.lat, row.lon],
        tooltip=f"{row.category_en} ({row.severity}): {row.status}",
        icon=folium.Icon(color="red" if row.status == "overdue" else "orange"),
    ).add_to(m)
folium.LayerControl().add_to(m)
minx, miny, maxx, maxy = seen.total_bounds
m.fit_bounds([[miny, minx], [maxy, maxx]])
m

# %% [markdown]
# The command line gives the same tables: `fossilgis patrol coverage`, `fossilgis patrol
# alerts` and `fossilgis patrol export --format csv|geojson|gpx|kml -o FILE` (see
# `docs/patrols.md`).
