"""`extranet-bot scheduler`: the `clock` process; fires the scheduled jobs on their schedules
(docs/operations.md, « Scheduled jobs »)."""

from __future__ import annotations

import contextlib
import logging
import signal
from types import FrameType

import click

from bot.commands.context import AppContext, pass_app
from bot.commands.jobs import job_context_factory
from scheduling.scheduler import build_scheduler, scheduled_jobs

log = logging.getLogger(__name__)


@click.command(help="Run the scheduled jobs on their schedules (several may run at once).")
@pass_app
def scheduler(app: AppContext) -> None:
    planned = scheduled_jobs(app.settings)
    clock = build_scheduler(planned, job_context_factory(app))

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("scheduler stopping (signal %s); a running job finishes first", signum)
        clock.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    log.info(
        "scheduler started: %s",
        ", ".join(f"{job.name} ({job.crontab(app.settings)})" for job, _ in planned) or "no job",
    )
    with contextlib.suppress(KeyboardInterrupt):
        clock.start()
