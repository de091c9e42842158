"""The intermediate layer every reader returns before the common pipeline (CRS, repair, 4490)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
from pyproj import CRS

from fossilgis.errors import InputNotFoundError
from fossilgis.io._encoding import decode_text_bytes


@dataclass
class RawLayer:
    """One layer as read from the file: geometry in the file's own units, CRS not applied.

    ``crs`` is what the file declares (.prj, GeoPackage, TXT header...) or None, in which case
    ``crs_missing`` says why, for the message that proposes a ``--crs``. ``crs_problem`` is set
    when the file declares a CRS that cannot be used (an unknown EPSG code, a .prj that does
    not parse): without ``--crs`` the pipeline refuses it and proposes one.
    """

    gdf: gpd.GeoDataFrame
    source: str
    layer: str | None = None
    crs: CRS | None = None
    crs_missing: str = "no .prj file"
    encoding: str | None = None
    encoding_basis: str | None = None
    notes: list[str] = field(default_factory=list)
    crs_problem: str | None = None


def select_layer(available: list[str], layer: str | None, source: str) -> list[str]:
    """The layers to read; a ``layer=`` that does not exist lists the available ones."""
    if layer is None:
        return list(available)
    if layer in available:
        return [layer]
    raise InputNotFoundError(
        f"{source} has no layer {layer!r} (图层不存在); available layers: "
        + ", ".join(repr(n) for n in available)
        + "."
    )


def read_single_text(path: Path, source: str, layer, encoding) -> tuple[str, str, str]:
    """Text of a one-layer text file (its layer is its stem), as ``decode_text_bytes`` gives."""
    select_layer([path.stem], layer, source)
    return decode_text_bytes(path.read_bytes(), source=source, user_encoding=encoding)


def single_layer(
    gdf, source: str, notes: list[str], *, crs, crs_missing: str, encoding, layer=None
) -> list[RawLayer]:
    """The answer of a reader whose file holds one layer; ``encoding`` is (codec, basis)."""
    enc, basis = encoding
    raw = RawLayer(
        gdf=gdf,
        source=source,
        layer=layer,
        crs=crs,
        crs_missing=crs_missing,
        encoding=enc,
        encoding_basis=basis,
        notes=notes,
    )
    return [raw]
