"""``fossilgis patrol``: import, list, show, coverage, alerts, export, delete and restore
(the alert commands are in :mod:`fossilgis.cli.patrol_alerts`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from fossilgis.cli._common import open_store, operator, time_option
from fossilgis.cli.patrol_alerts import alert, alerts

FORMATS = ("text", "csv")


def _acting_user(store, username: str | None, *, admin: bool = False) -> str:
    """The audit name: ``--user`` (checked: enabled, with the role the action needs) or the
    OS user running the CLI (shell access to the data directory is already full access)."""
    if username is None:
        return operator()
    from fossilgis.auth import require_admin, require_write
    from fossilgis.errors import RecordNotFoundError

    user = store.get_user(username)
    if user is None:
        raise RecordNotFoundError(f"--user {username!r}: no such user (see `fossilgis users list`)")
    (require_admin if admin else require_write)(user)
    return user.username


def _echo_table(frame, columns: list[str], fmt: str) -> None:
    if fmt == "csv":
        click.echo(frame[columns].to_csv(index=False), nl=False)
        return
    if frame.empty:
        click.echo("(none / 无)")
        return
    import pandas as pd

    text = frame[columns].map(lambda v: "" if v is None or v is pd.NaT or v != v else str(v))
    widths = {c: max(len(c), *(len(v) for v in text[c])) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
    for row in text.itertuples(index=False):
        click.echo("  ".join(str(v).ljust(widths[c]) for c, v in zip(columns, row)).rstrip())


@click.group()
def patrol():
    """Patrol records (巡护记录): import, list, coverage, alerts, export."""


@patrol.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--site",
    "site_id",
    metavar="ID",
    help="Site or section id (e.g. GZ-F03); default: the nearest within 5 km.",
)
@click.option(
    "--photos",
    "photos_dir",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="JPEG/PNG photos of the patrol; placed by EXIF GPS at the nearest waypoint.",
)
@click.option(
    "--team",
    multiple=True,
    metavar="NAME",
    help="Team member (repeat, or separate with commas). 巡护人员。",
)
@click.option("--purpose", default="", help="Purpose of the patrol. 巡护目的。")
@click.option("--notes", default="", help="Notes. 备注。")
@click.option(
    "--uuid",
    "patrol_uuid",
    metavar="UUID",
    help="Record UUID; default derived from the file content (re-import = no-op).",
)
@time_option("--start", "Patrol start when the file has no times (ISO 8601; naive = UTC+8).")
@time_option("--end", "Patrol end when the file has no times.")
@click.option(
    "--user",
    "username",
    metavar="NAME",
    help="Import as this patroller/admin (audit log); default the OS user.",
)
@click.pass_context
def import_(
    ctx, file, site_id, photos_dir, team, purpose, notes, patrol_uuid, start, end, username
):
    """Import a patrol from FILE (.gpx, .geojson, .csv) with its photos.

    导入巡护记录（GPX 轨迹、GeoJSON 交换格式、CSV 航点表）及照片。Importing the same file
    again stores nothing new; the same UUID with different content is refused.
    """
    from fossilgis.patrols.importer import read_patrol_file
    from fossilgis.patrols.photos import MIME_EXTENSIONS
    from fossilgis.patrols.submit import load_targets, submit_patrol

    store = open_store(ctx)
    user = _acting_user(store, username)
    members = [m.strip() for t in team for m in t.replace("，", ",").split(",") if m.strip()]
    patrols, notes_read = read_patrol_file(
        file,
        target_id=site_id,
        team=members,
        purpose=purpose,
        notes=notes,
        patrol_uuid=patrol_uuid,
        started_at=start,
        ended_at=end,
    )
    for note in notes_read:
        click.echo(f"  note: {note}")
    files = {}
    if photos_dir is not None:
        suffixes = {".jpeg", *MIME_EXTENSIONS.values()}
        files = {
            p.name: p.read_bytes()
            for p in sorted(photos_dir.iterdir())
            if p.is_file() and p.suffix.lower() in suffixes
        }
        if len(patrols) > 1 and files:
            raise click.UsageError("--photos works with a file holding one patrol")
    targets = load_targets(store)
    for item in patrols:
        result = submit_patrol(store, item, user=user, files=files, targets=targets)
        rec = result.record
        target = "no site/section"
        if rec.target_id:
            how = f"inferred, {rec.target_distance_m:.0f} m" if rec.target_inferred else "given"
            target = f"{rec.target_kind} {rec.target_id} ({how})"
        counts = (
            f"{len(rec.waypoints)} waypoint(s), {len(rec.all_photos())} photo(s), "
            f"{0 if rec.track is None else len(rec.track.geoms)} track part(s)"
        )
        if result.created:
            click.echo(f"Stored patrol {rec.uuid}: {target}; {counts}. 已保存。")
        else:
            click.echo(f"Already stored, nothing changed: patrol {rec.uuid} ({target}). 已存在。")
        for warning in result.warnings:
            click.echo(f"  warning: {warning}")


@patrol.command("list")
@click.option("--site", "site_id", metavar="ID", help="Only patrols of this site or section.")
@time_option("--since", "Only patrols ending on or after this time/date.")
@time_option("--until", "Only patrols starting on or before this time/date.")
@click.option("--deleted", is_flag=True, help="Include deleted patrols.")
@click.option("--limit", type=click.IntRange(min=1), help="At most N patrols, newest first.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def list_(ctx, site_id, since, until, deleted, limit, fmt):
    """List patrols, newest first. 巡护记录列表。"""
    from fossilgis.patrols.export import format_cst

    table = open_store(ctx).list_patrols(
        target_id=site_id, since=since, until=until, include_deleted=deleted, limit=limit
    )
    table = table.assign(
        started=table["started_at"].map(format_cst),
        team_names=table["team"].map("、".join),
        deleted_at_cst=table["deleted_at"].map(format_cst),
    )
    cols = [
        "uuid",
        "started",
        "target_kind",
        "target_id",
        "team_names",
        "waypoint_count",
        "alert_count",
        "photo_count",
        "created_by",
    ]
    _echo_table(table, cols + (["deleted_at_cst"] if deleted else []), fmt)


@patrol.command()
@click.argument("uuid")
@click.pass_context
def show(ctx, uuid):
    """Print one patrol in the GeoJSON exchange format."""
    import json

    from fossilgis.errors import RecordNotFoundError
    from fossilgis.patrols.geojson import patrols_to_geojson

    record = open_store(ctx).get_patrol(uuid)
    if record is None:
        raise RecordNotFoundError(f"no patrol {uuid} (see `fossilgis patrol list --deleted`)")
    click.echo(json.dumps(patrols_to_geojson([record]), ensure_ascii=False, indent=1))


@patrol.command()
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=None,
    help="Window in days (default 90). 统计天数。",
)
@click.option("--all", "show_all", is_flag=True, help="Also list targets patrolled in time.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.pass_context
def coverage(ctx, days, show_all, fmt):
    """Sites and sections not patrolled in the last N days. 超期未巡护的保护对象。"""
    from fossilgis.patrols.coverage import DEFAULT_COVERAGE_DAYS
    from fossilgis.patrols.coverage import coverage as coverage_table
    from fossilgis.patrols.export import format_cst
    from fossilgis.patrols.submit import load_targets

    days = days or DEFAULT_COVERAGE_DAYS
    store = open_store(ctx)
    now = dt.datetime.now(dt.timezone.utc)
    table = coverage_table(store.list_patrols(), load_targets(store), now, days)
    overdue = int(table["overdue"].sum())
    if not show_all:
        table = table[table["overdue"]]
    table = table.assign(
        last_patrol_cst=table["last_patrol"].map(format_cst),
        days_since=table["days_since"].map(lambda d: "" if d != d else f"{d:.0f}"),
    )
    cols = ["kind", "id", "name_zh", "last_patrol_cst", "days_since", "patrols_in_window"]
    _echo_table(table, cols + (["overdue"] if show_all else []), fmt)
    if fmt == "text":
        click.echo(
            f"{overdue} site(s)/section(s) not patrolled in the last {days} days "
            f"/ {overdue} 处保护对象 {days} 天内未巡护"
        )


# -- alerts: the list (`patrol alerts`) and one alert's steps (`patrol alert …`) --------------
patrol.add_command(alerts)
patrol.add_command(alert)


@patrol.command()
@click.option("--format", "fmt", type=click.Choice(["geojson", "csv", "gpx", "kml"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--site", "site_id", metavar="ID", help="Only patrols of this site or section.")
@time_option("--since", "Only patrols ending on or after this time/date.")
@time_option("--until", "Only patrols starting on or before this time/date.")
@click.option("--deleted", is_flag=True, help="Include deleted patrols.")
@click.option("--waypoints", is_flag=True, help="CSV: one row per waypoint, not per patrol.")
@click.pass_context
def export(ctx, fmt, output, site_id, since, until, deleted, waypoints):
    """Export patrols as GeoJSON, CSV (Excel, UTF-8 BOM), GPX or KML. 导出巡护记录。"""
    from fossilgis.cli._common import check_output
    from fossilgis.patrols.export import export_patrols

    store = open_store(ctx)
    check_output(store, output)
    path, count = export_patrols(
        store,
        fmt,
        output,
        target_id=site_id,
        since=since,
        until=until,
        include_deleted=deleted,
        waypoints=waypoints,
    )
    click.echo(f"Wrote {count} patrol(s) to {path}")


def _on_one_patrol(user_help: str):
    """Declare a ``patrol`` subcommand taking a patrol UUID and acting as ``--user``."""

    def declare(f):
        f = click.pass_context(f)
        f = click.option("--user", "username", metavar="NAME", help=user_help)(f)
        f = click.argument("uuid")(f)
        return patrol.command()(f)

    return declare


@_on_one_patrol("Delete as this patroller/admin.")
def delete(ctx, uuid, username):
    """Delete a patrol (soft: an admin can restore it). 删除（可恢复）。"""
    store = open_store(ctx)
    store.delete_patrol(uuid, _acting_user(store, username))
    click.echo(f"Deleted patrol {uuid}; undo with `fossilgis patrol restore {uuid}`.")


@_on_one_patrol("Restore as this admin.")
def restore(ctx, uuid, username):
    """Undo the deletion of a patrol (admin). 恢复已删除的记录。"""
    store = open_store(ctx)
    store.restore_patrol(uuid, _acting_user(store, username, admin=True))
    click.echo(f"Restored patrol {uuid}.")


@patrol.command()
def categories():
    """The observation categories and severities (codes for CSV/GeoJSON). 观测类别。"""
    from fossilgis.patrols.model import ALERT_CATEGORIES, OBSERVATION_CATEGORIES, SEVERITIES

    for code, label in OBSERVATION_CATEGORIES.items():
        mark = "  (alert / 预警)" if code in ALERT_CATEGORIES else ""
        click.echo(f"{code:<27} {label.zh}  {label.en}{mark}")
    click.echo("severities: " + ", ".join(f"{c} ({lab.zh})" for c, lab in SEVERITIES.items()))


# subcommands in their own modules register themselves on the group (import at the end)
import fossilgis.cli.patrol_report  # noqa: E402, F401  (registers `patrol report`)
from fossilgis.cli import patrol_edit  # noqa: E402, F401  (correct, history)
