"""Persistent model of secrets and requests around accounts: one-time tokens, invitation
requests (idempotency) and sign-in attempts (throttling), tables created by 0002_invitations;
web sessions, created by 0010_web_sessions.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from access.clock import utcnow
from access.directory.models import BigId
from access.persistence.database import Base


class SecretToken(Base):
    """A one-time secret sent to one address of one person; only its hash is stored."""

    __tablename__ = "secret_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # "invitation", "reset", "email_change", "link_code", "situation"
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Only short codes have a salt (see access.accounts.tokens.issue_code).
    salt: Mapped[str | None] = mapped_column(String(32), nullable=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # The address the secret was sent to: proving possession of the token proves that address.
    email: Mapped[str] = mapped_column(String(320))
    # What else the secret is bound to, e.g. "slack:U123" for a link code.
    subject: Mapped[str | None] = mapped_column(String(128), nullable=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int | None] = mapped_column(Integer, nullable=True)


class InvitationRequest(Base):
    """One send request of a director (or the CLI); the key makes a retried request a replay.

    `report` holds the result (access.invitations.service.InvitationReport.to_json()).
    """

    __tablename__ = "invitation_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    actor: Mapped[str] = mapped_column(String(64))
    fase: Mapped[str | None] = mapped_column(String(16), nullable=True)
    mode: Mapped[str] = mapped_column(String(16))
    # "running" while invitations are being prepared (in chunks), then "done".
    status: Mapped[str] = mapped_column(String(16), default="running")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Touched after every chunk: a "running" request not touched for a while was abandoned.
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class LoginAttempt(Base):
    """A sign-in (kind "signin") or password-reset request (kind "reset"), for throttling.

    The address is kept only as `email_key(...)`, so the table lists no one's e-mail.
    """

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="signin")
    email_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    client: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Indexed: every sign-in deletes the attempts older than two days.
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # Sign-in: the password matched. Reset: nothing is left to do (link written or held back).
    success: Mapped[bool] = mapped_column(Boolean, default=False)


def email_key(email: str) -> str:
    """Stable key of an address for counting attempts, without storing the address."""
    return hashlib.sha256(email.strip().casefold().encode("utf-8")).hexdigest()


class WebSession(Base):
    """A signed-in browser (access.accounts.sessions). The cookie holds a random secret and
    the table only its SHA-256, so reading the table signs nobody in."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    # « Se souvenir de moi »: the longer idle and absolute lifetimes.
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    # signin.session_version of the password at sign-in: a new password ends the session.
    credential_version: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Indexed, as revoked_at: every sign-in deletes the sessions that ended (sessions.prune).
    last_seen_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    # The absolute end, whatever the activity.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, index=True
    )
