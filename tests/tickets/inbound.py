"""Helpers for the inbound e-mail tests: sample messages, ingesting, our e-mails' addresses."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import sqlalchemy as sa

from access.mail.outbox.models import OutboxMessage
from access.persistence.database import Database
from bot.settings import Settings
from helpdesk.inbound import InboundOptions, IngestResult, ingest
from helpdesk.models import Ticket, TicketEvent

MAIL = Path(__file__).parent / "mail"
HELP = "help.extranet@segec.be"


def raw(name: str, number: str | None = None, **values: str) -> bytes:
    """A sample message; `{number}`, `{reply_to}` and any `{name}` filled in."""
    data = (MAIL / name).read_bytes()
    if number:
        data = data.replace(b"{number}", number.encode())
    values.setdefault("reply_to", HELP)
    for key, value in values.items():
        data = data.replace(b"{" + key.encode() + b"}", value.encode())
    return data


def run_ingest(
    db: Database, settings: Settings, data: bytes, options: InboundOptions | None = None
) -> IngestResult:
    with db.transaction() as session:
        return ingest(session, settings, data, triage_enabled=False, options=options)


def outbox_messages(db: Database, number: str, kind: str | None = None) -> list[EmailMessage]:
    """Our e-mails about ticket `number` still waiting in the outbox, oldest first."""
    with db.session() as session:
        query = sa.select(OutboxMessage).where(OutboxMessage.ref == number)
        if kind is not None:
            query = query.where(OutboxMessage.kind == f"ticket_{kind}")
        rows = session.scalars(query.order_by(OutboxMessage.id)).all()
        parser = BytesParser(policy=policy.default)
        return [parser.parsebytes(row.raw or b"") for row in rows]  # type: ignore[misc]


def reply_address(db: Database, number: str) -> str:
    """The Reply-To of the latest e-mail the requester of `number` received."""
    mails = [m for m in outbox_messages(db, number) if str(m["To"]) != HELP]
    assert mails, f"no e-mail to the requester of {number}"
    return mails[-1]["Reply-To"].addresses[0].addr_spec


def events(db: Database, number: str, kind: str | None = None) -> list[TicketEvent]:
    with db.session() as session:
        query = (
            sa.select(TicketEvent)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(Ticket.number == number)
        )
        if kind is not None:
            query = query.where(TicketEvent.kind == kind)
        return list(session.scalars(query.order_by(TicketEvent.id)))


def ticket_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(Ticket)) or 0)
