"""Every table of a store, as the copy and the checksums of :mod:`fossilgis.store.transfer`
see it: its columns, key, and which columns are times, booleans, JSON or a geometry."""

from __future__ import annotations

import dataclasses

from fossilgis.schema import field_names
from fossilgis.store.columns import (
    CASE_FOOTPRINT_COLS,
    CASE_KEYS,
    CASE_TABLES,
    FIELD_PATROL_KEYS,
    FIELD_PATROL_TABLES,
    FORMATION_COLS,
    FORMATION_VERSION_COLS,
)
from fossilgis.store.columns import PATROL_COLS as _PATROL_COLS
from fossilgis.store.columns import WAYPOINT_COLS as _WAYPOINT_COLS


@dataclasses.dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    times: tuple[str, ...] = ()
    bools: tuple[str, ...] = ()
    json: tuple[str, ...] = ()
    geom: bool = False


def _layer_table(kind: str) -> Table:
    return Table(kind, ("fid", *field_names(kind), "extra"), ("fid",), json=("extra",), geom=True)


def _case_table(name: str, tables=CASE_TABLES, keys=CASE_KEYS) -> Table:
    cols = tables[name]
    of = lambda kind: tuple(c for c, k in cols if k == kind)  # noqa: E731
    return Table(
        name,
        tuple(c for c, _ in cols),
        keys[name],
        times=of("time"),
        bools=of("bool"),
        json=of("json"),
    )


#: every table, in an order that satisfies the foreign keys when loading
TABLES = [
    _layer_table("sites"),
    _layer_table("sections"),
    Table(
        "layer_meta",
        ("kind", "version", "source", "demonstration", "updated_at", "updated_by"),
        ("kind",),
        times=("updated_at",),
        bools=("demonstration",),
    ),
    Table(
        "layer_archive",
        (
            "kind",
            "version",
            "source",
            "demonstration",
            "feature_count",
            "replaced_at",
            "replaced_by",
            "note",
            "features",
        ),
        ("kind", "version"),
        times=("replaced_at",),
        bools=("demonstration",),
    ),
    Table(
        "photos",
        ("sha256", "mime", "bytes", "width", "height", "lon", "lat", "taken_at", "created_at"),
        ("sha256",),
        times=("taken_at", "created_at"),
    ),
    Table(
        "users",
        ("username", "role", "password_hash", "disabled", "created_at", "created_by"),
        ("username",),
        times=("created_at",),
        bools=("disabled",),
    ),
    Table(
        "api_tokens",
        ("token_sha256", "username", "label", "created_at", "revoked_at"),
        ("token_sha256",),
        times=("created_at", "revoked_at"),
    ),
    Table(
        "patrols",
        tuple(_PATROL_COLS),
        ("uuid",),
        times=("started_at", "ended_at", "created_at", "updated_at", "deleted_at"),
        bools=("target_inferred",),
        json=("team",),
        geom=True,
    ),
    Table("waypoints", tuple(_WAYPOINT_COLS), ("uuid",), times=("observed_at",), geom=True),
    Table(
        "patrol_photos",
        ("patrol_uuid", "seq", "waypoint_uuid", "sha256", "name"),
        ("patrol_uuid", "seq"),
    ),
    Table(
        "audit",
        ("id", "at", "username", "action", "object_kind", "object_id", "detail"),
        ("id",),
        times=("at",),
        json=("detail",),
    ),
    *(_case_table(name) for name in CASE_TABLES),
    Table("case_footprints", ("fid", *CASE_FOOTPRINT_COLS), ("fid",), geom=True),
    Table("formations", ("fid", *FORMATION_COLS), ("fid",), json=("extra",), geom=True),
    Table(
        "formation_versions",
        tuple(n for n, _ in FORMATION_VERSION_COLS),
        ("version",),
        times=("imported_at",),
        bools=("demonstration",),
    ),
    *(_case_table(n, FIELD_PATROL_TABLES, FIELD_PATROL_KEYS) for n in FIELD_PATROL_TABLES),
]
TABLE_NAMES = [t.name for t in TABLES]
