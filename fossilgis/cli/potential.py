"""``fossilgis potential``: show and validate the fossil potential table (layers/potential.toml)."""

from __future__ import annotations

from pathlib import Path

import click

#: exit code of a table that fails validation (as the main group gives every FossilGISError)
EXIT_INVALID = 2


def _load(path):
    """The table at ``path`` (default: $FOSSILGIS_POTENTIAL or layers/potential.toml); an
    invalid one prints its problems and exits 2, also when the group runs on its own."""
    from fossilgis.potential.table import PotentialTableError, load_potential_table

    try:
        return load_potential_table(path)
    except PotentialTableError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise click.exceptions.Exit(EXIT_INVALID) from None


_table_argument = click.argument(
    "path", required=False, type=click.Path(dir_okay=False, path_type=Path)
)


@click.group()
def potential():
    """The fossil potential table: classes, required actions, map units. 化石潜力分级表。"""


@potential.command()
@_table_argument
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
def show(path, as_json):
    """Print the classes, the actions each class requires per project type, and the units.

    PATH is a table file; default $FOSSILGIS_POTENTIAL, else layers/potential.toml.
    显示化石潜力等级、各类工程须采取的措施及地层单元。
    """
    table = _load(path)
    if as_json:
        import json

        click.echo(json.dumps(table.to_dict(), ensure_ascii=False, indent=2))
        return
    for line in _text(table):
        click.echo(line)


@potential.command()
@_table_argument
def validate(path):
    """Check a table file: every problem is listed with its row (exit 2 if any).

    PATH is a table file; default $FOSSILGIS_POTENTIAL, else layers/potential.toml.
    校验化石潜力分级表。
    """
    table = _load(path)
    click.echo(f"OK: {len(table.units)} units, version {table.version} ({table.path}) — 校验通过")


def _text(table) -> list[str]:
    """The table as bilingual text lines."""
    from fossilgis import vocab
    from fossilgis.rules import PROJECT_TYPES

    lines = [
        f"Fossil potential table 化石潜力分级表 — version {table.version} ({table.path})",
        table.description,
        "",
        "Classes 等级 (lowest to highest rank):",
    ]
    for c in table.classes.values():
        lines.append(f"  {c.code}  {c.zh} {c.en}  (rank {c.rank}, {c.colour})")
        lines.append(f"       {c.description_zh}")
        lines.append(f"       {c.description_en}")
    lines += ["", "Actions 措施:"]
    for a in table.actions.values():
        lines.append(f"  {a.id}: {a.zh} / {a.en}")
    lines += ["", "Required actions by project type 各类工程须采取的措施:"]
    for c in table.classes.values():
        lines.append(f"  {c.code} {c.zh} {c.en}:")
        cells = {p: table.requirements[(c.code, p)] for p in PROJECT_TYPES}
        if len(set(cells.values())) == 1:
            groups = [("all project types 所有工程类型", next(iter(cells.values())))]
        else:
            groups = [(f"{p} {vocab.PROJECT_TYPES.zh(p)}", ids) for p, ids in cells.items()]
        for label, ids in groups:
            lines.append(f"    {label}: {', '.join(ids) if ids else 'none 无'}")
    lines += ["", f"Units 地层单元 ({len(table.units)}):"]
    for u in table.units:
        codes = f" [{', '.join(u.codes)}]" if u.codes else ""
        lines.append(f"  #{u.row:<3} class {u.potential_class}  {' / '.join(u.names)}{codes}")
    return lines
