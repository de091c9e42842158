"""Shared fixtures: a PostgreSQL/PostGIS server for the session and stores of both backends.

``backend`` is parametrised over ``gpkg`` and ``postgis``; tests that take ``store`` or
``new_store`` run once per backend. The PostGIS server is ``$FOSSILGIS_TEST_PG`` (a
``postgresql://`` URL of a database where the ``postgis`` extension exists or may be
created) or else a throwaway cluster that the session starts itself (tests/pg_cluster.py).
Each PostGIS store gets a fresh schema. Without a server the PostGIS cases skip with the
reason; ``FOSSILGIS_REQUIRE_POSTGIS=1`` (set by CI) turns that skip into a failure.
"""

from __future__ import annotations

import itertools
import os
import shutil

import pg_cluster
import pytest

_schemas = itertools.count()


def _unavailable(reason: str):
    if os.environ.get("FOSSILGIS_REQUIRE_POSTGIS") == "1":
        pytest.fail(f"FOSSILGIS_REQUIRE_POSTGIS=1 but PostGIS is unavailable: {reason}",
                     pytrace=False)
    pytest.skip(f"PostGIS unavailable: {reason}")


@pytest.fixture(scope="session")
def pg_url():
    """The URL of a PostGIS database for the session (env FOSSILGIS_TEST_PG or our own)."""
    url = os.environ.get("FOSSILGIS_TEST_PG")
    if url:
        import psycopg

        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.Error as exc:
            _unavailable(f"FOSSILGIS_TEST_PG={url}: {exc}")
        yield url
        return
    reason = pg_cluster.unavailable_reason()
    if reason:
        _unavailable(reason)
    try:
        cluster = pg_cluster.start_cluster("fossilgis_test")
    except RuntimeError as exc:
        _unavailable(str(exc))
    yield cluster.url
    cluster.stop()


def schema_url(pg_url: str, prefix: str = "t") -> str:
    """``pg_url`` with a new, unused ``?schema=`` (one per store)."""
    name = f"{prefix}{os.getpid()}_{next(_schemas)}"
    return f"{pg_url}{'&' if '?' in pg_url else '?'}schema={name}"


@pytest.fixture(scope="module", params=["gpkg", pytest.param("postgis", marks=pytest.mark.postgis)])
def backend(request):
    """"gpkg" | "postgis": the store backend a test runs against."""
    if request.param == "postgis":
        request.getfixturevalue("pg_url")
    return request.param


@pytest.fixture(scope="module")
def new_store(backend, request, tmp_path_factory):
    """A factory of fresh stores of ``backend``: ``new_store(data_dir=None, **kwargs)``."""
    from fossilgis.store import open_store

    url = request.getfixturevalue("pg_url") if backend == "postgis" else None

    def make(data_dir=None, **kwargs):
        data_dir = data_dir or tmp_path_factory.mktemp(f"store-{backend}")
        if url is None:
            return open_store(data_dir, **kwargs)
        return open_store(data_dir, store=schema_url(url), **kwargs)

    return make


@pytest.fixture(scope="module")
def gpkg_template(tmp_path_factory):
    """A GeoPackage store built from layers/ once per module, copied by ``store``."""
    from fossilgis.store import open_store

    data = tmp_path_factory.mktemp("gpkg-template")
    open_store(data)
    return data


@pytest.fixture
def store(backend, new_store, gpkg_template, tmp_path):
    """A fresh store of ``backend`` built from layers/ (36 sites, 19 sections)."""
    from fossilgis.store import open_store

    if backend == "gpkg":
        data = tmp_path / "data"
        shutil.copytree(gpkg_template, data)
        yield open_store(data)
        return
    made = new_store(tmp_path / "data")
    yield made
    made.close()


def store_url(store) -> str | None:
    """What ``--store`` / ``open_store(store=…)`` takes to reopen ``store``."""
    return getattr(store, "url", None)


def reopen(store, **kwargs):
    """The same store opened again (a second process would do this)."""
    from fossilgis.store import open_store

    return open_store(store.data_dir, store=store_url(store), **kwargs)


def sql(store, query: str, args=()):
    """Rows of ``query`` (``?`` placeholders) on either backend's connection."""
    if store.backend == "postgis":
        query = query.replace("?", "%s")
    with store._read() as conn:
        return conn.execute(query, tuple(args)).fetchall()


def db_errors() -> tuple:
    """Exceptions raised by either backend's driver."""
    import sqlite3

    import psycopg

    return (sqlite3.DatabaseError, psycopg.Error)


def pytest_configure(config):
    config.addinivalue_line("markers", "postgis: runs against the PostGIS store")
