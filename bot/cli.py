"""`extranet-bot`: the console script; also `python -m bot`."""

from __future__ import annotations

import importlib
import logging
import sys

import click
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.commands.context import AppContext
from bot.settings import Settings
from common import logs

# (module, attribute) of each sub-command; each module owns one command or group.
COMMANDS: list[tuple[str, str]] = [
    ("bot.commands.db", "db"),
    ("bot.commands.serve", "serve"),
    ("bot.commands.proeco", "proeco"),
    ("bot.commands.team", "team"),
    ("bot.commands.demo", "demo"),
    ("bot.commands.console", "console"),
    ("bot.commands.socket", "socket"),
    ("bot.commands.worker", "worker"),
    ("bot.commands.invite", "invite"),
    ("bot.commands.tickets", "tickets"),
    ("bot.commands.mail", "mail"),
    ("bot.commands.faq", "faq"),
    ("bot.commands.scheduler", "scheduler"),
    ("bot.commands.jobs", "jobs"),
    ("bot.commands.diagnose", "diagnose"),
]


@click.group(help="Extranet helpdesk and access bot.")
@click.option("-v", "--verbose", is_flag=True, help="Log debug information to stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    logs.configure(level=level)
    if not verbose:
        # Alembic narrates every migration step; operators need that only when debugging.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    if ctx.obj is None:
        try:
            ctx.obj = AppContext(settings=Settings())
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"]).upper()
            raise click.ClickException(f"invalid setting {field}: {first['msg']}") from None
        if ctx.obj.settings.log_format != "text":
            logs.configure(level=level, log_format=ctx.obj.settings.log_format)


for module_name, attribute in COMMANDS:
    cli.add_command(getattr(importlib.import_module(module_name), attribute))


def main() -> None:
    """Run the CLI; anything unexpected ends with one line on stderr and a non-zero exit."""
    verbose = any(arg in ("-v", "--verbose") for arg in sys.argv[1:2])
    try:
        cli(prog_name="extranet-bot")
    except (OperationalError, ProgrammingError) as error:
        if verbose:
            raise
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        click.echo(
            f"Error: database unavailable or not migrated ({reason}); "
            "run `extranet-bot db upgrade` and check DATABASE_URL.",
            err=True,
        )
        sys.exit(1)
    except Exception as error:
        if verbose:
            raise
        first_line = (str(error).strip().splitlines() or [""])[0]
        click.echo(
            f"Error: {type(error).__name__}: {first_line} (run with -v for details)", err=True
        )
        sys.exit(1)
