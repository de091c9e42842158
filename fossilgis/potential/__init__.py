"""Fossil potential screening (after the BLM's PFYC): the table of map units and their
potential classes, and the actions each class requires per project type.

The table and its loader live in :mod:`fossilgis.potential.table`; their public names are
re-exported here.
"""

from fossilgis.potential.table import (
    PFYC_CLASSES,
    POTENTIAL_FILE_ENV,
    UNKNOWN_CLASS,
    PotentialAction,
    PotentialClass,
    PotentialTable,
    PotentialTableError,
    PotentialUnit,
    default_potential_path,
    load_potential_table,
    normalise_code,
    normalise_name,
)

__all__ = [
    "PFYC_CLASSES",
    "POTENTIAL_FILE_ENV",
    "UNKNOWN_CLASS",
    "PotentialAction",
    "PotentialClass",
    "PotentialTable",
    "PotentialTableError",
    "PotentialUnit",
    "default_potential_path",
    "load_potential_table",
    "normalise_code",
    "normalise_name",
]
