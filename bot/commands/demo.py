"""`extranet-bot demo [--reset]`: the product on its embedded defaults, with the demo data, in
the console.

The demo works in the database every other command uses (DATABASE_URL, by default the SQLite
file `extranet-bot.db` of the working directory), so `console --as`, `team`, `invite`,
`tickets stats` or `serve` run afterwards see what was done in it. It loads its data into an
empty database, keeps what was done in one that holds the demo data (`--reset` starts over),
and refuses a database holding anything else: it never loads into real data nor erases it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.commands.console import mail_after_turn, mail_banner, quiet_logs
from bot.commands.context import AppContext, database_name, pass_app
from bot.commands.proeco import render_report
from bot.commands.team import render_team

if TYPE_CHECKING:
    from access.demo import DatabaseContents
    from access.persistence.database import Database
    from bot.settings import Settings

DEMO_TEACHER_EMAIL = "marc.lambert@saint-joseph-namur.example"


def demo_settings(settings: Settings) -> Settings:
    """The configured database, and mail written to files (a demo never sends real mail)."""
    return settings.model_copy(
        update={"mail_backend": "file", "mail_dir": Path(settings.mail_dir).resolve()}
    )


def contents_before_migrating(db: Database) -> DatabaseContents | None:
    """What a database already holds, read before the demo migrates it (None: no directory
    tables yet), so that a database of real data is refused untouched."""
    import sqlalchemy as sa

    from access.demo import database_contents

    if not sa.inspect(db.engine).has_table("people"):
        return None
    with db.session() as session:
        return database_contents(session)


def refusal(where: str, found: DatabaseContents) -> str:
    return (
        f"the database {where} holds data that is not the demo's ({found.establishments} "
        f"establishment(s), {found.people} person(s)); the demo neither loads into it nor "
        "erases it. Give the demo a database of its own, e.g. "
        "`DATABASE_URL=sqlite:///extranet-demo.db extranet-bot demo`, and the same "
        "DATABASE_URL to the other commands."
    )


@click.command(
    help="Load the demo data (a few schools, ~40 people) into the database and open the "
    "console on it. What was done in an earlier run is kept; --reset starts over."
)
@click.option("--reset", is_flag=True, help="Erase what earlier runs did and load the demo anew.")
@pass_app
def demo(app: AppContext, reset: bool) -> None:
    from access.demo import DEMO_DIRECTOR_EMAIL, DEMO_FASE, Contents, erase_demo, load_demo_data
    from access.directory.team import team_of
    from access.errors import AccessError
    from bot.console import ConsoleSession, run

    quiet_logs()
    settings = demo_settings(app.settings)
    app = AppContext(settings=settings)
    where = database_name(settings.database_url)
    found = contents_before_migrating(app.database())
    if found is not None and found.kind is Contents.OTHER:
        raise click.ClickException(refusal(where, found))
    db = app.migrated_database()
    if reset:
        erase_demo(db)
        click.echo(f"Demo reset: what earlier runs did in {where} is erased.")
    elif found is not None and found.kind is Contents.DEMO:
        click.echo(f"The demo data is already in {where}: what you did there is kept.")
        click.echo("`extranet-bot demo --reset` starts over.")
    try:
        loaded = load_demo_data(settings, db)
    except AccessError as error:
        raise click.ClickException(f"demo data not loaded: {error}") from None
    if loaded.report.changed:
        click.echo(render_report(loaded.report, loaded.path.name))
    click.echo("")
    with db.session() as session:
        click.echo(render_team(team_of(session, DEMO_FASE)))
    click.echo("")
    click.echo(
        f"Database: {where}; every other command run here uses it too "
        "(`extranet-bot console --as …`, `team`, `invite`, `tickets stats`, `serve`…)."
    )
    click.echo(
        f"You are the demo director: {DEMO_DIRECTOR_EMAIL} (FASE {DEMO_FASE}). A teacher: "
        f"`extranet-bot console --as {DEMO_TEACHER_EMAIL}` (or `/as …` here); "
        "a helpdesk agent: `extranet-bot console --agent`."
    )
    click.echo(mail_banner(settings))
    click.echo("")
    session = ConsoleSession(db, settings, as_email=DEMO_DIRECTOR_EMAIL)
    run(session, after_turn=mail_after_turn(settings, db))
