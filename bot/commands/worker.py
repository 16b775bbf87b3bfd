"""`extranet-bot worker [--once]`: delivers the mail outbox."""

from __future__ import annotations

import asyncio
import signal

import click

from access import outbox
from bot.commands.context import AppContext, pass_app


async def _run_until_signalled(app: AppContext) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await outbox.run_worker(app.settings, app.database(), stop)


@click.command(help="Deliver the mail outbox (several workers may run at once).")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@pass_app
def worker(app: AppContext, once: bool) -> None:
    if once:
        report = outbox.deliver_due(app.settings, app.database())
        click.echo(f"{report.sent} sent, {report.retried} to retry later, {report.failed} failed.")
        return
    asyncio.run(_run_until_signalled(app))
