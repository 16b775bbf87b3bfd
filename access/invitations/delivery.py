"""What became of an invitation's e-mail, as the team list shows it."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.mail.outbox.models import OutboxStatus, messages_table
from access.messages import DELIVERY_UNREACHABLE


def last_failure_for(
    session: Session, person_ids: Iterable[int], *, kinds: Iterable[str] = ("invitation",)
) -> dict[int, str]:
    """For each person whose latest message (of `kinds`) failed for good, or bounced after
    the relay accepted it, the reason."""
    ids = list(person_ids)
    if not ids:
        return {}
    latest = (
        sa.select(sa.func.max(messages_table.c.id).label("id"))
        .where(messages_table.c.person_id.in_(ids), messages_table.c.kind.in_(list(kinds)))
        .group_by(messages_table.c.person_id)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(
            messages_table.c.person_id,
            messages_table.c.last_error,
            messages_table.c.bounced_at,
            messages_table.c.bounce_status,
            messages_table.c.bounce_reason,
        ).where(
            messages_table.c.id.in_(latest),
            (messages_table.c.status == OutboxStatus.FAILED.value)
            | messages_table.c.bounced_at.is_not(None),
        )
    ).all()
    return {
        row.person_id: (
            _bounce_reason(row.bounce_status, row.bounce_reason)
            if row.bounced_at is not None
            else failure_reason(row.last_error)
        )
        for row in rows
    }


def _bounce_reason(status: str | None, reason: str | None) -> str:
    """A bounce received after the relay accepted the message: the receiving server's words."""
    return (reason or status or DELIVERY_UNREACHABLE).strip()


def failure_reason(last_error: str | None) -> str:
    """What the director reads after « Échec d'envoi : »: the mail server's own words."""
    if not last_error or not last_error[:3].isdigit():
        return DELIVERY_UNREACHABLE
    return last_error
