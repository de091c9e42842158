"""Static file URLs that change when the file changes: ``/static/<file>?v=<hash>``.

Every page links the app's own scripts and styles through :func:`static_path` (Python) or
the ``static_url`` template global, so a deploy is picked up by browsers at once and no
version number is kept by hand. The hash is of the file's bytes, read once per process.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"


@functools.lru_cache(maxsize=256)
def file_version(filename: str) -> str:
    """The first 10 hex digits of the SHA-256 of ``static/<filename>`` ("" when missing)."""
    try:
        return hashlib.sha256((STATIC_DIR / filename).read_bytes()).hexdigest()[:10]
    except OSError:
        return ""


def static_path(filename: str) -> str:
    """``/static/<filename>?v=<hash>`` (root-relative, as folium's asset lists hold them)."""
    return f"/static/{filename}?v={file_version(filename)}"


def static_url(filename: str) -> str:
    """:func:`static_path` under the app's script root (the ``static_url`` template global)."""
    from flask import url_for

    return f"{url_for('static', filename=filename)}?v={file_version(filename)}"
