"""Forgetting what the access module no longer needs (the scheduler's nightly housekeeping).

- secrets: a token dead (expired, used or revoked) past `token_retention` after it expired —
  the links pages never read a dead token, only people asking why a link failed do, for a
  while; a chat link code one day after it expired (they live ten minutes);
- sign-in and reset attempts older than the longest window that counts them;
- web sessions that ended (signed out, idle or past their lifetime);
- outbox rows of messages sent longer than `sent_retention` ago, except the latest of each
  kind for each person (the team list reads it); failures stay.

Each deletion is one statement in the caller's transaction; each returns how many rows went.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.accounts import sessions, tokens
from access.accounts.models import LoginAttempt, SecretToken, WebSession
from access.accounts.signin import ATTEMPTS_KEPT
from access.mail.outbox.models import OutboxBody, OutboxMessage, OutboxStatus

LINK_CODES_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class Retention:
    tokens: timedelta
    outbox_sent: timedelta


def forget_dead_tokens(session: Session, *, kept: timedelta, now: datetime) -> int:
    result = session.execute(
        sa.delete(SecretToken).where(
            SecretToken.purpose != tokens.LINK_CODE, SecretToken.expires_at < now - kept
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_link_codes(session: Session, *, now: datetime) -> int:
    result = session.execute(
        sa.delete(SecretToken).where(
            SecretToken.purpose == tokens.LINK_CODE,
            SecretToken.expires_at < now - LINK_CODES_KEPT,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_attempts(session: Session, *, now: datetime) -> int:
    result = session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < now - ATTEMPTS_KEPT))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_ended_sessions(session: Session, *, now: datetime) -> int:
    before = int(session.scalar(sa.select(sa.func.count()).select_from(WebSession)) or 0)
    sessions.prune(session, now)
    after = int(session.scalar(sa.select(sa.func.count()).select_from(WebSession)) or 0)
    return before - after


def forget_sent_mail(session: Session, *, kept: timedelta, now: datetime) -> int:
    """Rows of messages sent before `now - kept`, but the latest of each kind for each
    person: the team list reads that one to tell a delivered invitation from a bounced one,
    and would otherwise find an older failure instead."""
    latest = (
        sa.select(sa.func.max(OutboxMessage.id))
        .where(OutboxMessage.person_id.is_not(None))
        .group_by(OutboxMessage.person_id, OutboxMessage.kind)
    )
    old = sa.select(OutboxMessage.id).where(
        OutboxMessage.status == OutboxStatus.SENT.value,
        OutboxMessage.sent_at < now - kept,
        OutboxMessage.id.not_in(latest),
    )
    # Their bytes went when they were sent; a body left by a crash goes with its row.
    session.execute(sa.delete(OutboxBody).where(OutboxBody.outbox_id.in_(old)))
    result = session.execute(
        sa.delete(OutboxMessage)
        .where(OutboxMessage.id.in_(old.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def housekeep(session: Session, retention: Retention, *, now: datetime) -> dict[str, int]:
    """Every deletion above, in the caller's transaction; how many rows of each."""
    return {
        "tokens": forget_dead_tokens(session, kept=retention.tokens, now=now),
        "link_codes": forget_link_codes(session, now=now),
        "sign_in_attempts": forget_attempts(session, now=now),
        "web_sessions": forget_ended_sessions(session, now=now),
        "outbox_sent": forget_sent_mail(session, kept=retention.outbox_sent, now=now),
    }
