"""Reading tickets: the lists agents filter, one ticket with its history, a requester's open
tickets, and the directory names a ticket shows."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.directory.models import Establishment, Person
from helpdesk.models import OPEN_STATUSES, Status, Ticket, TicketEvent, TicketFullText
from helpdesk.tickets import get_ticket

DEFAULT_LIMIT = 50
REQUESTER_LIMIT = 10


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


def open_tickets_of(
    session: Session, person_id: int, *, limit: int = REQUESTER_LIMIT
) -> list[Ticket]:
    """The person's own open tickets, newest first."""
    return list(
        session.scalars(
            sa.select(Ticket)
            .where(
                Ticket.requester_person_id == person_id,
                Ticket.status.in_([s.value for s in OPEN_STATUSES]),
            )
            .order_by(Ticket.created_at.desc())
            .limit(limit)
        )
    )


def establishment_name(session: Session, fase: str) -> str | None:
    """The name the directory gives this FASE number (None: empty or unknown)."""
    if not fase:
        return None
    return session.scalar(sa.select(Establishment.name).where(Establishment.fase == fase))


def person_name(session: Session, person_id: int) -> str:
    """A person's display name, "" when the person is gone."""
    person = session.get(Person, person_id)
    return person.display_name if person else ""


def full_texts(session: Session, number: str) -> list[TicketFullText]:
    """The whole texts of the ticket's e-mails that were cut (`helpdesk.inbound.full_texts`)."""
    ticket = get_ticket(session, number)
    query = sa.select(TicketFullText).where(TicketFullText.ticket_id == ticket.id)
    return list(session.scalars(query.order_by(TicketFullText.id)))
