from __future__ import annotations

import click

from bot.commands.context import AppContext, pass_app


@click.group(help="Database administration.")
def db() -> None:
    pass


@db.command(help="Apply the database migrations (safe to run again).")
@pass_app
def upgrade(app: AppContext) -> None:
    app.migrated_database()
    click.echo("Database is up to date.")
