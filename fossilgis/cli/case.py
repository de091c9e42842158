"""``fossilgis case``: the case register (list, show, decide, attach, export, re-screen).

A case is opened by ``fossilgis impact-check FILE --case NEW`` (or ``case new`` for one
that has no file yet), or by an applicant on the web; these commands find, decide, file
and revisit it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from fossilgis import vocab
from fossilgis.cli._common import check_output, open_store, operator, progress_bar

LIST_FORMATS = ("text", "csv", "json")


def _user(user):
    return user or operator()


user_option = click.option(
    "--user", metavar="NAME", help="Name written in the audit log (default: cli:<os user>)."
)


@click.group()
def case():
    """The case register: every screen the office files and decides. 案件登记与办理。"""


@case.command("list")
@click.option("--status", multiple=True, type=click.Choice(vocab.CASE_STATUSES.codes))
@click.option("--county", help="County (县区) as written in the case.")
@click.option("--grade", type=click.Choice(vocab.GRADES.codes), help="Current screen's grade.")
@click.option("--since", metavar="DATE", help="Opened on or after DATE (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Opened before DATE (YYYY-MM-DD).")
@click.option("--q", "text", metavar="TEXT", help="Search number, project, applicant, county.")
@click.option("--target", metavar="ID", help="Cases affecting this site or section (GZ-F03).")
@click.option("--bbox", metavar="W,S,E,N", help="Cases whose footprints meet this lon/lat box.")
@click.option("--changed", is_flag=True, help="Only cases a registry revision changed.")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(LIST_FORMATS), default="text")
@click.pass_context
def list_(ctx, status, county, grade, since, until, text, target, bbox, changed, limit, fmt):
    """List cases, newest submissions and flagged cases first. 案件列表。"""
    store = open_store(ctx)
    box = _bbox(bbox)
    rows, total = store.cases.list(
        status=list(status) or None,
        county=county,
        grade=grade,
        since=since,
        until=until,
        q=text,
        target=target,
        bbox=box,
        changed=changed,
        limit=limit,
    )
    if fmt == "json":
        click.echo(json.dumps({"total": total, "cases": rows}, ensure_ascii=False, indent=2))
        return
    if fmt == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        cols = [
            "number",
            "status",
            "grade",
            "project_name",
            "applicant_unit",
            "county",
            "created_at",
            "targets",
            "flag",
        ]
        writer.writerow(cols)
        for r in rows:
            writer.writerow(
                [
                    " ".join(r[c])
                    if c == "targets"
                    else ("changed" if c == "flag" and r[c] else r[c] or "")
                    for c in cols
                ]
            )
        return
    if not rows:
        click.echo(f"no cases match (of {sum(store.cases.counts().values())} in the register)")
        return
    for r in rows:
        grade = vocab.GRADES.label(r["grade"], "en") if r["grade"] else "not screened"
        click.echo(
            f"{r['number']}  {r['status']:<19} {grade:<36} {r['project_name']}"
            + (f" — {r['applicant_unit']}" if r["applicant_unit"] else "")
            + (f"  [{' '.join(r['targets'])}]" if r["targets"] else "")
        )
        if r["flag"]:
            from fossilgis.cases.snapshot import describe_flag

            click.echo("    ! " + describe_flag(r["flag"]))
    if total > len(rows):
        click.echo(f"({len(rows)} of {total}; --limit N for more)")


def _bbox(text):
    if not text:
        return None
    try:
        box = [float(v) for v in text.split(",")]
    except ValueError:
        box = []
    if len(box) != 4 or box[0] > box[2] or box[1] > box[3]:
        raise click.BadParameter(
            f"{text!r}: expected W,S,E,N in degrees, e.g. 105.5,25.9,106.2,26.4",
            param_hint="--bbox",
        )
    return box


@case.command()
@click.argument("number")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text")
@click.option("--lang", type=click.Choice(vocab.LANGS), help="Language (default: both).")
@click.pass_context
def show(ctx, number, fmt, lang):
    """Show a case: its record, screens, follow-ups, files and history. 查看案件。"""
    from fossilgis.cases.dossier import case_record
    from fossilgis.cli._case_text import render_case_text

    store = open_store(ctx)
    record = case_record(store, number)
    if fmt == "json":
        click.echo(json.dumps(record, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(render_case_text(store, record, lang), nl=False)


@case.command()
@click.option("--project-name", required=True, help="Project name (项目名称).")
@click.option("--applicant", help="Applicant unit (建设单位).")
@click.option("--contact", help="Applicant contact (联系人/电话).")
@click.option("--project-type", type=click.Choice(vocab.PROJECT_TYPES.codes), default="other")
@click.option("--county", help="County (县区).")
@user_option
@click.pass_context
def new(ctx, project_name, applicant, contact, project_type, county, user):
    """Open a case that has no red-line file yet (status received). 登记新案件。"""
    from fossilgis.cases.model import CaseDetails

    store = open_store(ctx)
    details = CaseDetails(
        project_name, applicant, contact, project_type, county, officer=_user(user)
    )
    number = store.cases.open(details, user=_user(user))
    click.echo(number)


@case.command()
@click.argument("number")
@click.option(
    "--status",
    "decision",
    required=True,
    type=click.Choice(("evaluation_required", "avoid_required", "cleared")),
    help="The decision.",
)
@click.option("--text", help="The decision text (处理意见).")
@click.option(
    "--follow-up",
    "follow_ups",
    multiple=True,
    metavar="TEXT[|YYYY-MM-DD]",
    help="A required follow-up, with an optional due date; repeat for several.",
)
@click.option("--release", is_flag=True, help="Show these follow-ups to the applicant.")
@user_option
@click.pass_context
def decide(ctx, number, decision, text, follow_ups, release, user):
    """Record the office's decision on a case. 作出处理决定。"""
    from fossilgis.cases.model import Decision, parse_follow_up

    store = open_store(ctx)
    items = [parse_follow_up(f, release) for f in follow_ups]
    store.cases.decide(number, Decision(decision, text, items), user=_user(user))
    click.echo(f"{number}: {decision} ({vocab.CASE_STATUSES.zh(decision)})")


@case.command()
@click.argument("number")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--note", help="What the document is (e.g. 评价报告).")
@user_option
@click.pass_context
def attach(ctx, number, file, note, user):
    """Attach a PDF, JPEG or PNG document to a case. 添加附件。"""
    from fossilgis.cases.files import attachment_type

    store = open_store(ctx)
    data = file.read_bytes()
    mime = attachment_type(data, file.name)
    added = store.cases.attach(number, file.name, data, mime, user=_user(user), note=note)
    click.echo(
        f"{number}: attached {file.name} ({added['bytes']} bytes, sha256 {added['sha256'][:12]}…)"
    )


@case.command()
@click.argument("number")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("zip", "html", "json", "geojson", "gpkg")),
    help="Default: from the output's suffix (.zip: the whole dossier).",
)
@click.option("--lang", type=click.Choice(vocab.LANGS), help="Report language (default: both).")
@click.pass_context
def export(ctx, number, output, fmt, lang):
    """Export a case: a zip dossier, its report, its record or its screen as GIS. 导出案卷。"""
    from fossilgis.cases.dossier import export_case

    store = open_store(ctx)
    store.cases.get(number)
    check_output(store, output)
    export_case(store, number, output, fmt, lang=lang)
    click.echo(f"wrote {output}", err=True)


@case.command()
@click.argument("numbers", nargs=-1)
@click.option("--lang", type=click.Choice(vocab.LANGS), help="Language of the change notes.")
@user_option
@click.pass_context
def rescreen(ctx, numbers, lang, user):
    """Re-screen open cases against the current layers; flag changed ones. 案件复核。"""
    store = open_store(ctx)
    report = run_rescreen(ctx, store, numbers=list(numbers) or None, user=_user(user), lang=lang)
    for line in report.lines(lang):
        click.echo(line)


def run_rescreen(ctx, store, *, numbers=None, user=None, lang=None):
    """Re-screen with a progress bar on stderr (after two seconds)."""
    from fossilgis.cases.rescreen import rescreen_cases

    with progress_bar(ctx, "case", "re-screening") as progress:
        return rescreen_cases(store, user=user, numbers=numbers, progress=progress, lang=lang)


def _move(name: str, status: str, help_text: str):
    @case.command(name, help=help_text)
    @click.argument("number")
    @click.option("--note", help="Why (kept in the history).")
    @user_option
    @click.pass_context
    def command(ctx, number, note, user):
        store = open_store(ctx)
        store.cases.set_status(number, status, user=_user(user), note=note)
        click.echo(f"{number}: {status} ({vocab.CASE_STATUSES.zh(status)})")

    return command


close = _move("close", "closed", "Close a decided case (办结). Restore with `case restore`.")
withdraw = _move("withdraw", "withdrawn", "Withdraw a case (撤回). Restore with `case restore`.")


@case.command()
@click.argument("number")
@click.option("--note", help="Why (kept in the history).")
@user_option
@click.pass_context
def restore(ctx, number, note, user):
    """Take a closed or withdrawn case back to its last status. 恢复案件。"""
    store = open_store(ctx)
    back = store.cases.restore(number, user=_user(user), note=note)
    click.echo(f"{number}: restored to {back} ({vocab.CASE_STATUSES.zh(back)})")


@case.command("follow-up")
@click.argument("number")
@click.option("--add", "items", multiple=True, metavar="TEXT[|YYYY-MM-DD]")
@click.option("--release", is_flag=True, help="Show the added items to the applicant.")
@click.option("--done", "done", type=int, multiple=True, metavar="N", help="Mark item N done.")
@user_option
@click.pass_context
def follow_up(ctx, number, items, release, done, user):
    """Add follow-up items to a case or mark them done. 后续事项。"""
    from fossilgis.cases.model import parse_follow_up

    if not items and not done:
        raise click.UsageError("give --add TEXT[|DATE] or --done N")
    store = open_store(ctx)
    if items:
        added = store.cases.add_follow_ups(
            number, [parse_follow_up(i, release) for i in items], user=_user(user)
        )
        for a in added:
            click.echo(f"{number}: follow-up {a['seq']} added")
    for seq in done:
        store.cases.complete_follow_up(number, seq, user=_user(user))
        click.echo(f"{number}: follow-up {seq} done")


@case.command()
@click.argument("number")
@user_option
@click.pass_context
def acknowledge(ctx, number, user):
    """Clear a case's registry-revision flag once the change has been reviewed. 已阅变更。"""
    store = open_store(ctx)
    store.cases.acknowledge_flag(number, user=_user(user))
    click.echo(f"{number}: flag cleared")


@case.command("number-format")
@click.argument("fmt", required=False)
@user_option
@click.pass_context
def number_format(ctx, fmt, user):
    """Show or set the case-number format, e.g. 'GZHS-{year}-{seq:04d}'. 案件编号格式。"""
    store = open_store(ctx)
    if fmt:
        store.cases.set_number_format(fmt, user=_user(user))
    click.echo(store.cases.number_format())
