"""Bulk invitation sends as jobs that every process can see.

Sending 300 invitations takes a while. While it runs, a second press of the button (or a
second director of the same school pressing theirs) must not start another send: it joins
the running job and follows its progress. The database holds at most one running job per
establishment (a unique "running slot"), and a job abandoned by a crashed process is taken
over once its heartbeat is stale. Per-person de-duplication stays the invitations service's
job (idempotency key + cooldown); this table is about what directors see.

`run_team_send` carries out a claimed job: it waits for a send slot (a few bulk sends at once
per process), saves the progress for other presses to see, and closes the job with the summary
a director reads, or with the reason it stopped.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from access.clock import as_utc, utcnow
from access.config import AccessSettings
from access.directory.models import BigId, Establishment
from access.errors import AccessError
from access.invitations.delivery import last_failure_for
from access.invitations.service import InvitationReport, Progress, send_invitations
from access.messages import STATUS_DELIVERY_FAILED
from access.persistence.database import Base, Database

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=5)
PROGRESS_WRITE_INTERVAL = 0.5
# Bulk sends running at once in this process. Each holds database connections while it writes
# its chunks: fifty directors pressing together would exhaust the connection pool instead of
# finishing sooner. On SQLite every write queues on one lock anyway, and parallel sends only
# starve the other turns of it. The others wait their turn (their message says it started).
MAX_PARALLEL_SENDS = {"sqlite": 1}
DEFAULT_PARALLEL_SENDS = 4
_send_slots: dict[str, threading.BoundedSemaphore] = {}
_send_slots_lock = threading.Lock()


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
    idempotency_key: str = ""

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
        idempotency_key=job.idempotency_key,
    )


# -- carrying out a claimed send --------------------------------------------------------------


@dataclass(frozen=True)
class SendSummary:
    """What a bulk send did, in the director's terms: (name, French reason) pairs.

    Saved as the job's result, so a later press of the same button shows it again."""

    sent: int
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "skipped": self.skipped, "failed": self.failed}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SendSummary:
        return cls(
            sent=int(data.get("sent", 0)),
            skipped=[(str(a), str(b)) for a, b in data.get("skipped", [])],
            failed=[(str(a), str(b)) for a, b in data.get("failed", [])],
        )


class SendInterrupted(Exception):
    """A bulk send stopped on an unexpected error after `done` of `total` people (the job is
    closed as failed; what was prepared still leaves, a new press sends the rest)."""

    def __init__(self, done: int, total: int) -> None:
        super().__init__(f"bulk send interrupted at {done} / {total}")
        self.done, self.total = done, total


def run_team_send(
    db: Database, settings: AccessSettings, job: JobState, *, on_progress: Progress | None = None
) -> SendSummary:
    """Invite the team of a job just claimed (`claim(...).started`) and close the job.

    Returns the summary also saved as the job's result. Raises the service's AccessError, or
    SendInterrupted on any other error; the job is closed as failed either way.
    """
    saver = _ProgressWriter(db, job.id)

    def progress(done: int, total: int) -> None:
        saver.seen = (done, total)
        if on_progress is not None:
            on_progress(done, total)

    try:
        # Progress is written only once the send has its slot: a job waiting its turn costs
        # no thread of its own.
        with _send_slot(db), saver:
            invited = send_invitations(
                db,
                settings,
                actor_person_id=job.requested_by_id,
                fase=job.fase,
                mode=job.mode,
                idempotency_key=job.idempotency_key,
                progress=progress,
            )
    except AccessError as error:
        fail(db, job.id, error.code)
        raise
    except Exception as error:
        log.exception("bulk invitation send failed (job %s)", job.id)
        fail(db, job.id, type(error).__name__)
        raise SendInterrupted(*saver.seen) from error
    summary = summarize(db, invited)
    finish(db, job.id, summary.as_json())
    return summary


def summarize(db: Database, report: InvitationReport) -> SendSummary:
    """The invitations service's report in the director's words, with the delivery failures
    the outbox already knows of (later ones appear on the list: « Échec d'envoi : … »)."""
    with db.session() as session:
        failures = last_failure_for(session, [outcome.person_id for outcome in report.sent])
    by_name = {outcome.person_id: outcome.name for outcome in report.sent}
    return SendSummary(
        sent=len(report.sent) - len(failures),
        skipped=[(outcome.name, outcome.label) for outcome in [*report.to_fix, *report.skipped]],
        failed=[
            (by_name[pid], STATUS_DELIVERY_FAILED.format(reason=reason))
            for pid, reason in sorted(failures.items(), key=lambda item: by_name[item[0]])
        ],
    )


def _send_slot(db: Database) -> threading.BoundedSemaphore:
    dialect = db.engine.dialect.name
    with _send_slots_lock:
        if dialect not in _send_slots:
            limit = MAX_PARALLEL_SENDS.get(dialect, DEFAULT_PARALLEL_SENDS)
            _send_slots[dialect] = threading.BoundedSemaphore(limit)
        return _send_slots[dialect]


class _ProgressWriter(threading.Thread):
    """Saves the job's progress for other presses to see, from its own thread.

    The invitations service reports progress inside its per-chunk transaction; on SQLite a
    write from that callback would wait for the very lock its caller holds. This thread
    writes between chunks instead, at most every PROGRESS_WRITE_INTERVAL seconds. As a
    context manager it runs for the block and writes the last figures on the way out.
    """

    def __init__(self, db: Database, job_id: int) -> None:
        super().__init__(name=f"invitation-job-{job_id}", daemon=True)
        self.db, self.job_id = db, job_id
        self.seen = (0, 0)
        self._written = (0, 0)
        self._stopping = threading.Event()

    def __enter__(self) -> _ProgressWriter:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        self.join()
        self._write()

    def run(self) -> None:
        while not self._stopping.wait(PROGRESS_WRITE_INTERVAL):
            self._write()

    def _write(self) -> None:
        current = self.seen
        if current != self._written:
            try:
                report(self.db, self.job_id, *current)
            except Exception:
                log.warning("could not save the progress of job %s", self.job_id, exc_info=True)
            self._written = current
