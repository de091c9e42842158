"""The office's tables beside the registry (``layers/rules.toml``, ``potential.toml``,
``terms.toml``): where each is found, how its TOML is read with an error that names the
file and the fix, and a cache that reads a file again only when it changes."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

T = TypeVar("T")

#: the repository's layers folder (the root of a checkout or an editable install)
REPO_LAYERS = Path(__file__).resolve().parent.parent / "layers"


def data_file_path(env_var: str, name: str) -> Path:
    """``$env_var`` when set and not empty, else ``layers/<name>`` of the repository."""
    env = os.environ.get(env_var, "").strip()
    return Path(env).expanduser() if env else REPO_LAYERS / name


def read_toml_file(
    path: Path, *, what: str, env_var: str, error: type[Exception], from_env: bool = False
) -> dict[str, Any]:
    """The parsed TOML of ``path``, or ``error`` naming the file, what is wrong and the fix.

    ``what`` names the file in messages ("rules file"); ``from_env``: the path came from
    ``env_var`` (the fix then says to point the variable elsewhere or unset it).
    """
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        if from_env:
            fix = (
                f"{env_var} names this file: point it to an existing {what}, or unset it to "
                f"use the repository's layers/{Path(path).name}."
            )
        else:
            fix = (
                f"Give the path of an existing {what}, or set {env_var} to it (an install "
                "that is not an editable one from the repository has no layers/ folder)."
            )
        raise error(f"{path}: {what} not found. {fix}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {what}: {exc}.") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise error(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}). Save the file as UTF-8."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        where = (
            "Something opened (a [, {, or quote) is never closed: look for it"
            if "(at end of document)" in str(exc)
            else "Fix the syntax at that line"
        )
        raise error(f"{path}: not valid TOML: {exc}. {where}.") from None


def file_stamp(path: Path) -> tuple[str, int, int] | None:
    """(resolved path, modification time in ns, size) of ``path``; None when unreadable."""
    try:
        stat = Path(path).stat()
        return str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size
    except OSError:
        return None


class LatestFile:
    """The parsed form of one file at a time, parsed again only when the file changes (its
    path, size or modification time): one instance per kind of table."""

    def __init__(self, load: Callable[[Path], T]):
        self.load = load
        self.key: tuple | None = None
        self.value: Any = None

    def __call__(self, path: Path) -> Any:
        key = file_stamp(path)
        if key is None or key != self.key:
            value = self.load(path)  # an unreadable file raises the loader's own error
            self.key, self.value = key, value
        return self.value
