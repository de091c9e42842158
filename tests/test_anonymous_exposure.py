"""Exposure scan: no route answers an anonymous visitor with a site's precise position.

Every GET route of the web map app (pages, GeoJSON, KML, search, OGC API in JSON and HTML,
single features, patrols, alerts, screening results, exports) is called as a visitor with
its path parameters filled from the store, after seeding a site whose free-text fields
carry its own coordinates, a type section running through it and patrols on it. Each
answer is scanned for any site's vertices and centroids to 3 decimals (as a lon/lat pair
in either order, in geometry or text), for the seeded degree-minute-second and
Gauss-Krüger texts, and for nothing else. Signed-in staff must still get precise data.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path

import pytest
import shapely
from webmap_fixtures import add_users, signed_in

from fossilgis.patrols.model import ALERT_CATEGORIES

#: the seeded site: a ~300 m polygon, its own coordinates written into its text fields
LEAK_ID = "GZ-LEAK"
LEAK_SECTION_ID = "GZ-S-LEAK"
LEAK_CENTRE = (106.912345, 26.456789)
#: the same position in degrees, minutes, seconds
LEAK_DMS = "26°27'24.4\"N 106°54'44.4\"E"
PATROL_ON_LEAK = "44444444-4444-4444-8444-444444444444"
PATROL_ON_F01 = "55555555-5555-4555-8555-555555555555"


def _gk_text(lon: float, lat: float) -> str:
    """``"X=2927… Y=36491…"``: the position in CGCS2000 3° GK metres with the zone prefix."""
    from pyproj import Transformer

    from fossilgis.geo import GK_ZONES, gk_zone_for_lon

    epsg = GK_ZONES[gk_zone_for_lon(lon).zone][0]
    east, north = Transformer.from_crs(4490, epsg, always_xy=True).transform(lon, lat)
    return f"{int(north)}, {int(east)}"


LEAK_GK = _gk_text(*LEAK_CENTRE)
#: texts that must never reach a visitor (each is also the seeded form of a position)
SECRET_TEXTS = [LEAK_DMS, LEAK_GK, "26°27'24", "106°54'44"]


def _leak_site(template):
    """A copy of ``template`` (one site row) moved to LEAK_CENTRE, its text full of positions."""
    x, y = LEAK_CENTRE
    ring = [
        (x - 0.0016, y - 0.0011),
        (x + 0.0013, y - 0.0014),
        (x + 0.0017, y + 0.0012),
        (x - 0.0012, y + 0.0015),
    ]
    row = template.copy()
    row["id"] = LEAK_ID
    row["name_zh"] = f"泄露测试产地（北纬{y:.6f}°，东经{x:.6f}°）"
    row["name_en"] = f"Leak test site N{y:.6f} E{x:.6f}"
    row["formation"] = f"outcrop at {LEAK_DMS}"
    row["fossils"] = f"trilobites; GK {LEAK_GK}"
    row["source"] = f"field survey 2019, GPS {y:.5f},{x:.5f}"
    row["status"] = f"fenced at {x:.4f}E"
    # a source's own columns, kept by the store in ``extra``
    row["extra"] = [
        {
            "locality": f"road cut N{y:.6f} E{x:.6f}",
            "note": f"gate at {LEAK_DMS}",
            "description": f"GK metres {LEAK_GK}",
        }
    ]
    return row.set_geometry([shapely.Polygon(ring)], crs=template.crs)


def seed(store) -> None:
    """The leaky site, a section through it, and patrols (with alerts) on it and on GZ-F01."""
    import geopandas as gpd
    import pandas as pd

    from fossilgis.patrols.model import Observation, Patrol, Waypoint

    sites = store.read_layer("sites")
    leak = _leak_site(sites[sites["id"] == "GZ-F01"])
    sites = gpd.GeoDataFrame(pd.concat([sites, leak], ignore_index=True), crs=sites.crs)
    store.replace_layer("sites", sites, source="test: exposure", demonstration=True)

    x, y = LEAK_CENTRE
    sections = store.read_layer("sections")
    line = sections[sections["id"] == sections["id"].iloc[0]].copy()
    line["id"] = LEAK_SECTION_ID
    line["boundary"] = f"base at N{y:.6f} E{x:.6f}"
    line = line.set_geometry(
        [shapely.LineString([(x - 0.004, y - 0.002), (x, y), (x + 0.003, y + 0.004)])],
        crs=sections.crs,
    )
    sections = gpd.GeoDataFrame(pd.concat([sections, line], ignore_index=True), crs=sections.crs)
    store.replace_layer("sections", sections, source="test: exposure", demonstration=True)

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    f01 = store.read_layer("sites").set_index("id").geometry["GZ-F01"]
    for pid, target, geom, user in (
        (PATROL_ON_LEAK, LEAK_ID, leak.geometry.iloc[0], "admin1"),
        (PATROL_ON_F01, "GZ-F01", f01, "patroller1"),
    ):
        geom = geom.geoms[0] if geom.geom_type == "MultiPolygon" else geom
        # waypoints on the site's vertices and centroid: precise positions are the site's
        points = [
            *shapely.get_coordinates(geom.exterior)[:3],
            *shapely.get_coordinates(geom.centroid),
        ]
        started = now - dt.timedelta(days=2)
        waypoints = [
            Waypoint(
                uuid=str(uuid.uuid5(uuid.UUID(pid), str(i))),
                lon=float(px),
                lat=float(py),
                observed_at=started + dt.timedelta(minutes=5 * (i + 1)),
                name=f"WP N{py:.6f}",
                observation=Observation(
                    category="illegal_excavation" if i == 0 else "intact",
                    severity="high" if i == 0 else "none",
                    description=f"new pit at {py:.6f},{px:.6f}",
                ),
            )
            for i, (px, py) in enumerate(points)
        ]
        track = shapely.MultiLineString([[tuple(p) for p in points]])
        patrol = Patrol(
            uuid=pid,
            started_at=started,
            ended_at=started + dt.timedelta(hours=2),
            team=["王丽"],
            purpose=f"check {target} at N{points[-1][1]:.6f}",
            notes=f"met Li at {LEAK_DMS}",
            target_kind="site",
            target_id=target,
            track=track,
            waypoints=waypoints,
        )
        store.save_patrol(patrol, user)


def seed_formations(store) -> None:
    """A synthetic geological map of two units under the leaky site and its neighbour, so
    the potential layer, screens and status page answer with potential data (public)."""
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(
        {
            "unit": ["T2f", "XX-exposure"],
            "name_zh": ["法郎组", "暴露测试组"],
            "name_en": [None, None],
        },
        geometry=[
            shapely.box(106.85, 26.40, 106.95, 26.50),
            shapely.box(106.95, 26.40, 107.0, 26.5),
        ],
        crs="EPSG:4490",
    )
    store.formations.replace(gdf, source="test: exposure", user="tests")


# -- the needles ---------------------------------------------------------------------------
def _forms(v: float) -> set[str]:
    """``v`` to 3 decimals, rounded and truncated (both appear in text)."""
    return {f"{v:.3f}", f"{int(v * 1000) / 1000:.3f}"}


def site_needles(store) -> set[tuple[str, str]]:
    """(lon, lat) to 3 decimals of every vertex and the centroid of every site."""
    pairs = set()
    for geom in store.read_layer("sites").geometry:
        coords = [*shapely.get_coordinates(geom), *shapely.get_coordinates(geom.centroid)]
        for lon, lat in coords:
            pairs |= {(a, b) for a in _forms(lon) for b in _forms(lat)}
    return pairs


_NUMBER = re.compile(r"(?<![\d.])(\d{2,3}\.\d{3,})")
#: how far apart (characters) a longitude and latitude may be and still form one position
_WINDOW = 60


def leaks(body: str, needles: set[tuple[str, str]], *, positions: bool = True) -> list[str]:
    """Precise site positions (``positions``) and secret texts found in ``body``.

    A position is two neighbouring numbers with three or more decimals, a longitude and a
    latitude in either order (GeoJSON, KML, tables, "N26.45 E106.91"), that agree to 3
    decimals (rounded or truncated) with a vertex or the centroid of a site.
    """
    found = [s for s in SECRET_TEXTS if s in body]
    if not positions:
        return found
    numbers = [
        (m.start(), m.group(1)[: m.group(1).index(".") + 4], float(m.group(1)))
        for m in _NUMBER.finditer(body)
    ]
    for (p1, t1, v1), (p2, t2, v2) in zip(numbers, numbers[1:]):
        if p2 - p1 > _WINDOW:
            continue
        pair = (t1, t2) if v1 > v2 else (t2, t1)
        if pair in needles:
            found.append(f"{pair} …{body[max(0, p1 - 60) : p2 + 60]}…")
    return found


def test_the_scanner_finds_positions_in_either_order_and_format():
    needles = {("106.912", "26.456")}
    assert leaks('{"coordinates":[[106.91234,26.45678]]}', needles)
    assert leaks("北纬26.456789°，东经106.912345°", needles)
    assert leaks("<td>106.912345, 26.456789</td>", needles)
    assert not leaks("[[106.91,26.45],[106.92,26.46]]", needles)  # generalised: 2 decimals
    assert not leaks("106.912 … " + "x" * 200 + " 26.456", needles)  # too far apart
    assert not leaks("[106.912,26.111],[106.111,26.456]", needles)  # two other positions
    assert leaks(f"fossils: GK {LEAK_GK}", needles)


# -- the public functions of fossilgis.generalise ------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "N26.456789 E106.912345",
        "26.45678,106.91234",
        "北纬26.456789°，东经106.912345°",
        "26°27'24.4\"N 106°54'44.4\"E",
        "26°07.4'N",
        "26度27分24秒",
        "106.9123°E",
        "X=2927901 Y=36391527",
        "2927901, 36391527",
        "491527 2927901",
        "36391527",
        "26.8633/105.9728",
    ],
)
def test_scrub_coordinates_withholds_every_notation(text):
    from fossilgis.generalise import WITHHELD, scrub_coordinates

    out = scrub_coordinates(f"gate at {text} (survey)")
    assert out == f"gate at {WITHHELD} (survey)"


@pytest.mark.parametrize(
    "text",
    [
        "Kaili Fm, 541.0 Ma",
        "Cambrian Series 2, 200 m thick",
        "postcode 556000",
        "GSSP ratified 2018",
        "about 26.1°",
        "Wuliuan Stage (GSSP 52.8 m above base)",
        "GZ-F01",
    ],
)
def test_scrub_coordinates_keeps_other_numbers(text):
    from fossilgis.generalise import public_text, scrub_coordinates

    assert scrub_coordinates(text) == text
    assert public_text(12.3456) == 12.3456 and public_text(None) is None


def test_public_layer_allow_lists_scrubs_and_generalises():
    import geopandas as gpd

    from fossilgis.generalise import WITHHELD, public_layer
    from fossilgis.rules import load_rules

    site = shapely.Point(106.9123, 26.4567).buffer(0.001)
    sites = gpd.GeoDataFrame(
        {
            "id": ["S1"],
            "name_en": ["pit N26.4567 E106.9123"],
            "protection_level": ["general"],
            "accuracy_m": [30.0],
            "extra": [{"locality": "26.4567,106.9123"}],
            "secret_column": ["x"],
        },
        geometry=[site],
        crs="EPSG:4490",
    )
    out = public_layer(sites, "sites")
    assert list(out.columns) == [
        "id",
        "name_en",
        "protection_level",
        "accuracy_m",
        "geometry",
        "generalised",
    ]
    assert out["name_en"].iloc[0] == f"pit {WITHHELD}" and out["generalised"].all()
    assert out.geometry.iloc[0].equals(shapely.box(106.91, 26.45, 106.92, 26.46))
    sections = gpd.GeoDataFrame(
        {"id": ["near", "far"], "boundary": ["base", "top 26.4567,106.9123"]},
        geometry=[
            shapely.LineString([(106.918, 26.45), (106.925, 26.46)]),  # ~500 m away
            shapely.LineString([(107.5, 27.0), (107.51, 27.01)]),
        ],
        crs="EPSG:4490",
    )
    pub = public_layer(sections, "sections", sites=sites, rules=load_rules())
    assert list(pub["generalised"]) == [True, False]
    assert pub.geometry.iloc[0].contains(sections.geometry.iloc[0])
    assert pub.geometry.iloc[1].equals(sections.geometry.iloc[1])
    assert pub["boundary"].iloc[1] == f"top {WITHHELD}"
    with pytest.raises(ValueError, match="cell_deg must be a positive"):
        public_layer(sites, "sites", cell_deg=0)


def test_generalise_geometries_points_lines_and_missing():
    from fossilgis.generalise import generalise_geometries

    out = generalise_geometries(
        [
            shapely.Point(106.9123, 26.4567),
            None,
            shapely.LineString([(106.901, 26.451), (106.915, 26.452)]),
        ]
    )
    assert out[0].equals(shapely.box(106.91, 26.45, 106.92, 26.46))
    assert out[1] is None
    assert out[2].equals(shapely.box(106.90, 26.45, 106.92, 26.46))


def test_public_patrols_keep_when_and_how_much_only():
    import geopandas as gpd

    from fossilgis.generalise import public_patrols

    gdf = gpd.GeoDataFrame(
        {
            "uuid": ["u1"],
            "started_at": ["2025-01-01"],
            "target_id": ["S1"],
            "purpose": ["check S1"],
            "team": [["王丽"]],
            "alert_count": [1],
        },
        geometry=[shapely.Point(106.9, 26.4)],
        crs="EPSG:4490",
    )
    out = public_patrols(gdf)
    assert list(out.columns) == ["uuid", "started_at", "alert_count", "geometry"]
    assert out.geometry.iloc[0] is None


# -- the app, its routes and their parameters -----------------------------------------------
@pytest.fixture(scope="module")
def exposed(new_store):
    """(app, store, staff client): a store of each backend with the seeded data and users."""
    from conftest import store_url

    from webmap import create_app

    store = new_store()
    add_users(store)
    seed(store)
    seed_formations(store)
    app = create_app({"DATA_DIR": str(store.data_dir), "STORE": store_url(store), "TESTING": True})
    return app, store, signed_in(app, "admin1")


def _footprint_near(store) -> dict:
    """A 60 m square ~450 m east of the leaky site (inside its attention zone), as GeoJSON."""
    x, y = LEAK_CENTRE
    d = 0.0003
    cx = x + 0.0017 + 0.0047
    ring = [[cx - d, y - d], [cx + d, y - d], [cx + d, y + d], [cx - d, y + d], [cx - d, y - d]]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "test"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }


def _applicant_case(store) -> str:
    """An applicant's case beside the leaky site, decided with released and internal
    follow-ups; returns its status-link token."""
    import geopandas as gpd

    from fossilgis.cases.model import CaseDetails, Decision, FollowUp
    from fossilgis.io._pipeline import ReadResult
    from fossilgis.screening import screen_results

    fc = _footprint_near(store)
    gdf = gpd.GeoDataFrame.from_features(fc["features"], crs="EPSG:4490")
    screening = screen_results([ReadResult(gdf=gdf, source="near.geojson")], store)
    token = "applicant-" + uuid.uuid4().hex
    number = store.cases.open(
        CaseDetails("exposure", "unit", "contact", source="applicant"),
        user=None,
        screening=screening,
        status_token=token,
    )
    store.cases.decide(
        number,
        Decision(
            "evaluation_required",
            f"靠近 {LEAK_ID}，坐标 106.91234, 26.45678",
            [FollowUp("released", None, True), FollowUp(f"internal {LEAK_ID}", None, False)],
        ),
        user="admin1",
    )
    return token


def route_urls(app, store, staff_client) -> dict[str, list[str]]:
    """Every GET rule of the app → the URLs that exercise it (path parameters filled)."""
    sites = list(store.read_layer("sites")["id"])
    sections = list(store.read_layer("sections")["id"])
    patrols = list(store.list_patrols()["uuid"])
    alerts = list(store.list_waypoints(categories=list(ALERT_CATEGORIES))["uuid"])
    assert alerts, "the exposure store has no alert to scan"
    r = staff_client.post(
        "/check", data={"drawn": json.dumps(_footprint_near(store)), "project_type": "other"}
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    token = r.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    # a saved case (staff pages) and an applicant's case (the status page)
    r = staff_client.post(f"/check/{token}/case", data={"project_name": "exposure test"})
    number = r.headers["Location"].rsplit("/cases/", 1)[1]
    status_token = _applicant_case(store)
    fill = {
        "/": ["/", "/?lang=zh"],
        "/healthz": ["/healthz"],
        "/login": ["/login"],
        "/check": ["/check"],
        "/check/<token>": [f"/check/{token}", f"/check/{token}?lang=zh"],
        "/check/<token>.json": [f"/check/{token}.json"],
        "/check/<token>/report.html": [f"/check/{token}/report.html"],
        "/check/<token>/result.geojson": [f"/check/{token}/result.geojson"],
        "/sites/<path:feature_id>": [f"/sites/{i}" for i in sites],
        "/sections/<path:feature_id>": [f"/sections/{i}" for i in sections],
        "/api/layers/<kind>.geojson": [
            *(f"/api/layers/{k}.geojson" for k in ("sites", "sections", "zones")),
            *(
                f"/api/layers/{k}.geojson?bbox=106.8,26.4,107,26.5"
                for k in ("sites", "sections", "zones")
            ),
        ],
        "/api/layers/<kind>/<path:feature_id>.geojson": [
            *(f"/api/layers/sites/{i}.geojson" for i in sites),
            *(f"/api/layers/sections/{i}.geojson" for i in sections),
        ],
        "/api/layers/<kind>/<path:feature_id>.kml": [
            *(f"/api/layers/sites/{i}.kml" for i in sites),
            *(f"/api/layers/sections/{i}.kml" for i in sections),
        ],
        "/api/potential.geojson": [
            "/api/potential.geojson?bbox=106.8,26.4,107,26.5",
            "/api/potential.geojson?bbox=106.8,26.4,107,26.5&zoom=16",
        ],
        "/api/potential/legend.json": ["/api/potential/legend.json"],
        "/api/basemaps.json": ["/api/basemaps.json"],
        "/api/context.json": ["/api/context.json"],
        "/api/context/<name>.geojson": [
            f"/api/context/{n}.geojson" for n in ("province", "rivers", "places")
        ],
        "/basemaps/<name>/<int:z>/<int:x>/<int:y>.<ext>": ["/basemaps/none/7/101/54.png"],
        "/api/search": [
            f"/api/search?q={q}"
            for q in ("GZ", "leak", "泄露", "26.45", "N26", "106.9", LEAK_SECTION_ID)
            # a typed coordinate near the site, a place, a coordinate that cannot be one
            + ("26°27'N 106°54'E", "Guiyang", "26°75'N 106°54'E")
        ],
        "/patrols": [
            "/patrols",
            "/patrols?lang=zh",
            "/patrols?category=alerts",
            f"/patrols?target={LEAK_ID}",
            "/patrols?target=GZ-F01",
        ],
        "/patrols/new": ["/patrols/new"],
        "/patrols/<uuid>": [f"/patrols/{u}" for u in patrols],
        "/patrols/<uuid>/edit": [f"/patrols/{u}/edit" for u in patrols],
        "/patrols/sw.js": ["/patrols/sw.js"],
        "/patrols/app.webmanifest": ["/patrols/app.webmanifest"],
        "/patrols/app/icon-<int:size>.png": [
            "/patrols/app/icon-192.png",
            "/patrols/app/icon-512.png",
        ],
        "/patrols/app/session.json": ["/patrols/app/session.json"],
        "/api/patrols/tracks.geojson": [
            "/api/patrols/tracks.geojson",
            f"/api/patrols/tracks.geojson?target=site:{LEAK_ID}",
            "/api/patrols/tracks.geojson?bbox=106.8,26.4,107,26.5",
            "/api/patrols/tracks.geojson?target=site:GZ-F01&waypoints=1",
        ],
        "/patrols/report": [
            "/patrols/report",
            "/patrols/report?quarter=2024Q3&format=csv",
            "/patrols/report?format=print",
        ],
        "/patrols/export.<fmt>": [f"/patrols/export.{f}" for f in ("geojson", "csv", "gpx", "kml")],
        "/api/patrols/<uuid>": [f"/api/patrols/{u}" for u in patrols],
        "/api/patrols.geojson": ["/api/patrols.geojson"],
        "/api/alerts.geojson": ["/api/alerts.geojson"],
        "/api/coverage.json": ["/api/coverage.json"],
        "/alerts": [
            "/alerts",
            "/alerts?status=open",
            "/alerts?status=closed",
            f"/alerts?target={LEAK_ID}",
        ],
        "/alerts/<uuid>": [f"/alerts/{wp}" for wp in alerts],
        "/alerts/<uuid>/files/<int:seq>": [f"/alerts/{wp}/files/1" for wp in alerts],
        "/photos/<sha256>": ["/photos/" + "a" * 64],
        "/photos/<sha256>/thumb": ["/photos/" + "a" * 64 + "/thumb"],
        "/ogcapi": ["/ogcapi"],
        "/ogcapi/": ["/ogcapi/", "/ogcapi/?f=html"],
        "/ogcapi/conformance": ["/ogcapi/conformance"],
        "/ogcapi/api": ["/ogcapi/api", "/ogcapi/api?f=html"],
        "/ogcapi/collections": ["/ogcapi/collections", "/ogcapi/collections?f=html"],
        "/ogcapi/collections/<cid>": [
            f"/ogcapi/collections/{c}{f}"
            for c in ("sites", "sections", "patrols")
            for f in ("", "?f=html")
        ],
        "/ogcapi/collections/<cid>/items": [
            f"/ogcapi/collections/{c}/items?limit=1000{f}"
            for c in ("sites", "sections", "patrols")
            for f in ("", "&f=html")
        ],
        "/ogcapi/collections/<cid>/items/<fid>": [
            *(f"/ogcapi/collections/sites/items/{i}{f}" for i in sites for f in ("", "?f=html")),
            *(
                f"/ogcapi/collections/sections/items/{i}{f}"
                for i in sections
                for f in ("", "?f=html")
            ),
            *(
                f"/ogcapi/collections/patrols/items/{u}{f}"
                for u in patrols
                for f in ("", "?f=html")
            ),
        ],
        "/ogcapi/<path:rest>": ["/ogcapi/nothing"],
        "/cases": ["/cases", f"/cases?q={number}", f"/cases?target={LEAK_ID}"],
        "/cases/footprints.geojson": ["/cases/footprints.geojson"],
        "/cases/<path:number>": [f"/cases/{number}"],
        "/cases/<path:number>/map.geojson": [f"/cases/{number}/map.geojson"],
        "/cases/<path:number>/files/<int:seq>": [f"/cases/{number}/files/1"],
        "/cases/<path:number>/report.html": [f"/cases/{number}/report.html"],
        "/cases/<path:number>/dossier.zip": [f"/cases/{number}/dossier.zip"],
        "/cases/<path:number>/case.geojson": [f"/cases/{number}/case.geojson"],
        "/submit": ["/submit", "/submit?lang=en"],
        "/submit/receipt": ["/submit/receipt"],
        "/status/<token>": [f"/status/{status_token}", "/status/unknown"],
    }
    rules = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint != "static"
    }
    missing = rules - set(fill)
    assert not missing, f"GET routes the scan does not call (add them): {sorted(missing)}"
    return {rule: urls for rule, urls in fill.items() if rule in rules}


#: routes a visitor is refused (sign-in redirect or 401), scanned all the same
_STAFF_ONLY = {
    "/patrols/<uuid>/edit",
    "/patrols/app/session.json",
    "/api/patrols/tracks.geojson",
    "/patrols/report",
    "/alerts/<uuid>",
    "/alerts/<uuid>/files/<int:seq>",
    "/patrols/new",
    "/patrols/export.<fmt>",
    "/api/patrols/<uuid>",
    "/api/coverage.json",
    "/photos/<sha256>",
    "/photos/<sha256>/thumb",
    "/cases",
    "/cases/footprints.geojson",
    "/cases/<path:number>",
    "/cases/<path:number>/map.geojson",
    "/cases/<path:number>/files/<int:seq>",
    "/cases/<path:number>/report.html",
    "/cases/<path:number>/dossier.zip",
    "/cases/<path:number>/case.geojson",
}


#: URLs that answer 404 to a visitor by design (scanned all the same): an unknown path, a
#: receipt without the submission that made it, an unknown status link, a tile of a basemap
#: that was not imported
_NOT_FOUND = {
    "/ogcapi/nothing",
    "/submit/receipt",
    "/status/unknown",
    "/basemaps/none/7/101/54.png",
}


def test_anonymous_visitors_never_receive_precise_positions(exposed):
    app, store, staff_client = exposed
    needles = site_needles(store)
    visitor = app.test_client()
    found = {}
    calls = 0
    for rule, urls in route_urls(app, store, staff_client).items():
        for url in urls:
            r = visitor.get(url)
            calls += 1
            assert r.status_code < 500, (url, r.status_code)
            # the routes that serve data to visitors must really have answered with it
            if rule not in _STAFF_ONLY and url not in _NOT_FOUND:
                assert r.status_code == 200, (url, r.status_code)
            # the public zones are rings around the public shapes, drawn from nothing else
            # (test_public_zones_are_drawn_from_public_shapes); near a site they may pass
            # within 100 m of a vertex by chance
            body = r.get_data().decode("utf-8", "replace")  # icons are PNG: read as text too
            hits = leaks(body, needles, positions="zones" not in url)
            if hits:
                found[url] = hits[:3]
    assert calls > 200
    assert not found, "precise positions reach visitors:\n" + "\n".join(
        f"{url}: {hits}" for url, hits in found.items()
    )


def test_public_zones_are_drawn_from_public_shapes(exposed):
    import geopandas as gpd

    from fossilgis.rules import load_rules
    from fossilgis.zones import target_zones

    app, store, _ = exposed
    visitor = app.test_client()
    public = {
        k: gpd.GeoDataFrame.from_features(
            visitor.get(f"/api/layers/{k}.geojson").get_json(), crs="EPSG:4490"
        )
        for k in ("sites", "sections", "zones")
    }
    expected = target_zones(public["sites"], public["sections"], load_rules())
    got = public["zones"]
    assert len(got) == len(expected)
    for g, e in zip(got.geometry, expected.geometry):
        assert g.equals_exact(e, 1e-5) or g.symmetric_difference(e).area < 1e-9
    leak = public["sections"].set_index("id").loc[LEAK_SECTION_ID]
    assert leak["generalised"] and leak.geometry.geom_type in ("Polygon", "MultiPolygon")


def test_static_files_carry_no_positions(exposed):
    app, store, _ = exposed
    needles = site_needles(store)
    visitor = app.test_client()
    static = Path(__file__).resolve().parent.parent / "webmap" / "static"
    own = sorted(static.glob("js/*.js")) + sorted(static.glob("css/*.css"))
    assert len(own) >= 10
    for path in ("/static/" + p.relative_to(static).as_posix() for p in own):
        r = visitor.get(path)
        assert r.status_code == 200 and not leaks(r.get_data(as_text=True), needles)
        r.close()


@pytest.mark.parametrize(
    "url",
    [
        "/api/layers/sites.geojson",
        f"/api/layers/sites/{LEAK_ID}.geojson",
        f"/api/layers/sites/{LEAK_ID}.kml",
        f"/api/layers/sections/{LEAK_SECTION_ID}.geojson",
        f"/sites/{LEAK_ID}",
        f"/patrols/{PATROL_ON_LEAK}",
        f"/api/patrols/{PATROL_ON_LEAK}",
        f"/api/patrols/tracks.geojson?target=site:{LEAK_ID}",
        "/api/patrols.geojson",
        "/api/alerts.geojson",
        "/alerts",
        "/ogcapi/collections/sites/items?limit=1000",
        f"/ogcapi/collections/sites/items/{LEAK_ID}?f=html",
        f"/ogcapi/collections/sections/items/{LEAK_SECTION_ID}",
        f"/ogcapi/collections/patrols/items/{PATROL_ON_LEAK}",
        "/patrols/export.geojson",
    ],
)
def test_staff_still_get_precise_data(exposed, url):
    app, store, staff_client = exposed
    r = staff_client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    assert leaks(r.get_data(as_text=True), site_needles(store)), url


def test_staff_see_the_free_text_as_written(exposed):
    _, _, staff_client = exposed
    html = staff_client.get(f"/sites/{LEAK_ID}").get_data(as_text=True)
    assert LEAK_GK in html and "N26.456789" in html
    props = staff_client.get(f"/ogcapi/collections/sites/items/{LEAK_ID}").get_json(force=True)[
        "properties"
    ]
    assert props["formation"] == f"outcrop at {LEAK_DMS}"
