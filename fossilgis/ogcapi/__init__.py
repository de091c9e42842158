"""OGC API – Features Part 1 over the fossilgis store, independent of any web framework."""

from __future__ import annotations

from fossilgis.ogcapi.core import OGCAPI, Response
from fossilgis.ogcapi.providers import (
    Field,
    FrameProvider,
    LayerProvider,
    Provider,
    default_providers,
)

__all__ = [
    "OGCAPI",
    "Response",
    "Provider",
    "Field",
    "FrameProvider",
    "LayerProvider",
    "default_providers",
]
