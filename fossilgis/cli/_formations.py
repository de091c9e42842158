"""``layers import|history`` for the layers beside the registry: the geological map
(``--kind formations``) and the office's context layers (``--kind context-…``)."""

from __future__ import annotations

import click


def report_classes(store) -> None:
    """After an import: how the units were classed by the potential table, and the units
    it does not know (class U), so the office can extend the table."""
    from fossilgis.potential.classes import classify_map

    classed = classify_map(store.formations.read())
    table = classed.table
    counts = classed.frame["potential_class"].value_counts()
    parts = [
        f"{table.classes[c].en} ({c}) {int(counts.get(c, 0))}"
        for c in table.classes
        if counts.get(c, 0)
    ]
    click.echo(f"Potential classes (table {table.version}): " + ", ".join(parts))
    unknown = classed.unmatched_units(limit=10)
    if unknown:
        click.echo(
            f"  {classed.unmatched_count} unit(s) are not in the potential table and count as "
            f"class U (未入表，按 U 类处理), e.g. {', '.join(unknown)}; add them to "
            f"{table.path} (docs/potential.md)"
        )


def echo_history(store) -> None:
    info = store.formations.info()
    if not info["version"]:
        click.echo(
            "formations: no geological map imported yet; import one with "
            "`fossilgis layers import FILE --kind formations --map unit=代号 …`"
        )
        return
    click.echo(
        f"formations: current version {info['version']} ({info['count']} features, "
        f"source {info['source']}, {info['imported_at']})"
    )
    for row in store.formations.history()[1:]:
        click.echo(
            f"  version {row['version']}: {row['count']} features, source {row['source']}, "
            f"imported {row['imported_at']}" + (f" ({row['note']})" if row["note"] else "")
        )


def write_context(store, kind: str, gdf, file, result) -> None:
    """Keep an office context layer in the data directory (atomically; the previous file,
    if any, is kept beside it as ``<name>.previous.geojson``)."""
    import shutil

    from fossilgis.context import office_context_path
    from fossilgis.io.atomic import atomic_output, write_frame
    from fossilgis.schema import CONTEXT_KINDS

    name = CONTEXT_KINDS[kind][0]
    path = office_context_path(store.data_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    keep = [c for c in ("name_zh", "name_en", "rank") if c in gdf.columns]
    frame = gdf[[*keep, gdf.geometry.name]]
    if path.exists():
        shutil.copy2(path, path.with_name(f"{name}.previous.geojson"))
    # the one command that writes into the context folder: protected from every other one
    protected = {p: why for p, why in store.protected_paths().items() if p != path.parent}
    with atomic_output(path, protected) as tmp:
        write_frame(frame, tmp, layer=name, driver="GeoJSON", layer_options={"RFC7946": "YES"})
    click.echo(
        f"Read {file.name}: {len(frame)} features; CRS {result.crs_in} ({result.crs_basis})"
        + (f"; encoding {result.encoding}" if result.encoding else "")
    )
    for note in result.notes:
        click.echo(f"  note: {note}")
    click.echo(
        f"Context layer {name} ({kind}) written to {path}; the maps draw it instead of the "
        "shipped one (remove the file to go back)."
    )
