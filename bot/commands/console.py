from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.commands.context import LOAD_SOMETHING, AppContext, database_name, pass_app

if TYPE_CHECKING:
    from access.persistence.database import Database
    from bot.settings import Settings


def quiet_logs() -> None:
    """Keep the conversation readable: only warnings on the terminal, unless --verbose."""
    root = logging.getLogger()
    if root.level > logging.DEBUG:
        root.setLevel(logging.WARNING)


def mail_after_turn(settings: Settings, db: Database) -> Callable[[], str | None] | None:
    """With MAIL_BACKEND=file the console writes each turn's e-mails at once (no worker runs
    beside it); with SMTP the worker sends them."""
    from bot.console import MailFolder

    return MailFolder(settings, db).deliver if settings.mail_backend == "file" else None


def mail_banner(settings: Settings) -> str:
    if settings.mail_backend == "file":
        folder = Path(settings.mail_dir).resolve()
        return f"E-mails sent from the console are written at once into {folder}/."
    return "E-mails sent from the console leave through the worker (`extranet-bot worker`)."


@click.command(help="Chat with the bot in the terminal (same conversations as in Slack).")
@click.option("--as", "as_email", metavar="EMAIL", help="Who is speaking (default: a director).")
@click.option(
    "--agent",
    is_flag=True,
    help="Speak as a helpdesk agent: /tickets, and each ticket's card with its actions "
    "(--as names the agent).",
)
@pass_app
def console(app: AppContext, as_email: str | None, agent: bool) -> None:
    from access.demo import Contents, database_contents
    from access.mail import templates as mail
    from bot.console import ConsoleSession, run

    quiet_logs()
    mail.preload(app.settings)
    db = app.migrated_database()
    where = database_name(app.settings.database_url)
    with db.session() as session:
        empty = database_contents(session).kind is Contents.EMPTY
    if empty and as_email and not agent:
        raise click.ClickException(f"the database {where} holds no person; {LOAD_SOMETHING}.")
    session_ = ConsoleSession(db, app.settings, as_email=as_email, agent=agent)
    if as_email and not agent and session_.speaker.person_id is None:
        raise click.ClickException(f"no person with the e-mail {as_email} in the database {where}")
    click.echo(f"Database: {where}.")
    if empty:
        click.echo(f"It holds no establishment and no person yet: {LOAD_SOMETHING}.")
    click.echo(mail_banner(app.settings))
    run(session_, after_turn=mail_after_turn(app.settings, db))
