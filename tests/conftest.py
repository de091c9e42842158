"""Shared fixtures: a PostgreSQL/PostGIS server for the session and stores of both backends.

``backend`` is parametrised over ``gpkg`` and ``postgis``; tests that take ``store`` or
``new_store`` run once per backend. The PostGIS server is ``$FOSSILGIS_TEST_PG`` (a
``postgresql://`` URL of a database where the ``postgis`` extension exists or may be
created) or else a throwaway cluster that the session starts itself (tests/pg_cluster.py).
Each PostGIS store gets a fresh schema. Without a server the PostGIS cases skip with the
reason; ``FOSSILGIS_REQUIRE_POSTGIS=1`` (set by CI) turns that skip into a failure.

Fixture modules are registered once, below in ``pytest_plugins``; test modules never import
fixtures by name (plain helper functions and constants they may import). Every store built
from layers/ is a copy of one template built once per session (:func:`copy_template`).
Tests whose subject is the store take ``store`` (both backends); tests that truly need a
GeoPackage data directory (files on disk, the CLI or app given ``--data``/``DATA_DIR`` only)
get one from ``template_copy`` in a fixture whose docstring says why.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pg_cluster
import pytest

pytest_plugins = ["io_helpers", "webmap_fixtures", "ogcapi_fixtures"]

_schemas = itertools.count()


def _unavailable(reason: str):
    if os.environ.get("FOSSILGIS_REQUIRE_POSTGIS") == "1":
        pytest.fail(
            f"FOSSILGIS_REQUIRE_POSTGIS=1 but PostGIS is unavailable: {reason}", pytrace=False
        )
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
    """ "gpkg" | "postgis": the store backend a test runs against."""
    if request.param == "postgis":
        request.getfixturevalue("pg_url")
    return request.param


@pytest.fixture(scope="session")
def layers_template(tmp_path_factory) -> Path:
    """A GeoPackage store built from layers/ once per session (building takes about a
    second). Never open or write it: take a copy with :func:`copy_template`."""
    from fossilgis.store import open_store

    data = tmp_path_factory.mktemp("layers-template") / "data"
    open_store(data).close()
    return data


def copy_template(template: Path, target: Path, prepare=None) -> Path:
    """``target``: a copy of the GeoPackage store ``template``; ``prepare(store)`` runs on it."""
    from fossilgis.store import open_store

    shutil.copytree(template, target)
    if prepare is not None:
        store = open_store(target)
        prepare(store)
        store.close()
    return target


@pytest.fixture(scope="session")
def template_copy(layers_template, tmp_path_factory):
    """``template_copy(name, prepare=None) -> Path``: a new GeoPackage data directory copied
    from the layers/ template (for module-scoped templates of their own, e.g. with users)."""

    def make(name: str = "data", prepare=None) -> Path:
        return copy_template(layers_template, tmp_path_factory.mktemp(name) / "data", prepare)

    return make


@pytest.fixture(scope="module")
def new_store(backend, request, tmp_path_factory, layers_template):
    """A factory of fresh stores of ``backend``: ``new_store(data_dir=None, **kwargs)``.

    A new GeoPackage store is a copy of the layers/ template; a PostGIS store gets a fresh
    schema built from layers/.
    """
    from fossilgis.store import open_store

    url = request.getfixturevalue("pg_url") if backend == "postgis" else None

    def make(data_dir=None, **kwargs):
        data_dir = Path(data_dir or tmp_path_factory.mktemp(f"store-{backend}") / "data")
        if url is None:
            if not data_dir.exists():
                copy_template(layers_template, data_dir)
            return open_store(data_dir, **kwargs)
        return open_store(data_dir, store=schema_url(url), **kwargs)

    return make


@pytest.fixture
def store(backend, new_store, tmp_path):
    """A fresh store of ``backend`` built from layers/ (36 sites, 19 sections)."""
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
