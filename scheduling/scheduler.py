"""The scheduler process: APScheduler fires each job on its crontab, in Brussels time.

Several scheduler processes may run (a deploy overlapping the old one, two machines): each
fires every job, and the claim in the database (`scheduling.runs`) lets one of them run it.
A firing missed by more than `MISFIRE_GRACE` (the process was down) is skipped, not caught
up; coalescing makes several missed firings one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger

from access.clock import utcnow
from scheduling.config import SchedulingSettings
from scheduling.jobs import JOBS, Job, JobContext
from scheduling.runner import run_job
from scheduling.runs import SCHEDULE, slot_key
from scheduling.schedules import BRUSSELS, MISFIRE_GRACE, current_slot, trigger_of

log = logging.getLogger(__name__)

ContextFactory = Callable[[datetime], JobContext]


def scheduled_jobs(
    settings: SchedulingSettings, jobs: Iterable[Job] | None = None
) -> list[tuple[Job, BaseTrigger]]:
    """The jobs that run with these settings, each with its trigger; the others are logged."""
    chosen = []
    for job in jobs if jobs is not None else JOBS.values():
        trigger = trigger_of(job.crontab(settings))
        reason = job.unconfigured(settings) or ("its schedule is off" if trigger is None else None)
        if reason is not None:
            log.info("job %s is off: %s", job.name, reason)
            continue
        assert trigger is not None
        chosen.append((job, trigger))
    return chosen


def fire(job: Job, trigger: BaseTrigger, make_context: ContextFactory) -> None:
    """What APScheduler calls: the run for the slot this firing answers."""
    now = utcnow()
    slot = current_slot(trigger, now) or now
    try:
        run_job(make_context(now), job, slot=slot_key(slot), trigger=SCHEDULE)
    except Exception as error:
        # The database is unreachable (the claim or the record failed): the next firing tries.
        log.error("job %s could not run: %s: %s", job.name, type(error).__name__, error)


def build_scheduler(
    planned: Iterable[tuple[Job, BaseTrigger]],
    make_context: ContextFactory,
    *,
    scheduler: BaseScheduler | None = None,
) -> BaseScheduler:
    scheduler = scheduler or BlockingScheduler()
    scheduler.configure(
        timezone=BRUSSELS,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
        },
    )
    for job, trigger in planned:
        scheduler.add_job(
            fire, trigger, args=(job, trigger, make_context), id=job.name, name=job.name
        )
    return scheduler
