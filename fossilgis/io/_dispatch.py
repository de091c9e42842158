"""Which reader takes a user's file, by its name ending; zip and KMZ archives opened on the way."""

from __future__ import annotations

from collections import Counter
from functools import partial
from pathlib import Path, PurePosixPath

from fossilgis.errors import InputFileError, InputNotFoundError, UnsupportedFormatError
from fossilgis.io._archive import extracted
from fossilgis.io._boundary_txt import looks_like_boundary_txt, read_boundary_txt
from fossilgis.io._ogr import _spatial_layers, read_geojson, read_multilayer, read_shapefile
from fossilgis.io._raw import RawLayer
from fossilgis.io._table import read_csv, read_xlsx

#: file name endings read_vector / read_footprints accept
SUPPORTED_SUFFIXES = (
    ".shp",
    ".zip",
    ".gpkg",
    ".geojson",
    ".json",
    ".kml",
    ".kmz",
    ".gpx",
    ".dxf",
    ".txt",
    ".csv",
    ".xlsx",
)

KINDS_TEXT = (
    "Shapefile (.shp, or a .zip holding one or several), GeoPackage (.gpkg), GeoJSON "
    "(.geojson, .json), KML/KMZ, GPX, DXF red-line drawing (.dxf), 界址点 TXT in the 报部 "
    "format (.txt), coordinate table (.csv, .xlsx)"
)

_REFUSED = {
    ".dwg": "DWG drawings cannot be read: open it in CAD and save as DXF (另存为 DXF), then "
    "give the .dxf",
    ".xls": "old Excel .xls workbooks cannot be read: save it as .xlsx (另存为 .xlsx)",
    ".rar": "RAR archives cannot be read: re-pack the files as .zip",
    ".7z": "7z archives cannot be read: re-pack the files as .zip",
}
for _sidecar in (".dbf", ".shx", ".prj", ".cpg", ".sbn", ".sbx", ".qix"):
    _REFUSED[_sidecar] = (
        "is one part of a shapefile: give the .shp (with its .shx, .dbf, .prj and .cpg beside "
        "it) or a .zip of them"
    )


def _read_dxf(path, source, layer, encoding):
    """The DXF reader, imported on first use: ezdxf takes most of a second to import."""
    from fossilgis.io._dxf import read_dxf

    return read_dxf(path, source, layer, encoding)


_READERS = {
    ".shp": read_shapefile,
    ".gpkg": partial(read_multilayer, kind="GeoPackage"),
    ".geojson": read_geojson,
    ".json": read_geojson,
    ".kml": partial(read_multilayer, kind="KML"),
    ".gpx": partial(read_multilayer, kind="GPX"),
    ".dxf": _read_dxf,
    ".txt": read_boundary_txt,
    ".csv": read_csv,
    ".xlsx": read_xlsx,
}
_ZIP_MEMBER_SUFFIXES = {".shp", ".gpkg", ".geojson", ".json", ".kml", ".dxf", ".txt"}
_MULTI_LAYER = {".gpkg", ".kml"}


def _unsupported(source: str, suffix: str) -> UnsupportedFormatError:
    if suffix in _REFUSED:
        why = _REFUSED[suffix]
        sep = " " if why.startswith("is ") else ": "
        return UnsupportedFormatError(f"{source}{sep}{why}.")
    return UnsupportedFormatError(
        f"{source}: unsupported file type {suffix or '(no extension)'!r} (不支持的文件类型). "
        f"Supported: {KINDS_TEXT}."
    )


def _zip_layer_names(cands: list[tuple[str, Path]]) -> dict[str, str]:
    """Layer name per member: the shapefile stem, or its path when two stems collide."""
    stems = Counter(PurePosixPath(n).stem for n, _p in cands)
    return {
        n: PurePosixPath(n).stem if stems[PurePosixPath(n).stem] == 1 else n.rsplit(".", 1)[0]
        for n, _p in cands
    }


def _read_zip(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    with extracted(path, source) as members:
        cands = []
        for name, p in members:
            parts = name.split("/")
            if parts[0] == "__MACOSX" or any(x.startswith(".") for x in parts):
                continue
            suffix = p.suffix.lower()
            if suffix not in _ZIP_MEMBER_SUFFIXES:
                continue
            if suffix == ".txt" and not looks_like_boundary_txt(p):
                continue  # a read-me, not a 界址点 file
            cands.append((name, p))
        if not cands:
            shown = ", ".join(n for n, _p in members[:10]) or "nothing"
            raise InputFileError(
                f"{source} holds no shapefile or other readable layer (压缩包中没有可读图层); "
                f"found: {shown}. Expected .shp (with .shx/.dbf/.prj) or {KINDS_TEXT}."
            )
        names = _zip_layer_names(cands)
        plan: list[tuple[str, Path, str | None]] = []
        if layer is None:
            plan = [(n, p, None) for n, p in cands]
        else:
            plan = [
                (n, p, None)
                for n, p in cands
                if p.suffix.lower() not in _MULTI_LAYER and layer in (names[n], n)
            ][:1]
            available = [names[n] for n, p in cands if p.suffix.lower() not in _MULTI_LAYER]
            if not plan:
                for n, p in cands:
                    if p.suffix.lower() in _MULTI_LAYER:
                        inner = _spatial_layers(p, f"{source}!{n}")
                        available += inner
                        if layer in inner and not plan:
                            plan = [(n, p, layer)]
            if not plan:
                raise InputNotFoundError(
                    f"{source} has no layer {layer!r} (图层不存在); available layers: "
                    + ", ".join(repr(a) for a in available)
                    + "."
                )
        out: list[RawLayer] = []
        renamed = getattr(members, "renamed", {})
        for n, p, inner_layer in plan:
            suffix = p.suffix.lower()
            raws = _READERS[suffix](p, f"{source}!{n}", inner_layer, encoding)
            for r in raws:
                if suffix not in _MULTI_LAYER:
                    r.layer = names[n]
                if n in renamed:
                    r.notes.append(
                        f"压缩包内有同名文件 {renamed[n]}，此副本按 {n} 读取 / the zip holds "
                        f"{renamed[n]} more than once; this copy is read as {n}"
                    )
            out.extend(raws)
        return out


def _read_kmz(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    with extracted(path, source) as members:
        kmls = [(n, p) for n, p in members if p.suffix.lower() == ".kml"]
        if not kmls:
            raise InputFileError(f"{source} holds no .kml document (KMZ 中没有 KML).")
        kmls.sort(key=lambda t: (t[0].lower() != "doc.kml", "/" in t[0], t[0]))
        return read_multilayer(kmls[0][1], source, layer, encoding, kind="KML")


def _read_raw(path: Path, source: str, layer, encoding) -> list[RawLayer]:
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _read_zip(path, source, layer, encoding)
    if suffix == ".kmz":
        return _read_kmz(path, source, layer, encoding)
    if suffix not in _READERS:
        raise _unsupported(source, suffix)
    return _READERS[suffix](path, source, layer, encoding)
