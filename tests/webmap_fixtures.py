"""Fixtures (registered in conftest.py) and helpers of the web-map tests: apps on temporary
stores, footprint files, URL scan."""

from __future__ import annotations

import re
import zipfile

import pytest

XSS_NAME = "<script>alert(1)</script>"
#: password of the test accounts admin1, patroller1 and viewer1
PASSWORD = "correct horse battery"
USERS = {"admin1": "admin", "patroller1": "patroller", "viewer1": "viewer"}
_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
XSS_ID = "GZ-XSS"
#: a point inside demonstration site GZ-F01 (Kaili biota, Balang), EPSG:4490
INSIDE_SITE = (108.414, 26.081)
URL_RE = re.compile(r"https?://[^\s\"'<>)]+", re.I)


def _app(data_dir, **extra):
    from webmap import create_app

    return create_app({"DATA_DIR": str(data_dir), "TESTING": True, **extra})


def add_users(store) -> None:
    """The accounts admin1, patroller1 and viewer1 (password :data:`PASSWORD`)."""
    from fossilgis.auth import create_user

    for name, role in USERS.items():
        if store.get_user(name) is None:
            create_user(store, name, PASSWORD, role, by="tests")


def csrf_of(client, path: str = "/login") -> str:
    """The session's CSRF token, read from a page's ``<meta name="csrf-token">``."""
    html = client.get(path).get_data(as_text=True)
    return _META_CSRF.search(html).group(1)


def login(client, username: str, password: str = PASSWORD, next_url: str = "/"):
    """Sign ``client`` in through the form; its later requests send the CSRF header."""
    token = csrf_of(client)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_url},
    )
    if r.status_code == 303:
        client.environ_base["HTTP_X_CSRF_TOKEN"] = csrf_of(client, "/patrols")
    return r


def signed_in(app, username: str):
    client = app.test_client()
    r = login(client, username)
    assert r.status_code == 303, r.get_data(as_text=True)
    return client


@pytest.fixture(scope="module")
def webmap_data(template_copy):
    """A GeoPackage data directory per test module (a copy of the layers/ template) with the
    three test accounts: the app is given ``DATA_DIR`` alone, as in a default deployment."""
    return template_copy("webmap-data", add_users)


@pytest.fixture
def app(webmap_data):
    return _app(webmap_data)


@pytest.fixture
def client(app):
    """An anonymous visitor's test client of the web map."""
    return app.test_client()


@pytest.fixture
def viewer_client(app):
    return signed_in(app, "viewer1")


@pytest.fixture
def patroller_client(app):
    return signed_in(app, "patroller1")


@pytest.fixture
def admin_client(app):
    return signed_in(app, "admin1")


@pytest.fixture
def staff_client(webmap_data):
    return _app(webmap_data, TESTING_STAFF=True).test_client()


def add_xss_site(store) -> None:
    """Add a site whose names are markup, to check that every page escapes them."""
    import pandas as pd

    sites = store.read_layer("sites")
    row = sites[sites["id"] == "GZ-F01"].copy()
    row["id"] = XSS_ID
    row["name_zh"] = XSS_NAME
    row["name_en"] = XSS_NAME + ' "quoted" & <b>bold</b>'
    row["formation"] = "<img src=x onerror=alert(2)>"
    sites = pd.concat([sites, row], ignore_index=True)
    store.replace_layer("sites", sites, source="test: xss", demonstration=True)


def _add_xss_site_and_users(store) -> None:
    add_xss_site(store)
    add_users(store)


@pytest.fixture(scope="module")
def xss_data(template_copy):
    """Like ``webmap_data``, plus the site whose names are markup (:func:`add_xss_site`)."""
    return template_copy("webmap-xss", _add_xss_site_and_users)


@pytest.fixture
def xss_client(xss_data):
    return _app(xss_data).test_client()


def zipped_shapefile(directory, geom=None, name="footprint", crs="EPSG:4490"):
    """A zip holding one polygon shapefile (default: a 200 m square on site GZ-F01)."""
    import geopandas as gpd
    import shapely

    if geom is None:
        x, y = INSIDE_SITE
        geom = shapely.box(x - 0.001, y - 0.001, x + 0.001, y + 0.001)
    shp_dir = directory / f"{name}_shp"
    shp_dir.mkdir()
    gdf = gpd.GeoDataFrame({"name": ["test project"]}, geometry=[geom], crs="EPSG:4490").to_crs(crs)
    gdf.to_file(shp_dir / f"{name}.shp", driver="ESRI Shapefile", encoding="utf-8")
    path = directory / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in sorted(shp_dir.iterdir()):
            zf.write(part, part.name)
    return path


def drawn_geojson(x=INSIDE_SITE[0], y=INSIDE_SITE[1], d=0.001) -> dict:
    ring = [[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d], [x - d, y - d]]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }


def urls_in(text: str) -> set[str]:
    return set(URL_RE.findall(text))
