"""Tickets and their history, on the access module's database.

A ticket keeps the identification the helpdesk needs (name, first name, FASE, contact) as the
requester typed it: the directory may change later, the request must still read as it was sent.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from access.clock import utcnow
from access.directory.models import BigId
from access.persistence.database import Base


class Status(enum.StrEnum):
    NEW = "nouveau"
    IN_PROGRESS = "en_cours"
    WAITING = "en_attente"
    RESOLVED = "resolu"


OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.WAITING)


class Priority(enum.StrEnum):
    LOW = "basse"
    NORMAL = "normale"
    HIGH = "haute"
    URGENT = "urgente"


class Category(enum.StrEnum):
    ACTIVATION = "activation"
    INVITATION = "invitation"
    PASSWORD = "password"
    EMAIL = "email"
    ACCESS = "access"
    OTHER = "other"


class Source(enum.StrEnum):
    SLACK = "slack"
    CONSOLE = "console"
    WEB = "web"
    EMAIL = "email"


class TicketCounter(Base):
    """One row per year; incremented in the opening transaction, so numbers have no gaps."""

    __tablename__ = "ticket_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("year", "sequence"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=Status.NEW.value, index=True)
    priority: Mapped[str] = mapped_column(String(16), default=Priority.NORMAL.value)
    category: Mapped[str] = mapped_column(String(16), default=Category.OTHER.value)
    source: Mapped[str] = mapped_column(String(16))

    last_name: Mapped[str] = mapped_column(String(255), default="")
    first_name: Mapped[str] = mapped_column(String(255), default="")
    fase: Mapped[str] = mapped_column(String(16), default="", index=True)
    fase_unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who wrote (the From of an e-mail): the only address a later message is checked against.
    contact_email: Mapped[str] = mapped_column(String(320))
    # Where answers go when the first e-mail asked for another address (Reply-To); never used
    # to recognise the requester.
    reply_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Tickets from e-mail may arrive without identification; the requester is asked for it.
    identification_missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text)
    proposed_faq_ids: Mapped[list[str]] = mapped_column(JSON, default=list)

    requester_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id"), nullable=True, index=True
    )
    requester_slack_user_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The requester's DM thread about this ticket, where replies are relayed both ways.
    requester_channel: Mapped[str | None] = mapped_column(String(64), nullable=True)
    requester_thread_ts: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)

    # "slack:U123" or "person:42"; the name is kept for display without a lookup.
    assignee_ref: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    assignee_name: Mapped[str | None] = mapped_column(String(255), nullable=True)

    triage_channel: Mapped[str | None] = mapped_column(String(64), nullable=True)
    triage_ts: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    helpdesk_emailed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    # The Message-IDs our e-mails about this ticket answer, so mail clients show one thread:
    # with the requester, the e-mail that opened the ticket (or our acknowledgement); at the
    # help address, the copy of the ticket it received.
    requester_mail_root: Mapped[str | None] = mapped_column(String(255), nullable=True)
    helpdesk_mail_root: Mapped[str | None] = mapped_column(String(255), nullable=True)

    # A double submit or a retried delivery carries the same key and finds this ticket.
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True, unique=True)

    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    first_response_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # None while the requester has not answered « Votre problème est-il résolu ? ».
    resolution_confirmed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status != Status.RESOLVED.value

    @property
    def requester_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def answer_address(self) -> str:
        return self.reply_email or self.contact_email


class TicketEvent(Base):
    """Append-only: everything a ticket went through, with author and time."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    author_ref: Mapped[str] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(255), default="")
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Internal events (notes, triage bookkeeping) are never shown to the requester.
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Where the message came from (a Slack "channel:ts", an e-mail Message-ID): a message
    # delivered twice is recorded once.
    source_ref: Mapped[str | None] = mapped_column(String(255), nullable=True, unique=True)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class TicketReplyKey(Base):
    """The secret in the reply address of one e-mail sent to the requester
    (`help+T-2026-00042.<key>@…`): a message to that address comes from a mailbox that received
    the e-mail. Only the SHA-256 of the key is stored, as for the access module's tokens."""

    __tablename__ = "ticket_reply_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TicketFullText(Base):
    """The whole text of an e-mail whose copy in the ticket was cut to the form's limit: the
    ticket and the triage card stay readable, agents can still read every word."""

    __tablename__ = "ticket_full_texts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    # The requester's reply it belongs to; None for the message that opened the ticket.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id"), nullable=True)
    chars: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
