"""Extract an uploaded .zip / .kmz safely: no path traversal, no zip bomb, a temporary folder."""

from __future__ import annotations

import contextlib
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from fossilgis.errors import InputFileError, UnsafeArchiveError
from fossilgis.io.limits import DEFAULT_LIMITS, current_limits, too_large

#: refuse archives whose members add up to more than this when uncompressed (the command
#: line's default of the ``decompressed_bytes`` limit; a read's own limits take precedence
#: when they are lower)
MAX_UNCOMPRESSED_BYTES = DEFAULT_LIMITS.decompressed_bytes
#: refuse members that expand more than this many times (zip bomb), once they exceed MIN_RATIO_BYTES
MAX_COMPRESSION_RATIO = 100
MIN_RATIO_BYTES = 1024 * 1024
#: refuse archives with more members than this
MAX_MEMBERS = 10_000

_CHUNK = 1 << 16


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name, re-decoded as GBK/UTF-8 when the zip has no UTF-8 flag.

    Zips made on Chinese Windows store names in GBK without flag bit 11; Python then decodes
    them as CP437, which turns 道路.shp into mojibake.
    """
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return name


def _safe_parts(source: str, name: str) -> tuple[str, ...]:
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        raise UnsafeArchiveError(
            f"{source}: member {name!r} has an absolute path (压缩包含绝对路径); refused. "
            f"Re-pack the files with relative paths."
        )
    parts = tuple(p for p in PurePosixPath(norm).parts if p not in ("", "."))
    if ".." in parts:
        raise UnsafeArchiveError(
            f"{source}: member {name!r} points outside the archive with '..' "
            f"(路径穿越); refused. Re-pack the files without '..' in their paths."
        )
    return parts


def max_expanded_bytes() -> int:
    """The ``decompressed_bytes`` limit of this read (never above MAX_UNCOMPRESSED_BYTES)."""
    return min(current_limits().decompressed_bytes, MAX_UNCOMPRESSED_BYTES)


def check_member_sizes(zf: zipfile.ZipFile, source: str, *, ratio_check: bool = True) -> None:
    """Refuse an archive (zip, kmz, xlsx) whose declared sizes exceed ``decompressed_bytes``
    or (``ratio_check``) expand like a zip bomb, before anything is decompressed.

    zipfile never inflates a member beyond its declared size (the CRC check fails first), so
    the declared sizes bound what a reader can be made to hold.
    """
    limit = max_expanded_bytes()
    total = 0
    for info in zf.infolist():
        total += info.file_size
        if total > limit:
            raise too_large(
                source,
                "decompressed_bytes",
                total,
                what=f"its members expand to more bytes (at {info.filename!r})",
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio_check and info.file_size > MIN_RATIO_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise UnsafeArchiveError(
                f"{source}: member {info.filename!r} expands {ratio:.0f} times "
                f"({info.compress_size} → {info.file_size} bytes), which looks like a zip "
                f"bomb (疑似压缩炸弹); refused."
            )


class Members(list):
    """(name, path) pairs; ``renamed`` maps the name given to a repeated member to its own."""

    renamed: dict[str, str]


@contextlib.contextmanager
def extracted(path: Path, source: str) -> Iterator[list[tuple[str, Path]]]:
    """Extract ``path`` into a temporary directory removed on exit.

    Folders are kept, so a/road.shp and b/road.shp stay two layers. A name that occurs more
    than once (the same path twice in the zip, or paths that differ only by ``\\`` or
    ``./``) is extracted into its own folder and named ``road (2).shp``, so no member
    overwrites another and none is read twice.

    Yields
    ------
    list of (name inside the archive, extracted path) for regular files, in archive order;
    its ``renamed`` attribute maps renamed repeats to their name in the archive.
    """
    limit = max_expanded_bytes()
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(
            f"{source} is not a readable zip archive ({exc}) (压缩包损坏或不是 zip). "
            f"Re-create it with a standard zip tool."
        ) from exc
    with zf, tempfile.TemporaryDirectory(prefix="fossilgis-") as tmp:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UnsafeArchiveError(
                f"{source} holds {len(infos)} members, more than the limit of {MAX_MEMBERS}; "
                f"refused (文件过多)."
            )
        total = 0
        plan = []
        for info in infos:
            name = member_name(info)
            parts = _safe_parts(source, name)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise UnsafeArchiveError(
                    f"{source}: member {name!r} is a symbolic link; refused (压缩包含符号链接)."
                )
            if info.is_dir() or not parts:
                continue
            total += info.file_size
            if total > limit:
                raise UnsafeArchiveError(
                    f"{source} expands to more than {limit // (1024 * 1024)} MB "
                    f"(解压后过大, limit decompressed_bytes={limit}); refused. Upload only the "
                    f"layers needed, or raise it with --limit decompressed_bytes=N."
                )
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > MIN_RATIO_BYTES and ratio > MAX_COMPRESSION_RATIO:
                raise UnsafeArchiveError(
                    f"{source}: member {name!r} expands {ratio:.0f} times "
                    f"({info.compress_size} → {info.file_size} bytes), which looks like a zip "
                    f"bomb (疑似压缩炸弹); refused."
                )
            plan.append((info, name, parts))
        root = Path(tmp)
        out = Members()
        out.renamed = {}
        written = 0
        seen: dict[tuple[str, ...], int] = {}
        for info, name, parts in plan:
            copy = seen[parts] = seen.get(parts, 0) + 1
            if copy > 1:
                # a repeat: its own folder (so its sidecars pair with it) and its own name
                target = root.joinpath(f".copy{copy}", *parts)
                stem, dot, ext = parts[-1].rpartition(".")
                shown = f"{stem} ({copy}).{ext}" if dot else f"{parts[-1]} ({copy})"
                display = "/".join((*parts[:-1], shown))
                out.renamed[display] = "/".join(parts)
            else:
                target = root.joinpath(*parts)
                display = "/".join(parts)
            # Belt and braces: the resolved target must stay below the temporary root.
            if root.resolve() not in target.resolve().parents:
                raise UnsafeArchiveError(f"{source}: member {name!r} escapes the archive; refused.")
            target.parent.mkdir(parents=True, exist_ok=True)
            # Count real bytes: the sizes in the zip directory are the sender's claim.
            try:
                with zf.open(info) as src, open(target, "wb") as dst:
                    got = 0
                    while chunk := src.read(_CHUNK):
                        got += len(chunk)
                        written += len(chunk)
                        if got > info.file_size or written > limit:
                            raise UnsafeArchiveError(
                                f"{source}: member {name!r} expands beyond its declared size "
                                f"or the {limit // (1024 * 1024)} MB limit "
                                f"(decompressed_bytes); refused (疑似压缩炸弹)."
                            )
                        dst.write(chunk)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
                raise InputFileError(
                    f"{source}: member {name!r} cannot be extracted ({exc}) (压缩包损坏)."
                ) from exc
            except NotImplementedError as exc:
                raise InputFileError(
                    f"{source}: member {name!r} uses an unsupported compression or encryption "
                    f"({exc}); re-pack it as a plain zip (deflate, no password)."
                ) from exc
            except RuntimeError as exc:  # encrypted member without password
                raise InputFileError(
                    f"{source}: member {name!r} is password-protected ({exc}); upload it "
                    f"without a password."
                ) from exc
            out.append((display, target))
        yield out
