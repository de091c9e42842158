"""Accounts: users, their API tokens (kept by SHA-256 only) and sign-in sessions.

A session cookie carries a random id; only its SHA-256 is stored, so signing out, a
password change or disabling the account ends the session in every process at once.

API tokens are verified against the store once and then trusted for
:data:`TOKEN_CACHE_S` seconds (a bounded cache of :data:`TOKEN_CACHE_MAX` tokens), so a
field device or a GIS client polling the OGC API costs no store round trip per request.
Revoking a user's tokens or disabling the user clears the cache of this process at once;
another process sees it within :data:`TOKEN_CACHE_S` seconds.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from fossilgis.errors import ConflictError, RecordNotFoundError, StoreError
from fossilgis.store._common import now_text
from fossilgis.store.audit import AuditLog
from fossilgis.store.columns import USER_COLS
from fossilgis.store.db import Database

_NO_USER = "no user {!r}; see `fossilgis users list` / 用户不存在"
#: seconds a verified token is trusted without asking the store again
TOKEN_CACHE_S = 5.0
#: tokens remembered at most (the oldest are forgotten first)
TOKEN_CACHE_MAX = 1024


class Accounts:
    """The ``users``, ``api_tokens`` and ``sessions`` tables of one store."""

    def __init__(self, db: Database, audit: AuditLog):
        self.db = db
        self.audit = audit
        self._verified: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def token_user(self, token_sha256: str):
        """The enabled :class:`fossilgis.auth.User` owning a live token, else None; a
        verified answer is reused for :data:`TOKEN_CACHE_S` seconds (misses are not kept,
        so a new token works at once)."""
        now = time.monotonic()
        with self._lock:
            hit = self._verified.get(token_sha256)
            if hit is not None and hit[0] > now:
                return hit[1]
        username = self.token_owner(token_sha256)
        user = None if username is None else self.get_user(username)
        if user is None or user.disabled:
            return None
        with self._lock:
            self._verified[token_sha256] = (now + TOKEN_CACHE_S, user)
            self._verified.move_to_end(token_sha256)
            while len(self._verified) > TOKEN_CACHE_MAX:
                self._verified.popitem(last=False)
        return user

    def forget_tokens(self, username: str | None = None) -> None:
        """Drop cached verifications (of one user, or all)."""
        with self._lock:
            for key in [
                k for k, (_, u) in self._verified.items() if username in (None, u.username)
            ]:
                del self._verified[key]

    # -- users --------------------------------------------------------------------------
    def add_user(self, username: str, role: str, password_hash: str, *, by: str | None = None):
        """Create a user (use :func:`fossilgis.auth.create_user`); ConflictError if taken."""
        d = self.db.dialect
        try:
            with self.db.tx() as conn:
                conn.execute(
                    self.db.q(
                        "INSERT INTO users (username, role, password_hash, disabled, "
                        "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)"
                    ),
                    (username, role, password_hash, d.bool(False), now_text(), by),
                )
                self.audit.record(conn, by, "create", "user", username, {"role": role})
        except d.user_errors as exc:
            if not isinstance(exc, d.check_errors) and self.get_user(username) is not None:
                raise ConflictError(f"user {username!r} exists already / 用户已存在") from None
            raise StoreError(f"role {role!r} is not admin, patroller or viewer") from None
        return self.get_user(username)

    def _user(self, row):
        from fossilgis.auth import User

        return User(row[0], row[1], bool(row[2]), self.db.dialect.to_time(row[3]), row[4])

    def get_user(self, username: str):
        """The :class:`fossilgis.auth.User` or None."""
        row = self.db.one(f"SELECT {USER_COLS} FROM users WHERE username=?", (username,))
        return None if row is None else self._user(row)

    def list_users(self) -> list:
        """Every user, by name."""
        rows = self.db.all(
            f"SELECT {USER_COLS} FROM users ORDER BY username{self.db.dialect.collate}"
        )
        return [self._user(r) for r in rows]

    def _update_user(self, conn, username, sets: str, args: tuple) -> None:
        cur = conn.execute(
            self.db.q(f"UPDATE users SET {sets} WHERE username=?"), (*args, username)
        )
        if cur.rowcount == 0:
            raise RecordNotFoundError(_NO_USER.format(username))

    def set_user_disabled(self, username: str, disabled: bool = True, *, by=None) -> None:
        """Disable (or enable) a user; disabling ends its sign-in sessions.
        RecordNotFoundError if unknown."""
        self.forget_tokens(username)
        with self.db.tx() as conn:
            self._update_user(conn, username, "disabled=?", (self.db.dialect.bool(disabled),))
            self.audit.record(conn, by, "disable" if disabled else "enable", "user", username)
            if disabled:
                self._end_sessions(conn, username, by)
        self.forget_tokens(username)  # again: a request may have verified a token meanwhile

    def set_password_hash(self, username: str, password_hash: str, *, by=None) -> None:
        """Replace a user's password hash (use :func:`fossilgis.auth.set_password`) and end
        all of the user's sign-in sessions; RecordNotFoundError if unknown."""
        with self.db.tx() as conn:
            self._update_user(conn, username, "password_hash=?", (password_hash,))
            self.audit.record(conn, by, "password", "user", username)
            self._end_sessions(conn, username, by)

    # -- sign-in sessions (migration 3) -------------------------------------------------
    def start_session(self, username: str, sid_sha256: str, expires_at) -> None:
        """Record a new sign-in session by the SHA-256 of its random id (the id itself is
        only in the signed cookie); removes sessions already past their end."""
        from fossilgis.patrols.model import format_time

        now = now_text()
        with self.db.tx() as conn:
            # housekeeping: sessions past their end are of no use (the audit log keeps
            # the sign-ins); one indexed delete per sign-in keeps the table small
            conn.execute(self.db.q("DELETE FROM sessions WHERE expires_at < ?"), (now,))
            conn.execute(
                self.db.q(
                    "INSERT INTO sessions (sid_sha256, username, created_at, expires_at) "
                    "VALUES (?, ?, ?, ?)"
                ),
                (sid_sha256, username, now, format_time(expires_at)),
            )

    def session_user(self, sid_sha256: str):
        """The enabled :class:`fossilgis.auth.User` of a live session (not ended, not
        expired), else None. One indexed query: it runs on every signed-in request."""
        row = self.db.one(
            f"SELECT {', '.join('u.' + c for c in USER_COLS.split(', '))} "
            "FROM sessions s JOIN users u ON u.username = s.username "
            "WHERE s.sid_sha256=? AND s.ended_at IS NULL AND s.expires_at > ?",
            (sid_sha256, now_text()),
        )
        if row is None:
            return None
        user = self._user(row)
        return None if user.disabled else user

    def end_session(self, sid_sha256: str) -> bool:
        """End one session (sign-out); True if it was live."""
        with self.db.tx() as conn:
            cur = conn.execute(
                self.db.q("UPDATE sessions SET ended_at=? WHERE sid_sha256=? AND ended_at IS NULL"),
                (now_text(), sid_sha256),
            )
            return cur.rowcount > 0

    def _end_sessions(self, conn, username, by) -> int:
        cur = conn.execute(
            self.db.q(
                "UPDATE sessions SET ended_at=? WHERE username=? AND ended_at IS NULL "
                "AND expires_at > ?"
            ),
            (now_text(), username, now_text()),
        )
        count = cur.rowcount
        if count:
            self.audit.record(conn, by, "end_sessions", "user", username, {"count": count})
        return count

    def end_sessions(self, username: str, *, by=None) -> int:
        """End every live session of a user (also done by :meth:`set_password_hash` and
        by disabling the user); the number ended."""
        with self.db.tx() as conn:
            return self._end_sessions(conn, username, by)

    # -- API tokens ---------------------------------------------------------------------
    def add_token(self, username: str, token_sha256: str, label: str = "", *, by=None) -> None:
        """Record an API token by its SHA-256 only (the token itself is never stored)."""
        with self.db.tx() as conn:
            row = conn.execute(
                self.db.q("SELECT 1 FROM users WHERE username=?"), (username,)
            ).fetchone()
            if row is None:
                raise RecordNotFoundError(
                    f"no user {username!r}; add it with `fossilgis users add`"
                )
            conn.execute(
                self.db.q("INSERT INTO api_tokens VALUES (?, ?, ?, ?, NULL)"),
                (token_sha256, username, label, now_text()),
            )
            # the audit row names the token by the first 8 hex digits of its hash only
            self.audit.record(
                conn,
                by,
                "create",
                "token",
                username,
                {"label": label, "token_sha256_prefix": token_sha256[:8]},
            )

    def token_owner(self, token_sha256: str) -> str | None:
        """The username of a live (not revoked) token, or None."""
        row = self.db.one(
            "SELECT username FROM api_tokens WHERE token_sha256=? AND revoked_at IS NULL",
            (token_sha256,),
        )
        return None if row is None else row[0]

    def revoke_tokens(self, username: str, *, by=None) -> int:
        """Revoke every live token of a user; the number revoked."""
        self.forget_tokens(username)
        with self.db.tx() as conn:
            cur = conn.execute(
                self.db.q(
                    "UPDATE api_tokens SET revoked_at=? WHERE username=? AND revoked_at IS NULL"
                ),
                (now_text(), username),
            )
            count = cur.rowcount
            if count:
                self.audit.record(conn, by, "revoke", "token", username, {"count": count})
        self.forget_tokens(username)  # again: a request may have verified it meanwhile
        return count
