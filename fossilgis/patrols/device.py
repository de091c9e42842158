"""The numbers a patroller's device reports beside a position: the GPS's horizontal
accuracy and the altitude (metres), and whether a track was recorded on the device or
came from a file; checked as they arrive in the exchange format."""

from __future__ import annotations

import math

from fossilgis.errors import PatrolValidationError
from fossilgis.patrols.model import _shown

#: plausible ranges of the device's numbers: accuracy (m) and altitude (m)
_METRES = {"accuracy_m": (0.0, 100_000.0), "altitude_m": (-500.0, 9_000.0)}


def metres(props: dict, key: str, where: str) -> float | None:
    """An optional number of metres (``accuracy_m``, ``track_accuracy_m``, ``altitude_m``)."""
    value = props.get(key)
    if value is None or value == "":
        return None
    low, high = _METRES["altitude_m" if key == "altitude_m" else "accuracy_m"]
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and math.isfinite(value) and low <= value <= high:
        return round(float(value), 1)
    raise PatrolValidationError(
        f"{where}.{key}: {_shown(value)} is not a number of metres between {low:g} and "
        f"{high:g} / 应为 {low:g}–{high:g} 米之间的数值"
    )


def track_source(props: dict, where: str) -> str | None:
    value = props.get("track_source")
    if value in (None, "", "file", "device"):
        return value or None
    raise PatrolValidationError(
        f"{where}.track_source: {_shown(value)}; expected file or device / 应为 file 或 device"
    )
