"""A bounce received after delivery, recorded on the outbox message it concerns.

The relay accepted the message (`sent`); the receiving side refused it later and said so in a
delivery report (`access.mail.reports`). The row keeps its status and gains the bounce, so
the team list can tell « envoyé » from « envoyé puis refusé ».
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.clock import utcnow
from access.mail.outbox.models import OutboxMessage
from access.mail.reports import RecipientStatus


def find_sent(session: Session, message_ids: Iterable[str]) -> OutboxMessage | None:
    """Our message among `message_ids` (as a report quotes them), if any."""
    candidates = {_bracketed(value) for value in message_ids if value.strip()}
    if not candidates:
        return None
    query = sa.select(OutboxMessage).where(OutboxMessage.message_id.in_(sorted(candidates)))
    return session.scalars(query.order_by(OutboxMessage.id).limit(1)).first()


def record_bounce(
    session: Session,
    message: OutboxMessage,
    failure: RecipientStatus,
    *,
    now: datetime | None = None,
) -> bool:
    """Record the first bounce of `message`; False when one was already recorded."""
    if message.bounced_at is not None:
        return False
    message.bounced_at = now or utcnow()
    message.bounce_status = failure.status or None
    message.bounce_reason = failure.diagnostic or None
    return True


def _bracketed(message_id: str) -> str:
    text = message_id.strip()
    return text if text.startswith("<") else f"<{text}>"
