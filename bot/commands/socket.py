from __future__ import annotations

import asyncio
import signal

import click

from bot.commands.context import AppContext, pass_app


@click.command(help="Run the Slack app in Socket Mode (development: no public URL needed).")
@pass_app
def socket(app: AppContext) -> None:
    from common import collector

    with collector.startup():
        from bot.slack.app import ConfigurationError, run_socket_mode

        db = app.migrated_database()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_socket_mode(app.settings, db, stop)

    try:
        asyncio.run(main())
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None
