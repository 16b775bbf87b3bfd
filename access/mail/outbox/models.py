"""The outbox tables: one row per message, its bytes apart."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from access.clock import utcnow
from access.directory.models import BigId
from access.persistence.database import Base


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    # "invitation", "activation_confirmation", "password_reset", "ticket", ...
    kind: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    # What the message is about, for the caller (e.g. "invitation-request:12", "ticket:42").
    ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    mail_from: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A delivery report (bounce) received later for this message: when, the status code it
    # gave ("5.1.1") and the receiving server's words.
    bounced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    bounce_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    bounce_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    # None once the message is sent or has failed for good (see the module's docstring).
    body: Mapped[OutboxBody | None] = relationship(cascade="all, delete-orphan")

    @property
    def raw(self) -> bytes | None:
        return None if self.body is None else self.body.raw


class OutboxBody(Base):
    """The bytes of a message, apart: they never change while its status does several times
    (a status update then rewrites a small row, not the whole message)."""

    __tablename__ = "outbox_bodies"

    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), primary_key=True
    )
    raw: Mapped[bytes] = mapped_column(LargeBinary)


messages_table = OutboxMessage.__table__
bodies_table = OutboxBody.__table__
