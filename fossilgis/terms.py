"""Show the English attribute values of the reference layers in Chinese (layers/terms.toml).

The sites and sections layers hold English text in ``age``, ``formation``, ``fossils``,
``boundary`` and ``status``. One editable TOML file, by default ``layers/terms.toml``
(``$FOSSILGIS_TERMS`` names another), maps each English value to its Chinese form, one
table per attribute. :func:`load_terms` reads and validates it, once per file version;
:meth:`Terms.value` and :meth:`Terms.record` give a value, or a feature's properties, in a
language. A value the file does not list is shown as it is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from fossilgis.datafiles import LatestFile, data_file_path, read_toml_file
from fossilgis.errors import FossilGISError
from fossilgis.rules import BILINGUAL_SEP

#: environment variable that names another terms file
ENV_VAR = "FOSSILGIS_TERMS"
#: the attributes whose values the file may translate
FIELDS: tuple[str, ...] = ("age", "formation", "fossils", "boundary", "status")
#: the languages of :meth:`Terms.value`; None gives both
LANGS: tuple[str, ...] = ("zh", "en")

_LATIN = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class TermsError(FossilGISError, ValueError):
    """The terms file is missing, unreadable or holds an invalid entry."""

    code = "terms"
    http_status = 500  # the server's file, not the request


@dataclass(frozen=True)
class Terms:
    """The Chinese form of English attribute values: ``tables[field][english] -> 中文``."""

    path: Path | None
    tables: Mapping[str, Mapping[str, str]]

    def zh(self, field: str, english_value: str) -> str | None:
        """The Chinese form of ``english_value`` in ``field``, or None when not listed."""
        table = self.tables.get(_known(field), {})
        return table.get(english_value) or table.get(english_value.strip())

    def value(self, field: str, english_value: str | None, lang: str | None = None) -> str | None:
        """``english_value`` of ``field`` in ``lang``.

        Parameters
        ----------
        field : str
            One of :data:`FIELDS` (another name raises ``ValueError``).
        english_value : str or None
            The value as the layer holds it; None (no value) is returned as None.
        lang : {"zh", "en", None}
            ``"zh"``: the Chinese form when listed, else the English value. ``"en"``: the
            English value. None: ``"中文 / English"`` when the Chinese form is listed, else
            the English value.
        """
        if lang is not None and lang not in LANGS:
            raise ValueError(f"lang {lang!r}: expected one of {', '.join(LANGS)} or None")
        if english_value is None or lang == "en":
            _known(field)
            return english_value
        zh = self.zh(field, english_value)
        if zh is None:
            return english_value
        return zh if lang == "zh" else f"{zh}{BILINGUAL_SEP}{english_value}"

    def record(self, props: Mapping[str, Any], lang: str | None = None) -> dict[str, Any]:
        """A copy of a feature's properties with each of :data:`FIELDS` it has in ``lang``."""
        out = dict(props)
        for field in FIELDS:
            if isinstance(out.get(field), str):
                out[field] = self.value(field, out[field], lang)
        return out


def _known(field: str) -> str:
    if field not in FIELDS:
        raise ValueError(f"field {field!r}: the terms file translates only {', '.join(FIELDS)}")
    return field


def default_terms_path() -> Path:
    """``$FOSSILGIS_TERMS`` when set and not empty, else the repository's layers/terms.toml."""
    return data_file_path(ENV_VAR, "terms.toml")


def _load(path: Path) -> Terms:
    from_env = bool(os.environ.get(ENV_VAR, "").strip()) and path == default_terms_path()
    data = read_toml_file(
        path, what="terms file", env_var=ENV_VAR, error=TermsError, from_env=from_env
    )
    return _parse(data, path)


_LATEST = LatestFile(_load)


def load_terms(path: str | os.PathLike[str] | None = None) -> Terms:
    """Read and validate a terms file; read again only when the file changes.

    Parameters
    ----------
    path : path-like, optional
        The TOML file. Default: :func:`default_terms_path`.

    Returns
    -------
    Terms
        The same object for as long as the file's path, size and modification time stay.

    Raises
    ------
    TermsError
        The file is missing, unreadable or not TOML, or an entry is invalid (a table not in
        :data:`FIELDS`, an empty value, a Chinese value equal to its Latin-letter English
        key). The message names the file and the entry.
    """
    return _LATEST(Path(path) if path is not None else default_terms_path())


def _parse(data: Mapping[str, Any], path: Path) -> Terms:
    def error(where: str, problem: str, fix: str) -> TermsError:
        return TermsError(f"{path}: {where}: {problem}. {fix}")

    tables: dict[str, Mapping[str, str]] = {}
    for field, table in data.items():
        if field not in FIELDS:
            raise error(
                f"[{field}]",
                "unknown table",
                f"Tables are the attributes {', '.join(FIELDS)}. Check the spelling.",
            )
        if not isinstance(table, Mapping):
            raise error(
                f"[{field}]", f"not a table: {table!r}", f"Write [{field}] and its entries."
            )
        entries: dict[str, str] = {}
        for english, chinese in table.items():
            where = f"[{field}] {english!r}"
            if not english.strip():
                raise error(where, "empty English value", "Write the value as the layer has it.")
            if not isinstance(chinese, str) or not chinese.strip():
                raise error(
                    where,
                    f"expected non-empty Chinese text, found {chinese!r}",
                    'Write it as "中文", or delete the entry to show the English value.',
                )
            latin_only = _LATIN.search(english) and not _CJK.search(english)
            if latin_only and chinese.strip() == english.strip():
                raise error(
                    where,
                    "the Chinese value is the English one, so it looks untranslated",
                    "Write its Chinese form, or delete the entry to show the English value.",
                )
            if BILINGUAL_SEP in chinese:
                raise error(
                    where,
                    f"the Chinese value contains {BILINGUAL_SEP!r}, which separates Chinese "
                    "from English when both are shown",
                    "Use another punctuation mark.",
                )
            entries[english] = chinese
        tables[field] = MappingProxyType(entries)
    return Terms(path=path, tables=MappingProxyType(tables))
