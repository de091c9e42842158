"""Entry point of the ``fossilgis`` command: the group, shared options and error handling.

Subcommands live in their own modules and are imported only when run, so that
``fossilgis --help`` answers at once.
"""

from __future__ import annotations

import importlib
import logging

import click

from fossilgis import __version__

#: command name -> "module:attribute"
COMMANDS = {
    "layers": "fossilgis.cli.layers:layers",
    "impact-check": "fossilgis.cli.impact:impact_check",
    "serve": "fossilgis.cli.serve:serve",
    "patrol": "fossilgis.cli.patrol:patrol",
    "case": "fossilgis.cli.case:case",
    "users": "fossilgis.cli.users:users",
    "audit": "fossilgis.cli.audit:audit",
    "store": "fossilgis.cli.store:store",
    "potential": "fossilgis.cli.potential:potential",
    "basemap": "fossilgis.cli.basemap:basemap",
}

#: one-line help shown by ``fossilgis --help`` without importing the command modules
SHORT_HELP = {
    "layers": "Build, validate, import and export the reference layers. 参考图层管理。",
    "impact-check": "Screen project footprints against sites and sections. 项目影响筛查。",
    "serve": "Run the web map server. 启动网络地图服务。",
    "patrol": "Patrol records: import, coverage, alerts, export. 巡护记录。",
    "case": "The case register: list, show, decide, attach, export, re-screen. 案件办理。",
    "users": "Accounts, roles and API tokens. 用户与令牌。",
    "audit": "Show the append-only audit log. 审计日志。",
    "store": "Store info, migration to PostGIS, backup. 数据存储。",
    "potential": "The fossil potential table: show, validate. 化石潜力分类表。",
    "basemap": "Offline basemaps: import, list, remove tile archives. 离线底图。",
}

EXIT_BAD_INPUT = 2


class _StderrHandler(logging.Handler):
    """Log records to the standard error of the running command (looked up at each record,
    so that a test's CliRunner sees them too)."""

    def emit(self, record):
        try:
            click.echo(self.format(record), err=True)
        except Exception:  # pragma: no cover - logging must never break a command
            self.handleError(record)


def _log_to_stderr(ctx, level: int) -> None:
    """Show log records of ``level`` and above on stderr while the command runs.

    ``-v`` shows INFO (which file kind, CRS and encoding were chosen, screening chunks and
    times), ``-vv`` DEBUG, ``-q`` only errors. The root logger's level and handler are put
    back when the command ends, so that a program or test that calls the CLI is unchanged.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(old)
    handler = _StderrHandler(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)

    def restore():
        root.removeHandler(handler)
        root.setLevel(previous)

    ctx.call_on_close(restore)


class FossilGISGroup(click.Group):
    """A group that imports subcommands lazily and turns library errors into messages."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        target = COMMANDS.get(name)
        if target is None:
            return None
        if ctx.resilient_parsing:  # shell completion: do not import command modules
            return click.Command(name, help=SHORT_HELP[name], short_help=SHORT_HELP[name])
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        rows = [(name, SHORT_HELP[name]) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx):
        from fossilgis.errors import FossilGISError

        try:
            return super().invoke(ctx)
        except FossilGISError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug: say so plainly, keep the traceback behind --debug
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(
                f"Internal error: {type(exc).__name__}: {exc}\n"
                "This is a fossilgis bug. Re-run with --debug for the traceback and report it.",
                err=True,
            )
            ctx.exit(1)


@click.group(cls=FossilGISGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fossilgis")
@click.option(
    "--data",
    "data_dir",
    envvar="FOSSILGIS_DATA",
    metavar="DIR",
    help="Data directory holding the store (env FOSSILGIS_DATA; default ~/.local/share/fossilgis).",
)
@click.option(
    "--store",
    "store_url",
    envvar="FOSSILGIS_STORE",
    metavar="URL",
    help="postgresql://USER@HOST/DB[?schema=NAME] selects the PostGIS store; photos and the "
    "secret key stay in --data (env FOSSILGIS_STORE; default: the GeoPackage in --data).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks of errors.")
@click.option("-v", "--verbose", count=True, help="More log output.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.pass_context
def cli(ctx, data_dir, store_url, debug, verbose, quiet):
    """fossilgis: protect fossil sites and stratigraphic sections (Guizhou).

    化石产地与层型剖面保护系统：项目影响筛查、网络地图、巡护记录。
    """
    level = logging.ERROR if quiet else max(logging.DEBUG, logging.WARNING - 10 * verbose)
    _log_to_stderr(ctx, level)
    ctx.obj = {"data_dir": data_dir, "store": store_url, "debug": debug, "quiet": quiet}


def main():  # pragma: no cover - console entry point alias
    cli()
