"""`extranet-bot tickets stats [--json]`: the helpdesk's measures from the terminal."""

from __future__ import annotations

import json

import click

from bot.commands.context import AppContext, pass_app
from helpdesk import messages
from helpdesk.stats import stats, stats_rows


@click.group(help="Helpdesk tickets.")
def tickets() -> None:
    pass


@tickets.command(
    "stats", help="Open tickets, median response and resolution times, FAQ deflection."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def stats_command(app: AppContext, as_json: bool) -> None:
    with app.database().session() as session:
        result = stats(session)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    rows = stats_rows(result)
    width = max(len(label) for label, _ in rows)
    click.echo(messages.STATS_TITLE)
    for label, value in rows:
        click.echo(f"  {label.ljust(width)}  {value}")
