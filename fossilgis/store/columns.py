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
#: migration 6 (field patrols): columns added to the patrol tables. ``revision`` counts the
#: admin corrections (0: as uploaded); ``track_source`` is ``file`` (GPX, GeoJSON …) or
#: ``device`` (recorded in the browser); ``*accuracy_m`` are the GPS's horizontal accuracy
#: (68 %, metres) as the device reported it; ``altitude_m`` above the ellipsoid or sea level
#: as the device gave it.
PATROL_FIELDS_6 = [
    ("revision", "int", False),
    ("track_source", "str", False),
    ("track_accuracy_m", "float", False),
]
WAYPOINT_FIELDS_6 = [
    ("accuracy_m", "float", False),
    ("altitude_m", "float", False),
]
PATROL_COLS = [n for n, _, _ in PATROL_FIELDS + PATROL_FIELDS_6]
WAYPOINT_COLS = [n for n, _, _ in WAYPOINT_FIELDS + WAYPOINT_FIELDS_6]

PATROL_TIMES = ("started_at", "ended_at", "created_at", "updated_at", "deleted_at")
USER_COLS = "username, role, disabled, created_at, password_hash"

#: the case register (migration 4): plain tables as (column, type) with types
#: text | int | real | time | json | bool, turned into DDL by each backend's schema module
CASE_TABLES: dict[str, list[tuple[str, str]]] = {
    "cases": [
        ("number", "text"),
        ("year", "int"),
        ("seq", "int"),
        ("project_name", "text"),
        ("applicant_unit", "text"),
        ("applicant_contact", "text"),
        ("project_type", "text"),
        ("county", "text"),
        ("source", "text"),
        ("status", "text"),
        ("status_before", "text"),
        ("grade", "text"),
        ("targets", "text"),
        ("min_lon", "real"),
        ("min_lat", "real"),
        ("max_lon", "real"),
        ("max_lat", "real"),
        ("screen_seq", "int"),
        ("footprints_seq", "int"),
        ("options", "json"),
        ("officer", "text"),
        ("decision_text", "text"),
        ("decided_at", "time"),
        ("decided_by", "text"),
        ("status_token_sha256", "text"),
        ("flag", "json"),
        ("flagged_at", "time"),
        ("registry_checked", "text"),
        ("created_at", "time"),
        ("created_by", "text"),
        ("updated_at", "time"),
        ("seen_at", "time"),
    ],
    "case_numbers": [("counter", "text"), ("last", "int")],
    "case_screens": [
        ("case_number", "text"),
        ("seq", "int"),
        ("screened_at", "time"),
        ("screened_by", "text"),
        ("reason", "text"),
        ("footprints_seq", "int"),
        ("grade", "text"),
        ("rules_version", "text"),
        ("layers", "json"),
        ("summary", "json"),
        ("changes", "json"),
        ("result", "json"),
        ("overlap_wkb", "json"),
    ],
    "case_blobs": [("sha256", "text"), ("mime", "text"), ("bytes", "int"), ("created_at", "time")],
    "case_files": [
        ("case_number", "text"),
        ("seq", "int"),
        ("role", "text"),
        ("sha256", "text"),
        ("name", "text"),
        ("mime", "text"),
        ("bytes", "int"),
        ("added_at", "time"),
        ("added_by", "text"),
        ("note", "text"),
    ],
    "case_followups": [
        ("case_number", "text"),
        ("seq", "int"),
        ("text", "text"),
        ("due_date", "text"),
        ("released", "bool"),
        ("done_at", "time"),
        ("done_by", "text"),
        ("created_at", "time"),
        ("created_by", "text"),
    ],
}
#: primary keys of the case tables
CASE_KEYS = {
    "cases": ("number",),
    "case_numbers": ("counter",),
    "case_screens": ("case_number", "seq"),
    "case_blobs": ("sha256",),
    "case_files": ("case_number", "seq"),
    "case_followups": ("case_number", "seq"),
}
#: columns that must be given
CASE_REQUIRED = {
    "number",
    "year",
    "seq",
    "project_name",
    "project_type",
    "source",
    "status",
    "created_at",
    "updated_at",
    "counter",
    "last",
    "case_number",
    "screened_at",
    "result",
    "summary",
    "sha256",
    "mime",
    "bytes",
    "role",
    "name",
    "added_at",
    "text",
    "released",
}
#: secondary indexes: name -> (table, columns, unique)
CASE_INDEXES = {
    "cases_status": ("cases", "status, updated_at", False),
    "cases_created": ("cases", "created_at", False),
    "cases_token": ("cases", "status_token_sha256", True),
    "case_files_sha": ("case_files", "sha256", False),
}
#: the case footprints feature table (geometry ``geom``, CGCS2000)
CASE_FOOTPRINT_FIELDS = [
    ("case_number", "str", True),
    ("screen_seq", "int", True),
    ("project_id", "str", True),
    ("footprint_index", "int", True),
    ("area_m2", "float", False),
]
CASE_FOOTPRINT_COLS = [n for n, _, _ in CASE_FOOTPRINT_FIELDS]


def _plain_tables_ddl(tables, keys, required, types: dict[str, str]) -> list[str]:
    """CREATE TABLE statements of ``tables`` ({name: [(column, kind)]}) with their primary
    ``keys``, NOT NULL on the ``required`` columns and a backend's ``types``."""
    out = []
    for table, cols in tables.items():
        defs = [
            f"{name} {types[kind]}" + (" NOT NULL" if name in required else "")
            for name, kind in cols
        ]
        defs.append(f"PRIMARY KEY ({', '.join(keys[table])})")
        out.append(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(defs)})")
    return out


def case_ddl(types: dict[str, str]) -> list[str]:
    """CREATE TABLE / INDEX statements of the case tables with a backend's ``types``."""
    out = _plain_tables_ddl(CASE_TABLES, CASE_KEYS, CASE_REQUIRED, types)
    for name, (table, cols, unique) in CASE_INDEXES.items():
        out.append(
            f"CREATE {'UNIQUE ' if unique else ''}INDEX IF NOT EXISTS {name} ON {table} ({cols})"
        )
    out.append(
        "CREATE INDEX IF NOT EXISTS case_footprints_case ON case_footprints "
        "(case_number, screen_seq)"
    )
    return out


#: the geological map (migration 5): every imported version's units stay in the
#: ``formations`` feature table (geometry ``geom``, CGCS2000), tagged with their version;
#: ``formation_versions`` says where each version came from. Restoring copies a version's
#: rows as a new one, so nothing is ever deleted.
FORMATION_FIELDS = [
    ("version", "int", True),
    ("unit", "str", False),
    ("name_zh", "str", False),
    ("name_en", "str", False),
    ("age", "str", False),
    ("lithology", "str", False),
    ("extra", "str", False),
]
FORMATION_COLS = [n for n, _, _ in FORMATION_FIELDS]
#: the attributes a formation import maps from the office's file (``--map unit=代号``)
FORMATION_ATTRIBUTES = [n for n in FORMATION_COLS if n not in ("version", "extra")]
FORMATION_VERSION_COLS: list[tuple[str, str]] = [
    ("version", "int"),
    ("source", "text"),
    ("demonstration", "bool"),
    ("feature_count", "int"),
    ("imported_at", "time"),
    ("imported_by", "text"),
    ("note", "text"),
    ("crs_in", "text"),
    ("encoding", "text"),
    ("min_lon", "real"),
    ("min_lat", "real"),
    ("max_lon", "real"),
    ("max_lat", "real"),
]


def formation_ddl(types: dict[str, str]) -> list[str]:
    """CREATE statements of ``formation_versions`` and the formations' version index."""
    defs = [
        f"{name} {types[kind]}"
        + (" NOT NULL" if name in ("version", "feature_count", "imported_at") else "")
        for name, kind in FORMATION_VERSION_COLS
    ]
    return [
        f"CREATE TABLE IF NOT EXISTS formation_versions ({', '.join(defs)}, PRIMARY KEY (version))",
        "CREATE INDEX IF NOT EXISTS formations_version ON formations (version)",
    ]


#: migration 6 (field patrols): plain tables, typed as the case tables.
#: ``alert_events``: each step of an alert's life (acknowledged, visited, referred, closed,
#: reopened), keyed by the alert's waypoint and a sequence; an attachment is a blob in
#: ``case_blobs``. ``patrol_revisions``: the editable content of a patrol before each admin
#: correction (JSON), with who, when and why.
FIELD_PATROL_TABLES: dict[str, list[tuple[str, str]]] = {
    "alert_events": [
        ("waypoint_uuid", "text"),
        ("seq", "int"),
        ("step", "text"),
        ("at", "time"),
        ("recorded_at", "time"),
        ("username", "text"),
        ("note", "text"),
        ("visit_patrol_uuid", "text"),
        ("outcome", "text"),
        ("opinion", "text"),
        ("attachment_sha256", "text"),
        ("attachment_name", "text"),
    ],
    "patrol_revisions": [
        ("patrol_uuid", "text"),
        ("revision", "int"),
        ("edited_at", "time"),
        ("edited_by", "text"),
        ("reason", "text"),
        ("previous", "json"),
    ],
}
FIELD_PATROL_KEYS = {
    "alert_events": ("waypoint_uuid", "seq"),
    "patrol_revisions": ("patrol_uuid", "revision"),
}
_FIELD_PATROL_REQUIRED = {
    "waypoint_uuid", "seq", "step", "at", "recorded_at", "username",
    "patrol_uuid", "revision", "edited_at", "edited_by", "reason", "previous",
}  # fmt: skip


def field_patrol_ddl(types: dict[str, str]) -> list[str]:
    """CREATE statements of migration 6's plain tables with a backend's ``types``."""
    out = _plain_tables_ddl(FIELD_PATROL_TABLES, FIELD_PATROL_KEYS, _FIELD_PATROL_REQUIRED, types)
    out.append("CREATE INDEX IF NOT EXISTS alert_events_at ON alert_events (at)")
    return out
