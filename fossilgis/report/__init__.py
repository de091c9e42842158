"""Render a screening for people and programs: text, CSV, JSON and a printable HTML report.

Pure functions: they take a :class:`fossilgis.screening.Screening` and return a string.
One module per form: :mod:`~fossilgis.report.text`, :mod:`~fossilgis.report.table` (CSV),
:mod:`~fossilgis.report.jsonform`, :mod:`~fossilgis.report.html` (a Jinja2 template with
an inline SVG sketch map from :mod:`~fossilgis.report.svg`; self-contained, no scripts, no
network, prints on A4).
"""

from fossilgis.report.html import render_html
from fossilgis.report.jsonform import PRETTY_JSON_MAX_IMPACTS, render_json
from fossilgis.report.table import CSV_COLUMNS, render_csv
from fossilgis.report.text import render_text
from fossilgis.report.wording import (
    DEMO_NOTE,
    DISCLAIMER,
    NO_TARGETS,
    beijing_time,
    fmt_area,
    fmt_distance,
    split_bilingual,
)

__all__ = [
    "render_text",
    "render_csv",
    "render_json",
    "render_html",
    "CSV_COLUMNS",
    "PRETTY_JSON_MAX_IMPACTS",
    "DISCLAIMER",
    "DEMO_NOTE",
    "NO_TARGETS",
    "beijing_time",
    "fmt_area",
    "fmt_distance",
    "split_bilingual",
]
