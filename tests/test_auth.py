"""Accounts, password hashes, roles, API tokens and the secret key."""

from __future__ import annotations

import base64
import hashlib
import multiprocessing
import stat

import pytest
from conftest import sql

from fossilgis.auth import (
    authenticate,
    create_user,
    ensure_secret_key,
    hash_password,
    issue_token,
    needs_rehash,
    require_admin,
    require_write,
    token_sha256,
    token_user,
    verify_password,
)
from fossilgis.errors import AuthError, ConflictError, FossilGISError, RecordNotFoundError


def test_password_hash_is_salted_scrypt():
    one, two = hash_password("correct horse"), hash_password("correct horse")
    assert one != two and one.startswith("scrypt:16384:8:1$")  # werkzeug's format
    assert "correct horse" not in one
    assert verify_password("correct horse", one) and not verify_password("wrong horse", one)
    assert not verify_password("x", "md5$abc")
    assert not verify_password("x", "pbkdf2:sha256:x$salt$00") and not verify_password("x", "")
    assert not needs_rehash(one) and needs_rehash(LEGACY_HASH) and needs_rehash("scrypt:2:8:1$a$b")


#: a hash of "correct horse" in the scheme of fossilgis before werkzeug's helpers:
#: scrypt$N$r$p$salt$hash, base64 (salt 16 bytes 0x01..0x10)
LEGACY_HASH = (
    "scrypt$16384$8$1$AQIDBAUGBwgJCgsMDQ4PEA==$"
    + base64.b64encode(
        hashlib.scrypt(b"correct horse", salt=bytes(range(1, 17)), n=16384, r=8, p=1, dklen=32)
    ).decode()
)


def test_legacy_hashes_still_verify():
    assert verify_password("correct horse", LEGACY_HASH)
    assert not verify_password("wrong horse", LEGACY_HASH)
    assert not verify_password("correct horse", LEGACY_HASH[:-8] + "AAAAAAA=")
    assert not verify_password("correct horse", "scrypt$16384$8$1$not base64$")


def test_legacy_hash_is_upgraded_at_sign_in(store):
    create_user(store, "olga", "placeholder-1", "patroller", by="root")
    store.set_password_hash("olga", LEGACY_HASH, by="root")  # as an old store holds it
    assert authenticate(store, "olga", "wrong horse") is None
    assert store.get_user("olga").password_hash == LEGACY_HASH  # no upgrade without sign-in
    olga = authenticate(store, "olga", "correct horse")
    assert olga is not None and olga.username == "olga"
    upgraded = store.get_user("olga").password_hash
    assert upgraded.startswith("scrypt:16384:8:1$") and not needs_rehash(upgraded)
    assert verify_password("correct horse", upgraded)
    assert authenticate(store, "olga", "correct horse") is not None
    assert store.get_user("olga").password_hash == upgraded  # current hashes stay as they are
    with pytest.raises(AuthError, match="password: 5 characters; at least 8"):
        hash_password("short")


def test_users_roles_and_sign_in(store):
    create_user(store, "alice", "patrol-pass-1", "patroller", by="root")
    create_user(store, "vera", "viewer-pass-1", "viewer", by="root")
    with pytest.raises(ConflictError, match="user 'alice' exists already"):
        create_user(store, "alice", "another-pass", "admin")
    with pytest.raises(AuthError, match="role 'boss' is unknown"):
        create_user(store, "bob", "patrol-pass-1", "boss")
    with pytest.raises(AuthError, match="username 'a b'"):
        create_user(store, "a b", "patrol-pass-1", "viewer")
    alice = authenticate(store, "alice", "patrol-pass-1")
    assert alice.role == "patroller" and alice.can_write and not alice.is_admin
    assert "password_hash" not in repr(alice)
    assert authenticate(store, "alice", "wrong-pass") is None
    assert authenticate(store, "nobody", "patrol-pass-1") is None
    assert require_write(alice) is alice
    with pytest.raises(AuthError, match=r"vera \(viewer\)"):
        require_write(store.get_user("vera"))
    with pytest.raises(AuthError, match="admin role"):
        require_admin(alice)
    store.set_user_disabled("alice", True, by="root")
    assert authenticate(store, "alice", "patrol-pass-1") is None
    assert [u.username for u in store.list_users()] == ["alice", "vera"]
    actions = [(r["action"], r["object_id"]) for r in store.audit_rows(object_kind="user")]
    assert actions == [("disable", "alice"), ("create", "vera"), ("create", "alice")]


def dump_of(store) -> str:
    """Every row of every table of ``store`` as text (either backend)."""
    if store.backend == "postgis":
        tables = [
            r[0]
            for r in sql(
                store,
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()",
            )
        ]
        return "\n".join(repr(row) for t in tables for row in sql(store, f'SELECT * FROM "{t}"'))
    with store._read() as conn:
        return "\n".join(conn.iterdump())


def test_tokens_are_stored_only_hashed(store):
    create_user(store, "tablet", "tablet-pass-1", "patroller")
    token = issue_token(store, "tablet", "tablet 3", by="root")
    assert token.startswith("fgis_") and len(token) == 5 + 43
    stored = [r[0] for r in sql(store, "SELECT token_sha256 FROM api_tokens")]
    dump = dump_of(store)
    assert "tablet 3" in dump  # the dump holds the token's row, only not the token
    assert stored == [token_sha256(token)] and token not in dump
    assert token_user(store, token).username == "tablet"
    assert token_user(store, token[:-1] + "x") is None
    assert token_user(store, "Bearer " + token) is None
    with pytest.raises(RecordNotFoundError, match="no user 'ghost'"):
        issue_token(store, "ghost")
    store.set_user_disabled("tablet", True)
    assert token_user(store, token) is None
    assert store.revoke_tokens("tablet") == 1
    store.set_user_disabled("tablet", False)
    assert token_user(store, token) is None  # revoked stays revoked


def _key(path):
    return ensure_secret_key(path)


def test_secret_key_made_once_private_and_shared(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        keys = pool.map(_key, [str(tmp_path)] * 8)
    assert len(set(keys)) == 1 and len(keys[0]) == 64
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_secret_key(tmp_path) == keys[0]
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temp files left
    path.chmod(0o644)
    with pytest.raises(FossilGISError, match="readable by other users"):
        ensure_secret_key(tmp_path)


def test_a_verified_token_is_trusted_briefly_and_forgotten_on_revoke(store, monkeypatch):
    """Staff API calls cost no store round trip per request; revoking or disabling takes
    effect at once in this process and within TOKEN_CACHE_S seconds in any other."""
    from conftest import reopen

    from fossilgis.store import accounts

    create_user(store, "gis", "gis-password-1", "viewer")
    token = issue_token(store, "gis", "QGIS")
    assert token_user(store, token).username == "gis"
    asked = []
    monkeypatch.setattr(
        store.accounts, "token_owner", lambda sha: asked.append(sha) or "gis", raising=True
    )
    for _ in range(20):
        assert token_user(store, token).username == "gis"
    assert asked == []  # answered from the cache
    monkeypatch.undo()
    other = reopen(store)  # a second process
    assert token_user(other, token).username == "gis"
    store.revoke_tokens("gis")
    assert token_user(store, token) is None  # at once here
    assert token_user(other, token).username == "gis"  # the other process still trusts it …
    clock = [accounts.time.monotonic()]
    monkeypatch.setattr(accounts.time, "monotonic", lambda: clock[0])
    clock[0] += accounts.TOKEN_CACHE_S + 0.1
    assert token_user(other, token) is None  # … for TOKEN_CACHE_S seconds at most
    token2 = issue_token(store, "gis", "QGIS 2")
    assert token_user(store, token2).username == "gis"
    store.set_user_disabled("gis", True)
    assert token_user(store, token2) is None
    bad = "fgis_" + "x" * 43
    assert token_user(store, bad) is None and bad not in str(store.accounts._verified)
    for i in range(accounts.TOKEN_CACHE_MAX + 5):  # bounded
        store.accounts._verified[f"k{i}"] = (clock[0] + 99, store.get_user("gis"))
    store.set_user_disabled("gis", False)
    assert len(store.accounts._verified) == 0
