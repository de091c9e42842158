"""Rows of the case tables as Python values, the same on both stores.

The case tables are declared once (:data:`fossilgis.store.columns.CASE_TABLES`, with a
kind per column); these helpers write a ``dict`` as a row and read a row back as a
``dict`` whatever the backend does with times, JSON and booleans.
"""

from __future__ import annotations

import json

from fossilgis.store.columns import CASE_TABLES

KINDS = {table: dict(cols) for table, cols in CASE_TABLES.items()}


def insert_sql(db, table: str, cols: list[str]) -> str:
    """INSERT of ``cols`` into ``table`` with the backend's placeholders and casts."""
    d = db.dialect
    kinds = KINDS[table]
    marks = [d.json_param if kinds.get(c) == "json" else "?" for c in cols]
    return db.q(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(marks)})")


def encode(db, table: str, row: dict) -> list:
    """The parameters of ``row`` for :func:`insert_sql` / :func:`set_sql`."""
    d = db.dialect
    kinds = KINDS[table]
    out = []
    for col, value in row.items():
        kind = kinds.get(col)
        if kind == "json" and value is not None:
            value = json.dumps(value, ensure_ascii=False, default=str)
        elif kind == "bool" and value is not None:
            value = d.bool(value)
        out.append(value)
    return out


def insert(db, conn, table: str, row: dict) -> None:
    conn.execute(insert_sql(db, table, list(row)), encode(db, table, row))


def set_sql(db, table: str, cols, where: str) -> str:
    """UPDATE ``table`` SET ``cols`` WHERE ``where`` (shared SQL, converted)."""
    d = db.dialect
    kinds = KINDS[table]
    sets = ", ".join(f"{c} = {d.json_param if kinds.get(c) == 'json' else '?'}" for c in cols)
    return db.q(f"UPDATE {table} SET {sets} WHERE {where}")


def update(db, conn, table: str, values: dict, where: str, args) -> int:
    cur = conn.execute(set_sql(db, table, values, where), [*encode(db, table, values), *args])
    return cur.rowcount


def decode(db, table: str, cols, values) -> dict:
    """A row read as ``cols`` of ``table`` as plain Python (times as UTC text)."""
    d = db.dialect
    kinds = KINDS[table]
    out = {}
    for col, value in zip(cols, values):
        kind = kinds.get(col)
        if value is not None:
            if kind == "json":
                value = d.from_json(value)
            elif kind == "time":
                value = d.time_text(value)
            elif kind == "bool":
                value = bool(value)
        out[col] = value
    return out


def columns(table: str, *, without=()) -> list[str]:
    return [c for c, _ in CASE_TABLES[table] if c not in without]
