"""Group commit on both stores: queued writes share one transaction, a refused write is
undone alone, a failed COMMIT stores none of its batch, and every caller returns only once
its write is committed."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import db_errors, sql
from patrol_fixtures import make_patrol

from fossilgis.errors import ConflictError
from fossilgis.store.group_commit import GroupCommit


@pytest.fixture
def table(store):
    """``store`` with a table ``t(x)`` and a parent/child pair whose key is checked at COMMIT."""
    deferred = "DEFERRABLE INITIALLY DEFERRED"
    with store._tx() as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.execute(f"CREATE TABLE child (pid INTEGER REFERENCES parent(id) {deferred})")
    return store


def _insert(store, value, fail: Exception | None = None):
    def write(conn):
        conn.execute(store.db.q("INSERT INTO t VALUES (?)"), (value,))
        if fail is not None:
            raise fail
        return value

    return write


class _Held:
    """A first write that keeps the group busy until :meth:`release` (so that the writes
    sent meanwhile queue up for one batch); counts the transactions begun."""

    def __init__(self, store, group: GroupCommit, monkeypatch):
        self.transactions = 0
        real = store.db.tx

        def counted():
            self.transactions += 1
            return real()

        monkeypatch.setattr(store.db, "tx", counted)
        self.group, self.go = group, threading.Event()
        self.results: dict = {}
        self.threads: list[threading.Thread] = []
        self._send("held", self._hold)

    def _hold(self, conn):
        self.go.wait(30)
        return "held"

    def _send(self, name, write):
        def run():
            try:
                self.results[name] = ("ok", self.group.run(write))
            except Exception as exc:  # noqa: BLE001 - checked by the tests
                self.results[name] = ("error", exc)

        thread = threading.Thread(target=run)
        thread.start()
        self.threads.append(thread)
        deadline = time.monotonic() + 30
        while name != "held" and len(self.group._queue) < len(self.threads) - 1:
            assert time.monotonic() < deadline, "a write never queued"
            time.sleep(0.005)
        while name == "held" and not self.group._busy:
            time.sleep(0.005)

    def send(self, name, write):
        self._send(name, write)

    def release(self) -> dict:
        self.go.set()
        for thread in self.threads:
            thread.join(60)
        return self.results


def test_queued_writes_share_one_transaction(table, monkeypatch):
    group = GroupCommit(table.db)
    held = _Held(table, group, monkeypatch)
    for i in range(5):
        held.send(i, _insert(table, i))
    results = held.release()
    assert results == {"held": ("ok", "held"), **{i: ("ok", i) for i in range(5)}}
    assert held.transactions == 2  # the held one, then the five queued meanwhile
    assert sorted(r[0] for r in sql(table, "SELECT x FROM t")) == [0, 1, 2, 3, 4]


def test_a_refused_write_is_undone_alone(table, monkeypatch):
    group = GroupCommit(table.db)
    held = _Held(table, group, monkeypatch)
    held.send("a", _insert(table, 1))
    held.send("refused", _insert(table, 2, ConflictError("no / 不行")))
    held.send("b", _insert(table, 3))
    results = held.release()
    assert results["a"] == ("ok", 1) and results["b"] == ("ok", 3)
    kind, error = results["refused"]
    assert kind == "error" and isinstance(error, ConflictError)
    assert held.transactions == 2
    assert sorted(r[0] for r in sql(table, "SELECT x FROM t")) == [1, 3]


def test_a_failed_commit_stores_none_of_its_batch(table, monkeypatch):
    group = GroupCommit(table.db)
    held = _Held(table, group, monkeypatch)

    def orphan(conn):  # accepted now, refused by the COMMIT (the key is checked then)
        conn.execute(table.db.q("INSERT INTO child VALUES (?)"), (99,))

    held.send("a", _insert(table, 1))
    held.send("orphan", orphan)
    held.send("b", _insert(table, 2))
    results = held.release()
    assert results["held"] == ("ok", "held")
    for name in ("a", "orphan", "b"):
        kind, error = results[name]
        assert kind == "error" and isinstance(error, db_errors()), (name, error)
    assert sql(table, "SELECT count(*) FROM t")[0][0] == 0
    assert sql(table, "SELECT count(*) FROM child")[0][0] == 0
    assert group.run(_insert(table, 7)) == 7  # and the next batch goes on


@pytest.fixture
def gpkg_store(tmp_path, layers_template):
    """A GeoPackage store: where writers take turns, uploads share commits (PostgreSQL
    runs the writers' transactions side by side)."""
    from conftest import copy_template

    from fossilgis.store import open_store

    store = open_store(copy_template(layers_template, tmp_path / "data"))
    yield store
    store.close()


def test_concurrent_uploads_share_commits_and_each_is_stored_once(gpkg_store, monkeypatch):
    store = gpkg_store
    group = store.patrols._group
    held = _Held(store, group, monkeypatch)
    patrols = [make_patrol(3) for _ in range(6)]
    created = []
    threads = [
        threading.Thread(target=lambda p=p: created.append(store.save_patrol(p, "thread")[1]))
        for p in patrols
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(group._queue) < len(patrols):  # every new patrol waits for the next batch
        assert time.monotonic() < deadline, "the uploads never queued"
        time.sleep(0.005)
    assert store.list_patrols().empty  # none is stored (nor acknowledged) before its COMMIT
    held.release()
    for thread in threads:
        thread.join(60)
    assert created == [True] * len(patrols)
    assert held.transactions == 2
    assert sorted(store.list_patrols()["uuid"]) == sorted(p.uuid for p in patrols)
    audit = sql(store, "SELECT count(*) FROM audit WHERE object_kind = 'patrol'")[0][0]
    assert audit == len(patrols)
