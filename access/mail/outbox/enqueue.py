"""Writing e-mails to the outbox, in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import make_msgid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.clock import utcnow
from access.mail.letter import Letter
from access.mail.outbox import doorbell
from access.mail.outbox.models import (
    OutboxBody,
    OutboxMessage,
    OutboxStatus,
    bodies_table,
    messages_table,
)
from access.persistence.database import insert_many


# Slots, not frozen (here and in Claimed): a thousand are made per school, and a frozen
# dataclass is several times slower to build.
@dataclass(slots=True)
class Sealed:
    """A message in its final bytes, with its envelope: what the outbox stores."""

    message_id: str
    mail_from: str
    recipients: list[str]
    raw: bytes


def seal(letter: Letter, *, now: datetime | None = None) -> Sealed:
    """Give the letter its Message-ID and Date, once, so every delivery attempt sends the
    same bytes. Callers preparing many messages may seal them before opening the
    transaction that enqueues them."""
    mail_from = letter.sender.addr_spec
    domain = mail_from.rpartition("@")[2] or "localhost"
    message_id = make_msgid(idstring=uuid.uuid4().hex[:12], domain=domain)
    return Sealed(
        message_id=message_id,
        mail_from=mail_from,
        recipients=letter.recipients,
        raw=letter.to_bytes(message_id=message_id, date=now or utcnow()),
    )


def enqueue(
    session: Session,
    message: Letter | Sealed,
    *,
    kind: str,
    person_id: int | None = None,
    ref: str | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Store `message` for delivery, in the caller's transaction; return the outbox row."""
    now = now or utcnow()
    sealed = message if isinstance(message, Sealed) else seal(message, now=now)
    row = OutboxMessage(**_values(sealed, kind=kind, person_id=person_id, ref=ref, now=now))
    row.body = OutboxBody(raw=sealed.raw)
    session.add(row)
    doorbell.ring(session)
    return row


def enqueue_many(
    session: Session,
    messages: Sequence[tuple[Sealed, int | None]],
    *,
    kind: str,
    ref: str | None = None,
    now: datetime | None = None,
) -> None:
    """`enqueue` for many sealed messages, each with its person: a few statements for all."""
    if not messages:
        return
    now = now or utcnow()
    insert_many(
        session,
        messages_table,
        [
            _values(sealed, kind=kind, person_id=person_id, ref=ref, now=now)
            for sealed, person_id in messages
        ],
    )
    # Not INSERT ... RETURNING: on SQLite, returning ids in order means one INSERT per row.
    raws = {sealed.message_id: sealed.raw for sealed, _ in messages}
    ids = session.execute(
        sa.select(messages_table.c.id, messages_table.c.message_id).where(
            messages_table.c.message_id.in_(list(raws))
        )
    )
    insert_many(
        session, bodies_table, [{"outbox_id": row.id, "raw": raws[row.message_id]} for row in ids]
    )
    doorbell.ring(session)


def _values(
    sealed: Sealed, *, kind: str, person_id: int | None, ref: str | None, now: datetime
) -> dict[str, object]:
    return {
        "message_id": sealed.message_id,
        "kind": kind,
        "person_id": person_id,
        "ref": ref,
        "mail_from": sealed.mail_from,
        "recipients": sealed.recipients,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
