"""The triage card's FAQ block: which entry would have answered a ticket from the FAQ.

A ticket opened from the FAQ (no answer, suggestions, or « Ça ne m'aide pas ») carries the
question the person asked. Once the ticket is resolved, its card asks the agent which entry
would have answered (the likely ones as buttons, any other through a form, or « aucune :
nouveau sujet »); the answer becomes a proposed phrasing (`faq.learning`), which the card
then shows. Builders of neutral replies; `card_blocks` reads what they need.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from bot.conversation.features.tickets_views import pack
from bot.conversation.replies import (
    Block,
    Button,
    Choices,
    Field,
    FieldKind,
    Form,
    Note,
    Option,
    Text,
)
from faq import learning
from helpdesk import messages
from helpdesk.models import Status, Ticket

ENTRY = "faq_learning.entry"
OTHER = "faq_learning.other"
NONE = "faq_learning.none"
CHANGE = "faq_learning.change"
FORM_ID = "faq_learning"
# The form's choice for « aucune : nouveau sujet » (entry ids never start with an underscore).
NEW_TOPIC = "_nouveau"
# Slack cuts a button's text at 75 characters and a select's options at 100.
LABEL_CHARS = 75
MAX_OPTIONS = 99
BUTTONS = 3
QUESTION_CHARS = 300


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _entries() -> Mapping[str, Any]:
    import faq

    return {entry.id: entry for entry in faq.load_default().entries}


def card_blocks(session: Session, ticket: Ticket) -> list[Block]:
    """What the card says about the FAQ: the question once the ticket is resolved, then the
    answer given; nothing for a ticket that did not come from the FAQ."""
    asked = learning.question_for_ticket(session, ticket.number)
    if asked is None:
        return []
    proposal = learning.proposal_for_ticket(session, ticket.number)
    entries = _entries()
    if proposal is not None:
        return proposal_blocks(ticket.number, proposal, entries)
    if ticket.status != Status.RESOLVED.value:
        return []
    return question_blocks(ticket, asked, entries)


def question_blocks(
    ticket: Ticket, asked: learning.AskedQuestion, entries: Mapping[str, Any]
) -> list[Block]:
    answered = [asked.entry_id] if asked.entry_id else []
    offered = dict.fromkeys([*answered, *asked.suggestions, *(ticket.proposed_faq_ids or [])])
    likely = [entry_id for entry_id in offered if entry_id in entries][:BUTTONS]
    return [
        Text(messages.FAQ_LEARN_ASK.format(question=_short(asked.question, QUESTION_CHARS))),
        Choices(
            [
                Button(
                    _short(entries[entry_id].question, LABEL_CHARS),
                    ENTRY,
                    pack(ticket.number, entry_id),
                )
                for entry_id in likely
            ]
            + [
                Button(messages.FAQ_LEARN_OTHER, OTHER, ticket.number),
                Button(messages.FAQ_LEARN_NONE, NONE, ticket.number),
            ]
        ),
    ]


def proposal_blocks(
    number: str, proposal: learning.Proposal, entries: Mapping[str, Any]
) -> list[Block]:
    phrasing = _short(proposal.phrasing, QUESTION_CHARS)
    if proposal.status != "proposed":
        status = messages.FAQ_LEARN_STATUS.get(proposal.status, proposal.status)
        return [Note(messages.FAQ_LEARN_DECIDED.format(status=status))]
    if proposal.entry_id is None:
        said = messages.FAQ_LEARN_NEW_TOPIC.format(phrasing=phrasing)
    else:
        entry = entries.get(proposal.entry_id)
        name = entry.question if entry is not None else proposal.entry_id
        said = messages.FAQ_LEARN_PROPOSED.format(phrasing=phrasing, entry=name)
    return [Note(said), Choices([Button(messages.FAQ_LEARN_CHANGE, CHANGE, number)])]


def learning_form(
    number: str,
    phrasing: str,
    entries: Sequence[Any],
    *,
    chosen: str | None = None,
    errors: Mapping[str, str] | None = None,
) -> Form:
    options = [Option(e.id, _short(e.question, LABEL_CHARS)) for e in entries][:MAX_OPTIONS]
    options.append(Option(NEW_TOPIC, messages.FAQ_LEARN_NONE))
    return Form(
        FORM_ID,
        messages.FAQ_LEARN_FORM_TITLE,
        (
            Field(
                "entry",
                messages.FAQ_LEARN_FORM_ENTRY,
                kind=FieldKind.SELECT,
                initial=chosen,
                options=tuple(options),
            ),
            Field(
                "phrasing",
                messages.FAQ_LEARN_FORM_PHRASING,
                kind=FieldKind.MULTILINE,
                initial=phrasing,
                max_length=learning.MAX_PHRASING_CHARS,
            ),
        ),
        submit_label=messages.FAQ_LEARN_FORM_SUBMIT,
        intro=(Text(messages.FAQ_LEARN_FORM_INTRO),),
        context={"number": number},
        errors=dict(errors or {}),
    )
