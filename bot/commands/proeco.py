"""`extranet-bot proeco import FILE`: sync the staff with a ProECO export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.commands.context import AppContext, pass_app
from bot.commands.output import table

if TYPE_CHECKING:
    from access.proeco.sync import SyncReport


@click.group(help="The ProECO staff export.")
def proeco() -> None:
    pass


@proeco.command(
    "import",
    help=(
        "Sync the staff with a ProECO export (CSV, one row per assignment). "
        "All or nothing; a file that would mark more than 20 % of the people as having "
        "left is refused unless --allow-mass-departure, one that would change or empty "
        "more than 20 % of the e-mails unless --allow-mass-email-change."
    ),
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--allow-mass-departure",
    is_flag=True,
    help="Accept a file that marks more than 20 % of the known people as having left.",
)
@click.option(
    "--allow-mass-email-change",
    is_flag=True,
    help="Accept a file that changes or empties more than 20 % of the people's e-mails.",
)
@pass_app
def import_command(
    app: AppContext,
    file: Path,
    dry_run: bool,
    as_json: bool,
    allow_mass_departure: bool,
    allow_mass_email_change: bool,
) -> None:
    from access.directory.profiles import load_profiles
    from access.errors import AccessError
    from access.proeco.sync import ImportRefused, import_export

    try:
        profiles = load_profiles(app.settings.profiles_file)
        report = import_export(
            app.database(),
            file,
            dry_run=dry_run,
            allow_mass_departure=allow_mass_departure,
            allow_mass_email_change=allow_mass_email_change,
            profiles=profiles,
        )
    except AccessError as error:
        if as_json:
            partial = error.report if isinstance(error, ImportRefused) else None
            click.echo(
                json.dumps(
                    {
                        "refused": error.code,
                        "reason": str(error),
                        "report": partial.to_dict() if partial else None,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        raise click.ClickException(f"ProECO import refused: {error}") from None
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_report(report, file.name))


@proeco.command(help="Write a generated export (for benchmarks): N rows over M establishments.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rows", type=click.IntRange(min=1), required=True, help="Number of rows.")
@click.option(
    "--establishments", type=click.IntRange(min=1), required=True, help="Number of schools."
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same export.")
@click.option(
    "--change-fraction",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of the rows changed from the seed's base export (a later nightly export).",
)
def generate(file: Path, rows: int, establishments: int, seed: int, change_fraction: float) -> None:
    from access.demo import generate_export

    generate_export(file, rows, establishments, seed=seed, change_fraction=change_fraction)
    click.echo(f"Wrote {file}.")


def render_report(report: SyncReport, name: str) -> str:
    if report.dry_run:
        outcome = "dry run: nothing was written"
    elif report.applied:
        outcome = "applied"
    else:
        outcome = "no change: the stored staff already matches this file"
    lines = [
        f"ProECO import of {name} ({report.rows_read} rows, {report.encoding}, "
        f"delimiter {report.delimiter!r}): {outcome}",
        "",
        table(("count", "people"), list(report.counts().items())),
    ]
    kept = sum(1 for item in report.emails_to_fix if item.reference_email_kept)
    extra = [
        ("e-mails emptied by the file", report.email_emptied),
        ("sign-in e-mails kept (empty or invalid in ProECO)", kept),
        ("returned", report.returned),
        ("assignments ended", report.assignments_ended),
        ("establishments added", report.establishments_added),
        ("e-mails to fix in ProECO", len(report.emails_to_fix)),
    ]
    shown = [(label, value) for label, value in extra if value]
    if shown:
        lines += ["", *(f"{label}: {value}" for label, value in shown)]
    if report.unknown_functions:
        names = ", ".join(
            f"{label} ({code})" for code, label in sorted(report.unknown_functions.items())
        )
        lines += ["", f"Functions without an access profile (minimal access given): {names}"]
    if report.rejected_rows:
        lines += [
            "",
            "Rejected rows (nothing from them was applied):",
            table(
                ("line", "matricule", "FASE", "reason"),
                [
                    (row.line, row.matricule or "", row.fase or "", row.reason)
                    for row in report.rejected_rows
                ],
            ),
        ]
    return "\n".join(lines)
