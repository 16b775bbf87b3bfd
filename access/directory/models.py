"""Persistent model of the access module, as the procedure sheet describes it.

ProECO (the schools' administration software) is the source of truth for people, their
functions, establishments and e-mails; the Extranet account adds what only the person decides
(the reference e-mail chosen at activation, the password) and what the director decides
(mission grants).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from access.clock import utcnow
from access.persistence.database import Base

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class AccountStatus(enum.StrEnum):
    NOT_INVITED = "not_invited"
    INVITED = "invited"
    ACTIVE = "active"
    DISABLED = "disabled"


class Establishment(Base):
    __tablename__ = "establishments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The FASE number is an identifier, not a quantity: text, leading zeros kept.
    fase: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    assignments: Mapped[list[Assignment]] = relationship(back_populates="establishment")


class Function(Base):
    """A ProECO function code; unknown codes from an export are kept as they come."""

    __tablename__ = "functions"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(255))
    is_direction: Mapped[bool] = mapped_column(Boolean, default=False)
    known: Mapped[bool] = mapped_column(Boolean, default=True)


class Named:
    """How a person's name is written: « Nom Prénom » in lists, « Prénom Nom » in letters."""

    __slots__ = ()
    first_name: str
    last_name: str

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Person(Named, Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    matricule: Mapped[str] = mapped_column(String(32), unique=True)
    last_name: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(255))
    # As found in the last ProECO export; None when missing there. Validity is tracked apart
    # so an invalid address is still shown to the director, who corrects it in ProECO.
    proeco_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    proeco_email_valid: Mapped[bool] = mapped_column(Boolean, default=False)
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="person", order_by="Assignment.id"
    )
    account: Mapped[Account | None] = relationship(back_populates="person", uselist=False)


# Addresses are looked up as lower(column) = … (sign-in, activation, the chat's identity).
Index("ix_people_proeco_email_lower", func.lower(Person.proeco_email))


class Assignment(Base):
    """A person's function in one establishment (one row of the ProECO export)."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("person_id", "establishment_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishments.id"), index=True)
    function_code: Mapped[str] = mapped_column(ForeignKey("functions.code"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Set when the assignment disappears from the export: the person left this establishment.
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    person: Mapped[Person] = relationship(back_populates="assignments")
    establishment: Mapped[Establishment] = relationship(back_populates="assignments")
    function: Mapped[Function] = relationship()

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class Account(Base):
    """The person's Extranet account."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), unique=True)
    # Starts as the ProECO e-mail; the person may choose another at activation
    # (reference_email_chosen), which a later ProECO change then leaves alone.
    reference_email: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)
    reference_email_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=AccountStatus.NOT_INVITED.value)
    invited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Status before disabling, so a person who comes back gets their account back as it was.
    status_before_disable: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    person: Mapped[Person] = relationship(back_populates="account")


Index("ix_accounts_reference_email_lower", func.lower(Account.reference_email))


class MissionGrant(Base):
    """Extra resources a director gives one person in one establishment for a named mission."""

    __tablename__ = "mission_grants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishments.id"), index=True)
    mission: Mapped[str] = mapped_column(String(255))
    resources: Mapped[list[str]] = mapped_column(JSON)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
    establishment: Mapped[Establishment] = relationship()
    granted_by: Mapped[Person | None] = relationship(foreign_keys=[granted_by_id])


class AuditEntry(Base):
    """Append-only: who changed what, before/after, why. Never holds a secret."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # "person:<id>", "proeco-sync", "system", "slack:<user id>" for unknown users, ...
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
