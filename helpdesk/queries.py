"""Reading tickets: the lists agents filter, and one ticket with its history."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from helpdesk.models import OPEN_STATUSES, Status, Ticket, TicketEvent, TicketFullText
from helpdesk.tickets import get_ticket

DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class TicketFilters:
    """`open_only` unless a status is asked; `assignee_ref` for « mine »."""

    open_only: bool = True
    assignee_ref: str | None = None
    fase: str | None = None
    status: str | None = None
    limit: int = DEFAULT_LIMIT


def list_tickets(session: Session, filters: TicketFilters | None = None) -> list[Ticket]:
    filters = filters or TicketFilters()
    query = sa.select(Ticket)
    if filters.status:
        query = query.where(Ticket.status == Status(filters.status).value)
    elif filters.open_only:
        query = query.where(Ticket.status.in_([s.value for s in OPEN_STATUSES]))
    if filters.assignee_ref:
        query = query.where(Ticket.assignee_ref == filters.assignee_ref)
    if filters.fase:
        query = query.where(Ticket.fase == filters.fase.strip())
    query = query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(filters.limit)
    return list(session.scalars(query))


@dataclass(frozen=True)
class TicketHistory:
    ticket: Ticket
    events: list[TicketEvent]


def ticket_with_history(
    session: Session, number: str, *, include_internal: bool = True
) -> TicketHistory:
    ticket = get_ticket(session, number)
    query = sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if not include_internal:
        query = query.where(TicketEvent.internal.is_(False))
    events = list(session.scalars(query.order_by(TicketEvent.at, TicketEvent.id)))
    return TicketHistory(ticket, events)


def full_texts(session: Session, number: str) -> list[TicketFullText]:
    """The whole texts of the ticket's e-mails that were cut (`helpdesk.inbound.full_texts`)."""
    ticket = get_ticket(session, number)
    query = sa.select(TicketFullText).where(TicketFullText.ticket_id == ticket.id)
    return list(session.scalars(query.order_by(TicketFullText.id)))
