"""The columns of the patrol, waypoint and user tables, shared by schema, repositories, copy."""

from __future__ import annotations

PATROL_FIELDS = [
    ("uuid", "str", True),
    ("target_kind", "str", False),
    ("target_id", "str", False),
    ("target_inferred", "int", False),
    ("target_distance_m", "float", False),
    ("team", "str", False),
    ("started_at", "str", True),
    ("ended_at", "str", True),
    ("purpose", "str", False),
    ("notes", "str", False),
    ("created_by", "str", True),
    ("created_at", "str", True),
    ("updated_at", "str", False),
    ("content_hash", "str", True),
    ("deleted_at", "str", False),
    ("deleted_by", "str", False),
]
WAYPOINT_FIELDS = [
    ("uuid", "str", True),
    ("patrol_uuid", "str", True),
    ("seq", "int", True),
    ("observed_at", "str", True),
    ("name", "str", False),
    ("category", "str", False),
    ("severity", "str", False),
    ("description", "str", False),
]
PATROL_COLS = [n for n, _, _ in PATROL_FIELDS]
WAYPOINT_COLS = [n for n, _, _ in WAYPOINT_FIELDS]

PATROL_TIMES = ("started_at", "ended_at", "created_at", "updated_at", "deleted_at")
USER_COLS = "username, role, disabled, created_at, password_hash"
