"""Options and helpers shared by the commands (store opening, output checks, operator, times)."""

from __future__ import annotations

import contextlib
import getpass
import sys

import click


def open_store(ctx, **kwargs):
    """The store of ``--store``/``--data`` (imported here so that ``--help`` stays fast)."""
    from fossilgis.store import open_store as _open

    return _open(ctx.obj["data_dir"], store=ctx.obj.get("store"), **kwargs)


def check_output(store, path, *, directory: bool = False):
    """Refuse an output path over the store's own files or in a missing folder (exit 2).

    The one guard every command that writes a file calls before doing the work; the
    writers check again (:mod:`fossilgis.io.atomic`) when they write.
    """
    from fossilgis.io.atomic import check_output as _check
    from fossilgis.io.atomic import protected_paths_of

    return _check(path, protected_paths_of(store), directory=directory)


@contextlib.contextmanager
def progress_bar(ctx, unit: str, desc: str):
    """A ``progress(done, total)`` callback drawing a bar on stderr once the work has taken
    two seconds (nothing with ``-q``); the bar is removed when the block ends."""
    bar = None
    if not ctx.obj.get("quiet"):
        from tqdm import tqdm

        bar = tqdm(unit=unit, file=sys.stderr, delay=2, desc=desc, leave=False)

    def progress(done, total):
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.close()


def operator() -> str:
    """The audit name of whoever runs the CLI without ``--user``: ``cli:<os user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def time_option_callback(ctx, param, value):
    """Parse an ISO 8601 time or date option (naive = China Standard Time)."""
    if value is None:
        return None
    from fossilgis.errors import PatrolValidationError
    from fossilgis.patrols.model import parse_time

    try:
        return parse_time(value, param.opts[0])
    except PatrolValidationError as exc:
        raise click.BadParameter(str(exc), param_hint=param.opts[0]) from None


def time_option(name: str, help_text: str):
    return click.option(name, metavar="TIME", callback=time_option_callback, help=help_text)


def _read_limits(ctx, param, value):
    """``--limit NAME=VALUE`` pairs → ReadLimits."""
    from fossilgis.io.limits import parse_limit_options

    try:
        return parse_limit_options(value or ())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--limit") from None


#: ``--limit NAME=VALUE`` for every command that reads a user's file
limit_option = click.option(
    "--limit",
    "limits",
    multiple=True,
    metavar="NAME=VALUE",
    callback=_read_limits,
    help="Raise or lower a reading limit, e.g. --limit features=2000000. Repeatable; the "
    "names and defaults are in docs/impact-check.md (Limits).",
)


# -- options of the commands that read a user's file (the reader parses and checks them) --
def reading_options(**help_texts: str):
    """``--crs``, ``--layer`` and/or ``--encoding``, in the order given, each with its help text.

    Plain strings: the reader parses and checks them, and names the file in its message.
    """
    unknown = set(help_texts) - {"crs", "layer", "encoding"}
    if unknown:
        raise TypeError(f"reading_options: no option {', '.join(sorted(unknown))}")

    def apply(f):
        for name, help_text in reversed(help_texts.items()):
            f = click.option(f"--{name}", help=help_text)(f)
        return f

    return apply


def choice_option(name: str, choices, *, default: str, help_text: str):
    """An option taking one code of a closed vocabulary, with its default shown in --help."""
    return click.option(
        name, type=click.Choice(choices), default=default, show_default=True, help=help_text
    )
