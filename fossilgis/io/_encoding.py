"""Decode attribute text: shapefile .cpg / LDID / strict UTF-8 / strict GB18030, and text files."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pandas as pd

from fossilgis.errors import EncodingError

#: DBF language-driver byte (header byte 29) -> Python codec. Multi-byte Asian code pages are
#: trusted as declared; the single-byte Western ones are what many Chinese tools leave behind
#: by default, so they are only a last resort (see decode_dbf_frame).
LDID_CODECS = {
    0x4D: "gbk",  # 936 Chinese (PRC, Singapore), Windows
    0x7A: "gbk",  # 936 PRC GBK
    0x4F: "cp950",  # 950 Chinese (Hong Kong SAR, Taiwan)
    0x78: "cp950",
    0x4E: "cp949",
    0x79: "cp949",
    0x13: "cp932",
    0x7B: "cp932",
    0x01: "cp437",
    0x02: "cp850",
    0x03: "cp1252",
    0x57: "cp1252",
    0x58: "cp1252",
    0x59: "cp1252",
    0x64: "cp852",
    0x65: "cp866",
    0xC8: "cp1250",
    0xC9: "cp1251",
    0xCA: "cp1254",
    0xCB: "cp1253",
}
STRONG_LDIDS = {0x4D, 0x7A, 0x4F, 0x78, 0x4E, 0x79, 0x13, 0x7B}

_CODEPAGE_NUMBERS = {"65001": "utf-8", "936": "gbk", "54936": "gb18030", "20936": "gbk"}


def normalise_codec(name: str) -> str:
    """Canonical codec name; GB2312 and CP936 are reported (and decoded) as their superset GBK."""
    canon = codecs.lookup(name).name
    if canon in {"gb2312", "cp936"}:
        return "gbk"
    return canon


def codec_from_cpg(text: str) -> str | None:
    """The codec named by a .cpg file ('UTF-8', '936', 'ANSI 936', 'GBK', '8859_1'), or None."""
    value = text.strip().strip("\x00").strip()
    if not value:
        return None
    upper = value.upper().replace("ANSI", "").replace("CP", "").strip(" _-")
    if upper.isdigit():
        if upper in _CODEPAGE_NUMBERS:
            return _CODEPAGE_NUMBERS[upper]
        value = "cp" + upper
    m = re.fullmatch(r"8859[_-]?(\d+)", upper)
    if m:
        value = f"iso8859_{m[1]}"
    try:
        return normalise_codec(value)
    except LookupError:
        return None


def read_ldid(dbf: Path) -> int | None:
    """The DBF language-driver byte, or None when absent/zero."""
    try:
        with open(dbf, "rb") as fh:
            head = fh.read(32)
    except OSError:
        return None
    if len(head) < 30 or head[29] == 0:
        return None
    return head[29]


#: encodings proposed when ``--encoding`` names none Python knows
COMMON_ENCODINGS = ("utf-8", "gbk", "gb18030", "big5", "cp1252")


def check_user_codec(encoding: str) -> str:
    """The canonical name of a user's ``--encoding``, or an EncodingError listing common ones.

    Codecs that are not text encodings (rot13, base64, hex) are refused too: ``bytes.decode``
    would raise LookupError on them.
    """
    try:
        info = codecs.lookup(str(encoding).strip())
        if not getattr(info, "_is_text_encoding", True):
            raise LookupError(encoding)
        return normalise_codec(info.name)
    except (LookupError, ValueError, TypeError) as exc:
        raise EncodingError(
            f"--encoding {encoding!r} is not a text encoding Python knows (编码名称无法识别); "
            f"use one of {', '.join(COMMON_ENCODINGS)}."
        ) from exc


def decode_field_name(raw: bytes, codec: str) -> str:
    """Decode a DBF field name, forgiving a multi-byte character cut by the 10-byte limit.

    GDAL truncates long UTF-8 names (路线编号 is 12 bytes) in the middle of a character.
    """
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        if exc.reason in ("unexpected end of data", "incomplete multibyte sequence") or (
            exc.end >= len(raw) - 1 and len(raw) >= 10
        ):
            for cut in (1, 2, 3):
                try:
                    return raw[:-cut].decode(codec)
                except UnicodeDecodeError:
                    continue
        raise


def _first_failure(items: list[tuple[str, int | None, bytes]], codec: str):
    for item in items:
        try:
            if item[1] is None:
                decode_field_name(item[2], codec)
            else:
                item[2].decode(codec)
        except UnicodeDecodeError:
            return item
    return None


def _where(item) -> str:
    field, row, raw = item
    shown = raw.decode("gb18030", errors="replace")
    if row is None:
        return f"field name {shown!r}"
    return f"field {field!r} (row {row}, value {shown!r})"


def _suggest(items) -> str:
    for codec in ("utf-8", "gb18030"):
        if _first_failure(items, codec) is None:
            return (
                f"It decodes as {codec}: re-run with --encoding {codec} if a preview reads right."
            )
    return "Re-run with --encoding set to the file's real code page (e.g. gbk, big5, utf-8)."


def decode_dbf_frame(
    df: pd.DataFrame,
    *,
    source: str,
    cpg: Path | None,
    dbf: Path | None,
    user_encoding: str | None,
) -> tuple[pd.DataFrame, str | None, str | None, list[str]]:
    """Decode a frame read by GDAL with latin-1 (so every str holds the DBF's raw bytes 1:1).

    GDAL's own recoding is unreliable for Chinese shapefiles (pyogrio#380), so it is
    disabled and the bytes are decoded here: ``--encoding`` → .cpg → LDID → strict UTF-8 →
    strict GB18030. A declared encoding that fails strictly raises instead of producing
    mojibake.

    Returns
    -------
    (frame, encoding, encoding_basis, notes)
    """
    notes: list[str] = []
    geom_col = df.geometry.name if hasattr(df, "geometry") and "geometry" in df else None
    fields = [c for c in df.columns if c != geom_col]
    items: list[tuple[str, int | None, bytes]] = []
    name_bytes = {c: c.encode("latin-1") for c in fields}
    for c, raw in name_bytes.items():
        if not raw.isascii():
            items.append((c, None, raw))
    text_cols = []
    for c in fields:
        col = df[c]
        if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
            continue
        text_cols.append(c)
        for row, val in enumerate(col):
            if isinstance(val, str) and not val.isascii():
                items.append((name_bytes[c].decode("latin-1"), row, val.encode("latin-1")))

    def field_label(item):
        field, row, raw = item
        name = name_bytes.get(field, field.encode("latin-1")).decode("gb18030", "replace")
        return (name, row, raw)

    chosen: str | None = None
    basis: str | None = None
    if not items:
        # Pure ASCII: every candidate gives the same text.
        chosen, basis = "utf-8", "utf-8"
    elif user_encoding:
        chosen, basis = check_user_codec(user_encoding), "user"
        bad = _first_failure(items, chosen)
        if bad:
            raise EncodingError(
                f"{source}: {_where(field_label(bad))} is not valid {chosen} (--encoding) "
                f"(属性编码与指定编码不符). {_suggest(items)}"
            )
    else:
        cpg_codec = None
        if cpg is not None:
            text = cpg.read_bytes().decode("ascii", errors="replace")
            cpg_codec = codec_from_cpg(text)
            if cpg_codec is None:
                notes.append(
                    f".cpg 编码 {text.strip()!r} 无法识别，已忽略 / "
                    f".cpg names an unknown encoding {text.strip()!r}; ignored"
                )
        ldid = read_ldid(dbf) if dbf is not None else None
        if cpg_codec:
            declared = (cpg_codec, "cpg", f"declared by {cpg.name}")
        elif ldid in STRONG_LDIDS:
            declared = (
                LDID_CODECS[ldid],
                "ldid",
                f"declared by the DBF language driver 0x{ldid:02X}",
            )
        else:
            declared = None
        if declared:
            codec, basis, why = declared
            bad = _first_failure(items, codec)
            if bad and codec == "gbk" and _first_failure(items, "gb18030") is None:
                notes.append(
                    "按 GBK 的超集 GB18030 解码 / decoded as GB18030, the superset of the "
                    "declared GBK"
                )
                codec, bad = "gb18030", None
            if bad:
                raise EncodingError(
                    f"{source}: {_where(field_label(bad))} is not valid {codec} ({why}) "
                    f"(属性编码与声明不符). {_suggest(items)}"
                )
            chosen = codec
        else:
            for codec, b in (("utf-8", "utf-8"), ("gb18030", "gb18030")):
                if _first_failure(items, codec) is None:
                    chosen, basis = codec, b
                    break
            weak = LDID_CODECS.get(ldid) if ldid is not None else None
            if chosen is None and weak:
                chosen, basis = weak, "ldid"
            if chosen is None:
                bad = _first_failure(items, "gb18030")
                raise EncodingError(
                    f"{source}: {_where(field_label(bad))} is neither valid UTF-8 nor GB18030 and "
                    f"the file has no .cpg (属性编码无法识别). Re-run with --encoding set to the "
                    f"file's code page (e.g. gbk, big5, cp1252)."
                )
            if weak and basis != "ldid":
                notes.append(
                    f"DBF 语言驱动标记为 {weak} (0x{ldid:02X})，但文本按 {chosen} 解码 / the DBF "
                    f"language driver says {weak} (0x{ldid:02X}) but the text is valid {chosen}; "
                    f"read as {chosen} (use --encoding {weak} if that is wrong)"
                )
            elif basis == "gb18030":
                notes.append(
                    "无 .cpg，属性按 GB18030 (GBK) 解码 / no .cpg: attributes decoded as "
                    "GB18030 (GBK)"
                )

    codec = chosen or "utf-8"
    out = df.copy()
    for c in text_cols:
        out[c] = out[c].map(
            lambda v: v.encode("latin-1").decode(codec) if isinstance(v, str) else v
        )
    renamed = {c: decode_field_name(name_bytes[c], codec) for c in fields}
    cut = [renamed[c] for c in fields if renamed[c].encode(codec) != name_bytes[c]]
    if cut:
        notes.append(
            f"字段名被 DBF 10 字节限制截断：{', '.join(cut)} / field names cut by the DBF "
            f"10-byte limit: {', '.join(cut)}"
        )
    out = out.rename(columns=renamed)
    return out, normalise_codec(codec) if chosen else None, basis, notes


def decode_text_bytes(
    data: bytes, *, source: str, user_encoding: str | None
) -> tuple[str, str, str]:
    """Decode a whole text file: --encoding → UTF-8 (BOM allowed) → GB18030, all strict.

    Returns
    -------
    (text, encoding, encoding_basis)
    """
    if user_encoding:
        codec = check_user_codec(user_encoding)
        try:
            return data.decode(codec), codec, "user"
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"{source}: byte {exc.start} is not valid {codec} (--encoding) "
                f"(文件编码与指定编码不符); try --encoding gb18030 or utf-8."
            ) from None
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8", "utf-8"
        return data.decode("utf-8"), "utf-8", "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030", "gb18030"
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise EncodingError(
            f"{source}: line {line} is neither valid UTF-8 nor GB18030 (文件编码无法识别). "
            f"Re-run with --encoding set to the file's code page."
        ) from None
