"""`extranet-bot tickets stats [--json]`: the helpdesk's measures from the terminal.

`extranet-bot tickets full-text NUMBER`: the whole text of a ticket's e-mails that were cut
to the form's length in the ticket (see helpdesk.inbound.full_texts).
"""

from __future__ import annotations

import json
from typing import Any

import click

from bot.commands import labels
from bot.commands.context import AppContext, pass_app


@click.group(help="Helpdesk tickets.")
def tickets() -> None:
    pass


@tickets.command(
    "stats", help="Open tickets, median response and resolution times, FAQ deflection."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def stats_command(app: AppContext, as_json: bool) -> None:
    from helpdesk.stats import stats

    database = app.checked_database()
    with database.session() as session:
        result = stats(session)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    rows = measure_rows(result.as_dict())
    width = max(len(label) for label, _ in rows)
    click.echo(f"Helpdesk: open tickets and times (since {labels.moment(result.since)} UTC)")
    for label, value in rows:
        click.echo(f"  {label.ljust(width)}  {value}")
    if not result.open_total and not result.opened:
        click.echo("No ticket open, none opened in the last 30 days.")
        click.echo(app.empty_hint(database))


def measure_rows(measures: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """The measures of `TicketStats.as_dict()` as English (label, value) rows: the names
    are the stable keys, durations read as « 2 h 05 min », rates as percentages."""
    rows: list[tuple[str, str]] = []
    for key, value in measures.items():
        if key == "since":
            continue
        name = f"{prefix}{labels.measure_name(key)}"
        if isinstance(value, dict):
            rows.extend(measure_rows(value, f"{name}: ") if value else [(name, "0")])
        elif key.endswith("_seconds"):
            rows.append((name, labels.duration(value)))
        elif key == "rate":
            rows.append((name, "-" if value is None else f"{value:.0%}"))
        else:
            rows.append((name, "-" if value is None else str(value)))
    return rows


@tickets.command("full-text", help="The whole text of a ticket's e-mails cut in the ticket.")
@click.argument("number")
@pass_app
def full_text_command(app: AppContext, number: str) -> None:
    from helpdesk.errors import TicketNotFound
    from helpdesk.queries import full_texts

    with app.database().session() as session:
        try:
            texts = full_texts(session, number)
        except TicketNotFound as error:
            raise click.ClickException(str(error)) from None
        if not texts:
            click.echo(f"{number}: nothing was cut; the ticket holds every message whole.")
            return
        for text in texts:
            what = "reply" if text.event_id is not None else "first message"
            when = f"{text.created_at:%Y-%m-%d %H:%M} UTC"
            click.echo(f"--- {number}, {what}, {when}, {text.chars:,} characters")
            click.echo(text.body)
