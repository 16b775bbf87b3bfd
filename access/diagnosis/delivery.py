"""What became of a person's invitation: its e-mail in the outbox (and a bounce recorded
later, `access.mail.outbox.bounces`) and its link (`access.accounts.tokens`).

Read for one person by the diagnosis, and for a whole team by the director's list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import messages as msg
from access.accounts import tokens
from access.accounts.models import SecretToken
from access.clock import as_utc, utcnow
from access.diagnosis.model import Delivery, Failure, LinkState
from access.mail.outbox.models import OutboxMessage, OutboxStatus
from access.messages import french_date

INVITATION_KIND = "invitation"

# "5.1.1" anywhere in the server's answer (RFC 3463 enhanced status code).
_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_BASIC = re.compile(r"^\s*([245]\d\d)\b")
_ENHANCED_FAILURES = {
    "1.1": Failure.UNKNOWN_MAILBOX,
    "1.6": Failure.UNKNOWN_MAILBOX,
    "1.10": Failure.UNKNOWN_MAILBOX,
    "1.2": Failure.UNKNOWN_DOMAIN,
    "4.4": Failure.UNKNOWN_DOMAIN,
    "1.3": Failure.BAD_ADDRESS,
    "2.1": Failure.MAILBOX_DISABLED,
    "2.2": Failure.MAILBOX_FULL,
    "3.4": Failure.OTHER,
}
_UNKNOWN_USER_WORDS = ("unknown", "no such", "does not exist", "not found", "invalid recipient")


def classify(reply: str | None) -> Failure:
    """Why the server would not deliver, from its answer ("550 5.1.1 … User unknown")."""
    text = (reply or "").strip()
    if not text or text.startswith("connection failed"):
        return Failure.UNREACHABLE
    enhanced = _ENHANCED.search(text)
    if enhanced is not None:
        subject, detail = enhanced.group(2), enhanced.group(3)
        if subject == "7":
            return Failure.REJECTED
        return _ENHANCED_FAILURES.get(f"{subject}.{detail}", Failure.OTHER)
    basic = _BASIC.match(text)
    code = basic.group(1) if basic else ""
    if code == "552":
        return Failure.MAILBOX_FULL
    if code in ("550", "551", "553") and any(w in text.casefold() for w in _UNKNOWN_USER_WORDS):
        return Failure.UNKNOWN_MAILBOX
    if code == "554":
        return Failure.REJECTED
    return Failure.OTHER


@dataclass(frozen=True)
class MailState:
    delivery: Delivery
    at: datetime | None
    server_reply: str | None
    failure: Failure | None
    next_attempt_at: datetime | None
    address: str | None


def mail_state(message: Any) -> MailState:
    """`message`: an outbox row (ORM object or plain row), or None."""
    if message is None:
        return MailState(Delivery.UNKNOWN, None, None, None, None, None)
    # The list's rows are read without their recipients (a JSON column, slow to decode).
    recipients = getattr(message, "recipients", None)
    address = recipients[0] if recipients else None
    if message.bounced_at is not None:
        reply = " ".join(
            part for part in (message.bounce_status, message.bounce_reason) if part
        ).strip()
        return MailState(
            Delivery.BOUNCED,
            as_utc(message.bounced_at),
            reply or None,
            classify(reply) if reply else Failure.OTHER,
            None,
            address,
        )
    if message.status == OutboxStatus.SENT.value:
        return MailState(Delivery.ACCEPTED, as_utc(message.sent_at), None, None, None, address)
    if message.status == OutboxStatus.FAILED.value:
        return MailState(
            Delivery.REFUSED,
            as_utc(message.claimed_at),
            message.last_error,
            classify(message.last_error),
            None,
            address,
        )
    if message.last_error and message.attempts > 0:
        return MailState(
            Delivery.RETRYING,
            as_utc(message.claimed_at),
            message.last_error,
            classify(message.last_error),
            as_utc(message.next_attempt_at),
            address,
        )
    return MailState(Delivery.QUEUED, None, None, None, None, address)


def link_state(token: Any, now: datetime) -> LinkState:
    """`token`: a secret-token row (ORM object or plain row), or None."""
    if token is None:
        return LinkState.NONE
    if token.consumed_at is not None:
        return LinkState.USED
    if token.revoked_at is not None:
        return LinkState.REVOKED
    expires = as_utc(token.expires_at)
    return LinkState.EXPIRED if expires is not None and expires <= now else LinkState.VALID


def last_invitation_message(session: Session, person_id: int) -> OutboxMessage | None:
    return session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.person_id == person_id, OutboxMessage.kind == INVITATION_KIND)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).first()


def last_invitation_token(session: Session, person_id: int) -> SecretToken | None:
    return session.scalars(
        sa.select(SecretToken)
        .where(SecretToken.person_id == person_id, SecretToken.purpose == tokens.INVITATION)
        .order_by(SecretToken.id.desc())
        .limit(1)
    ).first()


# --- a whole team at once (the director's list) -------------------------------------------

_MESSAGE_COLUMNS = [
    getattr(OutboxMessage, name)
    for name in (
        "person_id",
        "created_at",
        "status",
        "attempts",
        "sent_at",
        "claimed_at",
        "next_attempt_at",
        "last_error",
        "bounced_at",
        "bounce_status",
        "bounce_reason",
    )
]
_TOKEN_COLUMNS = [
    getattr(SecretToken, name)
    for name in ("person_id", "created_at", "expires_at", "consumed_at", "revoked_at")
]


@dataclass(frozen=True)
class TeamDelivery:
    """One person's last invitation as the list shows it."""

    sent_at: datetime | None
    mail: MailState
    link: LinkState
    link_expires_at: datetime | None


def team_deliveries(
    session: Session, person_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, TeamDelivery]:
    """For each of these people who was ever sent an invitation, what became of the last one.
    Plain rows, not ORM objects: a school's list may hold a thousand people."""
    now = now or utcnow()
    ids = list(person_ids)
    if not ids:
        return {}
    last_message = (
        sa.select(sa.func.max(OutboxMessage.id))
        .where(OutboxMessage.person_id.in_(ids), OutboxMessage.kind == INVITATION_KIND)
        .group_by(OutboxMessage.person_id)
        .scalar_subquery()
    )
    last_token = (
        sa.select(sa.func.max(SecretToken.id))
        .where(SecretToken.person_id.in_(ids), SecretToken.purpose == tokens.INVITATION)
        .group_by(SecretToken.person_id)
        .scalar_subquery()
    )
    messages: dict[int, Any] = {
        row.person_id: row
        for row in session.execute(
            sa.select(*_MESSAGE_COLUMNS).where(OutboxMessage.id.in_(last_message))
        )
    }
    found: dict[int, Any] = {
        row.person_id: row
        for row in session.execute(sa.select(*_TOKEN_COLUMNS).where(SecretToken.id.in_(last_token)))
    }
    result = {}
    for person_id in set(messages) | set(found):
        token, message = found.get(person_id), messages.get(person_id)
        sent = (token or message).created_at
        result[person_id] = TeamDelivery(
            sent_at=as_utc(sent),
            mail=mail_state(message),
            link=link_state(token, now),
            link_expires_at=as_utc(token.expires_at) if token is not None else None,
        )
    return result


def team_notes(
    session: Session, person_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, str]:
    """What the director's list says instead of « Invitation envoyée le … » when the last
    invitation was refused, bounced, or its link expired unused."""
    now = now or utcnow()
    notes = {}
    for person_id, seen in team_deliveries(session, person_ids, now=now).items():
        sent = french_date(seen.sent_at) if seen.sent_at else "?"
        mail = seen.mail
        if mail.delivery in (Delivery.REFUSED, Delivery.BOUNCED):
            template = (
                msg.DELIVERY_REFUSED if mail.delivery == Delivery.REFUSED else msg.DELIVERY_BOUNCED
            )
            notes[person_id] = template.format(date=sent, reason=reason_text(mail))
        elif seen.link == LinkState.EXPIRED and seen.link_expires_at is not None:
            notes[person_id] = msg.DELIVERY_LINK_EXPIRED.format(
                date=sent, expired=french_date(seen.link_expires_at)
            )
    return notes


def reason_text(mail: MailState) -> str:
    """« boîte inconnue », or the server's own words when no category fits."""
    if mail.failure is not None and mail.failure.value in msg.DIAGNOSIS_FAILURES:
        return msg.DIAGNOSIS_FAILURES[mail.failure.value]
    return (mail.server_reply or "").strip()[:200] or msg.DELIVERY_UNREACHABLE
