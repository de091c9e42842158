"""The small interface every store implements (GeoPackage now, PostGIS later)."""

from __future__ import annotations

import abc


class Store(abc.ABC):
    """Where the reference layers, patrols, photos, users and the audit log live.

    Implementations keep every write in one transaction and never lose the previous
    version of a reference layer: :meth:`replace_layer` archives it first.
    """

    #: short name shown to users ("gpkg" | "postgis")
    backend = "abstract"

    @abc.abstractmethod
    def read_layer(self, kind: str):
        """The layer ``kind`` ("sites" | "sections") as a GeoDataFrame in EPSG:4490."""

    @abc.abstractmethod
    def layer_info(self, kind: str) -> dict:
        """count, version, source, updated_at, demonstration, boundary_status."""

    @abc.abstractmethod
    def replace_layer(
        self,
        kind: str,
        gdf,
        *,
        source: str,
        demonstration: bool,
        user: str | None = None,
        note: str = "",
    ) -> int:
        """Replace the whole layer atomically, archive the previous version; new version."""

    @abc.abstractmethod
    def layer_history(self, kind: str) -> list[dict]:
        """Archived versions, newest first: version, replaced_at, source, count, note."""

    @abc.abstractmethod
    def restore_layer(self, kind: str, version: int, *, user: str | None = None) -> int:
        """Make an archived version current again (archiving the current one); new version."""

    @property
    @abc.abstractmethod
    def schema_version(self) -> int:
        """The schema version the store has been migrated to."""

    # -- patrols ---------------------------------------------------------------------
    @abc.abstractmethod
    def save_patrol(self, patrol, user: str):
        """Store a new patrol with its waypoints and photo links in one transaction.

        Parameters
        ----------
        patrol : fossilgis.patrols.model.Patrol
            Validated; every photo already stored with :meth:`put_photo`.
        user : str
            Who sends it (written as ``created_by`` and in the audit row).

        Returns
        -------
        (Patrol, bool)
            The stored record and True when it was created now; False when the same UUID
            with the same content hash was stored before (an idempotent re-send).

        Raises
        ------
        ConflictError
            The UUID is stored with a different content hash, or a waypoint UUID belongs
            to another patrol. Uniqueness is a database constraint, not a check-then-insert.
        """

    @abc.abstractmethod
    def update_patrol(self, patrol, user: str, *, base_hash: str):
        """Replace a patrol's content (an edit); ``base_hash`` is the hash the editor started
        from, and a different stored hash raises ConflictError (someone else edited it)."""

    @abc.abstractmethod
    def get_patrol(self, uuid: str):
        """The full Patrol (waypoints, photos, server fields), deleted or not; None if unknown."""

    @abc.abstractmethod
    def list_patrols(
        self,
        target_id: str | None = None,
        since=None,
        until=None,
        include_deleted: bool = False,
        bbox=None,
        limit: int | None = None,
    ):
        """Patrols as a GeoDataFrame (EPSG:4490), one row each, newest first.

        ``since``/``until`` (aware datetimes) keep patrols overlapping that span; ``bbox`` is
        (minx, miny, maxx, maxy) in degrees. Columns: the ``patrols`` table's plus
        ``waypoint_count``, ``alert_count``, ``photo_count``; ``team`` is a list.
        """

    @abc.abstractmethod
    def list_waypoints(
        self,
        patrol_uuid: str | None = None,
        categories=None,
        since=None,
        include_deleted: bool = False,
    ):
        """Waypoints as a GeoDataFrame with their patrol's target, ``received_at`` (the
        patrol's ``created_at``), ``created_by`` and ``photo_count``; oldest first."""

    @abc.abstractmethod
    def patrols_version(self) -> int:
        """A number that grows whenever a patrol is created, edited, deleted or restored
        (for caches and ETags)."""

    @abc.abstractmethod
    def delete_patrol(self, uuid: str, user: str) -> None:
        """Soft-delete (hide) a patrol; RecordNotFoundError / ConflictError if already deleted."""

    @abc.abstractmethod
    def restore_patrol(self, uuid: str, user: str) -> None:
        """Undo a soft delete; RecordNotFoundError / ConflictError if it is not deleted."""

    # -- photos ----------------------------------------------------------------------
    @abc.abstractmethod
    def put_photo(self, data: bytes, name: str = "photo", *, max_bytes: int | None = None) -> str:
        """Check and store a JPEG/PNG once by SHA-256 (file and thumbnail written atomically
        before the metadata row); return the SHA-256. Raises PhotoError."""

    @abc.abstractmethod
    def photo_path(self, sha256: str, *, thumbnail: bool = False):
        """The file of a stored photo (or its 320 px JPEG thumbnail); RecordNotFoundError."""

    @abc.abstractmethod
    def photo_info(self, sha256: str):
        """The stored photo's PhotoInfo (mime, size, EXIF position and time), or None."""

    # -- users, tokens, audit --------------------------------------------------------
    @abc.abstractmethod
    def add_user(self, username: str, role: str, password_hash: str, *, by: str | None = None):
        """Create a user (use :func:`fossilgis.auth.create_user`); ConflictError if taken."""

    @abc.abstractmethod
    def get_user(self, username: str):
        """The :class:`fossilgis.auth.User` or None."""

    @abc.abstractmethod
    def list_users(self) -> list:
        """Every user, by name."""

    @abc.abstractmethod
    def set_user_disabled(self, username: str, disabled: bool = True, *, by=None) -> None:
        """Disable (or enable) a user; disabling ends its sign-in sessions.
        RecordNotFoundError if unknown."""

    @abc.abstractmethod
    def set_password_hash(self, username: str, password_hash: str, *, by=None) -> None:
        """Replace a user's password hash (use :func:`fossilgis.auth.set_password`) and end
        all of the user's sign-in sessions; RecordNotFoundError if unknown."""

    # -- sign-in sessions (schema 3) ---------------------------------------------------
    @abc.abstractmethod
    def start_session(self, username: str, sid_sha256: str, expires_at) -> None:
        """Record a new sign-in session by the SHA-256 of its random id (the id itself is
        only in the signed cookie); removes sessions already past their end."""

    @abc.abstractmethod
    def session_user(self, sid_sha256: str):
        """The enabled :class:`fossilgis.auth.User` of a live session (not ended, not
        expired), else None. One indexed query: it runs on every signed-in request."""

    @abc.abstractmethod
    def end_session(self, sid_sha256: str) -> bool:
        """End one session (sign-out); True if it was live."""

    @abc.abstractmethod
    def end_sessions(self, username: str, *, by=None) -> int:
        """End every live session of a user (also done by :meth:`set_password_hash` and
        by disabling the user); the number ended."""

    @abc.abstractmethod
    def add_token(self, username: str, token_sha256: str, label: str = "", *, by=None) -> None:
        """Record an API token by its SHA-256 only (the token itself is never stored)."""

    @abc.abstractmethod
    def token_owner(self, token_sha256: str) -> str | None:
        """The username of a live (not revoked) token, or None."""

    @abc.abstractmethod
    def revoke_tokens(self, username: str, *, by=None) -> int:
        """Revoke every live token of a user; the number revoked."""

    @abc.abstractmethod
    def append_audit(self, user, action: str, object_kind: str, object_id=None, detail=None):
        """Append one audit row in its own transaction (writes of the store append theirs
        inside their own transaction)."""

    @abc.abstractmethod
    def audit_rows(self, limit: int | None = 100, *, object_kind=None, object_id=None,
                   username=None) -> list[dict]:
        """Audit rows, newest first: id, at, username, action, object_kind, object_id,
        detail (dict or None)."""

    def get_feature(self, kind: str, feature_id: str):
        """One feature (a GeoDataFrame row as a Series) by id, or None."""
        gdf = self.read_layer(kind)
        hit = gdf[gdf["id"] == feature_id]
        return None if hit.empty else hit.iloc[0]

    def protected_paths(self) -> dict:
        """Files and folders no command may write over: {path: what it is}.

        Every output (``-o``, exports, backups) is checked against these with
        :func:`fossilgis.io.atomic.check_output`. Here: the photo folder and the web app's
        secret key in ``data_dir`` (both backends keep them there); the GeoPackage store
        adds its database file and SQLite sidecars.
        """
        from pathlib import Path

        from fossilgis.auth import SECRET_KEY_FILE

        data_dir = getattr(self, "data_dir", None)
        if data_dir is None:
            return {}
        data_dir = Path(data_dir)
        return {
            data_dir / "photos": "the store's photo folder (照片目录)",
            data_dir / SECRET_KEY_FILE: "the web app's secret key (密钥文件)",
        }

    def describe(self) -> str:
        return self.backend

    def close(self) -> None:  # noqa: B027 - optional hook
        pass
