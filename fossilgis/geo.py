"""Coordinate reference systems of the province and metric helpers.

Reference layers are kept in CGCS2000 geographic coordinates (EPSG:4490). Areas, buffers
and distances are computed in the CGCS2000 3-degree Gauss-Krüger zone that holds the
geometry (zones 35, 36, 37 cover Guizhou), where the scale error is below 0.03 % in
distance and 0.06 % in area at the zone edges (1.5° from the central meridian at 25°N).
EPSG codes are resolved with pyproj, never from a copied table of parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

#: CGCS2000 geographic 2D
CRS_GEOGRAPHIC = "EPSG:4490"

#: Guizhou's extent in degrees, with a small margin (province: 103.6–109.6 E, 24.6–29.2 N)
GUIZHOU_BOUNDS = (103.5, 24.5, 109.7, 29.3)

#: 3-degree GK zones that touch Guizhou: zone number -> (EPSG with zone prefix, EPSG without)
GK_ZONES = {35: (4523, 4544), 36: (4524, 4545), 37: (4525, 4546)}

#: 1 ha = 10 000 m²; 1 亩 = 10 000 / 15 m²
M2_PER_HA = 10_000.0
M2_PER_MU = 10_000.0 / 15.0


@dataclass(frozen=True)
class ZoneInfo:
    zone: int
    central_meridian: int
    epsg_prefixed: int
    epsg_cm: int


def gk_zone_for_lon(lon: float) -> ZoneInfo:
    """The CGCS2000 3-degree zone whose central meridian is nearest to ``lon``."""
    zone = int(round(lon / 3.0))
    zone = min(max(zone, 35), 37)
    prefixed, cm = GK_ZONES[zone]
    return ZoneInfo(zone, zone * 3, prefixed, cm)


def gk_zone_numbers(lons):
    """Vectorised :func:`gk_zone_for_lon`: zone numbers for an array of longitudes."""
    import numpy as np

    return np.clip(np.rint(np.asarray(lons, dtype=float) / 3.0), 35, 37).astype(int)


def metric_crs_for_zone(zone: int) -> str:
    """The CRS (without zone prefix, false easting 500 km) used for metric work in a zone."""
    return f"EPSG:{GK_ZONES[zone][1]}"


def inside_guizhou(bounds) -> bool:
    """True when a (minx, miny, maxx, maxy) box in degrees lies within the province's box."""
    minx, miny, maxx, maxy = bounds
    gx0, gy0, gx1, gy1 = GUIZHOU_BOUNDS
    return minx >= gx0 and miny >= gy0 and maxx <= gx1 and maxy <= gy1


def format_bounds(bounds, digits: int = 4) -> str:
    return "(" + ", ".join(f"{v:.{digits}f}" for v in bounds) + ")"
