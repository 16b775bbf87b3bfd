"""`extranet-bot`: the console script; also `python -m bot`."""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from bot.commands.context import AppContext

# Module of each sub-command, which owns one command or group of that name. A module is
# imported only when its command runs (or for `--help`): each command pays for its own
# imports alone (docs/benchmarks.md, « CLI start »).
COMMANDS: dict[str, str] = {
    "db": "bot.commands.db",
    "serve": "bot.commands.serve",
    "proeco": "bot.commands.proeco",
    "team": "bot.commands.team",
    "demo": "bot.commands.demo",
    "console": "bot.commands.console",
    "socket": "bot.commands.socket",
    "worker": "bot.commands.worker",
    "invite": "bot.commands.invite",
    "tickets": "bot.commands.tickets",
    "mail": "bot.commands.mail",
    "faq": "bot.commands.faq",
    "scheduler": "bot.commands.scheduler",
    "jobs": "bot.commands.jobs",
    "diagnose": "bot.commands.diagnose",
}


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on demand (click's « Lazily Loading
    Subcommands »)."""

    def __init__(self, *args: Any, lazy_commands: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands and cmd_name not in self.commands:
            module = importlib.import_module(self.lazy_commands[cmd_name])
            command = getattr(module, cmd_name)
            if not isinstance(command, click.Command):
                raise TypeError(f"{module.__name__}.{cmd_name} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, help="Extranet helpdesk and access bot.")
@click.option("-v", "--verbose", is_flag=True, help="Log debug information to stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    # Here, not at the top: `--help` needs neither the settings nor the logging setup.
    from pydantic import ValidationError

    from bot.settings import Settings
    from common import logs

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


def _database_error(error: Exception) -> bool:
    """An error of the database (unreachable, not migrated). SQLAlchemy is not imported for
    that: a command that never loaded it cannot have raised one of its errors."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(
        error, (errors.OperationalError, errors.ProgrammingError)
    )


def main() -> None:
    """Run the CLI; anything unexpected ends with one line on stderr and a non-zero exit."""
    verbose = any(arg in ("-v", "--verbose") for arg in sys.argv[1:2])
    try:
        cli(prog_name="extranet-bot")
    except Exception as error:
        if verbose:
            raise
        if _database_error(error):
            orig = getattr(error, "orig", None)
            reason = str(orig).strip().splitlines()[0] if orig else type(error).__name__
            click.echo(
                f"Error: database unavailable or not migrated ({reason}); "
                "run `extranet-bot db upgrade` and check DATABASE_URL.",
                err=True,
            )
            sys.exit(1)
        first_line = (str(error).strip().splitlines() or [""])[0]
        click.echo(
            f"Error: {type(error).__name__}: {first_line} (run with -v for details)", err=True
        )
        sys.exit(1)
