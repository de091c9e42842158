"""``/patrols/report``: the quarterly patrol report for staff, as a page, CSV or printable page.

``?quarter=2026Q3`` or ``?from=2026-07-01&to=2026-09-30`` (Beijing dates; default: the
current quarter), ``days`` (the "not visited" window, default ``COVERAGE_DAYS``), ``cell``
(effort grid cell in metres) and ``format`` (``csv``: the CSV file for Excel; ``print``: the
printable page with bilingual headings). Staff only: which sites nobody visited, and where
patrols go, is what a looter would want. The core computes and draws
(:mod:`fossilgis.patrols.report_data`); this view parses the query and picks the output.
"""

from __future__ import annotations

import datetime as dt

from flask import Response, current_app, render_template, request, url_for
from markupsafe import Markup

from fossilgis.patrols.report_period import (
    ReportPeriodError,
    check_days,
    current_quarter,
    dates_period,
    parse_quarter,
)
from webmap.auth import requires
from webmap.i18n import current_lang
from webmap.layers import get_store
from webmap.views._patrol_common import _now, bp

FORMATS = ("", "csv", "print")


def _period(args, now: dt.datetime):
    quarter = (args.get("quarter") or "").strip()
    first, last = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    if quarter and (first or last):
        raise ReportPeriodError(
            "quarter, from, to: give a quarter or two dates, not both / 请只给出季度或起止日期之一"
        )
    if first or last:
        return dates_period(first or last, last or first, ("from", "to"))
    return parse_quarter(quarter, "quarter") if quarter else current_quarter(now)


def _cell(args) -> float:
    from fossilgis.patrols.effort import DEFAULT_CELL_M, MAX_CELL_M, MIN_CELL_M

    raw = (args.get("cell") or "").strip()
    if not raw:
        return DEFAULT_CELL_M
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not MIN_CELL_M <= value <= MAX_CELL_M:
        raise ReportPeriodError(
            f"cell: {raw[:20]!r}; expected the cell size in metres from {MIN_CELL_M:g} to "
            f"{MAX_CELL_M:g}, e.g. 1000 / 网格边长应为 {MIN_CELL_M:g}–{MAX_CELL_M:g} 米"
        )
    return value


@bp.get("/patrols/report")
@requires("login")
def report_page():
    from fossilgis import __version__
    from fossilgis.patrols.report_data import load_report, map_backdrop, report_charts
    from fossilgis.patrols.report_html import (
        COLUMNS,
        TITLES,
        beijing,
        numeric_columns,
        report_csv,
        report_html,
        summary_rows,
        table_rows,
    )
    from fossilgis.report.wording import both

    args = request.args
    fmt = args.get("format", "")
    if fmt not in FORMATS:
        raise ReportPeriodError(
            f"format: {fmt[:20]!r}; expected csv or print / 格式应为 csv 或 print"
        )
    now = _now()
    period = _period(args, now)
    days = check_days(args.get("days") or current_app.config["COVERAGE_DAYS"], "days")
    cell = _cell(args)
    store = get_store()
    report = load_report(store, period, days=days, now=now, cell_m=0 if fmt == "csv" else cell)
    if fmt == "csv":
        body = "\ufeff" + report_csv(report)  # BOM: Excel reads UTF-8 Chinese
        resp = Response(body.encode("utf-8"), mimetype="text/csv")
        resp.headers["Content-Type"] = "text/csv; charset=utf-8"
        name = f"patrol-report-{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv"
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return resp
    lang = None if fmt == "print" else current_lang()
    charts = report_charts(report, lang, map_backdrop(store))
    if fmt == "print":
        made = f"fossilgis {__version__} · {beijing(now, None)}"
        return Response(report_html(report, None, charts=charts, made=made), mimetype="text/html")
    query = {k: v for k, v in args.items() if k in ("quarter", "from", "to", "days", "cell")}
    tables = []
    for name in COLUMNS:
        heads, rows = table_rows(report, name, lang)
        tables.append((name, both(TITLES[name], lang), heads, rows, numeric_columns(name)))
    return render_template(
        "patrol_report.html",
        report=report,
        args=args,
        summary=summary_rows(report, lang),
        charts=[Markup(svg) for svg in charts],  # drawn by report_svg, every text escaped
        tables=tables,
        days=days,
        cell=cell,
        csv_url=url_for("patrols.report_page", **query, format="csv"),
        print_url=url_for("patrols.report_page", **query, format="print"),
    )
