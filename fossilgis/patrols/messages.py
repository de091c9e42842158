"""What a patroller reads when an upload is refused or warned about: every message in plain
简体中文 and English, naming the field in words, with times in Beijing time and what to do.

A :class:`Message` keeps the machine-readable part, a stable ``field`` path
(``waypoints[0].observed_at``) and a ``code``, beside its ``zh`` and ``en`` text. It is
also a ``str`` whose text is ``"中文 / English"``: code that prints, joins or searches
warnings and problems as text (the CLI, the form page, older callers) keeps working.

This module owns the words of the fields (:func:`field_words`); the wording of each message
is in :mod:`fossilgis.patrols.message_texts`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, NamedTuple

from fossilgis.errors import FossilGISError, PatrolValidationError
from fossilgis.patrols.message_texts import TEXTS

#: Beijing time (UTC+8); the same offset as ``model.CHINA_TZ`` (model imports this module)
BEIJING = dt.timezone(dt.timedelta(hours=8), "CST")


class Words(NamedTuple):
    """The same thing in 简体中文 and English (a field's name, a choice, a reason)."""

    zh: str
    en: str


class Period(NamedTuple):
    """A span of time, written as one range in Beijing time."""

    start: dt.datetime
    end: dt.datetime


class Message(str):
    """One warning or problem for the sender; its text is ``"中文 / English"``.

    Attributes
    ----------
    field : str
        Where, as a stable path into the record or the data sent (``waypoints[0].observed_at``,
        ``features[2].category``, ``gpx``); ``""`` for the record as a whole.
    code : str
        What, as a stable short code (``time_outside_patrol``).
    zh, en : str
        The message in each language.
    """

    def __new__(cls, field: str, code: str, zh: str, en: str, values: dict | None = None):
        self = super().__new__(cls, zh if zh == en else f"{zh} / {en}")
        self.field, self.code, self.zh, self.en = field, code, zh, en
        self.values = dict(values or {})
        return self

    def __reduce__(self):  # copy and pickle: a str subclass with attributes
        return (Message, (self.field, self.code, self.zh, self.en, self.values))

    def in_lang(self, lang: str) -> str:
        """The text in ``lang`` ("zh" or "en") first, then in the other language."""
        return str(self) if lang == "zh" or self.zh == self.en else f"{self.en} / {self.zh}"

    def as_json(self) -> dict:
        """``{"field", "code", "message_zh", "message_en", "message"}`` for the API."""
        return {
            "field": self.field,
            "code": self.code,
            "message_zh": self.zh,
            "message_en": self.en,
            "message": str(self),
        }

    def renamed(self, names: dict[str, Words]) -> Message:
        """The same message with the fields under the paths of ``names`` called by those
        words (a GeoJSON feature known to be "point 2"); a message made from plain text, or
        about another field, is returned unchanged."""
        if self.code not in TEXTS or not _under_any(self.field, names):
            return self
        return message(self.code, self.field, names=names, **self.values)


# -- fields in words ------------------------------------------------------------------------
#: fields of the patrol itself (the first part of a path)
_PATROL_FIELDS = {
    "uuid": Words("巡护记录的编号（UUID）", "the ID (UUID) of the patrol"),
    "started_at": Words("巡护开始时间", "the start time of the patrol"),
    "ended_at": Words("巡护结束时间", "the end time of the patrol"),
    "team": Words("巡护人员", "the team"),
    "purpose": Words("巡护目的", "the purpose of the patrol"),
    "notes": Words("备注", "the notes"),
    "target_id": Words("保护对象（化石产地或剖面）编号", "the site or section ID"),
    "target_kind": Words("保护对象类型", "the kind of site (site or section)"),
    "site_id": Words("化石产地编号", "the site ID"),
    "section_id": Words("剖面编号", "the section ID"),
    "track": Words("轨迹", "the track"),
    "photos": Words("巡护记录的照片", "the photos of the patrol"),
    "waypoints": Words("记录点", "the points"),
    "body": Words("提交的数据", "the data sent"),
    "waypoint": Words("记录点编号", "the point ID"),
    "at": Words("时间", "the time"),
    "features": Words("数据中的要素列表（features）", "the list of features sent"),
    "gpx": Words("GPX 轨迹文件", "the GPX track file"),
    "track_source": Words("轨迹来源", "the source of the track"),
    "track_accuracy_m": Words("轨迹定位精度", "the accuracy of the track"),
}

#: fields inside a point, a photo, a feature or a file (a later part of a path)
_PART_FIELDS = {
    "uuid": Words("编号（UUID）", "the ID (UUID)"),
    "observed_at": Words("观测时间", "the observation time"),
    "time": Words("时间", "the time"),
    "position": Words("位置", "the position"),
    "lon": Words("经度", "the longitude"),
    "lat": Words("纬度", "the latitude"),
    "category": Words("观测类别", "the category"),
    "severity": Words("严重程度", "the severity"),
    "name": Words("名称", "the name"),
    "description": Words("描述", "the description"),
    "photos": Words("照片", "the photos"),
    "sha256": Words("哈希值（SHA-256）", "the hash (SHA-256)"),
    "accuracy_m": Words("定位精度", "the location accuracy"),
    "altitude_m": Words("海拔", "the altitude"),
    "started_at": Words("开始时间", "the start time"),
    "ended_at": Words("结束时间", "the end time"),
    "team": Words("巡护人员", "the team"),
    "purpose": Words("目的", "the purpose"),
    "notes": Words("备注", "the notes"),
    "site_id": Words("化石产地编号", "the site ID"),
    "section_id": Words("剖面编号", "the section ID"),
    "target_id": Words("保护对象编号", "the site or section ID"),
    "target_kind": Words("保护对象类型", "the kind of site"),
    "track_source": Words("轨迹来源", "the source of the track"),
    "track_accuracy_m": Words("轨迹定位精度", "the accuracy of the track"),
    "feature_type": Words("要素类型（feature_type）", "the feature type (feature_type)"),
    "properties": Words("属性（properties）", "the properties"),
    "geometry": Words("几何（geometry）", "the geometry"),
    "patrol_uuid": Words("所属巡护编号（patrol_uuid）", "the patrol it belongs to (patrol_uuid)"),
}

#: a part of a path with indexes: ``name[i][j]``
_SEGMENT = re.compile(r"([A-Za-z_]\w*)((?:\[\d+\])*)")


def _numbered(name: str, numbers: list[int], parent: str | None) -> Words | None:
    """Words of an indexed part (numbers counted from 1, as people count)."""
    if len(numbers) == 1:
        n = numbers[0]
        if name == "waypoints":
            if parent == "gpx":
                return Words(f"第 {n} 个航点", f"waypoint {n}")
            return Words(f"第 {n} 个记录点", f"point {n}")
        if name == "photos":
            if parent is None:
                return Words(f"巡护记录的第 {n} 张照片", f"photo {n} of the patrol")
            return Words(f"第 {n} 张照片", f"photo {n}")
        if name == "team":
            return Words(f"第 {n} 名巡护人员", f"team member {n}")
        if name == "features":
            return Words(f"数据中的第 {n} 个要素", f"feature {n} of the data sent")
        if name == "track":
            return Words(f"轨迹的第 {n} 段", f"part {n} of the track")
        if name == "coordinates":  # a line's point, or a MultiLineString's line
            return Words(f"第 {n} 组坐标", f"coordinate set {n}")
    if len(numbers) == 2 and name in ("track", "coordinates"):
        part, point = numbers
        where = "轨迹" if name == "track" else ""
        return Words(f"{where}第 {part} 段的第 {point} 个点", f"point {point} of part {part}")
    return None


def _loose_words(path: str) -> Words:
    """Words for names that are not paths: ``obs.csv line 3 time``, ``--since``."""
    if m := re.fullmatch(r"(.+?) line (\d+)(?: (time|uuid))?", path):
        name, line, what = m.groups()
        if what is None:
            return Words(f"{name} 第 {line} 行", f"line {line} of {name}")
        zh, en = ("时间", "the time") if what == "time" else ("编号（UUID）", "the ID (UUID)")
        return Words(f"{name} 第 {line} 行的{zh}", f"{en} on line {line} of {name}")
    if re.fullmatch(r"--[\w-]+", path):
        return Words(f"选项 {path}", f"the option {path}")
    return Words(path, path)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def _under_any(path: str, names: dict[str, Words]) -> bool:
    return any(_under(path, p) for p in names)


def field_words(path: str, names: dict[str, Words] | None = None) -> Words:
    """A field path in words: ``waypoints[0].observed_at`` → 第 1 个记录点的观测时间 /
    the observation time of point 1.

    Parameters
    ----------
    path : str
        Parts joined by dots, each a name with optional ``[index]`` (from 0).
    names : dict of str to Words, optional
        Words for the paths that start like a key (the longest wins): what a GeoJSON
        feature is, once known.
    """
    zh: list[str] = []
    en: list[str] = []
    rest = path
    prefix = max((p for p in names or {} if _under(path, p)), key=len, default=None)
    if prefix is not None:
        zh.append(names[prefix].zh)
        en.append(names[prefix].en)
        rest = path[len(prefix) :].lstrip(".")
    parent = "features" if prefix is not None else None
    for part in rest.split(".") if rest else []:
        m = _SEGMENT.fullmatch(part)
        if m is None:
            return _loose_words(path)
        name, index = m.group(1), m.group(2)
        numbers = [int(i) + 1 for i in re.findall(r"\d+", index)]
        if numbers:
            words = _numbered(name, numbers, parent)
        elif name == "name" and parent == "photos":
            words = Words("文件名", "the file name")
        elif name == "coordinates" and parent is not None:
            words = Words("", "")  # "the geometry's coordinates" says nothing more
        else:
            words = (_PATROL_FIELDS if parent is None else _PART_FIELDS).get(name)
        if words is None:
            return _loose_words(path)
        if words.zh:
            zh.append(words.zh)
            en.append(words.en)
        parent = name
    if not zh:
        return _PATROL_FIELDS["body"]
    return Words("的".join(zh), " of ".join(reversed(en)))


# -- values in words ------------------------------------------------------------------------
def beijing(moment: dt.datetime, lang: str) -> str:
    """``2026-11-29 17:55 北京时间`` / ``2026-11-29 17:55 Beijing time`` (seconds when not 0)."""
    local = moment.astimezone(BEIJING)
    text = local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")
    return f"{text} {'北京时间' if lang == 'zh' else 'Beijing time'}"


def _period(span: Period, lang: str) -> str:
    """One range: the date once when both ends are on the same day."""
    a, b = span.start.astimezone(BEIJING), span.end.astimezone(BEIJING)
    fmt = "%H:%M:%S" if a.second or b.second else "%H:%M"
    left = a.strftime(f"%Y-%m-%d {fmt}")
    right = b.strftime(fmt if a.date() == b.date() else f"%Y-%m-%d {fmt}")
    return f"{left} 至 {right} 北京时间" if lang == "zh" else f"{left} – {right} Beijing time"


def shown(value: Any, limit: int = 60) -> str:
    """A received value as a short text for a message: invisible characters escaped, cut
    at ``limit`` characters (a hostile value may be huge or deeply nested)."""
    if isinstance(value, str):
        text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in value[: limit + 1])
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            text = type(value).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: what a value that should be text is, in words
_KINDS = {
    bool: Words("真/假值", "true/false"),
    int: Words("数字", "a number"),
    float: Words("数字", "a number"),
    list: Words("列表", "a list"),
    dict: Words("对象", "an object"),
}


def kind_words(value: Any) -> Words:
    """What a received value is, in words ("a number", "a list"): "must be text" messages."""
    return _KINDS.get(type(value), Words("其他类型的值", "another kind of value"))


def _fill(value: Any, lang: str) -> str:
    if isinstance(value, dt.datetime):
        return beijing(value, lang)
    if isinstance(value, Period):
        return _period(value, lang)
    if isinstance(value, Words) or (isinstance(value, tuple) and hasattr(value, "zh")):
        return value.zh if lang == "zh" else value.en
    return str(value)


def message(code: str, field: str = "", *, names: dict[str, Words] | None = None, **values):
    """The :class:`Message` ``code`` of :data:`TEXTS` about ``field``, filled with ``values``.

    Values may be datetimes (written in Beijing time), :class:`Period` (a range),
    :class:`Words` or any label with ``zh``/``en`` (each language takes its own), or anything
    else (its text, the same in both languages). ``{field}`` is the field in words.
    """
    zh_text, en_text = TEXTS[code]
    words = field_words(field, names)
    zh = zh_text.format(field=words.zh, **{k: _fill(v, "zh") for k, v in values.items()})
    en = en_text.format(field=words.en, **{k: _fill(v, "en") for k, v in values.items()})
    return Message(field, code, zh, en[:1].upper() + en[1:], values)


def refused(problems: list) -> PatrolValidationError:
    """The error that refuses a patrol for all ``problems`` (Messages or plain text): its
    text says the patrol was not stored, then lists them, one a line."""
    items = [as_message(p) for p in problems]
    head = summary(len(items))
    return PatrolValidationError(str(head) + "".join(f"\n  - {p}" for p in items), items)


def summary(count: int) -> Message:
    """ "The patrol was not stored; fix the N problems", the head of a refusal."""
    return message("refused" if count == 1 else "refused_many", count=count)


def as_message(item, code: str = "patrol_invalid", field: str = "") -> Message:
    """``item`` as a Message: itself, or plain text (the same in both languages)."""
    if isinstance(item, Message):
        return item
    text = str(item)
    return Message(field, code, text, text)


def messages_of(exc: FossilGISError) -> list[Message]:
    """The Messages an error carries: a refusal's problems, or its one message."""
    if isinstance(exc, PatrolValidationError):
        return [as_message(p, exc.code) for p in exc.problems]
    first = exc.args[0] if exc.args else str(exc)
    return [as_message(first, exc.code)]


def refusal_json(exc: FossilGISError) -> dict:
    """The API's answer to a refused upload (plain data; the web app adds the status).

    ``{"code": exc.code, "message_zh", "message_en", "message": the head ("the patrol was
    not stored; fix …"), "description": the head and every problem as one text (clients
    that show one string), "problems": [Message.as_json(), …]}``.
    """
    items = messages_of(exc)
    head = summary(len(items))
    return {
        "code": exc.code,
        "message_zh": head.zh,
        "message_en": head.en,
        "message": str(head),
        "description": str(head) + "".join(f"\n  - {p}" for p in items),
        "problems": [p.as_json() for p in items],
    }


def warnings_json(warnings: list) -> list[dict]:
    """Warnings (Messages or plain text) as the API's ``warnings`` list of objects."""
    return [as_message(w, "warning").as_json() for w in warnings]


def renamed(exc: PatrolValidationError, names: dict[str, Words]) -> PatrolValidationError:
    """``exc`` with its messages calling the fields under ``names`` by those words."""
    items = [p.renamed(names) if isinstance(p, Message) else p for p in exc.problems]
    if len(items) == 1 and str(exc) == str(exc.problems[0]):
        return PatrolValidationError(items[0], items)
    return refused(items)


def gpx_fault(text: str) -> Words:
    """Why :func:`fossilgis.patrols.gpx.read_gpx` refused a file, in words."""
    if "not a GPX file" in text:
        return Words("这不是 GPX 文件", "it is not a GPX file")
    if "no track points and no waypoints" in text:
        return Words("文件中没有轨迹点，也没有航点", "it has no track points and no waypoints")
    detail = re.search(r"\((.*)\)\s*$", text)
    detail = detail.group(1) if detail else text
    return Words(f"无法解析（{detail}）", f"it cannot be parsed ({detail})")


def gpx_note(note: str) -> Message:
    """A note of :func:`fossilgis.patrols.gpx.read_gpx` (what was dropped) as a warning."""
    if note.startswith("a track segment with a single point"):
        return message("gpx_single_point_segment", "gpx")
    if note.startswith("routes (<rte>"):
        return message("gpx_routes_ignored", "gpx")
    return as_message(note, "gpx_note", "gpx")


def choices(vocabulary) -> Words:
    """The labels of a code list, with each code when it differs from the English label."""
    zh = "、".join(f"{lab.zh}（{c}）" for c, lab in vocabulary.items())
    en = ", ".join(
        lab.en if lab.en.lower() == c else f"{lab.en} ({c})" for c, lab in vocabulary.items()
    )
    return Words(zh, en)
