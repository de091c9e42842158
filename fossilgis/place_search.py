"""Find named places (counties, cities, sites, sections) by Chinese name, pinyin, English or id.

People type a place the way they say it: 关岭 for 关岭布依族苗族自治县, "guanling" or
"Guānlǐng" for Guanling Buyei and Miao Autonomous County, "liu-pan-shui" for Liupanshui.
Names are therefore compared in a folded form (Chinese without the administrative suffix and
the names of the autonomous nationalities; Latin letters without case, spaces, hyphens,
apostrophes or tone marks) and ranked exact > prefix > substring. The places are any frame
with ``name_zh``, ``name_en``, ``kind`` and geometry (``id`` when present is searched too);
nothing here reads files.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

import geopandas as gpd
import pandas as pd
import shapely

from fossilgis.geo import CRS_GEOGRAPHIC

#: administrative suffixes dropped for the short Chinese form, longest first
_ZH_SUFFIXES = (
    "自治县",
    "自治州",
    "自治旗",
    "特区",
    "新区",
    "地区",
    "林区",
    "省",
    "县",
    "市",
    "区",
    "州",
    "镇",
    "乡",
)
#: nationalities named in autonomous county and prefecture names (贵州 and its neighbours)
_ZH_NATIONALITIES = re.compile(
    "(?:布依族|苗族|侗族|土家族|彝族|仡佬族|水族|回族|白族|瑶族|壮族|毛南族|蒙古族|满族|羌族|藏族|"
    "黎族|傣族|哈尼族|纳西族|傈僳族|各族)+$"
)
_LATIN_ADMIN = {
    "county", "city", "district", "prefecture", "autonomous", "special", "new", "area", "region",
    "town", "township", "province", "shi", "xian", "qu", "zhen", "xiang", "sheng", "zizhixian",
    "zizhizhou", "tequ", "diqu",
}  # fmt: skip
_LATIN_NATIONALITIES = {
    "buyei", "bouyei", "buyi", "miao", "dong", "tujia", "yi", "gelao", "gelo", "shui", "sui",
    "hui", "bai", "yao", "zhuang", "maonan", "mongol", "mongolian", "manchu", "qiang", "tibetan",
    "and", "nationalities", "ethnic",
}  # fmt: skip
_MATCH = ("exact", "exact", "prefix", "substring")


def _text(value) -> str:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return str(value).strip()


def _fold_zh(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


class _Key(NamedTuple):
    """A folded name: in full, in short, and the suffix words the short form left out."""

    full: str
    short: str
    suffix: frozenset[str]


_NO_KEY = _Key("", "", frozenset())


def _zh_key(folded: str) -> _Key:
    """关岭布依族苗族自治县 → 关岭, 六盘水市 → 六盘水, 六枝特区 → 六枝; at least 2 characters."""
    short, suffix = folded, ""
    for candidate in _ZH_SUFFIXES:
        if short.endswith(candidate) and len(short) - len(candidate) >= 2:
            short, suffix = short[: -len(candidate)], candidate
            break
    if suffix.startswith("自治"):
        bare = _ZH_NATIONALITIES.sub("", short)
        short = bare if len(bare) >= 2 else short
    # 自治县 also answers to 县, 自治州 to 州: the suffix is kept as its endings
    return _Key(folded, short, frozenset(suffix[i:] for i in range(len(suffix))))


def _latin_words(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = plain.replace("'", "").replace("’", "")  # Xi'an → xian
    return re.findall(r"[a-z0-9]+", plain)


def _latin_key(words: list[str]) -> _Key:
    """Guanling Buyei and Miao Autonomous County → guanling; Liuzhi Special District → liuzhi."""
    cut = next((i for i, w in enumerate(words) if i and w in _LATIN_ADMIN), len(words))
    head = words[:cut]
    if cut < len(words) and words[cut] in ("autonomous", "zizhixian", "zizhizhou"):
        while len(head) > 1 and head[-1] in _LATIN_NATIONALITIES:
            head.pop()
    return _Key("".join(words), "".join(head), frozenset(words[cut:]))


def _id_key(words: list[str]) -> _Key:
    joined = "".join(words)
    return _Key(joined, joined, frozenset())


def _tier(query: _Key, name: _Key, min_substring: int) -> int | None:
    """0 exact full name, 1 exact short form, 2 prefix, 3 substring, None no match.

    The query's short form is only compared when its suffix fits the name's: 关岭县 finds
    关岭布依族苗族自治县 but 关岭镇 does not, nor "guanling town" the county.
    """
    if not query.full or not name.full:
        return None
    queries = [query.full]
    if query.short and query.short != query.full and query.suffix <= name.suffix:
        queries.append(query.short)
    names = [name.full] + ([name.short] if name.short and name.short != name.full else [])
    best = None
    for qi, q in enumerate(queries):
        for ni, n in enumerate(names):
            if q == n:
                tier = 0 if qi == ni == 0 else 1
            elif n.startswith(q):
                tier = 2
            elif len(q) >= min_substring and q in n:
                tier = 3
            else:
                continue
            best = tier if best is None else min(best, tier)
    return best


@dataclass(frozen=True)
class _Entry:
    zh: _Key
    latin: _Key
    ident: _Key
    result: dict


class PlaceIndex:
    """Folded names of a frame of places, computed once; :meth:`search` answers queries.

    Parameters
    ----------
    places : geopandas.GeoDataFrame
        Columns ``name_zh``, ``name_en``, ``kind`` (a missing column counts as empty), an
        optional ``id`` and a geometry. A projected frame is converted to CGCS2000 degrees;
        rows without geometry are left out, since the map could not go to them.
    """

    def __init__(self, places: gpd.GeoDataFrame):
        if places.crs is not None and not places.crs.is_geographic:
            places = places.to_crs(CRS_GEOGRAPHIC)
        n = len(places)
        col = {
            c: [_text(v) for v in places[c]] if c in places.columns else [""] * n
            for c in ("name_zh", "name_en", "kind", "id")
        }
        geoms = places.geometry
        located = ~(geoms.isna() | geoms.is_empty).to_numpy()
        # a point is its own representative point; a line or polygon gets one on/inside it
        points = shapely.point_on_surface(geoms.to_numpy())
        xs, ys = shapely.get_x(points).tolist(), shapely.get_y(points).tolist()
        bounds = shapely.bounds(geoms.to_numpy()).tolist()
        self._entries: list[_Entry] = []
        for i in range(n):
            if not located[i]:
                continue
            name_zh, name_en, ident = col["name_zh"][i], col["name_en"][i], col["id"][i]
            zh = _fold_zh(name_zh)
            words = _latin_words(name_en)
            result = {
                "name_zh": name_zh,
                "name_en": name_en,
                "kind": col["kind"][i],
                "id": ident or None,
                "lon": xs[i],
                "lat": ys[i],
                "bbox": bounds[i],
            }
            self._entries.append(
                _Entry(
                    zh=_zh_key(zh),
                    latin=_latin_key(words),
                    ident=_id_key(_latin_words(ident)),
                    result=result,
                )
            )

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, query: str, *, limit: int = 20) -> list[dict]:
        """Places matching ``query``, best first; see :func:`search_places`."""
        zh = _fold_zh(query or "")
        words = _latin_words(query or "")
        q_zh = _zh_key(zh) if zh else _NO_KEY
        q_latin = _latin_key(words) if words else _NO_KEY
        q_id = _id_key(words)
        ranked = []
        for order, entry in enumerate(self._entries):
            tiers = [
                t
                for t in (
                    _tier(q_zh, entry.zh, 1),
                    _tier(q_latin, entry.latin, 2),
                    _tier(q_id, entry.ident, 2),
                )
                if t is not None
            ]
            if not tiers:
                continue
            tier = min(tiers)
            minx, miny, maxx, maxy = entry.result["bbox"]
            # same rank: the larger place first (关岭 the county before 关岭 the town)
            ranked.append((tier, -(maxx - minx) * (maxy - miny), order, entry))
        ranked.sort(key=lambda r: r[:3])
        return [
            {**e.result, "bbox": list(e.result["bbox"]), "match": _MATCH[t]}
            for t, _n, _o, e in ranked[: max(limit, 0)]
        ]


def search_places(
    query: str, places: gpd.GeoDataFrame | PlaceIndex, *, limit: int = 20
) -> list[dict]:
    """Named places matching what a user typed, best first.

    Parameters
    ----------
    query : str
        A Chinese name or part of one (``关岭``, ``关岭县``), pinyin or English in any case,
        with or without spaces, hyphens or tone marks (``guanling``, ``Liu-pan-shui``,
        ``Guanling Buyei and Miao Autonomous County``), or an ``id`` (``GZ-F01``, ``gzf01``).
    places : GeoDataFrame or PlaceIndex
        The places (see :class:`PlaceIndex`); pass a ``PlaceIndex`` to fold names only once
        when the same places answer many queries.
    limit : int
        At most this many results.

    Returns
    -------
    list of dict
        ``name_zh``, ``name_en``, ``kind``, ``id`` (None without an ``id`` column), ``lon``,
        ``lat`` (CGCS2000 degrees: the point itself, or a point inside a line or polygon),
        ``bbox`` ``[minx, miny, maxx, maxy]`` and ``match`` (``"exact"``, ``"prefix"`` or
        ``"substring"``). Exact matches of the full name come first, then exact matches of
        the short form (关岭 for 关岭布依族苗族自治县), then prefixes, then substrings; within
        a rank, larger places (by bounding box) first, then the frame's order.
        An empty query finds nothing.
    """
    index = places if isinstance(places, PlaceIndex) else PlaceIndex(places)
    return index.search(query, limit=limit)
