"""Patrol surveys (巡护记录): the data model, validation, import, coverage, alerts and export.

The web form, ``POST /api/patrols`` and ``fossilgis patrol import`` all build a
:class:`~fossilgis.patrols.model.Patrol` and hand it to
:func:`~fossilgis.patrols.submit.submit_patrol`, so that every way in makes the same record.
"""

from fossilgis.patrols.model import (
    ALERT_CATEGORIES,
    OBSERVATION_CATEGORIES,
    SEVERITIES,
    Observation,
    Patrol,
    PhotoRef,
    Waypoint,
    content_hash,
)

__all__ = [
    "ALERT_CATEGORIES",
    "OBSERVATION_CATEGORIES",
    "SEVERITIES",
    "Observation",
    "Patrol",
    "PhotoRef",
    "Waypoint",
    "content_hash",
]
