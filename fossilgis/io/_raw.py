"""The intermediate layer every reader returns before the common pipeline (CRS, repair, 4490)."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
from pyproj import CRS


@dataclass
class RawLayer:
    """One layer as read from the file: geometry in the file's own units, CRS not applied.

    ``crs`` is what the file declares (.prj, GeoPackage, TXT header...) or None, in which case
    ``crs_missing`` says why, for the message that proposes a ``--crs``. ``crs_problem`` is set
    when the file declares a CRS that cannot be used (an unknown EPSG code, a .prj that does
    not parse): without ``--crs`` the pipeline refuses it and proposes one.
    """

    gdf: gpd.GeoDataFrame
    source: str
    layer: str | None = None
    crs: CRS | None = None
    crs_missing: str = "no .prj file"
    encoding: str | None = None
    encoding_basis: str | None = None
    notes: list[str] = field(default_factory=list)
    crs_problem: str | None = None
