"""`extranet-bot worker [--once]`: delivers the mail outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import click
import uvloop

from access.mail import outbox
from bot.commands.context import AppContext, pass_app
from common import collector
from helpdesk.sweep import announce_forgotten_tickets
from helpdesk.triage import TriageNotifier

log = logging.getLogger(__name__)


SWEEP_EVERY_SECONDS = 60


async def _sweep_tickets(app: AppContext, triage: TriageNotifier, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await asyncio.to_thread(announce_forgotten_tickets, app.database(), triage)
        except Exception:
            log.exception("ticket sweep failed; retrying later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=SWEEP_EVERY_SECONDS)


async def _run_until_signalled(app: AppContext, triage: TriageNotifier) -> None:
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
    # Here, not at the top: the Slack client loads only for the commands that post.
    from bot.slack.triage import triage_notifier
    from bot.web.metrics import serve_on_own_port

    triage = triage_notifier(app.settings, app.database())
    if once:
        announce_forgotten_tickets(app.database(), triage)
        report = outbox.deliver_due(app.settings, app.database())
        click.echo(f"{report.sent} sent, {report.retried} to retry later, {report.failed} failed.")
        return
    # Its counters only: the database's states are the web's, or they would be scraped twice.
    serve_on_own_port(app.settings, None)
    collector.freeze_startup_heap()
    # uvloop: the worker's time goes to the event loop's per-message bookkeeping as much as
    # to SMTP itself, which uvloop does for less CPU (docs/benchmarks.md).
    uvloop.run(_run_until_signalled(app, triage))
