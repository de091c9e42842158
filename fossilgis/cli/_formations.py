"""What ``layers import|history --kind formations`` print about the geological map."""

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
