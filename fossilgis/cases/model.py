"""What a case is: its statuses and the moves between them, its number, its checked fields.

A case is the office's record of one construction project: who submitted it, what was
screened, what the office decided and what must follow. This module holds the rules a
case obeys whatever store keeps it; :mod:`fossilgis.store.cases` keeps them.

>>> next_statuses("screened")
('evaluation_required', 'avoid_required', 'cleared', 'withdrawn')
>>> format_case_number("GZHS-{year}-{seq:04d}", 2026, 42)
'GZHS-2026-0042'
>>> suggested_decision("assess")
'evaluation_required'
"""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass, field

from fossilgis import vocab
from fossilgis.errors import FossilGISError

STATUSES = vocab.CASE_STATUSES.codes
#: the office's decisions (``case decide --status``)
DECISIONS = ("evaluation_required", "avoid_required", "cleared")
#: statuses a registry revision re-screens (closed and withdrawn cases are history)
LIVE_STATUSES = ("received", "screened", *DECISIONS)
#: the moves a case may make; ``restore`` (admin) takes a closed or withdrawn case back
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("screened", "withdrawn"),
    "screened": (*DECISIONS, "withdrawn"),
    "evaluation_required": (*DECISIONS, "closed", "withdrawn"),
    "avoid_required": (*DECISIONS, "closed", "withdrawn"),
    "cleared": (*DECISIONS, "closed", "withdrawn"),
    "closed": (),
    "withdrawn": (),
}
#: the decision a screen's grade suggests (the officer may choose another)
_SUGGESTED = {
    "none": "cleared",
    "attention": "cleared",
    "assess": "evaluation_required",
    "avoid": "avoid_required",
}

DEFAULT_NUMBER_FORMAT = "GZHS-{year}-{seq:04d}"
#: Beijing time: case numbers take the year the office is in
BEIJING = dt.timezone(dt.timedelta(hours=8), "UTC+8")

#: longest free texts kept (characters)
MAX_NAME = 200
MAX_TEXT = 4000
NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-/.]{0,39}$")


class CaseError(FossilGISError, ValueError):
    """A case field or a status change is not allowed."""

    code = "case"
    http_status = 422


def next_statuses(status: str) -> tuple[str, ...]:
    """The statuses a case in ``status`` may move to."""
    return TRANSITIONS[status]


def check_move(number: str, old: str, new: str) -> None:
    """Raise CaseError unless a case may go from ``old`` to ``new``."""
    if new not in STATUSES:
        raise CaseError(
            f"status {new!r} is unknown; choose one of: {vocab.CASE_STATUSES.choices()}"
        )
    if new not in TRANSITIONS[old]:
        allowed = ", ".join(TRANSITIONS[old]) or "none (restore it first: fossilgis case restore)"
        raise CaseError(
            f"case {number} is {old} ({vocab.CASE_STATUSES.zh(old)}); it cannot become {new} "
            f"({vocab.CASE_STATUSES.zh(new)}). Allowed next: {allowed}"
        )


def suggested_decision(grade: str | None) -> str:
    """The decision a screen of ``grade`` suggests."""
    return _SUGGESTED.get(grade or "none", "cleared")


def check_number_format(fmt: str) -> str:
    """Check a case-number format (``{year}`` and ``{seq}`` with format specs)."""
    fields = {name for _, name, _, _ in string.Formatter().parse(fmt) if name is not None}
    if "seq" not in fields or not fields <= {"year", "seq"}:
        raise CaseError(
            f"case number format {fmt!r} must contain {{seq}} and may contain {{year}} "
            f"(e.g. {DEFAULT_NUMBER_FORMAT!r}), nothing else in braces"
        )
    try:
        sample = format_case_number(fmt, 2026, 42)
    except (ValueError, IndexError) as exc:
        raise CaseError(f"case number format {fmt!r}: {exc}") from None
    if not NUMBER_RE.match(sample):
        raise CaseError(
            f"case number format {fmt!r} gives {sample!r}; a number may hold only letters, "
            "digits and - _ / . (at most 40 characters)"
        )
    return fmt


def format_case_number(fmt: str, year: int, seq: int) -> str:
    return fmt.format(year=year, seq=seq)


def beijing_now() -> dt.datetime:
    return dt.datetime.now(BEIJING)


def _text(name: str, value, limit: int, required: bool = False) -> str | None:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    value = "".join(ch for ch in value if ch == "\n" or ch >= " ")  # no control characters
    if not value:
        if required:
            raise CaseError(f"{name} is required (必填)")
        return None
    if len(value) > limit:
        raise CaseError(f"{name} is {len(value)} characters long; at most {limit} are kept")
    return value


@dataclass
class CaseDetails:
    """The fields someone types when a case is opened (checked on construction)."""

    project_name: str
    applicant_unit: str | None = None
    applicant_contact: str | None = None
    project_type: str = "other"
    county: str | None = None
    officer: str | None = None
    source: str = "office"

    def __post_init__(self):
        self.project_name = _text("project name (项目名称)", self.project_name, MAX_NAME, True)
        self.applicant_unit = _text("applicant unit (建设单位)", self.applicant_unit, MAX_NAME)
        self.applicant_contact = _text(
            "applicant contact (联系人/电话)", self.applicant_contact, MAX_NAME
        )
        self.county = _text("county (县区)", self.county, 60)
        self.officer = _text("officer (经办人)", self.officer, 60)
        if self.project_type not in vocab.PROJECT_TYPES:
            raise CaseError(
                f"project type {self.project_type!r} is unknown; choose one of: "
                f"{vocab.PROJECT_TYPES.choices()}"
            )
        if self.source not in vocab.CASE_SOURCES:
            raise CaseError(f"case source {self.source!r}: expected office or applicant")


@dataclass
class FollowUp:
    """An item the office requires, with an optional due date (YYYY-MM-DD)."""

    text: str
    due_date: str | None = None
    #: shown on the applicant's status page
    released: bool = False

    def __post_init__(self):
        self.text = _text("follow-up (后续事项)", self.text, 1000, True)
        if self.due_date in ("", None):
            self.due_date = None
        else:
            try:
                self.due_date = dt.date.fromisoformat(str(self.due_date).strip()).isoformat()
            except ValueError:
                raise CaseError(
                    f"follow-up due date {self.due_date!r} is not a date; write YYYY-MM-DD "
                    "(e.g. 2026-12-31)"
                ) from None


def parse_follow_up(spec: str, released: bool = False) -> FollowUp:
    """``"text"`` or ``"text|YYYY-MM-DD"`` (the CLI's ``--follow-up``)."""
    text, sep, due = spec.rpartition("|")
    if not sep:
        return FollowUp(spec, None, released)
    return FollowUp(text, due, released)


@dataclass
class Decision:
    """The office's decision on a case."""

    status: str
    text: str | None = None
    follow_ups: list[FollowUp] = field(default_factory=list)

    def __post_init__(self):
        if self.status not in DECISIONS:
            raise CaseError(
                f"decision {self.status!r} is not one of: "
                + ", ".join(f"{d} ({vocab.CASE_STATUSES.zh(d)})" for d in DECISIONS)
            )
        self.text = _text("decision text (处理意见)", self.text, MAX_TEXT)
