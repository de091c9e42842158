"""``fossilgis basemap``: import, list and remove the offline basemaps of the web map."""

from __future__ import annotations

from pathlib import Path

import click

from fossilgis.cli._common import open_store


@click.group()
def basemap():
    """Offline basemaps 离线底图: MBTiles, PMTiles or XYZ tile folders served by the web map."""


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


def _bounds(entry: dict) -> str:
    return ",".join(f"{v:.4f}" for v in entry["bounds"])


@basemap.command("import")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--name", help="Name in URLs and files: a-z, 0-9, - and _ (default: from FILE).")
@click.option("--title", help="What the map's layer list shows (default: the archive's name).")
@click.option("--attribution", help="Credit line shown on the map (default: the archive's).")
@click.option("--replace", is_flag=True, help="Replace a basemap of the same name.")
@click.pass_context
def import_(ctx, file, name, title, attribution, replace):
    """Check FILE (.mbtiles, .pmtiles or a folder of {z}/{x}/{y} tiles) and copy it into
    the data directory; the web map serves it as a base layer.

    检查并导入离线底图（MBTiles、PMTiles 或 XYZ 瓦片目录）。
    """
    from fossilgis.basemaps import import_basemap

    entry = import_basemap(
        open_store(ctx), file, name=name, title=title, attribution=attribution, replace=replace
    )
    for warning in entry["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"{entry['name']}: {entry['kind']} {entry['format']}, zoom {entry['minzoom']}–"
        f"{entry['maxzoom']}, bounds {_bounds(entry)}, {_size(entry['bytes'])} "
        f"→ basemaps/{entry['file']} — 已导入 ({entry['title']})"
    )
    if entry["kind"] == "vector":
        click.echo(
            "note: vector tiles are served (/basemaps/…/{z}/{x}/{y}.pbf) but the web map "
            "draws raster basemaps only (docs/webmap.md, Offline basemaps)."
        )


@basemap.command("list")
@click.pass_context
def list_(ctx):
    """The imported basemaps: name, kind, format, zooms, bounds, size, title. 底图列表。"""
    from fossilgis.basemaps import list_basemaps

    entries = list_basemaps(open_store(ctx))
    if not entries:
        click.echo("No basemap imported. 尚未导入底图（fossilgis basemap import FILE）。")
        return
    for e in entries:
        click.echo(
            f"{e['name']}\t{e['kind']} {e['format']}\tz{e['minzoom']}–{e['maxzoom']}\t"
            f"{_bounds(e)}\t{_size(e['bytes'])}\t{e['title']}"
        )


@basemap.command()
@click.argument("name")
@click.pass_context
def remove(ctx, name):
    """Remove basemap NAME (its file and its entry). 删除底图。"""
    from fossilgis.basemaps import remove_basemap

    entry = remove_basemap(open_store(ctx), name)
    click.echo(f"Removed basemap {entry['name']} ({entry['title']}). 已删除。")
