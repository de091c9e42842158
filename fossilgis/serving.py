"""Serving store data to an audience: versioned caches, JSON values, bbox parsing, decimals.

Framework-neutral (no Flask): the web map's ``/api/layers``, the OGC API providers and the
patrol views build on it. Staff see precise data; the public see what
:mod:`fossilgis.generalise` makes of it.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

from fossilgis.errors import FossilGISError
from fossilgis.generalise import GENERALISED_DECIMALS, public_layer
from fossilgis.schema import LAYER_KINDS

#: decimals of precise coordinates (0.1 m; the data are not better than that)
PRECISE_DECIMALS = 6
#: how often (s) a cache asks the store whether its data changed
VERSION_CHECK_S = 2.0
#: decimals of what the public sees per kind: sites, their zones and patrol tracks as
#: generalised grid cells; sections are precise where they are shown precise
PUBLIC_DECIMALS = {
    "sites": GENERALISED_DECIMALS,
    "sections": PRECISE_DECIMALS,
    "zones": GENERALISED_DECIMALS,
    "patrols": GENERALISED_DECIMALS,
}

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ParameterError(FossilGISError, ValueError):
    """A query parameter of a request is unknown or holds an invalid value.

    ``code`` is the OGC exception code (``InvalidParameterValue``); the APIs answer 400.
    """

    code = "InvalidParameterValue"


class VersionedCache(Generic[K, V]):
    """Values built by ``loader(key)``, rebuilt once ``version_of()`` changes.

    The version is asked at most once every ``check_every_s`` seconds, so a busy server
    does not query the store on every request, and a change shows within that time.
    Thread-safe; a loader may itself read other keys of the same cache.

    Parameters
    ----------
    loader : callable
        ``loader(key)`` builds the value of ``key`` (``None`` for a single-value cache).
    version_of : callable
        Returns a hashable value that changes whenever the data change.
    check_every_s : float
        Seconds between two version checks.
    clock : callable
        Monotonic seconds (tests pass a fake clock).
    """

    def __init__(
        self,
        loader: Callable[[K], V],
        version_of: Callable[[], Hashable],
        check_every_s: float = VERSION_CHECK_S,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._loader, self._version_of = loader, version_of
        self.check_every_s = check_every_s
        self._clock = clock
        self._lock = threading.RLock()
        self._entries: dict[K, tuple[Hashable, V]] = {}
        self._checked = -math.inf
        self._version: Hashable = None

    def version(self) -> Hashable:
        """The data's version, asked of ``version_of`` only when the last ask is stale."""
        with self._lock:
            now = self._clock()
            if now - self._checked >= self.check_every_s:
                self._version = self._version_of()
                self._checked = now
            return self._version

    def get(self, key: K = None) -> V:  # type: ignore[assignment]
        """The value of ``key``, built anew when the data changed since it was built."""
        entry = self._entries.get(key)
        # fast path without the lock: a value of the version checked a moment ago
        if (
            entry is not None
            and self._clock() - self._checked < self.check_every_s
            and entry[0] == self._version
        ):
            return entry[1]
        with self._lock:
            version = self.version()
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                entry = (version, self._loader(key))
                self._entries[key] = entry
            return entry[1]


def layer_versions(store) -> tuple:
    """The versions of the store's reference layers (public sections depend on the sites)."""
    return tuple(store.layer_info(k)["version"] for k in LAYER_KINDS)


def served_decimals(kind: str, *, staff: bool) -> int:
    """Coordinate decimals of ``kind`` served to staff (precise) or to the public."""
    return PRECISE_DECIMALS if staff else PUBLIC_DECIMALS[kind]


def for_audience(store, kind: str, gdf, *, staff: bool, rules: Callable[[], Any]):
    """Reference layer ``kind`` (``gdf``, as read from ``store``) as this audience sees it.

    Staff get it as it is. The public get :func:`fossilgis.generalise.public_layer`:
    allow-listed, scrubbed attributes, sites (and the sections that would draw them) as
    grid cells. ``rules`` returns the rules (loaded only for the public).
    """
    if staff:
        return gdf
    sites = store.read_layer("sites") if kind == "sections" else None
    return public_layer(gdf, kind, sites=sites, rules=rules())


def json_safe(value):
    """A value as plain JSON (NaN → None, numpy → Python, dates → ISO 8601)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, dt.date | dt.datetime | pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple | np.ndarray):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def parse_bbox(
    value: str | None, *, heights: bool = False, antimeridian: bool = False
) -> tuple[float, float, float, float] | None:
    """``bbox``: 4 numbers ``minLon,minLat,maxLon,maxLat`` in CRS84 degrees, or None.

    Parameters
    ----------
    value : str or None
        The parameter as sent; None when absent.
    heights : bool
        Also accept 6 numbers (``minLon,minLat,minH,maxLon,maxLat,maxH``); heights dropped.
    antimeridian : bool
        Accept ``minLon > maxLon`` (a box across the antimeridian); else it is an error.

    Returns
    -------
    (minx, miny, maxx, maxy) or None

    Raises
    ------
    ParameterError
        Not numbers, not 4 (or 6) finite ones, outside -180..180 / -90..90, or min > max.
    """
    if value is None:
        return None
    expected = (
        "expected 4 numbers minLon,minLat,maxLon,maxLat"
        + (" (or 6 with heights)" if heights else "")
        + " in CRS84 longitude/latitude degrees, e.g. bbox=106.5,26.4,106.9,26.8"
    )
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        raise ParameterError(f"bbox={value!r} is not a list of numbers; {expected}") from None
    if heights and len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(math.isfinite(v) for v in numbers):
        raise ParameterError(f"bbox={value!r} has not 4 finite numbers; {expected}")
    minx, miny, maxx, maxy = numbers
    if not (-90 <= miny <= maxy <= 90) or not all(-180 <= x <= 180 for x in (minx, maxx)):
        raise ParameterError(
            f"bbox={value!r} is outside -180..180 / -90..90 or has minLat > maxLat; {expected}"
        )
    if minx > maxx and not antimeridian:
        raise ParameterError(f"bbox={value!r} has minLon > maxLon; {expected}")
    return minx, miny, maxx, maxy
