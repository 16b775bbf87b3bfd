"""Reading tickets: the lists agents filter, one ticket with its history, a requester's own
tickets and conversation, and the directory names a ticket shows."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.directory.establishments import find_fase, typed_fase
from access.directory.models import Establishment, Person
from helpdesk import messages
from helpdesk.errors import TicketNotFound
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
        # Either spelling finds the school's tickets, those stored before FASE numbers were
        # written as the directory writes them included (« 931 » and « 00931 »).
        fase = typed_fase(filters.fase)
        query = query.where(sa.func.ltrim(Ticket.fase, "0") == fase.lstrip("0"))
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
    known = find_fase(session, fase)
    if known is None:
        return None
    return session.scalar(sa.select(Establishment.name).where(Establishment.fase == known))


def person_name(session: Session, person_id: int) -> str:
    """A person's display name, "" when the person is gone."""
    person = session.get(Person, person_id)
    return person.display_name if person else ""


def full_texts(session: Session, number: str) -> list[TicketFullText]:
    """The whole texts of the ticket's e-mails that were cut (`helpdesk.inbound.full_texts`)."""
    ticket = get_ticket(session, number)
    query = sa.select(TicketFullText).where(TicketFullText.ticket_id == ticket.id)
    return list(session.scalars(query.order_by(TicketFullText.id)))


# --- the requester's own view -----------------------------------------------------------------

# What the requester sees of a ticket's history: the messages exchanged and the resolution,
# never the internal notes or the triage bookkeeping.
CONVERSATION_KINDS = ("opened", "reply", "requester_reply", "resolved", "confirmed", "reopened")
HELPDESK_KINDS = ("reply", "resolved")


@dataclass(frozen=True)
class RequesterTicket:
    ticket: Ticket
    # The helpdesk's latest answer (a reply, or the resolution with its message), if any.
    last_reply: TicketEvent | None


def _requester_clause(person_id: int | None, slack_user_id: str | None) -> sa.ColumnElement[bool]:
    clauses = []
    if person_id is not None:
        clauses.append(Ticket.requester_person_id == person_id)
    if slack_user_id:
        clauses.append(Ticket.requester_slack_user_id == slack_user_id)
    return sa.or_(*clauses) if clauses else sa.false()


def tickets_of_requester(
    session: Session,
    *,
    person_id: int | None,
    slack_user_id: str | None = None,
    limit: int = REQUESTER_LIMIT,
) -> list[RequesterTicket]:
    """The person's own tickets, open or not, newest first, each with the helpdesk's latest
    answer. Theirs: opened while signed in or known (`person_id`) or from their chat account."""
    found = list(
        session.scalars(
            sa.select(Ticket)
            .where(_requester_clause(person_id, slack_user_id))
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(limit)
        )
    )
    if not found:
        return []
    latest = (
        sa.select(sa.func.max(TicketEvent.id))
        .where(
            TicketEvent.ticket_id.in_([t.id for t in found]),
            TicketEvent.kind.in_(HELPDESK_KINDS),
            TicketEvent.internal.is_(False),
            TicketEvent.body.is_not(None),
        )
        .group_by(TicketEvent.ticket_id)
    )
    replies = {
        event.ticket_id: event
        for event in session.scalars(sa.select(TicketEvent).where(TicketEvent.id.in_(latest)))
    }
    return [RequesterTicket(ticket, replies.get(ticket.id)) for ticket in found]


def requester_ticket(
    session: Session, number: str, *, person_id: int | None, slack_user_id: str | None = None
) -> TicketHistory:
    """One of the person's own tickets with the conversation they may read. Someone else's
    ticket reads as one that does not exist: numbers are easy to guess."""
    ticket = get_ticket(session, number)
    mine = (person_id is not None and ticket.requester_person_id == person_id) or (
        bool(slack_user_id) and ticket.requester_slack_user_id == slack_user_id
    )
    if not mine:
        raise TicketNotFound(
            f"ticket {ticket.number} is not the requester's",
            messages.TICKET_NOT_FOUND.format(number=ticket.number),
        )
    events = session.scalars(
        sa.select(TicketEvent)
        .where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.internal.is_(False),
            TicketEvent.kind.in_(CONVERSATION_KINDS),
        )
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    return TicketHistory(ticket, list(events))
