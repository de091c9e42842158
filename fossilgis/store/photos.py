"""Patrol photos: files in the data directory named by their SHA-256, and their metadata.

A photo and its thumbnail are written atomically (temp file, fsync, rename) before the
row that records them, so no stored record ever points at a missing file; a photo sent
twice is stored once.
"""

from __future__ import annotations

from pathlib import Path

from fossilgis.errors import RecordNotFoundError
from fossilgis.store._common import fsync_write, now_text
from fossilgis.store.db import Database


class Photos:
    """The ``photos`` table and the ``photos/`` folder of one store."""

    def __init__(self, db: Database, data_dir: Path):
        self.db = db
        self.data_dir = Path(data_dir)

    def put(self, data: bytes, name: str = "photo", *, max_bytes: int | None = None) -> str:
        """Check and store a JPEG/PNG once by SHA-256 (file and thumbnail written atomically
        before the metadata row); return the SHA-256. Raises PhotoError."""
        from fossilgis.patrols.model import format_time
        from fossilgis.patrols.photos import (
            DEFAULT_MAX_PHOTO_BYTES,
            make_thumbnail,
            photo_relpath,
            read_photo,
        )

        info = read_photo(data, name, max_bytes or DEFAULT_MAX_PHOTO_BYTES)
        if self.info(info.sha256) is not None:
            return info.sha256  # sent twice, stored once
        target = self.data_dir / photo_relpath(info.sha256, info.mime)
        if not target.exists():
            fsync_write(target, data)
        thumb = self.data_dir / photo_relpath(info.sha256, info.mime, thumbnail=True)
        if not thumb.exists():
            fsync_write(thumb, make_thumbnail(data))
        with self.db.tx() as conn:
            conn.execute(
                self.db.q(self.db.dialect.insert_ignore("photos", 9, "sha256")),
                (
                    info.sha256,
                    info.mime,
                    info.bytes,
                    info.width,
                    info.height,
                    info.lon,
                    info.lat,
                    format_time(info.taken_at),
                    now_text(),
                ),
            )
        return info.sha256

    def path(self, sha256: str, *, thumbnail: bool = False) -> Path:
        """The file of a stored photo (or its 320 px JPEG thumbnail); RecordNotFoundError."""
        row = self.db.one("SELECT mime FROM photos WHERE sha256=?", (sha256,))
        if row is None:
            raise RecordNotFoundError(f"no photo with SHA-256 {sha256} in the store")
        from fossilgis.patrols.photos import photo_relpath

        return self.data_dir / photo_relpath(sha256, row[0], thumbnail=thumbnail)

    def info(self, sha256: str):
        """The stored photo's PhotoInfo (mime, size, EXIF position and time), or None."""
        from fossilgis.patrols.photos import PhotoInfo

        row = self.db.one(
            "SELECT sha256, mime, bytes, width, height, lon, lat, taken_at FROM photos "
            "WHERE sha256=?",
            (sha256,),
        )
        if row is None:
            return None
        return PhotoInfo(*row[:7], taken_at=self.db.dialect.to_time(row[7]))
