"""`extranet-bot scheduler`: the `clock` process; fires the scheduled jobs on their schedules
(docs/operations.md, « Scheduled jobs »). SIGTERM or Ctrl-C stops it; a running job ends
first."""

from __future__ import annotations

import logging
import signal
import threading

import click

from bot.commands.context import AppContext, pass_app

log = logging.getLogger(__name__)


@click.command(help="Run the scheduled jobs on their schedules (several may run at once).")
@pass_app
def scheduler(app: AppContext) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.commands.jobs import job_context_factory
    from bot.web.metrics import serve_on_own_port
    from scheduling.scheduler import build_scheduler, scheduled_jobs

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: stop.set())
    planned = scheduled_jobs(app.settings)
    # Its counters only: the database's states are the web's, or they would be scraped twice.
    serve_on_own_port(app.settings, None)
    clock = build_scheduler(planned, job_context_factory(app), scheduler=BackgroundScheduler())
    clock.start()
    log.info(
        "scheduler started: %s",
        ", ".join(f"{job.name} ({job.crontab(app.settings)})" for job, _ in planned) or "no job",
    )
    # A signal that came during the start is not lost: the event is already set.
    while not stop.wait(timeout=1.0):
        pass
    log.info("scheduler stopping; a running job finishes first")
    clock.shutdown(wait=True)
