"""The fossil potential table: map units → potential class → actions each project type needs.

One editable TOML file, by default ``layers/potential.toml`` at the repository root; the
environment variable ``FOSSILGIS_POTENTIAL`` names another. It holds the potential classes
(after the US BLM's Potential Fossil Yield Classification, PFYC: 1 very low … 5 very high,
U unknown), the actions, the matrix class × project type → actions, and one ``[[unit]]`` row
per geological map unit (codes, names and aliases, class, provenance).
:func:`load_potential_table` reads and validates the file (every problem is collected and
reported at once, naming the file and the row) and returns a :class:`PotentialTable`, whose
:meth:`~PotentialTable.classify` gives a whole geological map its classes by dictionary
lookups on normalised codes and names.

Apart from reading that one file, everything here is pure.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fossilgis.errors import FossilGISError
from fossilgis.rules import PROJECT_TYPES, Provenance

#: environment variable that names another potential table file
POTENTIAL_FILE_ENV = "FOSSILGIS_POTENTIAL"
#: the PFYC classes a table must define, in file order (their order by rank is data)
PFYC_CLASSES: tuple[str, ...] = ("1", "2", "3", "4", "5", "U")
#: the class of a unit that no row of the table matches
UNKNOWN_CLASS = "U"


class PotentialTableError(FossilGISError, ValueError):
    """The potential table is missing, unreadable or invalid; ``problems`` lists each one.

    Each problem names the file and the row or key, and says how to fix it.
    """

    code = "potential_table"
    http_status = 500  # the server's table, not the request

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [message])


@dataclass(frozen=True)
class PotentialClass:
    """One potential class: code, bilingual label and meaning, rank and map colour."""

    code: str
    zh: str
    en: str
    description_zh: str
    description_en: str
    rank: int
    colour: str


@dataclass(frozen=True)
class PotentialAction:
    """One action a class may require (desk review, survey, monitoring, briefing)."""

    id: str
    zh: str
    en: str


@dataclass(frozen=True)
class PotentialUnit:
    """One ``[[unit]]`` row: its 1-based number in the file, codes, names, class, provenance."""

    row: int
    codes: tuple[str, ...]
    names: tuple[str, ...]
    potential_class: str
    source: str
    note: str = ""

    @property
    def label(self) -> str:
        """The row's first name, else its first code (for messages and listings)."""
        return (self.names or self.codes or ("?",))[0]


# -- normalisation of codes and names ---------------------------------------------------

# the Cambrian symbol is typed in several ways; NFKC keeps them apart
_CAMBRIAN = str.maketrans({"\u0404": "\u2208", "\ua7b3": "\u2208", "\u20ac": "\u2208"})
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")
#: punctuation, symbols and spaces (anything but letters and digits) separate words
_SEPARATORS = re.compile(r"[\W_]+")
_ASCII_SEPARATORS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})
_WORDS = {
    "formation": "fm",
    "formations": "fm",
    "fms": "fm",
    "member": "mbr",
    "members": "mbr",
    "mbrs": "mbr",
    "mb": "mbr",
    "group": "gp",
    "groups": "gp",
    "grp": "gp",
    "bed": "bed",
    "beds": "bed",
}


def _missing(value: Any) -> bool:
    """None, NaN, pandas.NA or NaT: a cell with no value."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def normalise_code(s: Any) -> str:
    """A map-unit code as the table compares it: NFKC (``T₂f`` → ``T2f``), no whitespace.

    Geological codes are case-significant (the period letter is a capital, the formation
    letters are not), so case is kept. The Cambrian symbol written as ``Є``, ``Ꞓ`` or ``€``
    becomes ``∈``. ``None`` and NaN give ``""``.
    """
    if _missing(s):
        return ""
    text = str(s)
    if not text.isascii():  # ASCII is already NFKC: skip the costly part for most codes
        text = unicodedata.normalize("NFKC", text).translate(_CAMBRIAN)
    return "".join(text.split())


def normalise_name(s: Any) -> str:
    """A unit name as the table compares it.

    NFKC, casefold, punctuation to spaces, whitespace collapsed (and removed between Chinese
    characters), and ``formation`` → ``fm``, ``member`` → ``mbr``, ``group`` → ``gp``,
    ``beds`` → ``bed``: ``"Falang Formation"``, ``"falang fm"`` and ``"Falang Fm."`` are
    one name. ``None`` and NaN give ``""``.
    """
    if _missing(s):
        return ""
    text = str(s)
    if text.isascii():  # most English names: a translate is much faster than the regex
        words = text.lower().translate(_ASCII_SEPARATORS).split()
        return " ".join([_WORDS.get(w, w) for w in words])
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    joined = " ".join([_WORDS.get(w, w) for w in _SEPARATORS.sub(" ", text.casefold()).split()])
    return _CJK_GAP.sub("", joined) if " " in joined else joined


# -- the table --------------------------------------------------------------------------


@dataclass
class PotentialTable:
    """The validated content of a potential table file.

    Attributes
    ----------
    path : Path
        The file it was read from.
    version, description : str
        The file's ``version`` and ``description``.
    classes : dict
        :class:`PotentialClass` by code, in rank order (lowest potential first).
    actions : dict
        :class:`PotentialAction` by id, in file order.
    units : list of PotentialUnit
        The ``[[unit]]`` rows in file order (``row`` 1, 2, …).
    requirements : dict
        ``(class code, project type) -> action ids`` for every class and project type.
    requirement_sources : dict
        :class:`fossilgis.rules.Provenance` of each class's requirement row, by class code.
    """

    path: Path
    version: str
    description: str
    classes: dict[str, PotentialClass]
    actions: dict[str, PotentialAction]
    units: list[PotentialUnit]
    requirements: dict[tuple[str, str], tuple[str, ...]]
    requirement_sources: dict[str, Provenance] = field(default_factory=dict)
    _by_code: dict[str, int] = field(init=False, repr=False, compare=False)
    _by_name: dict[str, int] = field(init=False, repr=False, compare=False)
    _by_row: dict[int, PotentialUnit] = field(init=False, repr=False, compare=False)
    _class_of_row: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # the loader refuses a code or name used by two rows; the first row wins here
        self._by_code, self._by_name = {}, {}
        for unit in self.units:
            for code in unit.codes:
                self._by_code.setdefault(normalise_code(code), unit.row)
            for name in unit.names:
                self._by_name.setdefault(normalise_name(name), unit.row)
        self._by_code.pop("", None)
        self._by_name.pop("", None)
        self._by_row = {u.row: u for u in self.units}
        size = max(self._by_row, default=0) + 1
        self._class_of_row = np.array([UNKNOWN_CLASS] * size, dtype=object)
        for row, unit in self._by_row.items():
            self._class_of_row[row] = unit.potential_class

    # -- matching ---------------------------------------------------------------------

    def unit_at(self, row: int) -> PotentialUnit | None:
        """The unit of a 1-based row number (as :meth:`classify` returns it); None for 0."""
        return self._by_row.get(row)

    def match(self, unit: Any, name_zh: Any = None, name_en: Any = None) -> PotentialUnit | None:
        """The row for one map unit: by code first (exact after normalisation), then by name.

        Parameters
        ----------
        unit : str or None
            The map-unit code (``"T2f"``); tried as a name too when no code matches, since
            some maps put the name in that field.
        name_zh, name_en : str or None
            The unit's Chinese and English names (any alias of the table matches).

        Returns
        -------
        PotentialUnit or None
            None when no row matches (the unit is then of class U).
        """
        row = self._by_code.get(normalise_code(unit), 0)
        for name in (name_zh, name_en, unit):
            if row:
                break
            row = self._by_name.get(normalise_name(name), 0)
        return self.unit_at(row) if row else None

    def classify(self, frame) -> tuple[np.ndarray, np.ndarray]:
        """Classes of every row of a map's attribute table, by vectorised lookups.

        Parameters
        ----------
        frame : pandas.DataFrame
            Columns ``unit``, ``name_zh``, ``name_en``; any may be missing, None or NaN.

        Returns
        -------
        classes : numpy.ndarray of object
            The class code of each row; ``"U"`` where no table row matches.
        rows : numpy.ndarray of int64
            The matched 1-based table row of each row; 0 where none matches.
        """
        import pandas as pd

        rows = np.zeros(len(frame), dtype=np.int64)
        lookups = (
            ("unit", self._by_code, normalise_code),
            ("name_zh", self._by_name, normalise_name),
            ("name_en", self._by_name, normalise_name),
            ("unit", self._by_name, normalise_name),
        )
        for column, table, normalise in lookups:
            todo = rows == 0
            if column not in frame.columns or not todo.any():
                continue
            # normalise each distinct value once, then broadcast by the factorised codes
            codes, uniques = pd.factorize(frame[column].to_numpy(dtype=object)[todo])
            found = np.fromiter(
                (table.get(normalise(v), 0) for v in uniques), dtype=np.int64, count=len(uniques)
            )
            # code -1 (a missing value) picks the 0 appended at the end: no match
            rows[todo] = np.append(found, 0)[codes]
        return self._class_of_row[rows], rows

    # -- classes and requirements ---------------------------------------------------------

    def rank(self, class_code: str) -> int:
        """The rank of a class (higher = more potential; U ranks between 3 and 4)."""
        return self._class(class_code).rank

    def highest(self, class_codes: Iterable[Any]) -> str | None:
        """The class of highest rank among ``class_codes`` (None, NaN and "" are skipped).

        Returns
        -------
        str or None
            None when no class is given.
        """
        present = {c for c in class_codes if not _missing(c) and c != ""}
        return max(present, key=self.rank, default=None)

    def actions_for(self, class_code: str, project_type: str) -> list[PotentialAction]:
        """The actions a project of ``project_type`` needs on ground of ``class_code``."""
        self._class(class_code)
        if project_type not in PROJECT_TYPES:
            raise PotentialTableError(
                f"project_type: {project_type!r} is not one of {', '.join(PROJECT_TYPES)}."
            )
        return [self.actions[a] for a in self.requirements[(class_code, project_type)]]

    def _class(self, class_code: Any) -> PotentialClass:
        try:
            return self.classes[class_code]
        except (KeyError, TypeError):
            raise PotentialTableError(
                f"{self.path}: {class_code!r} is not a potential class of this table; "
                f"use one of {', '.join(self.classes)}."
            ) from None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary (for ``--json`` output and the web map's legend)."""
        return {
            "path": str(self.path),
            "version": self.version,
            "description": self.description,
            "classes": [vars(c).copy() for c in self.classes.values()],
            "actions": [vars(a).copy() for a in self.actions.values()],
            "project_types": list(PROJECT_TYPES),
            "requirements": {
                c: {p: list(self.requirements[(c, p)]) for p in PROJECT_TYPES} for c in self.classes
            },
            "requirement_sources": {
                c: {"source": p.source, "default": p.default}
                for c, p in self.requirement_sources.items()
            },
            "units": [
                {
                    "row": u.row,
                    "codes": list(u.codes),
                    "names": list(u.names),
                    "class": u.potential_class,
                    "source": u.source,
                    "note": u.note,
                }
                for u in self.units
            ],
        }


# -- reading the file -------------------------------------------------------------------


def default_potential_path() -> Path:
    """The table used when none is given: ``FOSSILGIS_POTENTIAL`` when set and not empty,
    else ``layers/potential.toml`` of the repository."""
    from fossilgis.datafiles import data_file_path

    return data_file_path(POTENTIAL_FILE_ENV, "potential.toml")


def load_potential_table(path: str | os.PathLike[str] | None = None) -> PotentialTable:
    """Read and validate a fossil potential table.

    Parameters
    ----------
    path : path-like, optional
        The TOML file. Default: :func:`default_potential_path`.

    Returns
    -------
    PotentialTable

    Raises
    ------
    PotentialTableError
        The file is missing, unreadable, not TOML (the message names the line), or holds
        problems: unknown keys, an unknown class or action, a row without codes and names
        or without ``source``, a code or alias used by two rows, a hole in the requirements
        matrix, duplicate ranks, a bad colour. Every problem is listed, each naming the file
        and the row or key.
    """
    # the validator builds the objects above, so it is imported here, not at the top
    from fossilgis.potential._table_parse import parse_table, read_toml

    table_path = Path(path) if path is not None else default_potential_path()
    from_env = path is None and bool(os.environ.get(POTENTIAL_FILE_ENV, "").strip())
    return parse_table(read_toml(table_path, from_env=from_env), table_path)
