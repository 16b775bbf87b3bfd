"""Claiming and recording runs of the scheduled jobs (table `job_runs`).

A run is claimed by inserting its row: (job, slot) is unique, so when two scheduler processes
fire the same job for the same slot, one insert wins and the other process skips the run.
A job also runs once at a time, whatever the slot (a manual run while the scheduled one is
still going): the claim looks for a running row first, under a lock (PostgreSQL: an advisory
lock per job for the claim's transaction; SQLite: BEGIN IMMEDIATE already has the whole
database). A running row older than `STALE_RUN` belongs to a process that died; the next
claim marks it abandoned.

Each function here commits itself (a process, docs/architecture.md): the claim must be
visible to the other schedulers before the work starts, and the record of a failure must
survive the failure.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access.clock import as_utc, utcnow
from access.persistence.database import Database
from scheduling.models import JobRun, Outcome

STALE_RUN = timedelta(hours=6)
SCHEDULE = "schedule"
MANUAL = "manual"
# The first argument of pg_advisory_xact_lock(int, int): "JOBS".
_LOCK_SPACE = 0x4A4F4253
_ADVISORY_LOCK = sa.text("SELECT pg_advisory_xact_lock(:space, :id)")


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def slot_key(slot: datetime) -> str:
    return as_utc(slot).replace(microsecond=0).isoformat()  # type: ignore[union-attr]


def manual_slot(now: datetime) -> str:
    return f"{MANUAL}:{as_utc(now).isoformat()}"  # type: ignore[union-attr]


@dataclass(frozen=True)
class Claim:
    """The outcome of a claim: `run_id` set when this process runs the job, else `reason`."""

    run_id: int | None
    reason: str = ""

    @property
    def won(self) -> bool:
        return self.run_id is not None


def claim(db: Database, job: str, slot: str, *, trigger: str, now: datetime | None = None) -> Claim:
    """Take the run of `job` for `slot`, unless another process has it or one is running."""
    moment = now or utcnow()
    try:
        with db.transaction() as session:
            _lock(session, job)
            if session.scalar(sa.select(JobRun.id).where(JobRun.job == job, JobRun.slot == slot)):
                return Claim(None, f"{job} already ran for {slot}")
            running = _abandon_stale(session, job, moment)
            if running is not None:
                return Claim(None, f"{job} is already running (since {running.isoformat()})")
            run = JobRun(
                job=job,
                slot=slot,
                trigger=trigger,
                runner=runner_name(),
                started_at=moment,
                outcome=Outcome.RUNNING.value,
                counts={},
            )
            session.add(run)
            session.flush()
            return Claim(run.id)
    except IntegrityError:
        # Another process inserted the same (job, slot) between our check and our insert.
        return Claim(None, f"{job} already ran for {slot}")


def _lock(session: Session, job: str) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    lock_id = int(hashlib.sha256(job.encode()).hexdigest()[:8], 16) - 2**31
    session.execute(_ADVISORY_LOCK, {"space": _LOCK_SPACE, "id": lock_id})


def _abandon_stale(session: Session, job: str, now: datetime) -> datetime | None:
    """Mark the dead runs of `job` abandoned; the start of a live running one, if any."""
    live: datetime | None = None
    for run in session.scalars(
        sa.select(JobRun).where(JobRun.job == job, JobRun.outcome == Outcome.RUNNING.value)
    ):
        started = as_utc(run.started_at)
        assert started is not None
        if now - started > STALE_RUN:
            run.outcome = Outcome.ABANDONED.value
            run.finished_at = now
            run.detail = f"still running after {STALE_RUN}: its process ({run.runner}) died"
        else:
            live = started
    return live


def finish(
    db: Database,
    run_id: int,
    outcome: Outcome,
    *,
    counts: dict[str, Any] | None = None,
    detail: str | None = None,
    now: datetime | None = None,
) -> None:
    with db.transaction() as session:
        session.execute(
            sa.update(JobRun)
            .where(JobRun.id == run_id)
            .values(
                outcome=outcome.value,
                finished_at=now or utcnow(),
                counts=dict(counts or {}),
                detail=(detail or None) and detail[:2000],
            )
        )


# --- reading the record ------------------------------------------------------------------------


def recent_runs(session: Session, *, limit: int = 20, job: str | None = None) -> list[JobRun]:
    query = sa.select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job is not None:
        query = query.where(JobRun.job == job)
    return list(session.scalars(query))


def last_runs(session: Session, jobs: Sequence[str]) -> dict[str, JobRun]:
    """The latest run of each job (by start)."""
    latest = (
        sa.select(sa.func.max(JobRun.id))
        .where(JobRun.job.in_(list(jobs)))
        .group_by(JobRun.job)
        .scalar_subquery()
    )
    return {run.job: run for run in session.scalars(sa.select(JobRun).where(JobRun.id.in_(latest)))}


def last_successes(session: Session) -> dict[str, datetime]:
    """When each job last ended well: what monitoring alerts on when it gets old."""
    rows = session.execute(
        sa.select(JobRun.job, sa.func.max(JobRun.finished_at))
        .where(JobRun.outcome == Outcome.SUCCESS.value)
        .group_by(JobRun.job)
    ).all()
    return {job: as_utc(at) for job, at in rows if at is not None}  # type: ignore[misc]


def runs_by_outcome(session: Session) -> dict[tuple[str, str], int]:
    """How many runs of each job ended each way."""
    rows = session.execute(
        sa.select(JobRun.job, JobRun.outcome, sa.func.count()).group_by(JobRun.job, JobRun.outcome)
    ).all()
    return {(job, outcome): int(count) for job, outcome, count in rows}
