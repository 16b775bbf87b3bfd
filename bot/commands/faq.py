"""`extranet-bot faq report`: what people ask that the FAQ does not settle."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click

from bot.commands.context import AppContext, pass_app
from bot.commands.output import table
from faq.usage import deflection, unanswered_report


@click.group(help="The FAQ: questions asked and how well they were answered.")
def faq() -> None:
    pass


@faq.command(help="Most frequent unanswered or unhelpful questions, and the deflection rate.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=None,
    help="Only the questions of the last N days (default: all).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def report(app: AppContext, limit: int, days: int | None, as_json: bool) -> None:
    since = datetime.now(UTC) - timedelta(days=days) if days else None
    database = app.checked_database()
    with database.session() as session:
        groups = unanswered_report(session, limit=limit, since=since)
        totals = deflection(session, since=since)
    if as_json:
        payload = {
            "since": since.isoformat() if since else None,
            "deflection": totals,
            "unanswered": [
                {
                    "question": g.example,
                    "topic": g.topic,
                    "count": g.count,
                    "unanswered": g.unanswered,
                    "not_helpful": g.not_helpful,
                    "tickets": g.tickets,
                    "last_asked": g.last_asked.isoformat(),
                    "proposed": g.proposed,
                }
                for g in groups
            ],
        }
        click.echo(json.dumps(payload, ensure_ascii=False))
        return
    if not totals["asked"]:
        when = f" in the last {days} days" if days else ""
        click.echo(f"No question was asked{when}: nothing to report.")
        click.echo(app.empty_hint(database))
        return
    click.echo(
        f"{totals['asked']} questions, {totals['answered']} answered by the FAQ, "
        f"{totals['deflected']} settled without the helpdesk "
        f"({totals['deflection_rate']:.0%}); {totals['not_helpful']} not helpful, "
        f"{totals['tickets']} tickets opened."
    )
    if not groups:
        click.echo("No unanswered question.")
        return
    click.echo("\nMost frequent unanswered or unhelpful questions (as people typed them):")
    rows = []
    for g in groups:
        example = g.example.replace("\n", " ")
        if len(example) > 80:
            example = example[:79] + "…"
        rows.append((g.count, g.unanswered, g.not_helpful, g.tickets, example, g.proposed or "-"))
    click.echo(
        table(
            ("asked", "unanswered", "not helpful", "tickets", "question", "entry proposed"),
            rows,
        )
    )
