"""Bulk invitation sends as jobs that every process can see.

Sending 300 invitations takes a while. While it runs, a second press of the button (or a
second director of the same school pressing theirs) must not start another send: it joins
the running job and follows its progress. The database holds at most one running job per
establishment (a unique "running slot"), and a job abandoned by a crashed process is taken
over once its heartbeat is stale. Per-person de-duplication stays the invitations service's
job (idempotency key + cooldown); this table is about what directors see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from access.clock import as_utc, utcnow
from access.directory.models import BigId, Establishment
from access.persistence.database import Base, Database

STALE_AFTER = timedelta(minutes=5)


class JobStatus:
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    ABANDONED = "abandoned"


class InvitationJob(Base):
    __tablename__ = "invitation_jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    establishment_id: Mapped[int] = mapped_column(sa.ForeignKey("establishments.id"), index=True)
    mode: Mapped[str] = mapped_column(sa.String(16))
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    running_slot: Mapped[str | None] = mapped_column(sa.String(16), unique=True, nullable=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), nullable=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=JobStatus.RUNNING)
    done: Mapped[int] = mapped_column(sa.Integer, default=0)
    total: Mapped[int] = mapped_column(sa.Integer, default=0)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class JobState:
    """A detached snapshot of a job, safe to hand to another thread."""

    id: int
    fase: str
    mode: str
    status: str
    done: int
    total: int
    result: dict[str, Any] | None
    error: str | None
    requested_by_id: int | None

    @property
    def running(self) -> bool:
        return self.status == JobStatus.RUNNING


@dataclass(frozen=True)
class Claim:
    job: JobState
    # False: the caller joined a job started earlier (same key, or another press running).
    started: bool


def claim(
    db: Database,
    *,
    establishment_id: int,
    fase: str,
    mode: str,
    idempotency_key: str,
    actor_person_id: int | None,
    total: int = 0,
    now: datetime | None = None,
) -> Claim:
    """Start a job for this press, or return the job that already answers it."""
    for _ in range(5):
        moment = as_utc(now) or utcnow()
        try:
            with db.transaction() as session:
                same = session.scalar(
                    sa.select(InvitationJob).where(InvitationJob.idempotency_key == idempotency_key)
                )
                if same is not None:
                    return Claim(_state(same, fase), started=False)
                running = session.scalar(
                    sa.select(InvitationJob).where(InvitationJob.running_slot == fase)
                )
                if running is not None:
                    heartbeat = as_utc(running.heartbeat_at)
                    if heartbeat is not None and moment - heartbeat < STALE_AFTER:
                        return Claim(_state(running, fase), started=False)
                    running.status = JobStatus.ABANDONED
                    running.running_slot = None
                    running.finished_at = moment
                    session.flush()
                job = InvitationJob(
                    establishment_id=establishment_id,
                    mode=mode,
                    idempotency_key=idempotency_key,
                    running_slot=fase,
                    requested_by_id=actor_person_id,
                    status=JobStatus.RUNNING,
                    done=0,
                    total=total,
                    started_at=moment,
                    heartbeat_at=moment,
                )
                session.add(job)
                session.flush()
                return Claim(_state(job, fase), started=True)
        except IntegrityError:
            # Another press won the race for the slot or the key: read what it created.
            continue
    raise RuntimeError("could not claim an invitation job after 5 attempts")


def report(db: Database, job_id: int, done: int, total: int) -> None:
    with db.transaction() as session:
        session.execute(
            sa.update(InvitationJob)
            .where(InvitationJob.id == job_id)
            .values(done=done, total=total, heartbeat_at=utcnow())
        )


def finish(db: Database, job_id: int, result: dict[str, Any]) -> None:
    _close(db, job_id, status=JobStatus.DONE, result=result, error=None)


def fail(db: Database, job_id: int, error: str) -> None:
    _close(db, job_id, status=JobStatus.FAILED, result=None, error=error[:2000])


def get(db: Database, job_id: int) -> JobState | None:
    with db.session() as session:
        row = session.execute(
            sa.select(InvitationJob, Establishment.fase)
            .join(Establishment, Establishment.id == InvitationJob.establishment_id)
            .where(InvitationJob.id == job_id)
        ).first()
        return None if row is None else _state(row[0], row[1])


def _close(
    db: Database, job_id: int, *, status: str, result: dict[str, Any] | None, error: str | None
) -> None:
    moment = utcnow()
    with db.transaction() as session:
        session.execute(
            sa.update(InvitationJob)
            .where(InvitationJob.id == job_id)
            .values(
                status=status,
                result=result,
                error=error,
                running_slot=None,
                finished_at=moment,
                heartbeat_at=moment,
            )
        )


def _state(job: InvitationJob, fase: str) -> JobState:
    return JobState(
        id=job.id,
        fase=fase,
        mode=job.mode,
        status=job.status,
        done=job.done,
        total=job.total,
        result=job.result,
        error=job.error,
        requested_by_id=job.requested_by_id,
    )
