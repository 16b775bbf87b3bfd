"""Claiming due messages, recording results, and the retry schedule."""

from __future__ import annotations

import logging
import os
import random
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import DateTime
from sqlalchemy.orm import Session

from access.clock import as_utc, utcnow
from access.config import AccessSettings
from access.mail.outbox.models import OutboxStatus, bodies_table, messages_table
from access.persistence.database import Database
from common import metrics

# last_error of a message whose bytes are missing (for operators; the team list shows the
# wording for reasons without an SMTP code).
log = logging.getLogger(__name__)

BYTES_LOST = "message bytes missing from outboxbodies_table"


@dataclass(slots=True)
class Claimed:
    id: int
    message_id: str
    mail_from: str
    recipients: list[str]
    raw: bytes
    attempts: int
    claimed_at: datetime


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0

    def add(self, other: DeliveryReport) -> None:
        for name in ("claimed", "sent", "retried", "failed", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(slots=True)
class Outcome:
    item: Claimed
    ok: bool
    permanent: bool = False
    error: str | None = None
    released: bool = False
    # Not the message's fault (the relay refused our login): retried, never failed for it.
    deferred: bool = False


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim_timeout(settings: AccessSettings) -> timedelta:
    return timedelta(seconds=settings.outbox_claim_timeout_seconds)


def _abandoned(settings: AccessSettings, now: datetime) -> sa.ColumnElement[bool]:
    stale = now - claim_timeout(settings)
    return sa.and_(
        messages_table.c.status == OutboxStatus.SENDING.value, messages_table.c.claimed_at < stale
    )


def _due(settings: AccessSettings, now: datetime, due_by: datetime) -> sa.ColumnElement[bool]:
    """What `claim` takes: never tried and due, due again by `due_by`, or abandoned."""
    return sa.or_(
        sa.and_(
            messages_table.c.status == OutboxStatus.PENDING.value,
            sa.or_(
                messages_table.c.next_attempt_at <= due_by,
                sa.and_(messages_table.c.attempts == 0, messages_table.c.next_attempt_at <= now),
            ),
        ),
        _abandoned(settings, now),
    )


# Built once: a worker with nothing to do runs it several times a second, and building and
# keying the statement each time cost more than running it.
_DUE_CHECK = (
    sa.select(messages_table.c.id)
    .where(
        sa.or_(
            sa.and_(
                messages_table.c.status == OutboxStatus.PENDING.value,
                messages_table.c.next_attempt_at
                <= sa.bindparam("due_by", type_=DateTime(timezone=True)),
            ),
            sa.and_(
                messages_table.c.status == OutboxStatus.SENDING.value,
                messages_table.c.claimed_at < sa.bindparam("stale", type_=DateTime(timezone=True)),
            ),
        )
    )
    .limit(1)
)


def has_due(
    db: Database,
    settings: AccessSettings,
    *,
    now: datetime | None = None,
    due_by: datetime | None = None,
) -> bool:
    """Whether `claim` would find something, without its write: a worker with nothing to do
    asks this several times a second, and a claim (on SQLite, the database's write lock)
    each time made the send of a school's invitations wait, and kept the idle worker busy
    (docs/benchmarks.md)."""
    now = now or utcnow()
    # `claim` also takes never-tried messages due by `now` when `due_by` is earlier.
    params = {"due_by": max(now, due_by or now), "stale": now - claim_timeout(settings)}
    with db.reading() as connection:
        return connection.execute(_DUE_CHECK, params).first() is not None


def claim(
    db: Database,
    settings: AccessSettings,
    *,
    worker_id: str,
    limit: int,
    now: datetime | None = None,
    due_by: datetime | None = None,
) -> list[Claimed]:
    """Atomically take up to `limit` messages for `worker_id`: those never tried yet, and
    those due for another attempt by `due_by` (default: now)."""
    now = now or utcnow()
    due_by = due_by or now
    abandoned = _abandoned(settings, now)
    with db.transaction() as session:
        # A message whose worker died on each of its attempts is not retried forever.
        exhausted = session.scalars(
            messages_table.update()
            .where(abandoned, messages_table.c.attempts >= settings.outbox_max_attempts)
            .values(
                status=OutboxStatus.FAILED.value,
                claimed_by=None,
                last_error="worker stopped while sending, attempts exhausted",
            )
            .returning(messages_table.c.id)
        ).all()
        _forget_bodies(session, exhausted)
        candidates = (
            sa.select(messages_table.c.id)
            .where(_due(settings, now, due_by))
            .order_by(messages_table.c.next_attempt_at, messages_table.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = session.execute(
            messages_table.update()
            .where(messages_table.c.id.in_(candidates.scalar_subquery()))
            .values(
                status=OutboxStatus.SENDING.value,
                claimed_by=worker_id,
                claimed_at=now,
                attempts=messages_table.c.attempts + 1,
            )
            .returning(
                messages_table.c.id,
                messages_table.c.message_id,
                messages_table.c.mail_from,
                messages_table.c.recipients,
                messages_table.c.attempts,
            )
        ).all()
        bodies = session.execute(
            sa.select(bodies_table.c.outbox_id, bodies_table.c.raw).where(
                bodies_table.c.outbox_id.in_([row.id for row in rows])
            )
        )
        raws = {body.outbox_id: body.raw for body in bodies}
        lost = [row.id for row in rows if row.id not in raws]
        if lost:
            # Bytes are only deleted with a final status, so this takes a hand in the database;
            # failing those rows keeps one damaged message from stopping every delivery.
            log.error("outbox messages %s have no bytes; marked failed", lost)
            session.execute(
                messages_table.update()
                .where(messages_table.c.id.in_(lost))
                .values(status=OutboxStatus.FAILED.value, claimed_by=None, last_error=BYTES_LOST)
            )
    claimed = [
        Claimed(
            id=row.id,
            message_id=row.message_id,
            mail_from=row.mail_from,
            recipients=list(row.recipients),
            raw=bytes(raws[row.id]),
            attempts=row.attempts,
            claimed_at=now,
        )
        for row in rows
        if row.id in raws
    ]
    claimed.sort(key=lambda c: c.id)
    return claimed


def backoff(settings: AccessSettings, attempts: int) -> timedelta:
    """Exponential, capped, with jitter so retries of a whole batch do not arrive together."""
    ceiling = min(
        settings.outbox_retry_max_seconds,
        settings.outbox_retry_base_seconds * (2 ** max(attempts - 1, 0)),
    )
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def record(
    db: Database,
    settings: AccessSettings,
    *,
    worker_id: str,
    outcomes: Sequence[Outcome],
    now: datetime | None = None,
) -> DeliveryReport:
    """Write the results of sending back to the outbox, in one transaction."""
    now = now or utcnow()
    report = DeliveryReport()
    sent_ids = [o.item.id for o in outcomes if o.ok]
    with db.transaction() as session:
        if sent_ids:
            # Sent is sent, whoever holds the claim now: the server has the message.
            session.execute(
                messages_table.update()
                .where(
                    messages_table.c.id.in_(sent_ids),
                    messages_table.c.status != OutboxStatus.SENT.value,
                )
                .values(
                    status=OutboxStatus.SENT.value,
                    sent_at=now,
                    claimed_by=None,
                    last_error=None,
                )
            )
            report.sent += len(sent_ids)
        done = list(sent_ids)
        mine = sa.and_(
            messages_table.c.claimed_by == worker_id,
            messages_table.c.status == OutboxStatus.SENDING.value,
        )
        for outcome in outcomes:
            if outcome.ok:
                continue
            item = outcome.item
            if outcome.released:
                values: dict[str, object] = {
                    "status": OutboxStatus.PENDING.value,
                    "claimed_by": None,
                    "attempts": max(item.attempts - 1, 0),
                }
                report.released += 1
            elif not outcome.deferred and (
                outcome.permanent or item.attempts >= settings.outbox_max_attempts
            ):
                values = {
                    "status": OutboxStatus.FAILED.value,
                    "claimed_by": None,
                    "last_error": outcome.error,
                }
                report.failed += 1
            else:
                values = {
                    "status": OutboxStatus.PENDING.value,
                    "claimed_by": None,
                    "last_error": outcome.error,
                    "next_attempt_at": now + backoff(settings, item.attempts),
                }
                report.retried += 1
            changed = session.scalars(
                messages_table.update()
                .where(messages_table.c.id == item.id, mine)
                .values(**values)
                .returning(messages_table.c.id)
            ).all()
            # Only if it is still this worker's: another one may be sending it meanwhile.
            if changed and values["status"] == OutboxStatus.FAILED.value:
                done.append(item.id)
        _forget_bodies(session, done)
    _count(report, outcomes)
    return report


def _count(report: DeliveryReport, outcomes: Sequence[Outcome]) -> None:
    for result in ("sent", "retried", "failed", "released"):
        if getattr(report, result):
            metrics.MAIL_DELIVERIES.labels(result=result).inc(getattr(report, result))
    for outcome in outcomes:
        if not outcome.ok and not outcome.released:
            metrics.MAIL_FAILURES.labels(reason=_reason_class(outcome)).inc()


def _reason_class(outcome: Outcome) -> str:
    if outcome.deferred:
        return "relay_login"
    return "refused" if outcome.permanent else "temporary"


def _forget_bodies(session: Session, outbox_ids: Sequence[int]) -> None:
    """Delete the bytes of messages that will never be sent again (sent, or failed for good):
    an invitation's bytes hold a live activation link, which must not outlive its delivery
    in the database."""
    if outbox_ids:
        session.execute(bodies_table.delete().where(bodies_table.c.outbox_id.in_(list(outbox_ids))))


@dataclass(frozen=True)
class Backlog:
    """The outbox at a glance, for operators: messages by status, and since when the oldest
    message that is due now has been waiting (None: nothing is due)."""

    by_status: dict[str, int]
    oldest_due_since: datetime | None


def backlog(session: Session, *, now: datetime | None = None) -> Backlog:
    now = now or utcnow()
    counts = session.execute(
        sa.select(messages_table.c.status, sa.func.count()).group_by(messages_table.c.status)
    ).all()
    oldest = session.scalar(
        sa.select(sa.func.min(messages_table.c.created_at)).where(
            messages_table.c.status == OutboxStatus.PENDING.value,
            messages_table.c.next_attempt_at <= now,
        )
    )
    by_status = {status.value: 0 for status in OutboxStatus}
    by_status.update({str(status): int(count) for status, count in counts})
    return Backlog(by_status, as_utc(oldest))
