"""``fossilgis audit``: the append-only log of who created, edited or deleted what and when."""

from __future__ import annotations

import json

import click

from fossilgis.cli._common import open_store


@click.command()
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--object", "object_id", metavar="ID", help="Only rows about this record.")
@click.option("--user", "username", metavar="NAME", help="Only rows by this user.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def audit(ctx, limit, object_id, username, as_json):
    """Show the audit log, newest first. 审计日志。"""
    from fossilgis.auth import escape_control as esc

    # every value is escaped when shown (rows written before escaping on write existed, or
    # by another tool, too): one row is always one line, whatever a user name holds
    rows = open_store(ctx).audit_rows(limit, object_id=object_id, username=username)
    for row in rows:
        if as_json:
            click.echo(esc(json.dumps(row, ensure_ascii=False)))
            continue
        detail = "" if row["detail"] is None else json.dumps(row["detail"], ensure_ascii=False)
        click.echo(
            f"{row['id']:>6} {row['at']} {esc(row['username']) or '-':<16} "
            f"{esc(row['action']):<8} {esc(row['object_kind']):<7} "
            f"{esc(row['object_id']) or ''} {esc(detail)}".rstrip()
        )
    if not rows and not as_json:
        click.echo("(no audit rows)")
