"""Every closed code list of fossilgis with its 简体中文 and English labels: the one place.
Over 400 lines because it is that one place: splitting the lists would make two.

A :class:`Vocabulary` is an ordered, read-only mapping ``code -> Label(zh, en)``. The rules,
the layer schema, the patrol model, accounts, the CLI choices, the reports and the web map
all read their codes and labels from here, so that one code has one wording everywhere.

>>> from fossilgis import vocab
>>> vocab.PROTECTION_LEVELS.codes
('national_key', 'provincial_key', 'general')
>>> vocab.PROTECTION_LEVELS.zh("national_key"), vocab.PROTECTION_LEVELS.en("national_key")
('国家级重点', 'National key')
>>> vocab.PROTECTION_LEVELS.label("national_key", "en", inline=True)  # inside a sentence
'national key'
>>> vocab.PROTECTION_LEVELS.label("national_key")  # no language: both, as the reports do
'国家级重点 National key'
>>> "general" in vocab.PROTECTION_LEVELS, list(vocab.SEVERITIES)
(True, ['none', 'low', 'medium', 'high'])
>>> vocab.OBSERVATION_CATEGORIES.code_for("非法采挖")
'illegal_excavation'

Wording: English labels are written as they read on their own (a table cell, a legend, a
form option); the text report puts some inside running text and asks for
``inline=True``, which only lowers the first letter. Order is meaningful (grades from
harmless to worst, zones innermost first, severities mildest first).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

__all__ = [
    "LANGS",
    "Label",
    "Vocabulary",
    "GRADES",
    "ZONES",
    "TARGET_KINDS",
    "LAYER_KINDS",
    "PROTECTION_LEVELS",
    "PROJECT_TYPES",
    "BOUNDARY_STATUSES",
    "CRS_BASES",
    "ROLES",
    "OBSERVATION_CATEGORIES",
    "SEVERITIES",
    "ALERT_STATUSES",
    "ALERT_STEPS",
    "ALERT_OUTCOMES",
    "ALERT_CLOCKS",
    "CASE_STATUSES",
    "CASE_SOURCES",
    "CASE_ACTIONS",
    "SCREEN_REASONS",
    "CASE_FILE_ROLES",
    "GEOMETRY_TYPES",
    "ALL",
]

#: the languages of every label
LANGS: tuple[str, ...] = ("zh", "en")


class Label(NamedTuple):
    """A bilingual label: 简体中文 and English."""

    zh: str
    en: str


class Vocabulary(Mapping[str, Label]):
    """An ordered, read-only code list: ``code -> Label(zh, en)``.

    Iterating gives the codes in order; ``vocab[code]`` the :class:`Label`.

    Parameters
    ----------
    name : str
        What the list is (``"protection_level"``); used in messages.
    entries : iterable of (code, zh, en)
        In their meaningful order.
    """

    __slots__ = ("name", "_labels")

    def __init__(self, name: str, entries) -> None:
        self.name = name
        self._labels: dict[str, Label] = {code: Label(zh, en) for code, zh, en in entries}

    # Mapping protocol
    def __getitem__(self, code: str) -> Label:
        return self._labels[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)

    def __repr__(self) -> str:
        return f"Vocabulary({self.name!r}, {list(self._labels)!r})"

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes, in order."""
        return tuple(self._labels)

    def zh(self, code: str) -> str:
        """The Chinese label of ``code`` (KeyError when unknown)."""
        return self._labels[code].zh

    def en(self, code: str) -> str:
        """The English label of ``code`` (KeyError when unknown)."""
        return self._labels[code].en

    def label(self, code: str, lang: str | None = None, *, inline: bool = False) -> str:
        """The label of ``code`` in ``lang``; both (``"中文 English"``) when ``lang`` is None.

        Parameters
        ----------
        code : str
            A code of this list; an unknown code is returned as it is (a label never fails).
        lang : {"zh", "en", None}
        inline : bool
            For a label inside running text: the English label with its first letter lowered
            (``"national key"``). The Chinese label is the same either way.
        """
        label = self._labels.get(code)
        if label is None:
            return str(code)
        en = label.en[:1].lower() + label.en[1:] if inline else label.en
        if lang == "zh":
            return label.zh
        if lang == "en":
            return en
        return f"{label.zh} {en}"

    def code_for(self, text: str) -> str | None:
        """The code for a code, a Chinese label or an English label (any case), else None."""
        value = (text or "").strip()
        if value in self._labels:
            return value
        low = value.lower()
        for code, label in self._labels.items():
            if low in (code.lower(), label.en.lower()) or value == label.zh:
                return code
        return None

    def as_dicts(self) -> dict[str, dict[str, str]]:
        """``{code: {"zh": ..., "en": ...}}``: a new plain dict (for JSON and older callers)."""
        return {code: {"zh": lab.zh, "en": lab.en} for code, lab in self._labels.items()}

    def choices(self, lang: str = "zh") -> str:
        """``"code (label), ..."`` for a message listing the allowed values."""
        return ", ".join(f"{code} ({self.label(code, lang)})" for code in self._labels)


#: screening grades, from harmless to worst; a project's verdict is its worst grade
GRADES = Vocabulary(
    "grade",
    [
        ("none", "未涉及", "Not affected"),
        ("attention", "邻近，需关注", "Nearby: attention required"),
        ("assess", "涉及，需开展影响评价", "Affected: impact evaluation required"),
        ("avoid", "须避让", "Must avoid"),
    ],
)

#: zones around a target, innermost first
ZONES = Vocabulary(
    "zone",
    [
        ("core", "保护范围", "Core"),
        ("control", "建设控制地带", "Control zone"),
        ("attention", "关注区", "Attention zone"),
    ],
)

#: the kind of one target in a screening (singular of the layer kinds)
TARGET_KINDS = Vocabulary(
    "target_kind",
    [
        ("site", "化石产地", "Site"),
        ("section", "层型剖面", "Section"),
    ],
)

#: the reference layers
LAYER_KINDS = Vocabulary(
    "layer",
    [
        ("sites", "化石产地", "fossil sites"),
        ("sections", "层型剖面", "stratigraphic sections"),
    ],
)

#: protection levels of a site or section
PROTECTION_LEVELS = Vocabulary(
    "protection_level",
    [
        ("national_key", "国家级重点", "National key"),
        ("provincial_key", "省级重点", "Provincial key"),
        ("general", "一般", "General"),
    ],
)

#: project types of the rules table
PROJECT_TYPES = Vocabulary(
    "project_type",
    [
        (
            "linear",
            "线性工程（公路、铁路、管线、输电线路）",
            "Linear (road, rail, pipeline, power line)",
        ),
        ("mining", "采矿、采石、取土", "Mining, quarrying, borrow pits"),
        ("building", "房屋建筑与场地", "Buildings and sites"),
        ("water", "水利水电工程", "Water works and hydropower"),
        ("other", "其他", "Other"),
    ],
)

#: how well a boundary is known
BOUNDARY_STATUSES = Vocabulary(
    "boundary_status",
    [
        ("approximate", "近似", "approximate"),
        ("surveyed", "实测", "surveyed"),
    ],
)

#: where the CRS of a footprint came from
CRS_BASES = Vocabulary(
    "crs_basis",
    [
        ("prj", "文件声明", "declared by the file"),
        ("detected", "由坐标判定（经纬度）", "detected from the coordinates (lon/lat)"),
        ("user", "用户指定", "given by the user"),
    ],
)

#: account roles; uploads and edits need patroller or admin
ROLES = Vocabulary(
    "role",
    [
        ("admin", "管理员", "administrator"),
        ("patroller", "巡护员", "patroller"),
        ("viewer", "查看者", "viewer"),
    ],
)

#: what a patroller saw at a target
OBSERVATION_CATEGORIES = Vocabulary(
    "category",
    [
        ("intact", "完好", "intact"),
        ("weathering", "自然风化/侵蚀", "natural weathering/erosion"),
        ("vegetation", "植被覆盖", "vegetation"),
        ("human_damage", "人为破坏", "human damage"),
        ("illegal_excavation", "非法采挖", "illegal excavation"),
        ("construction_encroachment", "工程建设侵占", "construction encroachment"),
        ("signage_damaged", "标识损坏", "signage damaged"),
        ("other", "其他", "other"),
    ],
)

#: severity of an observation, mildest first
SEVERITIES = Vocabulary(
    "severity",
    [
        ("none", "无", "none"),
        ("low", "轻微", "low"),
        ("medium", "中等", "medium"),
        ("high", "严重", "high"),
    ],
)

#: state of an alert's clock (条例 Art. 18)
ALERT_STATUSES = Vocabulary(
    "alert_status",
    [
        ("open", "处置中", "Open"),
        ("overdue", "已超期", "Overdue"),
        ("closed", "已办结", "Closed"),
    ],
)
#: the steps of an alert's life, in their usual order (fossilgis.patrols.alert_lifecycle
#: holds which may follow which)
ALERT_STEPS = Vocabulary(
    "alert_step",
    [
        ("acknowledged", "已确认", "Acknowledged"),
        ("visited", "已到场核查", "Visited"),
        ("referred", "已移交主管部门", "Referred to the authority"),
        ("closed", "已办结", "Closed"),
        ("reopened", "已重新打开", "Reopened"),
    ],
)
#: how a closed alert ended
ALERT_OUTCOMES = Vocabulary(
    "alert_outcome",
    [
        ("resolved", "已制止并处置", "Stopped and dealt with"),
        ("rescue_excavation", "抢救性发掘", "Rescue excavation"),
        ("referred_to_police", "移交公安机关", "Referred to the police"),
        ("no_damage_found", "现场核查未见破坏", "No damage found on site"),
        ("false_report", "误报", "False report"),
    ],
)
#: the state of one Art. 18 clock of an alert
ALERT_CLOCKS = Vocabulary(
    "alert_clock",
    [
        ("open", "未到期", "Running"),
        ("met", "按时完成", "Met"),
        ("late", "逾期完成", "Done late"),
        ("overdue", "已超期", "Overdue"),
    ],
)

#: where a case stands (fossilgis.cases.model holds the allowed transitions)
CASE_STATUSES = Vocabulary(
    "case_status",
    [
        ("received", "已受理", "Received"),
        ("screened", "已筛查", "Screened"),
        ("evaluation_required", "需开展影响评价", "Evaluation required"),
        ("avoid_required", "需避让", "Avoidance required"),
        ("cleared", "准予通过", "Cleared"),
        ("closed", "已办结", "Closed"),
        ("withdrawn", "已撤回", "Withdrawn"),
    ],
)

#: what was done to a case (its history, from the audit log)
CASE_ACTIONS = Vocabulary(
    "case_action",
    [
        ("open", "登记", "Opened"),
        ("screen", "重新筛查", "Screened again"),
        ("rescreen", "登记资料修订后复核", "Re-screened after a registry revision"),
        ("decide", "作出处理决定", "Decided"),
        ("attach", "添加附件", "Document attached"),
        ("follow-up", "增加后续事项", "Follow-up added"),
        ("follow-up-done", "后续事项完成", "Follow-up done"),
        ("acknowledge", "已阅登记资料变更", "Registry change reviewed"),
        ("seen", "办公室已查阅", "Seen by the office"),
        ("closed", "办结", "Closed"),
        ("withdrawn", "撤回", "Withdrawn"),
        ("restore", "恢复", "Restored"),
        ("number-format", "修改编号格式", "Number format changed"),
    ],
)

#: why a case has a screen
SCREEN_REASONS = Vocabulary(
    "screen_reason",
    [
        ("submitted", "随登记筛查", "Screened when opened"),
        ("screen", "重新提交范围后筛查", "Screened again (new red line)"),
        ("registry", "登记资料修订后复核", "Re-screened after a registry revision"),
    ],
)

#: a case file's role
CASE_FILE_ROLES = Vocabulary(
    "case_file_role",
    [
        ("submitted", "申报文件", "Submitted file"),
        ("attachment", "附件", "Attachment"),
    ],
)

#: who opened a case
CASE_SOURCES = Vocabulary(
    "case_source",
    [
        ("office", "办公室登记", "Registered by the office"),
        ("applicant", "建设单位申报", "Submitted by the applicant"),
    ],
)

#: geometry types of footprints (the names GDAL and shapely give them)
GEOMETRY_TYPES = Vocabulary(
    "geometry_type",
    [
        ("Point", "点", "point"),
        ("MultiPoint", "多点", "multipoint"),
        ("LineString", "线", "line"),
        ("MultiLineString", "多线", "multiline"),
        ("Polygon", "面", "polygon"),
        ("MultiPolygon", "多面", "multipolygon"),
        ("GeometryCollection", "几何集合", "geometry collection"),
    ],
)

#: every vocabulary by its name
ALL: dict[str, Vocabulary] = {
    v.name: v
    for v in (
        GRADES,
        ZONES,
        TARGET_KINDS,
        LAYER_KINDS,
        PROTECTION_LEVELS,
        PROJECT_TYPES,
        BOUNDARY_STATUSES,
        CRS_BASES,
        ROLES,
        OBSERVATION_CATEGORIES,
        SEVERITIES,
        ALERT_STATUSES,
        ALERT_STEPS,
        ALERT_OUTCOMES,
        ALERT_CLOCKS,
        CASE_STATUSES,
        CASE_SOURCES,
        GEOMETRY_TYPES,
    )
}
