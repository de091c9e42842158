"""What the case register's pages show: the list's filters and a case page's sections.

A case page has its impacts, follow-ups, decision choices, files, screens and history. The
routes are in :mod:`webmap.views.cases` and the maps' GeoJSON in
:mod:`webmap.case_maps`; this module reads the store and shapes plain values for the
templates, in the request's language.
"""

from __future__ import annotations

import datetime as dt

from flask import request

from fossilgis import vocab
from fossilgis.cases import model
from fossilgis.errors import FossilGISError
from fossilgis.report import wording
from webmap.errors import WebInputError
from webmap.i18n import _, current_lang

#: the list's filters (query arguments) besides the page number
FILTER_KEYS = (
    "q",
    "status",
    "county",
    "grade",
    "source",
    "since",
    "until",
    "target",
    "bbox",
    "changed",
    "order",
)


class CaseFilterError(FossilGISError, ValueError):
    """A filter of /cases that cannot be read (its message is already translated)."""

    code = "bad_request"
    http_status = 400


def beijing(value) -> str:
    """A stored UTC time in Beijing time, in the page's language."""
    return wording.beijing_time(value, current_lang())


def _choice(args, key: str, known) -> str | None:
    value = (args.get(key) or "").strip()
    if not value:
        return None
    if value not in known:
        raise CaseFilterError(
            _("Unknown %(field)s %(value)r; known: %(known)s.")
            % {"field": key, "value": value, "known": ", ".join(known)}
        )
    return value


def _day(args, key: str, end: bool = False) -> str | None:
    """A Beijing date as the UTC time text it starts (or, ``end``, the day after starts)."""
    raw = (args.get(key) or "").strip()
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise WebInputError("err_bad_date", field=key, value=raw) from None
    if end:
        day += dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=model.BEIJING)
    return start.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_bbox(raw: str | None) -> list[float] | None:
    """``"w,s,e,n"`` in degrees, or None; a 400 naming the value otherwise."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        box = [float(v) for v in raw.split(",")]
    except ValueError:
        box = []
    ok = len(box) == 4 and all(abs(v) <= 180 for v in box)
    if not ok or box[0] > box[2] or box[1] > box[3]:
        raise WebInputError("err_bad_bbox", value=raw)
    return box


def _clean(text: str | None, limit: int = 100) -> str | None:
    # no control characters (PostgreSQL refuses a NUL in a query)
    text = "".join(ch for ch in (text or "") if ch >= " " and not "\x7f" <= ch <= "\x9f")
    return text.strip()[:limit] or None


def list_filters(args) -> dict:
    """The store's ``cases.list`` filters from the query string (also the map's)."""
    return {
        "q": _clean(args.get("q"), 200),
        "status": _choice(args, "status", vocab.CASE_STATUSES.codes),
        "county": _clean(args.get("county"), 60),
        "grade": _choice(args, "grade", vocab.GRADES.codes),
        "source": _choice(args, "source", vocab.CASE_SOURCES.codes),
        "since": _day(args, "since"),
        "until": _day(args, "until", end=True),
        "target": _clean(args.get("target")),
        "bbox": parse_bbox(args.get("bbox")),
        "changed": args.get("changed") == "1",
    }


def list_order(args) -> str:
    from fossilgis.store.case_queries import ORDERS

    return _choice(args, "order", ORDERS) or "attention"


def page_number(args) -> int:
    raw = (args.get("page") or "1").strip()
    return max(1, min(int(raw), 100_000)) if raw.isdigit() else 1


def list_rows(rows: list[dict]) -> list[dict]:
    """The list's rows with what the table shows (no further query per row)."""
    from fossilgis.cases.snapshot import describe_flag

    lang = current_lang()
    for r in rows:
        r["is_new"] = r["source"] == "applicant" and not r["seen_at"]
        r["flag_text"] = describe_flag(r["flag"], lang) if r["flag"] else ""
        r["opened"] = beijing(r["created_at"])
    return rows


# -- one case ---------------------------------------------------------------------------
def beijing_today() -> str:
    return model.beijing_now().date().isoformat()


def impacts_of(result: dict) -> list[dict]:
    """The impacts table of a kept screen: one row per project and target pair."""
    lang = current_lang()
    rows = []
    several = len(result["projects"]) > 1
    for project in result["projects"]:
        for imp in project["impacts"]:
            area = imp.get("overlap_area_m2") or 0.0
            rows.append(
                {
                    "project": project["project_id"] if several else "",
                    "kind": imp["target_kind"],
                    "id": imp["target_id"],
                    "name": imp.get("target_name_zh" if lang == "zh" else "target_name_en") or "",
                    "level": imp.get("protection_level"),
                    "zone": imp["zone"],
                    "distance": wording.fmt_distance(imp.get("distance_m")),
                    "overlap": wording.fmt_area(area, lang) if area else "–",
                    "grade": imp["grade"],
                    "reason": imp.get("reason_zh" if lang == "zh" else "reason_en") or "",
                }
            )
    return rows


def follow_ups_and_basis(result: dict) -> tuple[list[str], list[str]]:
    """The screen's rule-derived follow-ups and legal basis, in the page's language."""
    impacts = [imp for p in result["projects"] for imp in p["impacts"]]
    follow, basis = wording.follow_ups_and_basis(impacts)
    lang = current_lang()
    return (
        [wording.split_bilingual(f, lang) for f in follow],
        [wording.split_bilingual(b, lang) for b in basis],
    )


def officer_items(number: str, store) -> list[dict]:
    """The officer's follow-up items, each marked ``overdue`` when open past its date."""
    today = beijing_today()
    items = store.cases.follow_ups(number)
    for item in items:
        due = item["due_date"]
        item["overdue"] = bool(not item["done_at"] and due and due < today)
    return items


def decision_choices(case: dict) -> tuple[list[str], str | None]:
    """The decisions a case may take now, and the one its grade suggests."""
    status = case["status"]
    allowed = [d for d in model.DECISIONS if d == status or d in model.next_statuses(status)]
    suggested = model.suggested_decision(case["grade"])
    if status in model.DECISIONS:
        suggested = status
    return allowed, (suggested if suggested in allowed else (allowed[0] if allowed else None))


def screen_reason(reason: str | None) -> str:
    lang = current_lang()
    if reason and reason.startswith("registry revision"):
        label = reason[len("registry revision ") :]
        return f"{vocab.SCREEN_REASONS.label('registry', lang)}: {label}"
    if reason in vocab.SCREEN_REASONS:
        return vocab.SCREEN_REASONS.label(reason, lang)
    return reason or "–"


def screens_of(number: str, store) -> list[dict]:
    """Every screen of a case, newest first, with its reason and changes in words."""
    from fossilgis.cases.snapshot import describe_changes

    lang = current_lang()
    out = []
    for s in store.cases.screens(number):
        revision = (s["reason"] or "")[len("registry revision ") :]
        s["when"] = beijing(s["screened_at"])
        s["reason_text"] = screen_reason(s["reason"])
        s["changes_text"] = describe_changes(s["changes"] or [], revision, lang)
        out.append(s)
    return list(reversed(out))


def _history_note(h: dict) -> str:
    d = h.get("detail") or {}
    lang = current_lang()
    if h["action"] == "decide" and d.get("status"):
        note = vocab.CASE_STATUSES.label(d["status"], lang)
        return f"{note}: {d['text']}" if d.get("text") else note
    if h["action"] == "restore" and d.get("status"):
        return vocab.CASE_STATUSES.label(d["status"], lang)
    if h["action"] == "attach":
        return " ".join(str(v) for v in (d.get("name"), d.get("note")) if v)
    if h["action"] == "open" and d.get("grade"):
        return vocab.GRADES.label(d["grade"], lang)
    if h["action"] == "rescreen" and d.get("grade"):
        return vocab.GRADES.label(d["grade"], lang)
    if h["action"] == "follow-up":
        return "; ".join(a["text"] for a in d.get("added") or [])
    if h["action"] == "follow-up-done" and d.get("seq"):
        return f"#{d['seq']}"
    return str(d.get("note") or "")


def history_of(number: str, store) -> list[dict]:
    lang = current_lang()
    rows = []
    for h in store.cases.history(number):
        action = h["action"]
        label = vocab.CASE_ACTIONS.label(action, lang) if action in vocab.CASE_ACTIONS else action
        rows.append(
            {
                "when": beijing(h["at"]),
                "user": h["username"] or "–",
                "action": action,
                "label": label,
                "note": _history_note(h),
            }
        )
    return rows


def files_of(number: str, store) -> list[dict]:
    lang = current_lang()
    files = store.cases.files(number)
    for f in files:
        f["role_label"] = vocab.CASE_FILE_ROLES.label(f["role"], lang)
        f["size"] = _size(f["bytes"])
        f["when"] = beijing(f["added_at"])
    return files


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    return f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} B"


def case_context(store, number: str) -> dict:
    """Everything the case page shows (a handful of queries, whatever the case's size)."""
    case = store.cases.get(number)
    screen = store.cases.screen(number) if case["screen_seq"] is not None else None
    result = screen["result"] if screen else None
    follow, basis = follow_ups_and_basis(result) if result else ([], [])
    allowed, suggested = decision_choices(case)
    nxt = model.next_statuses(case["status"])
    from fossilgis.cases.snapshot import describe_flag

    return {
        "case": case,
        "opened": beijing(case["created_at"]),
        "decided": beijing(case["decided_at"]) if case["decided_at"] else None,
        "flag_text": describe_flag(case["flag"], current_lang()) if case["flag"] else "",
        "screen": screen,
        "screen_when": beijing(screen["screened_at"]) if screen else None,
        "impacts": impacts_of(result) if result else [],
        "rule_follow_ups": follow,
        "legal_basis": basis,
        "items": officer_items(number, store),
        "decisions": allowed,
        "suggested": suggested,
        "can_close": "closed" in nxt,
        "can_withdraw": "withdrawn" in nxt,
        "can_restore": case["status"] in ("closed", "withdrawn"),
        "files": files_of(number, store),
        "screens": screens_of(number, store),
        "history": history_of(number, store),
        "today": beijing_today(),
    }


def list_args() -> dict:
    """The list's query arguments as given (for links that keep them)."""
    return {k: v for k, v in request.args.items() if k in FILTER_KEYS and v}
