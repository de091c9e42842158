"""Accounts, roles, password hashes, API tokens and the web app's secret key (no Flask here)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from fossilgis import vocab
from fossilgis.errors import AuthError, FossilGISError

log = logging.getLogger(__name__)

#: role -> Label(中文, English), from fossilgis.vocab; uploads and edits need patroller or admin
ROLES = vocab.ROLES
WRITE_ROLES = ("admin", "patroller")

#: scrypt cost: 2**14 x 8 x 1 uses 16 MiB and ~50 ms per hash (OWASP's minimum is 2**17 x 8
#: x 1 for interactive logins on servers with memory to spare; raise N when hardware allows)
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
#: the werkzeug method of new hashes (``scrypt:N:r:p$salt$hex``); a stored hash made with
#: another method or cost is replaced at the user's next successful sign-in
PASSWORD_METHOD = f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}"
#: hashes of fossilgis before 2026 (``scrypt$N$r$p$salt$hash``, base64): still verified
_LEGACY_PREFIX = "scrypt$"
MIN_PASSWORD_LENGTH = 8
TOKEN_PREFIX = "fgis_"
SECRET_KEY_FILE = "secret_key"
_USERNAME = re.compile(r"[A-Za-z0-9_.@-]{2,64}")  # fullmatch: "$" would let "ab\n" through
SESSION_ID_BYTES = 32

#: characters that could forge or hide a line of the audit log or a terminal's output: C0
#: and C1 controls, DEL, the Unicode line and paragraph separators, bidirectional
#: overrides and isolates, and lone surrogates (which cannot even be encoded)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_control(value):
    """``value`` with every control character written as an escape (``\\n``, ``\\u2028``).

    For text written to or shown from the audit log: a user name, an id or a detail can
    never start a new line or hide what follows. The escapes are JSON escapes, so JSON
    text stays valid JSON. Non-strings (None, numbers) are returned unchanged.
    """
    if not isinstance(value, str) or not _CONTROL.search(value):
        return value
    return _CONTROL.sub(lambda m: _SHORT_ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"), value)


@dataclass(frozen=True)
class User:
    """A stored account. ``password_hash`` never leaves the core (not in repr)."""

    username: str
    role: str
    disabled: bool
    created_at: dt.datetime | None
    password_hash: str = field(default="", repr=False)

    @property
    def can_write(self) -> bool:
        """True for patroller and admin: they may upload and edit patrols."""
        return self.role in WRITE_ROLES and not self.disabled

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" and not self.disabled


def hash_password(password: str) -> str:
    """A salted scrypt hash made by werkzeug: ``scrypt:N:r:p$salt$hash`` (hex).

    Parameters
    ----------
    password : str
        At least :data:`MIN_PASSWORD_LENGTH` characters.

    Raises
    ------
    AuthError
        When the password is too short.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(
            f"password: {len(password)} characters; at least {MIN_PASSWORD_LENGTH} are needed "
            f"/ 密码至少 {MIN_PASSWORD_LENGTH} 个字符"
        )
    return generate_password_hash(password, method=PASSWORD_METHOD, salt_length=16)


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches a stored hash (constant-time comparison).

    Reads the hashes of :func:`hash_password` and the older ``scrypt$N$r$p$salt$hash``
    ones; anything else (an unknown method, a damaged value) is False.
    """
    if not isinstance(stored, str) or not isinstance(password, str):
        return False
    if stored.startswith(_LEGACY_PREFIX):
        return _verify_legacy(password, stored)
    try:
        return check_password_hash(stored, password)
    except (ValueError, TypeError):  # unknown method ("md5$..."), bad cost values
        return False


def needs_rehash(stored: str) -> bool:
    """True when a stored hash is not of the current method and cost (:data:`PASSWORD_METHOD`)."""
    return not (isinstance(stored, str) and stored.startswith(PASSWORD_METHOD + "$"))


def _verify_legacy(password: str, stored: str) -> bool:
    """Check a hash of the old ``scrypt$N$r$p$salt$hash`` (base64) scheme."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def check_role(role: str) -> str:
    """``role`` if it is admin, patroller or viewer; AuthError naming the choices otherwise."""
    if role not in ROLES:
        raise AuthError(
            f"role {role!r} is unknown; choose one of: "
            + ", ".join(f"{r} ({zh})" for r, (zh, _) in ROLES.items())
        )
    return role


def create_user(store, username: str, password: str, role: str, *, by: str | None = None) -> User:
    """Check and add a user with a hashed password.

    Parameters
    ----------
    store : fossilgis.store.Store
    username : str
        2–64 letters, digits, ``_ . @ -``.
    password : str
        Plain text; only its scrypt hash is stored.
    role : str
        admin, patroller or viewer.
    by : str, optional
        Who adds it (audit log).

    Raises
    ------
    AuthError
        Bad name, role or password. ``ConflictError`` if the name is taken.
    """
    check_username(username)
    check_role(role)
    return store.add_user(username, role, hash_password(password), by=by)


def check_username(username: str) -> str:
    """``username`` if it is 2–64 ASCII letters, digits, ``_ . @ -``; AuthError otherwise.

    Names appear in the audit log, in pages and in terminals: printable ASCII only, no
    spaces or control characters, bounded length.
    """
    if not isinstance(username, str) or not _USERNAME.fullmatch(username):
        shown = escape_control(repr(username)[:80])
        raise AuthError(
            f"username {shown}: use 2–64 letters, digits, '_', '.', '@' or '-' "
            "/ 用户名须为 2–64 个字母、数字或 _ . @ -"
        )
    return username


def set_password(store, username: str, password: str, *, by: str | None = None) -> None:
    """Give a user a new password; every sign-in session of the user ends.

    Raises
    ------
    AuthError
        When the password is too short. ``RecordNotFoundError`` for an unknown user.
    """
    store.set_password_hash(username, hash_password(password), by=by)


def new_session(store, user: User, lifetime_s: float) -> str:
    """Start a sign-in session for ``user``; return its id (for the signed cookie only).

    The store keeps the SHA-256 of the id, so a copy of the database cannot be turned into
    a session; :func:`session_owner` finds the user again and ``end_session`` ends it.
    """
    sid = secrets.token_urlsafe(SESSION_ID_BYTES)
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=lifetime_s)
    store.start_session(user.username, token_sha256(sid), expires)
    return sid


def session_owner(store, sid) -> User | None:
    """The enabled user of a live session id (not signed out, not expired), else None."""
    if not isinstance(sid, str) or not sid:
        return None
    return store.session_user(token_sha256(sid))


def end_session(store, sid) -> bool:
    """End one session (signing out); True when it was live."""
    if not isinstance(sid, str) or not sid:
        return False
    return store.end_session(token_sha256(sid))


def authenticate(store, username: str, password: str) -> User | None:
    """The user when the name and password match and the account is enabled, else None.

    The same None answers an unknown name, a wrong password and a disabled account, so that
    the sign-in page does not reveal which names exist. A hash is computed for unknown names
    too, so that the answer takes the same time.
    """
    # a name that cannot exist is not looked up (PostgreSQL refuses NUL in text), but it
    # costs the same hash as any other unknown name
    user = store.get_user(username) if _USERNAME.fullmatch(username or "") else None
    if user is None:
        verify_password(password, _DUMMY_HASH)
        return None
    if not verify_password(password, user.password_hash) or user.disabled:
        return None
    if needs_rehash(user.password_hash):
        # an older scheme or cost: store the current one now that the password is known
        # (set_password_hash also ends the user's other sessions, once)
        store.set_password_hash(user.username, hash_password(password), by=user.username)
        log.info("password hash of %s upgraded to %s", user.username, PASSWORD_METHOD)
        user = store.get_user(user.username) or user
    return user


def token_sha256(token: str) -> str:
    """The SHA-256 (hex) under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(store, username: str, label: str = "", *, by: str | None = None) -> str:
    """Make an API token for a user and return it; it is shown once and stored only hashed.

    Returns
    -------
    str
        ``fgis_`` + 43 URL-safe characters (32 random bytes), for
        ``Authorization: Bearer <token>``.

    Raises
    ------
    RecordNotFoundError
        Unknown user. ``AuthError`` for a disabled user.
    """
    user = store.get_user(username)
    if user is not None and user.disabled:
        raise AuthError(f"user {username!r} is disabled; enable it before issuing a token")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    store.add_token(username, token_sha256(token), label, by=by)
    return token


def token_user(store, token: str) -> User | None:
    """The enabled user owning a live API token (from ``Authorization: Bearer``), else None."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    accounts = getattr(store, "accounts", None)
    if accounts is not None:  # verified once, then trusted a few seconds (store/accounts.py)
        return accounts.token_user(token_sha256(token))
    username = store.token_owner(token_sha256(token))
    if username is None:
        return None
    user = store.get_user(username)
    return None if user is None or user.disabled else user


def require_write(user: User | None) -> User:
    """``user`` if it may upload or edit (patroller, admin); AuthError otherwise."""
    if user is None or not user.can_write:
        who = "nobody signed in" if user is None else f"{user.username} ({user.role})"
        raise AuthError(
            f"uploads and edits need the patroller or admin role; {who} "
            "/ 上传和编辑需要巡护员或管理员权限"
        )
    return user


def require_admin(user: User | None) -> User:
    """``user`` if it is an enabled admin; AuthError otherwise (e.g. undoing a delete)."""
    if user is None or not user.is_admin:
        raise AuthError("this needs the admin role / 需要管理员权限")
    return user


def ensure_secret_key(data_dir: str | os.PathLike) -> bytes:
    """The web app's secret key: read from ``data_dir/secret_key``, made on first run.

    The key is 32 random bytes from :mod:`secrets`, written with mode 0600 through a temp
    file and a hard link, so that two processes starting together agree on one key and a
    reader never sees a half-written file. It is never hard-coded.

    Raises
    ------
    FossilGISError
        When the key file is unreadable, empty or readable by others.
    """
    directory = Path(data_dir)
    path = directory / SECRET_KEY_FILE
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_hex(32).encode("ascii"))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)  # fails if another process made it first: keep theirs
            except FileExistsError:
                pass
        finally:
            tmp.unlink(missing_ok=True)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise FossilGISError(
            f"{path} is readable by other users (mode {mode:o}); run `chmod 600 {path}`"
        )
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise FossilGISError(f"{path} holds no usable key; delete it to make a new one")
    return key


#: verified for unknown names, so that they take as long as known ones
_DUMMY_HASH = f"{PASSWORD_METHOD}${'0' * 16}${'00' * 64}"
