"""The files a case keeps: submitted red-line files as sent, and checked attachments.

Attachments (letters, evaluation reports, photos of documents) must be PDF, JPEG or PNG,
recognised by their first bytes (not their names), and at most
:data:`MAX_ATTACHMENT_BYTES`. Submitted files are kept as they came, with the sidecars a
shapefile needs, so that the screen can be repeated from the record.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fossilgis.cases.model import CaseError

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
#: magic bytes → MIME type of the attachments accepted
_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
#: a shapefile's sidecars, kept with it
SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")


def attachment_type(data: bytes, name: str) -> str:
    """The MIME type of an attachment, or CaseError naming the file and what is accepted."""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise CaseError(
            f"{name}: {len(data) / 1e6:.1f} MB is more than the "
            f"{MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB an attachment may have; scan at a lower "
            "resolution or split the document"
        )
    if not data:
        raise CaseError(f"{name}: the file is empty")
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    raise CaseError(
        f"{name}: not a PDF, JPEG or PNG file (its first bytes are {data[:8]!r}); attach "
        "letters and reports as PDF, photos of documents as JPEG or PNG / 附件须为 PDF、JPEG 或 PNG"
    )


def submitted_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def submitted_files(paths) -> list[tuple[str, bytes, str]]:
    """(name, bytes, MIME type) of the files a screen read, shapefile sidecars included."""
    out, seen = [], set()
    for path in paths:
        path = Path(path)
        group = [path]
        if path.suffix.lower() == ".shp":
            for ext in SIDECARS:
                for cand in (path.with_suffix(ext), path.with_suffix(ext.upper())):
                    if cand.exists():
                        group.append(cand)
                        break
        for p in group:
            if p.resolve() in seen:
                continue
            seen.add(p.resolve())
            out.append((p.name, p.read_bytes(), submitted_type(p.name)))
    return out
