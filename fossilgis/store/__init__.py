"""Opening the data store: the embedded GeoPackage (default) or PostGIS (``--store URL``).

How the package is built (composition, no inheritance chain)::

    Store (base.py)                   the facade open_store() returns
      .db        Database (db.py)     connections, transactions, ``?`` SQL
                   .dialect           GpkgDialect (gpkg.py) | PgDialect (postgis.py):
                                      only what differs between the backends
      .layers    Layers (layers.py)   sites/sections, versions, archive, restore
      .patrols   Patrols (patrols.py) patrols, waypoints, photo links
      .photos    Photos (photos.py)   photo files, content-addressed, and their rows
      .accounts  Accounts (accounts.py) users, API tokens, sign-in sessions
      .audit     AuditLog (audit.py)  the append-only audit log

The schema is in ``gpkg_schema.py`` and ``postgis_schema.py`` (numbered migrations).

Adding a repository is one new module and one line in :class:`Store`'s ``__init__``.
For a ``cases`` repository, ``fossilgis/store/cases.py``::

    class Cases:
        def __init__(self, db, audit):
            self.db, self.audit = db, audit

        def get(self, case_id):
            return self.db.one("SELECT * FROM cases WHERE id=?", (case_id,))

and in ``Store.__init__`` (``fossilgis/store/base.py``)::

    self.cases = Cases(db, self.audit)

Callers then write ``store.cases.get(…)``; SQL uses ``?`` placeholders and
``self.db.dialect`` for what differs (its tables come in a new numbered migration).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from fossilgis.store.base import Store

__all__ = ["Store", "open_store", "resolve_data_dir", "resolve_store_url", "DEFAULT_DATA_DIR"]


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "fossilgis"


#: where the store lives when neither --data nor FOSSILGIS_DATA says otherwise
DEFAULT_DATA_DIR = _default_data_dir()


def resolve_data_dir(data: str | os.PathLike | None = None) -> Path:
    """``data`` if given, else ``$FOSSILGIS_DATA``, else ``$XDG_DATA_HOME/fossilgis``."""
    if data:
        return Path(data).expanduser()
    env = os.environ.get("FOSSILGIS_DATA")
    return Path(env).expanduser() if env else _default_data_dir()


def resolve_store_url(store: str | None = None) -> str | None:
    """``store`` if given, else ``$FOSSILGIS_STORE``; None means the GeoPackage store."""
    value = store or os.environ.get("FOSSILGIS_STORE") or None
    return value.strip() if value else None


def open_store(
    data: str | os.PathLike | None = None, *, create: bool = True, store: str | None = None
) -> Store:
    """Open (and on first use create and fill from ``layers/``) the store.

    Parameters
    ----------
    data : path, optional
        The data directory (``--data``/``FOSSILGIS_DATA``): the GeoPackage, photos and the
        web app's secret key. With PostGIS it still holds the photos and the key.
    create : bool
        Create the store when it does not exist yet.
    store : str, optional
        ``postgresql://…`` selects the PostGIS store (default ``$FOSSILGIS_STORE``);
        ``gpkg`` or nothing selects the GeoPackage in ``data``.
    """
    from fossilgis.errors import StoreError

    url = resolve_store_url(store)
    postgis = bool(url) and url.lower() not in ("gpkg", "geopackage")
    # the URL is not logged: it may hold a password
    logging.getLogger(__name__).info(
        "opening the %s store (data directory %s, create=%s); a new or older store is migrated now",
        "PostGIS" if postgis else "GeoPackage",
        resolve_data_dir(data),
        create,
    )
    if postgis:
        from fossilgis.store.postgis import PostGISStore, is_postgres_url

        if not is_postgres_url(url):
            raise StoreError(
                f"--store {url!r} is not a store URL; expected postgresql://USER@HOST/DB "
                "(PostGIS) or gpkg (the GeoPackage in --data)"
            )
        return PostGISStore(url, resolve_data_dir(data), create=create)
    from fossilgis.store.gpkg import GeoPackageStore

    return GeoPackageStore(resolve_data_dir(data), create=create)
