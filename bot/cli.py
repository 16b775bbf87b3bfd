"""`extranet-bot`: the console script; also `python -m bot`."""

from __future__ import annotations

import importlib
import logging
import sys

import click
from pydantic import ValidationError

from bot.commands.context import AppContext
from bot.settings import Settings

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
]


@click.group(help="Extranet helpdesk and access bot.")
@click.option("-v", "--verbose", is_flag=True, help="Log debug information to stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if ctx.obj is None:
        try:
            ctx.obj = AppContext(settings=Settings())
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first["loc"]).upper()
            raise click.ClickException(f"invalid setting {field}: {first['msg']}") from None


for module_name, attribute in COMMANDS:
    cli.add_command(getattr(importlib.import_module(module_name), attribute))


def main() -> None:
    cli(prog_name="extranet-bot")
