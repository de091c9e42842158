"""``fossilgis patrol report``: patrols, patrol-days, distance, coverage and alerts of a period
by county and by site/section, as text, CSV or a printable HTML page, and the effort grid.

Registered on the ``patrol`` group by the import at the end of :mod:`fossilgis.cli.patrol`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from fossilgis.cli._common import check_output, open_store
from fossilgis.cli.patrol import patrol

REPORT_FORMATS = ("text", "csv", "html")
LANGS = {"both": None, "zh": "zh", "en": "en"}


def _period_option(ctx, param, value):
    """Check a ``--quarter`` or date option at once, naming it."""
    if value is None:
        return None
    from fossilgis.patrols.report_period import ReportPeriodError, parse_day, parse_quarter

    name = param.opts[0]
    try:
        return parse_quarter(value, name) if name == "--quarter" else parse_day(value, name)
    except ReportPeriodError as exc:
        raise click.BadParameter(str(exc), param_hint=name) from None


def _choose_period(quarter, first, last, now):
    from fossilgis.patrols.report_period import current_quarter, dates_period

    if quarter is not None and (first or last):
        raise click.UsageError(
            "give --quarter or --from/--to, not both / 请只给出 --quarter 或 --from/--to 之一"
        )
    if (first is None) != (last is None):
        missing = "--to" if last is None else "--from"
        raise click.BadParameter(
            f"{missing} is missing: a period needs both --from and --to (Beijing dates, "
            "e.g. --from 2026-07-01 --to 2026-09-30) / 需同时给出起止日期",
            param_hint=missing,
        )
    if first is not None:
        try:
            return dates_period(first, last)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--to") from None
    return quarter or current_quarter(now)


@patrol.command("report")
@click.option(
    "--quarter",
    metavar="YYYYQn",
    callback=_period_option,
    help="Quarter to report, e.g. 2026Q3 (default: the current quarter). 统计季度。",
)
@click.option(
    "--from", "first", metavar="DATE", callback=_period_option, help="First day (Beijing date)."
)
@click.option("--to", "last", metavar="DATE", callback=_period_option, help="Last day, included.")
@click.option(
    "--days",
    type=click.IntRange(1, 3660),
    envvar="FOSSILGIS_COVERAGE_DAYS",
    default=None,
    help="'Not visited' window in days up to the end of the period (default: "
    "FOSSILGIS_COVERAGE_DAYS or 90). 未巡护统计天数。",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    default="text",
    show_default=True,
    help="Text, CSV (Excel) or a printable HTML page. 输出格式。",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE."
)
@click.option(
    "--grid",
    "grid_path",
    metavar="FILE.gpkg",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the effort grid as GeoPackage layer patrol_effort (the file is replaced).",
)
@click.option(
    "--cell",
    type=click.FloatRange(100, 50_000),
    default=1000,
    show_default=True,
    metavar="METRES",
    help="Cell size of the effort grid. 网格边长（米）。",
)
@click.option(
    "--lang", type=click.Choice(list(LANGS)), default="both", show_default=True, help="Headings."
)
@click.option("--all", "all_targets", is_flag=True, help="Text: list every site and section.")
@click.pass_context
def report(ctx, quarter, first, last, days, fmt, output, grid_path, cell, lang, all_targets):
    """Patrol report of a quarter or period, by county and site/section.

    巡护报告：各县、各保护对象的巡护次数、巡护天数、里程、近期未巡护的对象、预警的新增与关闭。

    Times are Beijing time. CSV is UTF-8 with a BOM for Excel; html is a printable page
    with charts and the effort map; --grid writes the effort grid as a GeoPackage.
    """
    from fossilgis import __version__
    from fossilgis.patrols.coverage import DEFAULT_COVERAGE_DAYS
    from fossilgis.patrols.effort import write_grid
    from fossilgis.patrols.report_data import load_report, map_backdrop, report_charts
    from fossilgis.patrols.report_html import beijing, report_csv, report_html, report_text

    now = dt.datetime.now(dt.timezone.utc)
    period = _choose_period(quarter, first, last, now)
    store = open_store(ctx)
    for path in (output, grid_path):
        if path is not None:
            check_output(store, path)
    want_grid = grid_path is not None or fmt == "html"
    result = load_report(
        store, period, days=days or DEFAULT_COVERAGE_DAYS, now=now, cell_m=cell if want_grid else 0
    )
    language = LANGS[lang]
    if fmt == "text":
        text = report_text(result, language, all_targets=all_targets)
    elif fmt == "csv":
        text = report_csv(result, language)
    else:
        charts = report_charts(result, language, map_backdrop(store))
        made = f"fossilgis {__version__} · {beijing(now, language)}"
        text = report_html(result, language, charts=charts, made=made)
    say = {"err": output is None}
    if output is None:
        click.echo(text, nl=False)
    else:
        from fossilgis.io.atomic import protected_paths_of, write_text_atomic

        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        write_text_atomic(output, text, protected_paths_of(store), encoding=encoding)
        click.echo(f"Wrote the {period.label} report ({fmt}) to {output} / 已写出报告")
    if grid_path is not None:
        from fossilgis.io.atomic import protected_paths_of

        write_grid(result.grid, grid_path, protected_paths_of(store))
        meta = result.grid_meta
        click.echo(
            f"Wrote the effort grid ({len(result.grid)} cells of {meta['cell_m']:g} m, "
            f"{meta['crs']}) to {grid_path} / 已写出巡护强度网格",
            **say,
        )
