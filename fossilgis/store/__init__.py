"""Opening the data store: the embedded GeoPackage (default) or PostGIS (``--store URL``)."""

from __future__ import annotations

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
    if url and url.lower() not in ("gpkg", "geopackage"):
        from fossilgis.store.postgis import PostGISStore, is_postgres_url

        if not is_postgres_url(url):
            raise StoreError(
                f"--store {url!r} is not a store URL; expected postgresql://USER@HOST/DB "
                "(PostGIS) or gpkg (the GeoPackage in --data)"
            )
        return PostGISStore(url, resolve_data_dir(data), create=create)
    from fossilgis.store.gpkg import GeoPackageStore

    return GeoPackageStore(resolve_data_dir(data), create=create)
