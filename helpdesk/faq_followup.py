"""What the FAQ's deflection needs from the helpdesk: who opened a ticket, when, about what.

The FAQ does not read the helpdesk's tables (it does not import it); the helpdesk hands it
the tickets of the period as `faq.usage.TicketTrace`, named by the same opaque reference as
the FAQ's usage log: « person:<id> » for someone of the directory, « slack:<user> » else.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from faq.usage import TicketTrace
from helpdesk.models import Ticket


def ticket_traces(session: Session, since: datetime | None = None) -> list[TicketTrace]:
    """Tickets opened since `since` (a ticket can only follow a question of the period) by
    someone the FAQ's log can name."""
    query = sa.select(
        Ticket.requester_person_id,
        Ticket.requester_slack_user_id,
        Ticket.created_at,
        Ticket.subject,
        Ticket.description,
    ).where(
        sa.or_(Ticket.requester_person_id.is_not(None), Ticket.requester_slack_user_id.is_not(None))
    )
    if since is not None:
        query = query.where(Ticket.created_at >= since)
    traces = []
    for row in session.execute(query):
        ref = (
            f"person:{row.requester_person_id}"
            if row.requester_person_id is not None
            else f"slack:{row.requester_slack_user_id}"
        )
        traces.append(TicketTrace(ref[:64], row.created_at, f"{row.subject}\n{row.description}"))
    return traces
