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
#: the files a result was screened from (kept beside it, for "save as case")
FILES_SUFFIX = ".files"
#: "number\nscreen" of the case a result was saved as: never pruned, so the result's page
#: outlives its pickle (it is then read from the case register)
CASE_SUFFIX = ".case"


class ResultStore:
    """At most ``max_items`` results, each for ``ttl_s`` seconds, in ``directory``.

    Each result is one pickle file ``<token>.pickle`` written to a temporary name and
    renamed, so a reader never sees half a file; the uploaded files it was screened from
    are a second pickle, ``<token>.files``, read only when the result is saved as a case.
    The files are written only by the app into its own data directory, which also holds
    the store and the secret key: whoever can write there already controls the app, so
    unpickling them adds no exposure. Expiry is by file age (mtime), which every process
    sees alike. A result saved as a case leaves ``<token>.case`` (the case number), which
    is kept for good: the result page then comes from the case's kept screen.
    """

    def __init__(self, directory: str | os.PathLike, max_items: int = 200, ttl_s: float = 3600):
        self.directory = Path(directory)
        self.max_items, self.ttl_s = max_items, ttl_s
        self.directory.mkdir(parents=True, exist_ok=True)

    def _path(self, token: str, suffix: str = SUFFIX) -> Path | None:
        if not isinstance(token, str) or not TOKEN_RE.match(token):
            return None
        return self.directory / f"{token}{suffix}"

    def _write(self, path: Path, data: bytes) -> None:
        tmp = self.directory / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def put(self, screening, files=None) -> str:
        """Keep ``screening`` (and the ``files`` it was screened from: (name, bytes, mime)
        triples); return its token."""
        token = secrets.token_urlsafe(16)
        if files:
            # written first: a reader who finds the result finds its files too
            self._write(
                self._path(token, FILES_SUFFIX),
                pickle.dumps(list(files), protocol=pickle.HIGHEST_PROTOCOL),
            )
        self._write(self._path(token), pickle.dumps(screening, protocol=pickle.HIGHEST_PROTOCOL))
        self.prune()
        return token

    def _load(self, token: str, suffix: str):
        path = self._path(token, suffix)
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

    def get(self, token: str):
        return self._load(token, SUFFIX)

    def files(self, token: str) -> list[tuple[str, bytes, str]]:
        """The files the result ``token`` was screened from ([] when none or expired)."""
        return self._load(token, FILES_SUFFIX) or []

    def claim_case(self, token: str) -> bool:
        """Start saving result ``token`` as a case: True for the one request (of any
        process) that may open it; an empty ``.case`` file marks it until :meth:`link_case`."""
        path = self._path(token, CASE_SUFFIX)
        if path is None:
            return False
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:
            return False
        return True

    def release_case(self, token: str) -> None:
        """Give up a :meth:`claim_case` that opened no case."""
        path = self._path(token, CASE_SUFFIX)
        if path is not None and self.case_of(token) is None:
            path.unlink(missing_ok=True)

    def link_case(self, token: str, number: str, screen: int | None) -> None:
        """Remember that result ``token`` was saved as case ``number`` (its screen ``screen``)."""
        path = self._path(token, CASE_SUFFIX)
        if path is not None:
            self._write(path, f"{number}\n{screen or ''}\n".encode())

    def case_of(self, token: str) -> tuple[str, int | None] | None:
        """(case number, screen) that result ``token`` was saved as, or None."""
        path = self._path(token, CASE_SUFFIX)
        if path is None:
            return None
        try:
            number, _, screen = path.read_text(encoding="utf-8").partition("\n")
        except (FileNotFoundError, UnicodeDecodeError):
            return None
        screen = screen.strip()
        return (number.strip(), int(screen) if screen.isdigit() else None) if number else None

    def prune(self) -> None:
        """Remove expired results and the oldest beyond ``max_items`` (and stale temp files).

        Case links (``.case``) are never removed."""
        now = time.time()
        entries = []
        for path in self.directory.iterdir():
            try:
                mtime = path.stat().st_mtime_ns / 1e9
            except FileNotFoundError:
                continue  # another process pruned it
            stale_tmp = path.name.startswith(".") and now - mtime > 600
            expiring = path.suffix in (SUFFIX, FILES_SUFFIX)
            if stale_tmp or (expiring and now - mtime > self.ttl_s):
                path.unlink(missing_ok=True)
            elif path.suffix == SUFFIX:
                entries.append((mtime, path))
        entries.sort()
        for _, path in entries[: max(0, len(entries) - self.max_items)]:
            path.unlink(missing_ok=True)
            path.with_suffix(FILES_SUFFIX).unlink(missing_ok=True)
