"""Online backup of a running GeoPackage store: the database, the photos and the secret key."""

from __future__ import annotations

import shutil
from pathlib import Path

from fossilgis.errors import StoreError


def backup_gpkg(store, dest: str | Path) -> Path:
    """A consistent copy of a running GeoPackage store in ``dest`` (a new directory).

    The GeoPackage is copied with SQLite's online backup API (readers and writers may go
    on), then the photo and case files, the imported basemaps and context layers and the
    secret key; ``dest`` can be used as ``--data``.
    Everything is written into a temporary folder inside ``dest`` and moved into place
    only when complete and fsynced, so a failure (disk full...) leaves no partial backup;
    ``dest`` is created when missing (and removed again if the backup fails). ``dest``
    must not be the store's own data directory or inside its photo folder.
    """
    import contextlib
    import sqlite3

    from fossilgis.auth import SECRET_KEY_FILE
    from fossilgis.io.atomic import (
        atomic_outputs,
        check_output,
        protected_paths_of,
        refuse_protected,
    )
    from fossilgis.store.gpkg import GPKG_NAME

    if store.backend != "gpkg":
        raise StoreError(
            "`store backup` copies the GeoPackage store; back up PostGIS with "
            "`pg_dump -Fc -n SCHEMA` and copy the data directory (docs/deploy.md)"
        )
    dest = Path(dest)
    protected = protected_paths_of(store)
    from fossilgis.basemaps import basemaps_dir
    from fossilgis.context import OFFICE_DIR
    from fossilgis.store.cases import FILES_DIR

    # content-addressed files the store's rows name, the office's basemaps and context layers
    folders = ("photos", FILES_DIR, basemaps_dir(".").name, OFFICE_DIR)
    names = (GPKG_NAME, *folders, SECRET_KEY_FILE)
    for name in names:
        refuse_protected(dest / name, protected)
    held = [n for n in names if (dest / n).exists()]
    if held:
        raise StoreError(
            f"{dest} already holds {', '.join(held)}; back up into a new (or empty) directory"
        )
    created = not dest.exists()
    check_output(dest, protected, directory=True)
    try:
        with atomic_outputs(dest, protected, label=dest / GPKG_NAME) as tmp:
            src = sqlite3.connect(store.path)
            out = sqlite3.connect(tmp / GPKG_NAME)
            try:
                with out:
                    src.backup(out)
            finally:
                out.close()
                src.close()
            for folder in folders:
                if (store.data_dir / folder).exists():
                    shutil.copytree(store.data_dir / folder, tmp / folder)
            key = store.data_dir / SECRET_KEY_FILE
            if key.exists():
                shutil.copy2(key, tmp / SECRET_KEY_FILE)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                dest.rmdir()  # only when empty: nothing of the user's is removed
        raise
    return dest / GPKG_NAME
