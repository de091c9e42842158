"""Give a geological map's units their fossil potential class from the potential table.

The map (``store.formations.read()``) says what rock is where; the table
(layers/potential.toml) says how likely each unit is to hold fossils. Units the table does not
know are class U (unknown) and are listed, so the office can extend the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fossilgis.datafiles import LatestFile


@dataclass
class ClassedMap:
    """A geological map with a ``potential_class`` and ``table_row`` column (0: not in the
    table) per unit."""

    frame: object  # GeoDataFrame in EPSG:4490
    table: object  # fossilgis.potential.table.PotentialTable
    version: int = 0
    _tree: object = field(default=None, repr=False)

    @property
    def unmatched(self) -> np.ndarray:
        return self.frame["table_row"].to_numpy() == 0

    @property
    def unmatched_count(self) -> int:
        return int(self.unmatched.sum())

    def unmatched_units(self, limit: int = 10) -> list[str]:
        """The distinct units (code, else name) the table does not know, most frequent first."""
        sub = self.frame.loc[self.unmatched]
        if not len(sub):
            return []
        labels = sub["unit"].fillna(sub["name_zh"]).fillna(sub["name_en"]).fillna("(unnamed)")
        return [str(v) for v in labels.value_counts().index[:limit]]

    @property
    def geoms(self) -> np.ndarray:
        return np.asarray(self.frame.geometry.values)

    @property
    def tree(self):
        """An STRtree of the units (lon/lat), built once."""
        if self._tree is None:
            import shapely

            self._tree = shapely.STRtree(self.geoms)
        return self._tree


def classify_map(gdf, table=None, *, version: int = 0) -> ClassedMap:
    """The map ``gdf`` (columns unit, name_zh, name_en …) classed by ``table``
    (default: :func:`fossilgis.potential.table.load_potential_table`)."""
    from fossilgis.potential.table import load_potential_table

    table = table or load_potential_table()
    frame = gdf.copy()
    for col in ("unit", "name_zh", "name_en"):
        if col not in frame:
            frame[col] = None
    classes, rows = table.classify(frame[["unit", "name_zh", "name_en"]])
    frame["potential_class"] = np.asarray(classes, dtype=object)
    frame["table_row"] = np.asarray(rows, dtype=np.int64)
    return ClassedMap(frame=frame.reset_index(drop=True), table=table, version=version)


def table_stamp() -> tuple[str, int | None]:
    """(path, modification time) of the potential table in use; the time is None when the
    file cannot be read (the loader then says why)."""
    from fossilgis.datafiles import file_stamp
    from fossilgis.potential.table import default_potential_path

    path = default_potential_path()
    stamp = file_stamp(path)
    return str(path), None if stamp is None else stamp[1]


def _load_table(path):
    from fossilgis.potential.table import load_potential_table

    return load_potential_table(path)


def current_table():
    """The potential table in use (``$FOSSILGIS_POTENTIAL`` or layers/potential.toml), read
    again only when the file (its path, size or modification time) changes."""
    from fossilgis.potential.table import default_potential_path

    return _LATEST_TABLE(default_potential_path())


_LATEST_TABLE = LatestFile(_load_table)


def current_map(store, table=None) -> ClassedMap | None:
    """The store's current geological map, classed; None when none is imported.

    Kept on the store's formations repository per map version and table file (its path,
    version and modification time), so a web process classes and indexes the map once, not
    per screen, and an edited table is used at once.
    """
    version = store.formations.current_version()
    if not version:
        return None
    table = table or current_table()
    path = table.path
    stamp = path.stat().st_mtime_ns if path and path.exists() else 0
    key = (version, str(path), table.version, stamp)
    held = getattr(store.formations, "classed", None)
    if held is not None and held[0] == key:
        return held[1]
    classed = classify_map(store.formations.read(version), table, version=version)
    store.formations.classed = (key, classed)
    return classed
