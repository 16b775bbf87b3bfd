from __future__ import annotations

import logging

import click

from bot.commands.context import AppContext, pass_app


def quiet_logs() -> None:
    """Keep the conversation readable: only warnings on the terminal, unless --verbose."""
    root = logging.getLogger()
    if root.level > logging.DEBUG:
        root.setLevel(logging.WARNING)


@click.command(help="Chat with the bot in the terminal (same conversations as in Slack).")
@click.option("--as", "as_email", metavar="EMAIL", help="Who is speaking (default: a director).")
@pass_app
def console(app: AppContext, as_email: str | None) -> None:
    from access.mail import templates as mail
    from bot.console import ConsoleSession, run

    quiet_logs()
    mail.preload(app.settings)
    db = app.migrated_database()
    session = ConsoleSession(db, app.settings, as_email=as_email)
    if as_email and session.speaker.person_id is None:
        raise click.ClickException(f"no person with the e-mail {as_email} in the database")
    run(session)
