"""``fossilgis layers``: build, validate, import, export, history and restore."""

from __future__ import annotations

from pathlib import Path

import click

from fossilgis import vocab
from fossilgis.cli._common import choice_option, limit_option, open_store, operator, reading_options
from fossilgis.schema import CONTEXT_KINDS, FORMATIONS, IMPORT_KINDS, LAYER_KINDS


def _store(ctx):
    return open_store(ctx)


@click.group()
def layers():
    """Reference layers (sites 化石产地, sections 层型剖面) and the geological map
    (formations 地层单元) in the store."""


@layers.command()
@click.pass_context
def build(ctx):
    """Load layers/sites.geojson and layers/sections.geojson into the store.

    The previous content is archived and can be restored with `layers restore`.
    """
    from fossilgis.layers import build_store

    store = _store(ctx)
    versions = build_store(store, user=operator())
    for kind, version in versions.items():
        info = store.layer_info(kind)
        click.echo(f"{kind}: {info['count']} features → {store.describe()} (version {version})")


@layers.command()
@click.option(
    "--source",
    "from_source",
    is_flag=True,
    help="Validate the files in layers/ instead of the store.",
)
@click.pass_context
def validate(ctx, from_source):
    """Check schema, unique ids, valid geometry, inside Guizhou and CRS. 校验图层。"""
    from fossilgis.layers import source_path, validate_file, validate_layer

    failed = False
    store = None if from_source else _store(ctx)
    for kind in LAYER_KINDS:
        if from_source:
            problems = validate_file(source_path(kind), kind)
            where, count = source_path(kind), None
        else:
            gdf = store.read_layer(kind)
            problems, where, count = validate_layer(gdf, kind), store.describe(), len(gdf)
        if problems:
            failed = True
            click.echo(f"{kind}: {len(problems)} problem(s) in {where}:", err=True)
            for p in problems:
                click.echo(f"  - {p}", err=True)
        else:
            suffix = f" ({count} features)" if count is not None else ""
            click.echo(f"{kind}: OK{suffix} — 校验通过")
    if failed:
        raise click.exceptions.Exit(1)


@layers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(IMPORT_KINDS),
    required=True,
    help="Which layer: the registry's sites or sections, the geological map's formations "
    "(units: --map unit=代号 --map name_zh=名称 …; docs/potential.md), or one of the office's "
    "context layers drawn under the sites (context-counties, context-places …; "
    "docs/webmap.md).",
)
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="FIELD=SOURCE",
    help="Map a source field to a fossilgis field, e.g. --map name_zh=名称. Repeatable.",
)
@click.option(
    "--set",
    "defaults",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Value for a field the registry lacks, e.g. --set protection_level=general.",
)
@reading_options(
    crs="CRS of the file when it has no .prj, e.g. EPSG:4523.",
    encoding="Attribute encoding when it cannot be detected, e.g. gbk.",
    layer="Layer name inside a GeoPackage or zip.",
)
@choice_option(
    "--boundary-status",
    vocab.BOUNDARY_STATUSES.codes,
    default="surveyed",
    help_text="Used when the registry has no boundary_status field.",
)
@limit_option
@click.pass_context
def import_(ctx, file, kind, mapping, defaults, crs, encoding, layer, boundary_status, limits):
    """Replace a layer with the office's registry (validated first, previous version kept).

    导入正式名录：先校验，整体替换，旧版本可恢复。
    """
    from fossilgis.io.limits import use_limits
    from fossilgis.layers import parse_mapping, read_registry

    fills = {} if kind in (FORMATIONS, *CONTEXT_KINDS) else {"boundary_status": boundary_status}
    for pair in defaults:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r}: expected FIELD=VALUE", param_hint="--set")
        fills[name.strip()] = value.strip()
    # every feature is checked; any unusable one stops the import with the full list
    with use_limits(limits):
        gdf, result = read_registry(
            file,
            kind,
            mapping=parse_mapping(mapping),
            defaults=fills,
            crs=crs,
            layer=layer,
            encoding=encoding,
        )
    store = _store(ctx)
    if kind in CONTEXT_KINDS:
        from fossilgis.cli._formations import write_context

        return write_context(store, kind, gdf, file, result)
    if kind == FORMATIONS:
        version = store.formations.replace(
            gdf,
            source=str(file.name),
            user=operator(),
            note=f"imported from {file.name}",
            crs_in=result.crs_in,
            encoding=result.encoding,
        )
    else:
        version = store.replace_layer(
            kind,
            gdf,
            source=str(file.name),
            demonstration=False,
            user=operator(),
            note=f"imported from {file.name}",
        )
    click.echo(
        f"Read {file.name}: {len(gdf)} {kind}; CRS {result.crs_in} ({result.crs_basis})"
        + (f"; encoding {result.encoding}" if result.encoding else "")
    )
    for note in result.notes:
        click.echo(f"  note: {note}")
    if version > 1:
        click.echo(
            f"Imported as {kind} version {version}; previous version archived "
            f"(restore with `fossilgis layers restore --kind {kind} --version {version - 1}`)."
        )
    else:
        click.echo(f"Imported as {kind} version {version}.")
    if kind == FORMATIONS:
        from fossilgis.cli._formations import report_classes

        report_classes(store)
    _rescreen_cases(ctx, store)


def _rescreen_cases(ctx, store):
    """A revision of the registry reaches past decisions: re-screen the open cases."""
    from fossilgis.cli.case import run_rescreen

    report = run_rescreen(ctx, store, user=operator())
    if report.cases:
        for line in report.lines():
            click.echo(line)


@layers.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["gpkg", "shp", "geojson", "kml", "csv"]),
    default="gpkg",
    show_default=True,
)
@click.option(
    "--kind",
    type=click.Choice(LAYER_KINDS),
    multiple=True,
    help="Layer(s) to export; default both.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    default=".",
    show_default=True,
    help="Output file (its folder must exist), or a folder for one file per layer: an "
    "existing one, or one ending in / (created).",
)
@click.pass_context
def export(ctx, fmt, kind, output):
    """Export layers as GeoPackage, Shapefile (UTF-8), GeoJSON, KML or CSV (UTF-8 BOM).

    Each file is written whole or not at all, and never over the store's own files.
    """
    import os

    from fossilgis.layers import export_layers

    store = _store(ctx)
    kinds = kind or LAYER_KINDS
    directory = (
        output.endswith(("/", os.sep))
        or Path(output).is_dir()
        or (len(kinds) > 1 and fmt != "gpkg")
    )
    for ks, written in export_layers(store, kinds, fmt, Path(output), directory=directory):
        click.echo(f"{', '.join(ks)}: wrote {written}")


@layers.command()
@click.option("--kind", type=click.Choice(IMPORT_KINDS), required=True)
@click.pass_context
def history(ctx, kind):
    """List the archived versions of a layer."""
    store = _store(ctx)
    if kind == FORMATIONS:
        from fossilgis.cli._formations import echo_history

        return echo_history(store)
    info = store.layer_info(kind)
    click.echo(
        f"{kind}: current version {info['version']} ({info['count']} features, "
        f"source {info['source']}, {info['updated_at']})"
    )
    for row in store.layer_history(kind):
        click.echo(
            f"  version {row['version']}: {row['count']} features, source {row['source']}, "
            f"replaced {row['replaced_at']}"
        )


@layers.command()
@click.option("--kind", type=click.Choice(IMPORT_KINDS), required=True)
@click.option("--version", "version", type=int, required=True, help="Archived version number.")
@click.pass_context
def restore(ctx, kind, version):
    """Make an archived version of a layer current again."""
    store = _store(ctx)
    if kind == FORMATIONS:
        new = store.formations.restore(version, user=operator())
    else:
        new = store.restore_layer(kind, version, user=operator())
    click.echo(f"{kind}: version {version} restored as version {new}")
    _rescreen_cases(ctx, store)
