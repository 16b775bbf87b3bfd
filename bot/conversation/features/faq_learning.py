"""The triage card's FAQ question, answered by an agent (see `faq_learning_views`).

Only members of the triage channel answer it, as for every other button of the card; the
answer is stored as a proposed phrasing (`faq.learning.propose`) and the card is updated.
"""

from __future__ import annotations

import logging

from bot.conversation import action, form
from bot.conversation.features.faq_learning_views import (
    CHANGE,
    ENTRY,
    FORM_ID,
    NEW_TOPIC,
    NONE,
    OTHER,
    learning_form,
)
from bot.conversation.features.tickets import _agent, _agents_only, refresh_triage
from bot.conversation.features.tickets_views import unpack
from bot.conversation.replies import FormErrors, Message, Replies
from bot.conversation.turn import Turn
from faq import learning
from helpdesk import messages, tickets
from helpdesk.errors import TicketNotFound

log = logging.getLogger(__name__)


def _entries() -> list:
    import faq

    return list(faq.load_default().entries)


@action(ENTRY)
def entry_chosen(turn: Turn) -> Replies:
    assert turn.action is not None
    number, entry_id = unpack(turn.action.value)
    return _propose(turn, number, entry_id)


@action(NONE)
def new_topic(turn: Turn) -> Replies:
    assert turn.action is not None
    return _propose(turn, turn.action.value, None)


@action(OTHER)
@action(CHANGE)
def open_form(turn: Turn) -> Replies:
    assert turn.action is not None
    if (refused := _agents_only(turn)) is not None:
        return refused
    number = turn.action.value
    with turn.db.session() as session:
        asked = learning.question_for_ticket(session, number)
        proposal = learning.proposal_for_ticket(session, number)
    if asked is None or (proposal is not None and proposal.status != "proposed"):
        return Message(messages.FAQ_LEARN_UNAVAILABLE)
    chosen = None
    phrasing = asked.question
    if proposal is not None:
        chosen = proposal.entry_id or NEW_TOPIC
        phrasing = proposal.phrasing
    return learning_form(number, phrasing, _entries(), chosen=chosen)


@form(FORM_ID)
def form_submitted(turn: Turn) -> Replies:
    assert turn.submission is not None
    if (refused := _agents_only(turn)) is not None:
        return refused
    number = str(turn.submission.context.get("number", ""))
    values = turn.submission.values
    chosen = str(values.get("entry") or "")
    phrasing = " ".join(str(values.get("phrasing") or "").split())
    known = {entry.id for entry in _entries()}
    if chosen != NEW_TOPIC and chosen not in known:
        return FormErrors({"entry": messages.FAQ_LEARN_UNKNOWN_ENTRY})
    if len(phrasing) < 3:
        return FormErrors({"phrasing": messages.FAQ_LEARN_TOO_SHORT})
    entry_id = None if chosen == NEW_TOPIC else chosen
    told = _propose(turn, number, entry_id, phrasing)
    return told if told is not None else Message(messages.FAQ_LEARN_SAVED)


def _propose(turn: Turn, number: str, entry_id: str | None, phrasing: str | None = None) -> Replies:
    """Store the agent's answer and update the card; None when done, else what to say."""
    if (refused := _agents_only(turn)) is not None:
        return refused
    agent = _agent(turn)
    try:
        with turn.db.transaction() as session:
            ticket = tickets.get_ticket(session, number)
            learning.propose(
                session,
                ticket_number=number,
                entry_id=entry_id,
                proposed_by=agent.ref,
                known_entries=[entry.id for entry in _entries()],
                phrasing=phrasing,
                names=[ticket.first_name, ticket.last_name],
            )
    except (learning.LearningError, TicketNotFound) as error:
        log.info("FAQ proposal refused for %s: %s", number, error)
        return Message(messages.FAQ_LEARN_UNAVAILABLE)
    refresh_triage(turn.services, turn.db, number)
    return None
