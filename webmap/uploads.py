"""Uploads kept on the server between a first try and its confirmation (CRS, encoding).

When a file cannot be read without the user's word (no .prj, no .cpg), the form comes back
with the question and a hidden ``pending`` token instead of asking for the file again. The
files wait in ``<results>/pending/<token>/``: the token is 32 random URL-safe characters
and is checked against :data:`TOKEN_RE` before any path is built, file names are made safe
by :func:`webmap.screen.safe_name`, a folder lives ``ttl_s`` seconds (by its mtime, which
every process sees alike) and the oldest go first when there are more than ``max_items``
folders or more than ``max_total_bytes`` in all. A folder may be bound to an owner (the
session's CSRF token, a user name): only the same owner gets it back.

Nothing here knows about applicants: ``/submit`` uses it, and ``/check`` can.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from fossilgis.errors import InputTooLargeError

#: 24 random bytes, URL-safe: nothing else ever names a pending folder
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")
#: the file in each folder holding the SHA-256 of its owner (dot files are never uploads)
OWNER_FILE = ".owner"
SUBDIR = "pending"


@dataclass(frozen=True)
class Pending:
    """One kept upload: its token and folder."""

    token: str
    directory: Path

    def files(self) -> list[Path]:
        """Every uploaded file, by name (shapefile sidecars included)."""
        return sorted(
            (p for p in self.directory.iterdir() if p.is_file() and not p.name.startswith(".")),
            key=lambda p: p.name,
        )

    def names(self) -> list[str]:
        return [p.name for p in self.files()]

    def read_paths(self) -> list[Path]:
        """The files to give the reader: a .shp stands for its sidecars."""
        from webmap.screen import SHAPEFILE_SIDECARS

        files = self.files()
        return [p for p in files if p.suffix.lower() not in SHAPEFILE_SIDECARS] or files

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.files())

    def records(self) -> list[tuple[str, bytes, str]]:
        """(name, bytes, MIME type) of every file, as a case keeps its submitted files."""
        from fossilgis.cases.files import submitted_type

        return [(p.name, p.read_bytes(), submitted_type(p.name)) for p in self.files()]


def _owner_hash(owner: str | None) -> str:
    return hashlib.sha256((owner or "").encode("utf-8")).hexdigest()


class PendingUploads:
    """Folders of uploads waiting for a confirmation, under ``directory``."""

    def __init__(
        self,
        directory: str | os.PathLike,
        ttl_s: float = 3600,
        max_items: int = 200,
        max_total_bytes: int = 1024 * 1024 * 1024,
    ):
        self.directory = Path(directory)
        self.ttl_s, self.max_items, self.max_total_bytes = ttl_s, max_items, max_total_bytes
        self.directory.mkdir(parents=True, exist_ok=True)

    def _folder(self, token) -> Path | None:
        if not isinstance(token, str) or not TOKEN_RE.match(token):
            return None
        return self.directory / token

    def save(self, files, *, max_bytes: int, owner: str | None = None) -> Pending | None:
        """Keep the uploaded ``files`` (werkzeug FileStorage) in a new folder.

        Returns None when no file was chosen. Raises InputTooLargeError (nothing kept) when
        they hold more than ``max_bytes`` together.
        """
        from webmap.screen import save_uploads

        files = [f for f in files or [] if f and f.filename]
        if not files:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prune()
        token = secrets.token_urlsafe(24)
        folder = self.directory / token
        folder.mkdir(mode=0o700)
        pending = Pending(token, folder)
        try:
            save_uploads(files, folder)
            total = pending.size()
            if total > max_bytes:
                raise InputTooLargeError(
                    f"the uploaded files hold {total / 1024 / 1024:.1f} MB; at most "
                    f"{max_bytes / 1024 / 1024:g} MB are accepted (上传文件过大)",
                    limit="upload_bytes",
                    found=total,
                    allowed=max_bytes,
                )
            (folder / OWNER_FILE).write_text(_owner_hash(owner), encoding="ascii")
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return pending

    def get(self, token, owner: str | None = None) -> Pending | None:
        """The folder of ``token`` if it exists, is younger than ``ttl_s`` and belongs to
        ``owner``; else None."""
        folder = self._folder(token)
        if folder is None:
            return None
        try:
            age = time.time() - folder.stat().st_mtime
            stored = (folder / OWNER_FILE).read_text(encoding="ascii").strip()
        except (FileNotFoundError, NotADirectoryError, UnicodeError):
            return None
        if age > self.ttl_s:
            self.discard(token)
            return None
        if not hmac.compare_digest(stored, _owner_hash(owner)):
            return None
        return Pending(token, folder)

    def discard(self, token) -> None:
        folder = self._folder(token)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def prune(self) -> None:
        """Remove expired folders, then the oldest beyond ``max_items`` / ``max_total_bytes``."""
        now = time.time()
        entries = []
        for folder in self.directory.iterdir():
            if not TOKEN_RE.match(folder.name):
                continue
            try:
                mtime = folder.stat().st_mtime
                size = sum(p.stat().st_size for p in folder.iterdir())
            except (FileNotFoundError, NotADirectoryError):
                continue  # another process removed it
            if now - mtime > self.ttl_s:
                shutil.rmtree(folder, ignore_errors=True)
            else:
                entries.append((mtime, size, folder))
        entries.sort(key=lambda e: e[0], reverse=True)  # newest first: they stay
        kept, total = 0, 0
        for _mtime, size, folder in entries:
            kept, total = kept + 1, total + size
            if kept > self.max_items or total > self.max_total_bytes:
                shutil.rmtree(folder, ignore_errors=True)


def pending_uploads(app) -> PendingUploads:
    """The app's pending uploads, under its results directory (made on first use)."""
    store = app.extensions.get("fossilgis_pending")
    if store is None:
        results = app.extensions["fossilgis_results"].directory
        store = app.extensions["fossilgis_pending"] = PendingUploads(
            results / SUBDIR, ttl_s=app.config.get("PENDING_TTL_S", 3600)
        )
    return store
