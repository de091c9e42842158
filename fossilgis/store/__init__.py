"""Opening the data store: the embedded GeoPackage (default) or, later, PostGIS."""

from __future__ import annotations

import os
from pathlib import Path

from fossilgis.store.base import Store

__all__ = ["Store", "open_store", "resolve_data_dir", "DEFAULT_DATA_DIR"]


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


def open_store(data: str | os.PathLike | None = None, *, create: bool = True) -> Store:
    """Open (and on first use create and fill from ``layers/``) the store in ``data``."""
    from fossilgis.store.gpkg import GeoPackageStore

    return GeoPackageStore(resolve_data_dir(data), create=create)
