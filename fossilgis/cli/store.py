"""``fossilgis store``: which store is used, migration into PostGIS, online backup."""

from __future__ import annotations

import click


@click.group()
def store():
    """The data store: GeoPackage in --data, or PostGIS with --store URL. 数据存储。"""


@store.command()
@click.option("--checksums", is_flag=True, help="Also print a SHA-256 of each table's rows.")
@click.pass_context
def info(ctx, checksums):
    """Backend, schema version and the row count of every table."""
    from fossilgis.cli._common import open_store
    from fossilgis.store.transfer import table_counts, table_summary

    opened = open_store(ctx, create=False)
    click.echo(f"backend: {opened.backend}")
    click.echo(f"store: {opened.describe()}")
    click.echo(f"photos and secret key: {opened.data_dir}")
    click.echo(f"schema version: {opened.schema_version}")
    if checksums:
        for name, s in table_summary(opened).items():
            click.echo(f"  {name:<14} {s['rows']:>9}  {s['sha256']}")
    else:
        for name, count in table_counts(opened).items():
            click.echo(f"  {name:<14} {count:>9}")


@store.command()
@click.option(
    "--from",
    "source",
    required=True,
    metavar="DIR|URL",
    help="The store to copy: a data directory (GeoPackage) or a postgresql:// URL.",
)
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="The PostGIS store to fill: postgresql://USER@HOST/DB[?schema=NAME].",
)
@click.option("--force", is_flag=True, help="Replace a target that already holds data.")
@click.pass_context
def migrate(ctx, source, target, force):
    """Copy a whole store (layers and their archive, patrols, waypoints, photo metadata,
    users, tokens, audit log) into PostGIS and verify every table's count and checksum.

    Photo files are copied to the data directory given by --data (FOSSILGIS_DATA) when it
    differs from the source's. The source is only read.
    """
    from pathlib import Path

    from fossilgis.cli._common import operator
    from fossilgis.store import open_store, resolve_data_dir
    from fossilgis.store.postgis import PostGISStore, is_postgres_url
    from fossilgis.store.transfer import copy_store

    if not is_postgres_url(target):
        raise click.BadParameter(f"{target!r} is not a postgresql:// URL", param_hint="--to")
    if is_postgres_url(source):
        src = open_store(ctx.obj["data_dir"], store=source, create=False)
        data_dir = resolve_data_dir(ctx.obj["data_dir"])
    else:
        if not Path(source).is_dir():
            raise click.BadParameter(f"{source}: no such directory", param_hint="--from")
        src = open_store(source, store="gpkg", create=False)
        data_dir = Path(ctx.obj["data_dir"]) if ctx.obj["data_dir"] else Path(source)
    dst = PostGISStore(target, data_dir, build=False)
    reports = copy_store(src, dst, force=force, user=operator())
    click.echo(f"copied {src.describe()} → {dst.describe()}")
    click.echo(f"{'table':<14} {'source':>9} {'target':>9}  sha256")
    for r in reports:
        click.echo(f"{r.name:<14} {r.source_rows:>9} {r.target_rows:>9}  {r.target_sha256}  ok")
    click.echo(f"verified: every table has the same rows; photos and secret key in {data_dir}")


@store.command()
@click.argument("dest", type=click.Path(file_okay=False))
@click.pass_context
def backup(ctx, dest):
    """Copy the running GeoPackage store, its photos and secret key into DEST (new).

    Uses SQLite's online backup API: the web app may keep running. Restore by pointing
    --data at DEST, or by copying DEST's files back into the data directory. DEST is
    created when missing; the backup appears there only when complete (a full disk
    leaves nothing), and DEST may not be the data directory itself.
    """
    from fossilgis.cli._common import open_store
    from fossilgis.store.backup import backup_gpkg

    path = backup_gpkg(open_store(ctx, create=False), dest)
    click.echo(f"backed up to {path} (+ photos/, secret_key)")
