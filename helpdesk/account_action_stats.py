"""The figure `tickets stats` shows of the agents' account actions (helpdesk.account_actions):
the tickets resolved after one. Apart from the actions, so the report loads neither the
diagnosis nor the sign-in and mail modules they act through."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.clock import as_utc
from helpdesk.models import Status, Ticket, TicketEvent

# The ticket event of an action done (helpdesk.account_actions records it).
EVENT_DONE = "account_action"


@dataclass(frozen=True)
class AccountActionStats:
    resolved: int
    median_resolution: timedelta | None


def account_action_stats(session: Session, since: datetime) -> AccountActionStats:
    """Tickets resolved in the window that an agent's account action had been taken on."""
    acted = sa.select(TicketEvent.ticket_id).where(TicketEvent.kind == EVENT_DONE)
    rows = session.execute(
        sa.select(Ticket.created_at, Ticket.resolved_at).where(
            Ticket.status == Status.RESOLVED.value,
            Ticket.resolved_at >= since,
            Ticket.id.in_(acted),
        )
    ).all()
    durations = [
        (as_utc(resolved) - as_utc(created)).total_seconds()  # type: ignore[operator]
        for created, resolved in rows
    ]
    median = timedelta(seconds=statistics.median(durations)) if durations else None
    return AccountActionStats(resolved=len(rows), median_resolution=median)
