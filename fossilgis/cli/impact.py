"""``fossilgis impact-check``: screen project footprints against every site and section."""

from __future__ import annotations

from pathlib import Path

import click

from fossilgis import vocab
from fossilgis.cli._common import (
    check_output,
    choice_option,
    limit_option,
    open_store,
    progress_bar,
    reading_options,
)

FORMATS = ("text", "json", "csv", "geojson", "gpkg", "html")
#: grades --fail-on accepts: every grade but "none"
GRADES = vocab.GRADES.codes[1:]
EXIT_FAIL_ON = 3


def _positive(ctx, param, value):
    if value is not None and value <= 0:
        raise click.BadParameter(f"must be a positive number of metres, got {value}")
    return value


@click.command("impact-check")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@reading_options(
    crs="CRS of the coordinates, applied to every FILE, e.g. EPSG:4523 (never guessed for "
    "projected coordinates).",
    layer="Layer inside a GeoPackage or a zip of several shapefiles.",
    encoding="Attribute encoding when it cannot be detected (gbk, utf-8).",
)
@choice_option(
    "--project-type",
    vocab.PROJECT_TYPES.codes,
    default="other",
    help_text="Kind of project (rule table column).",
)
@click.option(
    "--no-ground-disturbance",
    is_flag=True,
    help="The project does not disturb the ground (e.g. overhead lines).",
)
@click.option(
    "--line-width",
    type=float,
    callback=_positive,
    metavar="M",
    help="Width in metres of linear footprints (roads, pipelines); buffered by M/2.",
)
@click.option(
    "--point-radius",
    type=float,
    callback=_positive,
    metavar="M",
    help="Radius in metres of point footprints (boreholes, pylons).",
)
@click.option("--id-field", help="Field whose values split one layer into several projects.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of standard output (required for geojson, gpkg).",
)
@click.option(
    "--fail-on",
    type=click.Choice(GRADES),
    help="Exit with status 3 when any project reaches this grade.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1000),
    default=100_000,
    show_default=True,
    help="A single layer of more than 200 000 features is read and screened this many at a "
    "time, in bounded memory.",
)
@click.option(
    "--lang",
    type=click.Choice(vocab.LANGS),
    help="Language of text and html output (default: both).",
)
@click.option(
    "--case",
    "case_number",
    metavar="NEW|NUMBER",
    help="Record this screen in the case register: NEW opens a case (give --project-name), "
    "a case number adds the screen to that case. The files are kept with it.",
)
@click.option("--project-name", help="Project name of a NEW case (default: the first file's name).")
@click.option("--applicant", help="Applicant unit (建设单位) of a NEW case.")
@click.option("--contact", help="Applicant contact of a NEW case.")
@click.option("--county", help="County (县区) of a NEW case.")
@click.option(
    "--user", metavar="NAME", help="Officer written in the case (default: cli:<os user>)."
)
@limit_option
@click.pass_context
def impact_check(
    ctx,
    files,
    crs,
    layer,
    encoding,
    project_type,
    no_ground_disturbance,
    line_width,
    point_radius,
    id_field,
    fmt,
    output,
    fail_on,
    chunk_size,
    lang,
    case_number,
    project_name,
    applicant,
    contact,
    county,
    user,
    limits,
):
    """Screen project FILES against every fossil site and section. 工程项目化石影响筛查。

    FILES: Shapefile (loose or zipped), GeoPackage, GeoJSON, KML/KMZ, DXF red-line drawing,
    界址点 TXT, CSV/XLSX coordinate table. Several files are screened as a batch, one
    result per file (or per --id-field value).

    Exit status: 0 screened; 2 bad input or usage; 3 a project reached --fail-on.
    """
    from fossilgis.batch import screen_files
    from fossilgis.impact import ScreenOptions
    from fossilgis.io.limits import use_limits
    from fossilgis.rules import GRADES as ALL_GRADES

    if fmt in ("geojson", "gpkg") and output is None:
        raise click.UsageError(f"--format {fmt} writes a file: give it with --output PATH")
    options = ScreenOptions(
        project_type=project_type,
        ground_disturbance=not no_ground_disturbance,
        line_width_m=line_width,
        point_radius_m=point_radius,
    )
    store = open_store(ctx)
    if output is not None:
        check_output(store, output)  # before the screening, which may take minutes
    # the bar appears only when the screen takes more than two seconds
    with progress_bar(ctx, "step", "screening") as progress, use_limits(limits):
        screening = screen_files(
            files,
            store,
            options=options,
            crs=crs,
            layer=layer,
            encoding=encoding,
            id_field=id_field,
            chunk_size=chunk_size,
            progress=progress,
        )
    case = None
    if case_number:
        case = _record_case(
            store,
            screening,
            files,
            case_number,
            project_type,
            project_name=project_name,
            applicant=applicant,
            contact=contact,
            county=county,
            user=user,
        )
    _emit(screening, fmt, output, lang, store, case)
    if fail_on and any(
        ALL_GRADES.index(p["grade"]) >= ALL_GRADES.index(fail_on) for p in screening.projects
    ):
        ctx.exit(EXIT_FAIL_ON)


def _record_case(store, screening, files, case_number, project_type, *, user, **fields):
    """Keep the screen (and the files it read) in the case register; say where."""
    from fossilgis.cases.files import submitted_files
    from fossilgis.cases.model import CaseDetails
    from fossilgis.cli._common import operator

    user = user or operator()
    kept = submitted_files(files)
    if case_number.upper() == "NEW":
        details = CaseDetails(
            fields["project_name"] or files[0].stem,
            fields["applicant"],
            fields["contact"],
            project_type,
            fields["county"],
            officer=user,
        )
        number = store.cases.open(details, user=user, screening=screening, files=kept)
        click.echo(f"case {number} opened: screen 1, grade {screening.grade}", err=True)
    else:
        number = case_number
        seq = store.cases.add_screen(number, screening, user=user, files=kept)
        click.echo(f"case {number}: screen {seq} recorded, grade {screening.grade}", err=True)
    from fossilgis.cases.dossier import report_case

    return report_case(store, number)


def _emit(screening, fmt, output, lang, store, case=None):
    from fossilgis import report
    from fossilgis.io.atomic import protected_paths_of, write_text_atomic

    if fmt in ("geojson", "gpkg"):
        from fossilgis.io.write import write_screening

        write_screening(screening, output, fmt, protected=protected_paths_of(store))
        click.echo(f"wrote {len(screening.impacts)} impact(s) to {output}", err=True)
        return
    if fmt == "text":
        text = report.render_text(screening, lang)
    elif fmt == "json":
        text = report.render_json(screening)
    elif fmt == "csv":
        text = report.render_csv(screening)
    else:
        extra = {"case": case} if case else {}
        text = report.render_html(screening, lang, store=store, **extra)
    if output is None:
        click.echo(text, nl=False)
    else:
        # written whole or not at all; csv keeps its BOM and CRLF as rendered
        write_text_atomic(output, text, protected_paths_of(store))
        click.echo(f"wrote {output}", err=True)
