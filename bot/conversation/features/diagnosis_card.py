"""The triage card's « Compte » section: read here, drawn by `diagnosis_views`.

`tickets.card_for` adds it to every card, so a card rebuilt after an action shows the
account as it is now.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from access import messages as access_msg
from access.diagnosis.explain import explain
from access.diagnosis.service import diagnose
from access.directory.models import Person
from bot.conversation.features.diagnosis_views import account_section
from bot.conversation.replies import Block
from helpdesk import messages
from helpdesk.account_actions import ACTIONABLE, allowed_actions, requester_match
from helpdesk.models import Ticket


def account_blocks(session: Session, ticket: Ticket) -> list[Block]:
    """Who the requester is in the directory, their diagnosis, the actions allowed. The
    card is read in a channel: addresses masked."""
    match = requester_match(session, ticket)
    how = access_msg.DIAGNOSIS_MATCH[match.confidence.value].format(count=match.candidates)
    person = session.get(Person, match.person_id) if match.person_id is not None else None
    if person is None:
        return account_section(number=ticket.number, match_line=how, explanation=None, allowed=())
    diagnosis = diagnose(session, person.id, fase=ticket.fase or None)
    assert diagnosis is not None
    told = explain(diagnosis, owner=False, show_addresses=False)
    allowed = allowed_actions(diagnosis) if match.confidence in ACTIONABLE else []
    return account_section(
        number=ticket.number,
        match_line=messages.ACCOUNT_MATCH.format(name=person.display_name, how=how),
        explanation=told,
        allowed=[action.value for action in allowed],
    )
