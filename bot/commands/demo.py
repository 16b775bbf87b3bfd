"""`extranet-bot demo`: the product on its embedded defaults, with the demo data loaded."""

from __future__ import annotations

import click

from access.demo import DEMO_DIRECTOR_EMAIL, DEMO_FASE, load_demo
from access.errors import AccessError
from access.team import team_of
from bot.commands.context import AppContext, pass_app
from bot.commands.proeco import render_report
from bot.commands.team import render_team


@click.command(help="Load the demo data (a few schools, ~40 people) and show a demo school's team.")
@pass_app
def demo(app: AppContext) -> None:
    db = app.database()
    try:
        path, report = load_demo(app.settings, db)
    except AccessError as error:
        raise click.ClickException(f"demo data not loaded: {error}") from None
    click.echo(render_report(report, path.name))
    click.echo("")
    with db.session() as session:
        click.echo(render_team(team_of(session, DEMO_FASE)))
    click.echo("")
    click.echo(f"Demo director: {DEMO_DIRECTOR_EMAIL} (FASE {DEMO_FASE}).")
