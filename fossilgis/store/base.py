"""The small interface every store implements (GeoPackage now, PostGIS later)."""

from __future__ import annotations

import abc


class Store(abc.ABC):
    """Where the reference layers (and later patrols, users, audit) live.

    Implementations keep every write in one transaction and never lose the previous
    version of a reference layer: :meth:`replace_layer` archives it first.
    """

    #: short name shown to users ("gpkg" | "postgis")
    backend = "abstract"

    @abc.abstractmethod
    def read_layer(self, kind: str):
        """The layer ``kind`` ("sites" | "sections") as a GeoDataFrame in EPSG:4490."""

    @abc.abstractmethod
    def layer_info(self, kind: str) -> dict:
        """count, version, source, updated_at, demonstration, boundary_status."""

    @abc.abstractmethod
    def replace_layer(
        self,
        kind: str,
        gdf,
        *,
        source: str,
        demonstration: bool,
        user: str | None = None,
        note: str = "",
    ) -> int:
        """Replace the whole layer atomically, archive the previous version; new version."""

    @abc.abstractmethod
    def layer_history(self, kind: str) -> list[dict]:
        """Archived versions, newest first: version, replaced_at, source, count, note."""

    @abc.abstractmethod
    def restore_layer(self, kind: str, version: int, *, user: str | None = None) -> int:
        """Make an archived version current again (archiving the current one); new version."""

    @property
    @abc.abstractmethod
    def schema_version(self) -> int:
        """The schema version the store has been migrated to."""

    def get_feature(self, kind: str, feature_id: str):
        """One feature (a GeoDataFrame row as a Series) by id, or None."""
        gdf = self.read_layer(kind)
        hit = gdf[gdf["id"] == feature_id]
        return None if hit.empty else hit.iloc[0]

    def describe(self) -> str:
        return self.backend

    def close(self) -> None:  # noqa: B027 - optional hook
        pass
