"""Options and helpers shared by the commands (store opening, operator name, times)."""

from __future__ import annotations

import getpass

import click


def open_store(ctx, **kwargs):
    """The store of ``--store``/``--data`` (imported here so that ``--help`` stays fast)."""
    from fossilgis.store import open_store as _open

    return _open(ctx.obj["data_dir"], store=ctx.obj.get("store"), **kwargs)


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
