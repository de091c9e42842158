"""Group commit: the writes of several threads in one transaction, each in its own savepoint.

The writers of a GeoPackage take turns, and each COMMIT waits for an fsync of the WAL (a
few milliseconds): with one transaction per write, a process stores about one write per
fsync however many clients send. Here a thread that finds another one committing leaves
its write in a queue; the next writer runs every queued write in one transaction, each in a
savepoint (a refused write is undone alone and its error goes back to its caller), and
commits them with one fsync. Every caller returns, or raises, only after the COMMIT that
holds its write: an acknowledged write is durable, and a failed COMMIT fails every write
of its batch (none of them is stored).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fossilgis.store.db import Database

#: writes per transaction at most
MAX_BATCH = 32


class _Write:
    __slots__ = ("write", "done", "value", "error")

    def __init__(self, write: Callable[[Any], Any]):
        self.write, self.done, self.value, self.error = write, False, None, None

    def outcome(self):
        if self.error is not None:
            raise self.error
        return self.value


class GroupCommit:
    """Runs ``write(conn)`` functions of many threads, several per transaction."""

    def __init__(self, db: Database, max_batch: int = MAX_BATCH):
        self.db = db
        self.max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Write] = []
        self._busy = False

    def run(self, write: Callable[[Any], Any]):
        """``write(conn)`` inside a write transaction, maybe with other threads' writes;
        its value once committed (or its exception, or the COMMIT's).

        ``write`` must do all its work on ``conn`` and keep no state outside it: it may be
        run by another thread, and undone (to its savepoint) if it raises.
        """
        job = _Write(write)
        with self._cond:
            self._queue.append(job)
        while True:
            with self._cond:
                while self._busy and not job.done:
                    self._cond.wait()
                if job.done:
                    return job.outcome()
                self._busy = True
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
            try:
                self._commit(batch)
            finally:
                with self._cond:
                    for done in batch:
                        done.done = True
                    self._busy = False
                    self._cond.notify_all()

    def _commit(self, batch: list[_Write]) -> None:
        d = self.db.dialect
        try:
            with self.db.tx() as conn:
                for job in batch:
                    try:
                        with d.savepoint(conn):
                            job.value = job.write(conn)
                    except Exception as exc:  # noqa: BLE001 - handed to its caller
                        job.error, job.value = exc, None
                        if not getattr(conn, "in_transaction", True):
                            raise  # SQLite gave the transaction up: stop here
        except BaseException as exc:
            for job in batch:  # nothing of the batch is stored
                if job.error is None:
                    job.error, job.value = exc, None
            if not isinstance(exc, Exception):
                raise
