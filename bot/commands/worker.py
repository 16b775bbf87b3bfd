"""`extranet-bot worker [--once]`: delivers the mail outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING

import click

from bot.commands.context import AppContext, pass_app

if TYPE_CHECKING:
    from helpdesk.triage import TriageNotifier

log = logging.getLogger(__name__)


SWEEP_EVERY_SECONDS = 60


async def _sweep_tickets(app: AppContext, triage: TriageNotifier, stop: asyncio.Event) -> None:
    from helpdesk.sweep import announce_forgotten_tickets

    while not stop.is_set():
        try:
            await asyncio.to_thread(announce_forgotten_tickets, app.database(), triage)
        except Exception:
            log.exception("ticket sweep failed; retrying later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=SWEEP_EVERY_SECONDS)


async def _run_until_signalled(app: AppContext, triage: TriageNotifier) -> None:
    from access.mail import outbox

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    sweep = asyncio.create_task(_sweep_tickets(app, triage, stop))
    await outbox.run_worker(app.settings, app.database(), stop)
    stop.set()
    await sweep


@click.command(help="Deliver the mail outbox (several workers may run at once).")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@pass_app
def worker(app: AppContext, once: bool) -> None:
    # Here, not at the top: `extranet-bot --help` imports this module; the Slack client
    # loads only for the commands that post, the metrics server only for a lasting worker.
    from access.mail import outbox
    from bot.slack.triage import triage_notifier
    from helpdesk.sweep import announce_forgotten_tickets

    triage = triage_notifier(app.settings, app.database())
    if once:
        announce_forgotten_tickets(app.database(), triage)
        report = outbox.deliver_due(app.settings, app.database())
        click.echo(f"{report.sent} sent, {report.retried} to retry later, {report.failed} failed.")
        return
    import uvloop

    from bot.web.metrics import serve_on_own_port
    from common import collector

    # Its counters only: the database's states are the web's, or they would be scraped twice.
    serve_on_own_port(app.settings, None)
    collector.freeze_startup_heap()
    # uvloop: the worker's time goes to the event loop's per-message bookkeeping as much as
    # to SMTP itself, which uvloop does for less CPU (docs/benchmarks.md).
    uvloop.run(_run_until_signalled(app, triage))
