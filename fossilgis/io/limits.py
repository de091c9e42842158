"""Resource limits of the readers of users' files, checked before the expensive work.

One frozen :class:`ReadLimits` travels with a read (``read_vector(..., limits=...)``, or
:func:`use_limits` around code that reads); every reader asks :func:`current_limits`. A file
that exceeds a limit raises :class:`fossilgis.errors.InputTooLargeError` naming the limit, the
value found and how to raise it (``--limit NAME=VALUE`` on the command line). The web app
reads uploads with the lower :data:`WEB_LIMITS`.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, replace

from fossilgis.errors import InputTooLargeError

MIB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """Upper bounds on what one read of a user's file may hold or expand to.

    Attributes
    ----------
    features : features (rows, parcels, DXF outlines) in one layer read at once; a larger
        shapefile or GeoPackage layer is streamed by ``impact-check`` in windows, each
        window counting on its own.
    vertices : coordinates in one layer, counting arc densification and block expansion.
    xlsx_cells : cells of one XLSX sheet, from its declared dimension and while reading.
    text_bytes : characters of one text cell of an XLSX sheet or of a DBF/GeoJSON value.
    csv_field_bytes : characters of one CSV field.
    dxf_entities : DXF entities after every block reference (INSERT, MINSERT rows × columns)
        is expanded, counted before anything is exploded.
    block_depth : DXF block references nested inside one another.
    decompressed_bytes : bytes a .zip, .kmz or .xlsx expands to (all members together).
    json_depth : nesting of arrays and objects in a GeoJSON document.
    """

    features: int = 1_000_000
    vertices: int = 20_000_000
    xlsx_cells: int = 5_000_000
    text_bytes: int = 1 * MIB
    csv_field_bytes: int = 1 * MIB
    dxf_entities: int = 1_000_000
    block_depth: int = 16
    decompressed_bytes: int = 200 * MIB
    json_depth: int = 64

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"limit {f.name} must be a positive integer, got {value!r}")


#: what each limit bounds, for messages and ``--limit`` help (the docs table repeats it)
LIMIT_HELP = {
    "features": "features in one layer (rows, parcels, DXF outlines)",
    "vertices": "coordinates in one layer, after arc densification and block expansion",
    "xlsx_cells": "cells of one XLSX sheet (declared dimension and counted)",
    "text_bytes": "characters of one XLSX/DBF/GeoJSON text value",
    "csv_field_bytes": "characters of one CSV field",
    "dxf_entities": "DXF entities after expanding block references (INSERT/MINSERT)",
    "block_depth": "DXF block references nested in one another",
    "decompressed_bytes": "bytes a .zip/.kmz/.xlsx expands to",
    "json_depth": "nesting depth of GeoJSON arrays and objects",
}

#: the command line's limits (``impact-check``, ``layers import``)
DEFAULT_LIMITS = ReadLimits()

#: the web app's limits for uploads: lower, as anyone signed in may upload
WEB_LIMITS = ReadLimits(
    features=100_000,
    vertices=2_000_000,
    xlsx_cells=1_000_000,
    text_bytes=64 * 1024,
    csv_field_bytes=64 * 1024,
    dxf_entities=100_000,
    block_depth=8,
    decompressed_bytes=100 * MIB,
    json_depth=32,
)

LIMIT_NAMES = tuple(f.name for f in fields(ReadLimits))

_CURRENT: contextvars.ContextVar[ReadLimits] = contextvars.ContextVar(
    "fossilgis_read_limits", default=DEFAULT_LIMITS
)


def current_limits() -> ReadLimits:
    """The limits of the read under way (``DEFAULT_LIMITS`` outside :func:`use_limits`)."""
    return _CURRENT.get()


@contextlib.contextmanager
def use_limits(limits: ReadLimits | None) -> Iterator[ReadLimits]:
    """Read with ``limits`` inside the block (None keeps the current ones)."""
    if limits is None:
        yield current_limits()
        return
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)


def parse_limit_options(pairs: Iterable[str], base: ReadLimits = DEFAULT_LIMITS) -> ReadLimits:
    """``ReadLimits`` from ``NAME=VALUE`` strings (``features=2000000``, ``vertices=5e7``).

    Raises ``ValueError`` with a message naming the bad pair and the known names.
    """
    changes: dict[str, int] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        key = name.strip().lower().replace("-", "_")
        key = key.removeprefix("max_")
        if not sep or key not in LIMIT_NAMES:
            raise ValueError(
                f"{pair!r}: expected NAME=VALUE with NAME one of {', '.join(LIMIT_NAMES)}"
            )
        text = value.strip().replace("_", "").replace(",", "")
        try:
            number = float(text)
        except ValueError:
            number = float("nan")
        if not (number >= 1 and number == int(number)):
            raise ValueError(f"{pair!r}: {name} needs a positive whole number, got {value!r}")
        changes[key] = int(number)
    return replace(base, **changes)


def too_large(
    source: str, limit: str, found, *, what: str, limits: ReadLimits | None = None
) -> InputTooLargeError:
    """The error for ``found`` over ``limit``: names it, the value and how to raise it."""
    allowed = getattr(limits or current_limits(), limit)
    shown = f"{found:,}" if isinstance(found, int) else str(found)
    suggest = max(int(found) if isinstance(found, int) else allowed * 2, allowed * 2)
    return InputTooLargeError(
        f"{source}: {what}: {shown}, over the limit {limit}={allowed:,} (超出读取上限 {limit}: "
        f"{LIMIT_HELP[limit]}). If the file is genuine, raise the limit on the command line "
        f"with --limit {limit}={suggest} (web uploads have fixed lower limits); otherwise "
        f"export the file again.",
        limit=limit,
        found=found,
        allowed=allowed,
    )


def check(source: str, limit: str, found: int, *, what: str) -> None:
    """Raise :func:`too_large` when ``found`` exceeds the current ``limit``."""
    if found > getattr(current_limits(), limit):
        raise too_large(source, limit, found, what=what)


class VertexBudget:
    """A running count of coordinates produced while building geometry (DXF arcs, blocks)."""

    def __init__(self, source: str, limits: ReadLimits | None = None):
        self.source = source
        self.limit = (limits or current_limits()).vertices
        self.used = 0

    def take(self, n: int, where: str = "") -> None:
        self.used += int(n)
        if self.used > self.limit:
            extra = f" (reached at {where})" if where else ""
            raise too_large(
                self.source,
                "vertices",
                self.used,
                what=f"the geometry needs more coordinates{extra}",
            )
