"""The CRS question of /check and the core's messages in the page's language.

A footprint file without a CRS makes the core raise a :class:`fossilgis.errors.CRSError`
whose ``proposed_crs`` names the one CRS its coordinates suggest. ``/check`` then keeps the
upload (:mod:`webmap.uploads`) and asks: the form comes back with that CRS filled in and a
sentence saying why ("坐标带号 35 → CGCS2000 3° 高斯-克吕格 35 带 (EPSG:4523)"), so that
confirming needs no second upload.

The core's notes are bilingual ``"中文 / English"`` and its errors English with Chinese
glosses (``"zone prefix 35 (带号 35)"``): :func:`in_language` shows one language of them.
"""

from __future__ import annotations

import re

from fossilgis.report.wording import split_bilingual
from webmap.i18n import _

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff01-\uff5e]")
#: a parenthesised Chinese gloss in an English message: "(带号 35)", "(X/Y 坐标颠倒)"
_GLOSS = re.compile(r"\s*[(（][^()（）]*[\u3400-\u9fff][^()（）]*[)）]")
_WORD = re.compile(r"[A-Za-z]{3,}")
#: the head of the core's message for a file that declares no CRS
_NO_CRS = re.compile(r"^(?P<source>.+?) has no coordinate reference system\b")
_GK_ZONE = re.compile(r"^CGCS2000 / 3-degree Gauss-Kruger zone (?P<zone>\d+)$")


def in_language(message: str, lang: str) -> str:
    """One language of a core message or note.

    ``"中文 / English"`` gives one side (:func:`fossilgis.report.wording.split_bilingual`);
    an English message loses its Chinese glosses in English and stays as it is in Chinese
    (the core has no Chinese form of it).
    """
    head, sep, tail = message.partition(" / ")
    if sep and _CJK.search(head) and tail[:1].isascii():
        return split_bilingual(message, lang)
    if lang == "en":  # a gloss holds no English word (a name would: "(CGCS2000 …)")
        return _GLOSS.sub(lambda m: m[0] if _WORD.search(m[0]) else "", message)
    return message


def gk_zone(crs: str) -> int | None:
    """The zone of a CGCS2000 3° Gauss-Krüger CRS with zone prefix (EPSG:4513–4533), or None."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError as PyprojCRSError

    try:
        name = CRS.from_user_input(crs).name or ""
    except PyprojCRSError:
        return None
    match = _GK_ZONE.match(name)
    return int(match["zone"]) if match else None


def crs_reason(proposed: str) -> str:
    """Why ``proposed`` is proposed, in the page's language."""
    zone = gk_zone(proposed)
    if zone is not None:
        return _(
            "zone prefix %(zone)s → CGCS2000 3° Gauss-Krüger zone %(zone)s (%(crs)s)",
            zone=zone,
            crs=proposed,
        )
    if proposed.upper() == "EPSG:4490":
        return _(
            "longitude/latitude outside Guizhou → if they are CGCS2000 degrees, CGCS2000 "
            "geographic (%(crs)s)",
            crs=proposed,
        )
    return proposed


def crs_question(exc, lang: str, minutes: int) -> tuple[str, str]:
    """(the problem, what to do) of a :class:`~fossilgis.errors.CRSError` met on an upload
    that is kept for ``minutes``, in ``lang`` (the request's language)."""
    proposed = getattr(exc, "proposed_crs", None)
    head = _NO_CRS.match(str(exc))
    if proposed and head:
        problem = _(
            "%(file)s declares no coordinate reference system: %(reason)s.",
            file=head["source"],
            reason=crs_reason(proposed),
        )
        todo = _(
            "The proposed CRS is filled in below. If it is right, press Screen: the file is "
            "kept on the server for %(minutes)s minutes and need not be chosen again.",
            minutes=minutes,
        )
        return problem, todo
    todo = _(
        "Give the coordinate reference system below (for example EPSG:4523) and press Screen: "
        "the file is kept on the server for %(minutes)s minutes and need not be chosen again.",
        minutes=minutes,
    )
    return in_language(str(exc), lang), todo
