"""Writing output files safely: never over the store, and whole or not at all.

Every command that writes a file (``-o``, exports, backups) goes through this module:

* :func:`check_output` refuses a path that is, or lies inside, one of the store's protected
  paths (:meth:`fossilgis.store.base.Store.protected_paths`: the GeoPackage and its SQLite
  sidecars, the photo folder, the web app's secret key), after resolving symlinks, ``..``
  and letter case; and it refuses a file whose folder does not exist.
* :func:`atomic_output` / :func:`atomic_outputs` give the writer a private temporary folder
  next to the target. When the writer is done every file in it is fsynced and renamed into
  place (``os.replace``); on any error the temporary folder is removed, the old target (if
  any) is untouched, and a full disk becomes one clear :class:`OutputError`.

A shapefile is several files: they are all written into the temporary folder and moved
together, so a failed export leaves no stray ``.dbf`` or ``.shx`` behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from fossilgis.errors import FossilGISError, OutputError, ProtectedPathError

#: a GDAL error while less than this is free on the target's disk is reported as disk full
_NEARLY_FULL_BYTES = 1 << 20

DISK_FULL = "disk full (磁盘已满)"


def _real(path) -> Path:
    """The absolute path with symlinks and ``..`` resolved (also for paths not yet made)."""
    return Path(os.path.realpath(os.path.abspath(os.fspath(path))))


def _key(path: Path) -> str:
    # casefolded: on a case-insensitive disk (macOS, Windows shares) FOSSILGIS.GPKG *is*
    # fossilgis.gpkg; refusing a same-named file on a case-sensitive disk costs nothing
    return os.path.normcase(str(path)).casefold()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)  # hard links and case aliases of existing files
    except OSError:
        return False


def _as_mapping(protected) -> Mapping[Path, str]:
    if protected is None:
        return {}
    if isinstance(protected, Mapping):
        return protected
    return {Path(p): "protected by the store" for p in protected}


def protected_hit(path, protected) -> tuple[Path, str] | None:
    """The protected path (and what it is) that ``path`` would write over, or None."""
    target = _real(path)
    tkey = _key(target)
    for prot, what in _as_mapping(protected).items():
        real = _real(prot)
        pkey = _key(real)
        if (
            tkey == pkey
            or tkey.startswith(pkey.rstrip(os.sep) + os.sep)
            or _same_file(target, real)
        ):
            return real, what
    return None


def refuse_protected(path, protected) -> None:
    """Raise :class:`ProtectedPathError` when ``path`` is or lies inside a protected path."""
    hit = protected_hit(path, protected)
    if hit is not None:
        real, what = hit
        inside = "" if _key(_real(path)) == _key(real) else " (it lies inside it)"
        raise ProtectedPathError(
            f"{path}: refusing to write there: that is {what}, {real}{inside}. Writing over "
            "it would destroy the store's data (拒绝覆盖数据存储文件). Choose another path, "
            "outside the store's files (`fossilgis store info` shows where they are)"
        )


def check_output(path, protected=None, *, directory: bool = False) -> Path:
    """Check that ``path`` may be written; return it as a Path.

    Parameters
    ----------
    path : path
        The output file (or, with ``directory=True``, the output folder).
    protected : mapping of Path to description, or iterable of Path
        Usually ``store.protected_paths()``.
    directory : bool
        ``path`` is a folder the command fills (``layers export -o DIR/``, ``store
        backup``); it is created, with its parents, when missing.

    Raises
    ------
    ProtectedPathError
        ``path`` is (or lies inside) a protected path.
    OutputError
        The folder of an output file does not exist, or is not a folder.
    """
    path = Path(path)
    refuse_protected(path, protected)
    if directory:
        if path.exists() and not path.is_dir():
            raise OutputError(f"{path} is a file, not a folder; give a folder for the output")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(path, exc, "cannot be created") from None
        return path
    parent = path.parent
    if not parent.exists():
        raise OutputError(
            f"{path}: the folder {parent} does not exist (输出目录不存在); create it first "
            f"(mkdir -p {shlex.quote(str(parent))})"
        )
    if not parent.is_dir():
        raise OutputError(f"{path}: {parent} is not a folder")
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name for the output")
    return path


def _disk_nearly_full(folder: Path) -> bool:
    try:
        st = os.statvfs(folder)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < _NEARLY_FULL_BYTES


def _is_disk_full(exc: BaseException, folder: Path) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    if "no space left" in text or "disk is full" in text or "disk full" in text:
        return True
    # GDAL often reports a failed write as a generic error ("Cannot write feature"); the
    # temporary file still holds the space at this point, so a full disk shows here
    return _disk_nearly_full(folder)


def _os_error(path: Path, exc: OSError, doing: str = "could not be written") -> OutputError:
    name = errno.errorcode.get(exc.errno or 0, "")
    reason = exc.strerror or str(exc)
    return OutputError(f"{path} {doing}: {reason}" + (f" ({name})" if name else ""))


def _write_failure(path: Path, exc: BaseException, folder: Path) -> OutputError:
    if _is_disk_full(exc, folder):
        return OutputError(
            f"{path} could not be written: {DISK_FULL} on {folder}; nothing was written. "
            "Free some space (or choose another disk with -o) and run the command again"
        )
    if isinstance(exc, OSError):
        err = _os_error(path, exc)
        return OutputError(f"{err}; nothing was written")
    return OutputError(
        f"{path} could not be written ({type(exc).__name__}: {exc}); nothing was written"
    )


def _translatable(exc: BaseException) -> bool:
    """Errors of the disk or of the writing library, not bugs in fossilgis."""
    import sqlite3

    if isinstance(exc, (OSError, sqlite3.Error)):
        return True
    return type(exc).__module__.split(".")[0] in ("pyogrio", "fiona")


def _fsync_tree(root: Path) -> None:
    for base, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(base, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _fsync_dir(folder: Path) -> None:
    # best effort: some filesystems refuse fsync on a folder; the files themselves are
    # already fsynced, only the durability of the rename is at stake
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_outputs(folder, protected=None, *, label=None) -> Iterator[Path]:
    """A temporary folder inside ``folder``; on success its entries replace ``folder``'s.

    Write each output under its final name into the yielded folder. When the block ends
    without error every file is fsynced, then each entry is moved with ``os.replace``
    into ``folder`` (after checking it against ``protected``). On any error the temporary
    folder and everything in it is removed; disk and library errors become an
    :class:`OutputError` that names ``label`` (default ``folder``) and says "disk full
    (磁盘已满)" when it is.
    """
    folder = Path(folder)
    label = folder if label is None else label
    refuse_protected(folder, protected)
    try:
        tmp = Path(tempfile.mkdtemp(dir=folder, prefix=".fossilgis-", suffix=".tmp"))
    except OSError as exc:
        raise _write_failure(label, exc, folder) from None
    try:
        try:
            yield tmp
            entries = sorted(tmp.iterdir())
            for entry in entries:
                refuse_protected(folder / entry.name, protected)
            _fsync_tree(tmp)
            for entry in entries:
                os.replace(entry, folder / entry.name)
        except FossilGISError:
            raise
        except Exception as exc:
            if not _translatable(exc):
                raise
            raise _write_failure(label, exc, folder) from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _fsync_dir(folder)


@contextlib.contextmanager
def atomic_output(path, protected=None) -> Iterator[Path]:
    """A temporary path to write ``path`` to; renamed over ``path`` when complete.

    The temporary path has the same name (and suffix, which GDAL drivers look at) inside a
    private folder next to ``path``; files a writer puts beside it (a shapefile's ``.dbf``,
    ``.shx``, ``.prj``, ``.cpg``) are moved with it. Errors are as for
    :func:`atomic_outputs`, naming ``path``.
    """
    path = check_output(path, protected)
    with atomic_outputs(path.parent, protected, label=path) as tmp:
        yield tmp / path.name


def write_bytes_atomic(path, data: bytes, protected=None) -> Path:
    """Write ``data`` to ``path`` through :func:`atomic_output`; return ``path``."""
    path = Path(path)
    with atomic_output(path, protected) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
        finally:
            os.close(fd)
    return path


def write_text_atomic(path, text: str, protected=None, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` (newlines kept as they are) to ``path`` atomically; return ``path``."""
    return write_bytes_atomic(path, text.encode(encoding), protected)


def write_frame(gdf, path: Path, *, layer: str, driver: str, **kwargs) -> None:
    """``pyogrio.write_dataframe`` then check that every feature is in the file.

    Some GDAL drivers (KML) do not report a failed write: a full disk leaves a truncated
    file and no error. Reading the feature count back catches it.
    """
    import pyogrio

    pyogrio.write_dataframe(gdf, path, layer=layer, driver=driver, **kwargs)
    found = pyogrio.read_info(path, layer=layer, force_feature_count=True)["features"]
    if found != len(gdf):
        raise OSError(
            errno.EIO, f"the written file holds {found} of {len(gdf)} features (incomplete)"
        )


def protected_paths_of(store) -> dict[Path, str]:
    """``store.protected_paths()``; {} for objects that are not stores."""
    getter = getattr(store, "protected_paths", None)
    return dict(getter()) if getter is not None else {}
