"""Screening results kept as files in the data directory, so that result pages can be
reloaded and any app process behind a proxy can serve a result another one computed."""

from __future__ import annotations

import os
import pickle
import re
import secrets
import time
from pathlib import Path

#: a token is 22 URL-safe characters (16 random bytes); nothing else ever names a file
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")
SUFFIX = ".pickle"


class ResultStore:
    """At most ``max_items`` results, each for ``ttl_s`` seconds, in ``directory``.

    Each result is one pickle file ``<token>.pickle`` written to a temporary name and
    renamed, so a reader never sees half a file. The files are written only by the app
    into its own data directory, which also holds the store and the secret key: whoever
    can write there already controls the app, so unpickling them adds no exposure.
    Expiry is by file age (mtime), which every process sees alike.
    """

    def __init__(self, directory: str | os.PathLike, max_items: int = 200, ttl_s: float = 3600):
        self.directory = Path(directory)
        self.max_items, self.ttl_s = max_items, ttl_s
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path(self, token: str) -> Path | None:
        if not isinstance(token, str) or not TOKEN_RE.match(token):
            return None
        return self.directory / f"{token}{SUFFIX}"

    def put(self, screening) -> str:
        token = secrets.token_urlsafe(16)
        path = self._path(token)
        tmp = self.directory / f".{token}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            pickle.dump(screening, fh, protocol=pickle.HIGHEST_PROTOCOL)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        self.prune()
        return token

    def get(self, token: str):
        path = self._path(token)
        if path is None:
            return None
        try:
            age = time.time() - path.stat().st_mtime
            if age > self.ttl_s:
                path.unlink(missing_ok=True)
                return None
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except (FileNotFoundError, EOFError, pickle.UnpicklingError):
            return None

    def prune(self) -> None:
        """Remove expired results and the oldest beyond ``max_items`` (and stale temp files)."""
        now = time.time()
        entries = []
        for path in self.directory.iterdir():
            try:
                mtime = path.stat().st_mtime_ns / 1e9
            except FileNotFoundError:
                continue  # another process pruned it
            stale_tmp = path.name.startswith(".") and now - mtime > 600
            if stale_tmp or (path.suffix == SUFFIX and now - mtime > self.ttl_s):
                path.unlink(missing_ok=True)
            elif path.suffix == SUFFIX:
                entries.append((mtime, path))
        entries.sort()
        for _, path in entries[: max(0, len(entries) - self.max_items)]:
            path.unlink(missing_ok=True)
