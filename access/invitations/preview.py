"""What a send would do now: who really gets an e-mail, and who is held back and why.

The director's buttons promise a number (« Renvoyer (N) »): N must count only the people the
send will really write to at this moment. The invitations service's own rules decide it
(`service._skip_reason`, the cooldown), plus one more that the service applies too: an
address whose last invitation was refused for good by its mail server (a 5xx answer, or a
bounce with a 5.x.x status) is not written to again until ProECO gives another one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.clock import utcnow
from access.config import AccessSettings
from access.mail.outbox.models import OutboxStatus, messages_table

INVITATION_KIND = "invitation"
BAD_ADDRESS = "bad_address"


def refused_addresses(session: Session, person_ids: Iterable[int]) -> dict[int, str]:
    """Person id -> the address their latest invitation was refused at, for good."""
    ids = list(person_ids)
    if not ids:
        return {}
    table = messages_table.c
    latest = (
        sa.select(sa.func.max(table.id))
        .where(table.person_id.in_(ids), table.kind == INVITATION_KIND)
        .group_by(table.person_id)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(
            table.person_id,
            table.recipients,
            table.status,
            table.last_error,
            table.bounced_at,
            table.bounce_status,
        ).where(table.id.in_(latest))
    ).all()
    refused: dict[int, str] = {}
    for row in rows:
        failed_for_good = row.status == OutboxStatus.FAILED.value and (
            row.last_error or ""
        ).startswith("5")
        bounced = row.bounced_at is not None and (row.bounce_status or "").startswith("5")
        if (failed_for_good or bounced) and row.recipients:
            refused[row.person_id] = str(row.recipients[0])
    return refused


def is_refused(refused: dict[int, str], person_id: int, email: str | None) -> bool:
    """Whether `email` is the very address that refused this person's last invitation."""
    address = refused.get(person_id)
    return address is not None and email is not None and address.casefold() == email.casefold()


@dataclass(frozen=True)
class HeldBack:
    """Someone a send would otherwise write to, not written to now, and why (SKIP_REASONS)."""

    person_id: int
    name: str
    reason: str
    label: str


@dataclass(frozen=True)
class SendPreview:
    new: int  # « Envoyer (N) »: people who will get their first invitation now
    resend: int  # « Renvoyer (N) »: people invited before who will get one again now
    held: list[HeldBack] = field(default_factory=list)  # invited, but not written to now


def send_preview(
    session: Session,
    settings: AccessSettings,
    establishment_id: int,
    *,
    now: datetime | None = None,
) -> SendPreview:
    """The numbers the send buttons show, by the rules the send applies."""
    from access.invitations import service  # the service imports this module

    moment = now or utcnow()
    members = service._members(session, establishment_id)
    refused = refused_addresses(session, [m.person.id for m in members])
    counts = {service.NEW: 0, service.RESEND: 0}
    held: list[HeldBack] = []
    for member in members:
        for mode in counts:
            reason = service._skip_reason(member, mode)
            if reason is None and service._in_cooldown(member, settings, moment):
                reason = "cooldown"
            if reason is None and is_refused(refused, member.person.id, member.email):
                reason = BAD_ADDRESS
            if reason is None:
                counts[mode] += 1
            elif member.status in service._TARGET_STATUSES[mode] and reason != "email_to_fix":
                # Listed as « to invite » or « invited », yet not written to now.
                held.append(
                    HeldBack(
                        member.person.id,
                        member.person.full_name,
                        reason,
                        service.skip_label(
                            reason, cooldown_seconds=settings.invitation_cooldown_seconds
                        ),
                    )
                )
    return SendPreview(new=counts[service.NEW], resend=counts[service.RESEND], held=held)
