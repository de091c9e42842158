"""The patrol report written out: plain text, CSV for Excel and a printable HTML page.

Every heading is bilingual (``巡护次数 Patrols``) unless a language is asked for; times are
Beijing time; distances in kilometres. The CSV holds the summary and the tables by county,
by site/section and by month one after the other, each under its title; the caller writes it
as UTF-8 with a BOM (Excel) and CRLF line ends. The HTML page stands alone (inline CSS, the
charts inline as SVG from :mod:`.report_svg`, no script) and prints on A4. Its Jinja2
environment autoescapes; only the SVG, escaped where it is made, is inserted as markup.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

from fossilgis.patrols.model import CHINA_TZ
from fossilgis.report.wording import both
from fossilgis.vocab import TARGET_KINDS, Vocabulary

LABELS = Vocabulary(
    "report_column",
    [
        ("county", "县（市、区）", "County"),
        ("targets", "保护对象数", "Sites and sections"),
        ("kind", "类型", "Kind"),
        ("id", "编号", "ID"),
        ("name", "名称", "Name"),
        ("patrols", "巡护次数", "Patrols"),
        ("patrol_days", "巡护天数", "Patrol-days"),
        ("distance_km", "巡护里程（千米）", "Distance (km)"),
        ("visited", "近 {days} 天已巡护", "Visited in last {days} days"),
        ("not_visited", "近 {days} 天未巡护", "Not visited in last {days} days"),
        ("last_patrol", "最近巡护结束（北京时间）", "Last patrol ended (Beijing time)"),
        ("days_since", "距今天数", "Days since"),
        ("alerts_opened", "新增预警", "Alerts opened"),
        ("alerts_closed", "关闭预警", "Alerts closed"),
        ("median_close_h", "关闭用时中位数（小时）", "Median time to close (h)"),
        ("mean_close_h", "平均关闭用时（小时）", "Mean time to close (h)"),
        ("month", "月份", "Month"),
        ("period", "统计期", "Period"),
        ("as_of", "巡护覆盖统计截至", "Coverage as of"),
        ("county_source", "县名来源", "County from"),
        ("closure_source", "预警关闭来源", "Alert closure from"),
    ],
)
TITLES = {
    "report": {"zh": "巡护报告", "en": "Patrol report"},
    "summary": {"zh": "概况", "en": "Summary"},
    "counties": {"zh": "按县统计", "en": "By county"},
    "targets": {"zh": "按保护对象统计", "en": "By site or section"},
    "months": {"zh": "按月统计", "en": "By month"},
    "effort": {"zh": "巡护强度图", "en": "Effort map"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
}
#: how counties were found (``county_source``) and closures read, said under the summary
SOURCES = Vocabulary(
    "report_source",
    [
        ("layer", "图层的县名属性", "the county attributes of the sites and sections layers"),
        (
            "counties",
            "县界底图（空间查询）",
            "the office's counties context layer (point in polygon)",
        ),
        (
            "none",
            "未知（无县名属性，无县界底图）",
            "unknown (no county attribute, no counties layer)",
        ),
        ("alert_lifecycle", "预警处置记录中的关闭时间", "closure times in the alert log"),
        (
            "no_closures",
            "尚无预警关闭记录，关闭数与用时为空",
            "no closures recorded: closed and time to close stay empty",
        ),
    ],
)
COLUMNS = {
    "counties": ["county", "targets", "patrols", "patrol_days", "distance_km", "visited",
                 "not_visited", "alerts_opened", "alerts_closed", "median_close_h",
                 "mean_close_h"],
    "targets": ["county", "kind", "id", "name", "patrols", "patrol_days", "distance_km",
                "last_patrol", "days_since", "visited", "alerts_opened", "alerts_closed",
                "median_close_h", "mean_close_h"],
    "months": ["month", "patrols", "patrol_days", "distance_km", "alerts_opened",
               "alerts_closed"],
}  # fmt: skip
SUMMARY = [
    "targets", "patrols", "patrol_days", "distance_km", "visited", "not_visited",
    "alerts_opened", "alerts_closed", "median_close_h", "mean_close_h",
]  # fmt: skip


def heading(column: str, lang: str | None, days: int) -> str:
    """The heading of ``column`` in ``lang`` (both when None)."""
    label = LABELS[column]
    zh, en = label.zh.format(days=days), label.en.format(days=days)
    return zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"


def _pair(zh, en, lang: str | None) -> str:
    zh, en = str(zh or ""), str(en or "")
    if lang == "zh" or (lang is None and zh == en):
        return zh or en
    return en or zh if lang == "en" else f"{zh} {en}".strip()


def _cell(rec: dict, column: str, lang: str | None, *, digits: int) -> str:
    """One value as text ("" when missing)."""
    if column == "county":
        return _pair(rec["county_zh"], rec["county_en"], lang)
    if column == "name":
        return _pair(rec["name_zh"], rec["name_en"], lang)
    if column == "kind":
        return TARGET_KINDS.label(rec["kind"], lang) if rec["kind"] else ""
    value = rec["distance_m"] / 1000.0 if column == "distance_km" else rec.get(column)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if column == "last_patrol":
        return pd.Timestamp(value).tz_convert(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool | np.bool_):  # a target's "visited"; counties count them
        return both(TITLES["yes" if value else "no"], lang)
    if column == "distance_km":
        return f"{value:.{digits}f}"
    if column in ("median_close_h", "mean_close_h", "days_since"):
        return f"{value:.1f}"
    return str(value)


def table_rows(report, table: str, lang: str | None, *, digits: int = 1):
    """(headings, rows of text) of ``table`` ("counties", "targets" or "months")."""
    columns = COLUMNS[table]
    frame = getattr(report, table)
    heads = [heading(c, lang, report.days) for c in columns]
    rows = [
        [_cell(rec, c, lang, digits=digits) for c in columns] for rec in frame.to_dict("records")
    ]
    return heads, rows


def summary_rows(report, lang: str | None, *, digits: int = 1) -> list[tuple[str, str]]:
    """(heading, value) of the period, the totals and how counties and closures were found."""
    p = report.period
    out = [
        (heading("period", lang, report.days), f"{p.label} ({p.first} – {p.last})"),
        (heading("as_of", lang, report.days), beijing(report.as_of, lang)),
    ]
    rec = dict(report.summary)
    out += [(heading(c, lang, report.days), _cell(rec, c, lang, digits=digits)) for c in SUMMARY]
    notes = report.notes or {}
    if notes.get("county"):
        text = "; ".join(SOURCES.label(code, lang) for code in notes["county"])
        out.append((heading("county_source", lang, report.days), text))
    if notes.get("closure"):
        code = "no_closures" if notes["closure"] == "none" else notes["closure"]
        out.append((heading("closure_source", lang, report.days), SOURCES.label(code, lang)))
    return out


def beijing(moment, lang: str | None) -> str:
    """``2026-09-30 23:59 北京时间 (UTC+8)`` in ``lang``."""
    from fossilgis.report.wording import beijing_time

    return beijing_time(pd.Timestamp(moment).to_pydatetime(), lang)


def title(report, lang: str | None) -> str:
    return f"{both(TITLES['report'], lang)} {report.period.label}"


# -- text -------------------------------------------------------------------------------------
def _cols(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _cols(text))


def text_table(heads: list, rows: list[list[str]]) -> list[str]:
    """Lines of a table aligned for a terminal (wide characters counted twice); a heading
    that is a (Chinese, English) pair takes two lines."""
    heads = [h if isinstance(h, tuple) else (h,) for h in heads]
    widths = [max([_cols(x) for x in h] + [_cols(r[i]) for r in rows]) for i, h in enumerate(heads)]
    lines = [
        "  ".join(_pad(h[k] if k < len(h) else "", w) for h, w in zip(heads, widths)).rstrip()
        for k in range(max(len(h) for h in heads))
    ]
    lines += ["  ".join(_pad(v, w) for v, w in zip(row, widths)).rstrip() for row in rows]
    return lines


def report_text(report, lang: str | None = None, *, all_targets: bool = False) -> str:
    """The report for a terminal: summary, counties, months, then the targets patrolled or
    with alerts (all of them with ``all_targets``)."""
    lines = [title(report, lang), ""]
    width = max(_cols(h) for h, _ in summary_rows(report, lang))
    lines += [f"{_pad(h, width)}  {v}" for h, v in summary_rows(report, lang)]
    for name in ("counties", "months", "targets"):
        heads, rows = table_rows(report, name, lang)
        if lang is None:  # Chinese above English: half as wide
            heads = [
                (heading(c, "zh", report.days), heading(c, "en", report.days))
                for c in COLUMNS[name]
            ]
        if name == "targets" and not all_targets:
            busy = (report.targets["patrols"] > 0) | (report.targets["alerts_opened"] > 0)
            rows = [r for r, keep in zip(rows, busy) if keep]
        lines += ["", both(TITLES[name], lang)]
        lines += text_table(heads, rows) if rows else ["(none / 无)"]
    return "\n".join(lines) + "\n"


# -- CSV --------------------------------------------------------------------------------------
def _safe(text: str) -> str:
    """A leading = + - @ is quoted so that Excel does not run the cell as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(report, lang: str | None = None) -> str:
    """The report as CSV text (CRLF): each part under its title, a blank row between."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([title(report, lang)])
    writer.writerow([])
    writer.writerow([both(TITLES["summary"], lang)])
    for head, value in summary_rows(report, lang, digits=3):
        writer.writerow([_safe(head), _safe(value)])
    for name in ("counties", "targets", "months"):
        heads, rows = table_rows(report, name, lang, digits=3)
        writer.writerow([])
        writer.writerow([both(TITLES[name], lang)])
        writer.writerow(heads)
        writer.writerows([[_safe(v) for v in row] for row in rows])
    return out.getvalue()


# -- printable HTML ---------------------------------------------------------------------------
_PAGE = """<!DOCTYPE html>
<html lang="{{ 'en' if lang == 'en' else 'zh-CN' }}"><head><meta charset="utf-8">
<title>{{ heading }}</title>
<style>
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; font-size: 10.5pt;
  color: #222; }
h1 { font-size: 16pt; margin: 0 0 .4em; } h2 { font-size: 12.5pt; margin: 1.2em 0 .4em; }
table { border-collapse: collapse; width: 100%; margin-bottom: .6em; }
th, td { border: 1px solid #bbb; padding: 2px 4px; vertical-align: top; }
th { background: #eef2f6; text-align: left; } td.num { text-align: right; white-space: nowrap; }
.charts svg { max-width: 100%; height: auto; } figure { margin: .4em 0; break-inside: avoid; }
tr { break-inside: avoid; } .muted { color: #555; font-size: 9pt; }
</style></head><body>
<h1>{{ heading }}</h1>
<table class="summary">{% for h, v in summary %}
<tr><th>{{ h }}</th><td>{{ v }}</td></tr>{% endfor %}</table>
<div class="charts">{% for svg in charts %}<figure>{{ svg }}</figure>{% endfor %}</div>
{% for name, part_title, heads, rows in tables %}
<h2>{{ part_title }}</h2>
<table class="{{ name }}"><tr>{% for h in heads %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in rows %}<tr>{% for v in row %}
<td{% if loop.index0 in numeric[name] %} class="num"{% endif %}>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</table>
{% endfor %}
<p class="muted">{{ made }}</p>
</body></html>
"""


@lru_cache(maxsize=1)
def _template():
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(_PAGE)


def numeric_columns(table: str) -> list[int]:
    """Positions of the columns of ``table`` that hold numbers (right-aligned)."""
    text = {"county", "kind", "id", "name", "month", "last_patrol"}
    if table == "targets":
        text.add("visited")  # yes / no
    return [i for i, c in enumerate(COLUMNS[table]) if c not in text]


def report_html(report, lang: str | None = None, *, charts=(), made: str = "") -> str:
    """The printable page: title, summary, ``charts`` (SVG text from :mod:`.report_svg`),
    the tables by county, by site or section and by month."""
    from markupsafe import Markup

    tables = []
    for name in ("counties", "targets", "months"):
        heads, rows = table_rows(report, name, lang)
        tables.append((name, both(TITLES[name], lang), heads, rows))
    return _template().render(
        lang=lang,
        heading=title(report, lang),
        summary=summary_rows(report, lang),
        charts=[Markup(svg) for svg in charts],  # escaped where they are drawn
        tables=tables,
        numeric={name: numeric_columns(name) for name in COLUMNS},
        made=made,
    )
