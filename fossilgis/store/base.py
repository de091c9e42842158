"""The :class:`Store` facade: one database, its repositories, and the historical method names.

A store is composed, not inherited: a :class:`~fossilgis.store.db.Database` (with the
backend's dialect) and one repository per job — ``layers``, ``patrols``, ``photos``,
``accounts``, ``audit``, ``cases``, ``alert_events``, ``formations``. Callers may use the
repositories (``store.layers.read("sites")``) or the flat names the CLI, web app and OGC
API have always used (``store.read_layer("sites")``), which delegate to them.
"""

from __future__ import annotations

import functools
from pathlib import Path

from fossilgis.errors import StoreError
from fossilgis.store.accounts import Accounts
from fossilgis.store.alert_events import AlertEvents
from fossilgis.store.audit import AuditLog
from fossilgis.store.cases import FILES_DIR, Cases
from fossilgis.store.db import Database
from fossilgis.store.formations import Formations
from fossilgis.store.layers import Layers
from fossilgis.store.patrols import Patrols
from fossilgis.store.photos import Photos


def _via(repo: str, func):
    """A store method that calls ``func``'s namesake on the repository ``repo``."""
    name = func.__name__

    @functools.wraps(func)
    def method(self, *args, **kwargs):
        return getattr(getattr(self, repo), name)(*args, **kwargs)

    return method


class Store:
    """Where the reference layers, patrols, photos, users and the audit log live.

    Every write is one transaction (with its audit row), and the previous version of a
    reference layer is archived before it is replaced. Open one with
    :func:`fossilgis.store.open_store`.

    Parameters
    ----------
    db : Database
        The store's database (GeoPackage or PostGIS dialect).
    data_dir : path
        Photos and the web app's secret key.
    create, build : bool
        Create/migrate the schema when needed; fill a new one from ``layers/``.
    """

    def __init__(
        self, db: Database, data_dir, *, create: bool = True, build: bool = True, dir_note: str = ""
    ):
        self.db = db
        self.data_dir = Path(data_dir)
        self.backend = db.dialect.name
        self.audit = AuditLog(db)
        self.photos = Photos(db, self.data_dir)
        self.accounts = Accounts(db, self.audit)
        self.layers = Layers(db, self.audit)
        self.patrols = Patrols(db, self.audit)
        self.cases = Cases(db, self.audit, self.data_dir)
        self.alert_events = AlertEvents(db, self.audit, self.cases)
        self.formations = Formations(db, self.audit)
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the data directory {self.data_dir}{dir_note}: "
                f"{exc.strerror}; choose another with --data DIR or FOSSILGIS_DATA"
            ) from None
        db.dialect.migrate(db, create=create, fill=self._fill if build else None)

    def _fill(self) -> None:
        from fossilgis.layers import build_store

        build_store(self)

    # -- the database -----------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        """The schema version the store has been migrated to."""
        return self.db.schema_version

    def _tx(self):
        """One write transaction on a connection (a context manager)."""
        return self.db.tx()

    def _read(self):
        """A connection for reading (a context manager)."""
        return self.db.read()

    def describe(self) -> str:
        return self.db.dialect.describe()

    def close(self) -> None:
        self.db.close()

    def protected_paths(self) -> dict:
        """Files and folders no command may write over: {path: what it is}.

        Every output (``-o``, exports, backups) is checked against these with
        :func:`fossilgis.io.atomic.check_output`. Here: the photo folder and the web app's
        secret key in ``data_dir`` (both backends keep them there); the GeoPackage store
        adds its database file and SQLite sidecars.
        """
        from fossilgis.auth import SECRET_KEY_FILE
        from fossilgis.basemaps import basemaps_dir
        from fossilgis.context import OFFICE_DIR

        data_dir = getattr(self, "data_dir", None)
        if data_dir is None:
            return {}
        data_dir = Path(data_dir)
        return {
            data_dir / "photos": "the store's photo folder (照片目录)",
            data_dir / SECRET_KEY_FILE: "the web app's secret key (密钥文件)",
            data_dir / FILES_DIR: "the store's case file folder (案卷文件目录)",
            basemaps_dir(data_dir): "the imported basemaps (离线底图目录)",
            data_dir / OFFICE_DIR: "the office's context layers (参考图层目录)",
        }

    # -- the names callers have always used ---------------------------------------------
    read_layer = _via("layers", Layers.read)
    get_feature = _via("layers", Layers.feature)
    layer_info = _via("layers", Layers.info)
    replace_layer = _via("layers", Layers.replace)
    layer_history = _via("layers", Layers.history)
    restore_layer = _via("layers", Layers.restore)

    save_patrol = _via("patrols", Patrols.save)
    update_patrol = _via("patrols", Patrols.update)
    get_patrol = _via("patrols", Patrols.get)
    list_patrols = _via("patrols", Patrols.list)
    list_waypoints = _via("patrols", Patrols.waypoints)
    patrols_version = _via("patrols", Patrols.version)
    delete_patrol = _via("patrols", Patrols.delete)
    restore_patrol = _via("patrols", Patrols.restore)

    put_photo = _via("photos", Photos.put)
    photo_path = _via("photos", Photos.path)
    photo_info = _via("photos", Photos.info)

    add_user = _via("accounts", Accounts.add_user)
    get_user = _via("accounts", Accounts.get_user)
    list_users = _via("accounts", Accounts.list_users)
    set_user_disabled = _via("accounts", Accounts.set_user_disabled)
    set_password_hash = _via("accounts", Accounts.set_password_hash)
    start_session = _via("accounts", Accounts.start_session)
    session_user = _via("accounts", Accounts.session_user)
    end_session = _via("accounts", Accounts.end_session)
    end_sessions = _via("accounts", Accounts.end_sessions)
    add_token = _via("accounts", Accounts.add_token)
    token_owner = _via("accounts", Accounts.token_owner)
    revoke_tokens = _via("accounts", Accounts.revoke_tokens)

    append_audit = _via("audit", AuditLog.append)
    audit_rows = _via("audit", AuditLog.rows)
