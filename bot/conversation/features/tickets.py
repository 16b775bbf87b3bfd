"""Helpdesk tickets in chat: opening (form), triage (card, buttons, thread), relay, /tickets.

Agents are the members of TRIAGE_CHANNEL, asked of the transport at each action (Slack caches
the member list briefly); when it cannot tell, nothing is done and the person is told. Only an
agent's message in a ticket's triage thread reaches the requester. Requesters in Slack are
answered by DM in the thread where they got their ticket number; everyone else by e-mail (the
domain decides, see `helpdesk.tickets`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from access.persistence.database import Database
from bot.conversation import action, command, form, home, message
from bot.conversation.features import faq_learning_views
from bot.conversation.features.diagnosis_card import account_blocks
from bot.conversation.features.tickets_views import (
    CATEGORY,
    CATEGORY_FORM_ID,
    CLAIM,
    FAQ_FORM_ID,
    FASE_FORM_ID,
    FORM_ID,
    NOTE,
    NOTE_FORM_ID,
    OPEN,
    PRIORITY,
    REPLY,
    REPLY_FORM_ID,
    RESOLVED_NO,
    RESOLVED_YES,
    STATUS,
    category_form,
    contact_button,
    history_message,
    my_ticket_message,
    my_tickets_message,
    note_form,
    notice_message,
    parse_contact_value,
    reply_form,
    ticket_form,
    tickets_table,
    triage_message,
    unpack,
    with_shown_answer,
)
from bot.conversation.replies import (
    Block,
    Choices,
    FollowUp,
    FormErrors,
    Heading,
    Message,
    MessageRef,
    Recipient,
    Replies,
    Table,
    Text,
)
from bot.conversation.turn import DeliveryFailed, Services, Turn
from bot.faq_facts import faq_facts
from bot.settings import Settings
from faq import learning as faq_learning
from helpdesk import messages, tickets
from helpdesk.actors import Actor, Requester
from helpdesk.categories import propose_category
from helpdesk.errors import TicketNotFound
from helpdesk.models import Source, Status, Ticket
from helpdesk.numbering import find_number
from helpdesk.prefill import prefill_for_person
from helpdesk.queries import (
    TicketFilters,
    establishment_name,
    list_tickets,
    open_tickets_of,
    person_name,
    requester_ticket,
    ticket_with_history,
    tickets_of_requester,
)
from helpdesk.stats import stats, stats_rows
from helpdesk.suggestions import faq_entry, suggestions_for, topics_of
from helpdesk.validation import FormCheck, check_ticket_form

log = logging.getLogger(__name__)

__all__ = ["contact_button", "publish_triage"]

NOTE_PREFIXES = ("note:", "note :")


# --- who is an agent -------------------------------------------------------------------------


def _is_agent(turn: Turn) -> bool | None:
    """Whether the speaker is a member of the triage channel; None when the transport cannot
    tell (then nobody is an agent for this turn: it fails closed)."""
    channel = turn.settings.triage_channel
    try:
        return bool(channel) and turn.services.is_member(channel, turn.speaker.user_id)
    except DeliveryFailed as error:
        log.warning("could not check the members of the triage channel: %s", error)
        return None


def _agents_only(
    turn: Turn,
    *,
    refused: str = messages.AGENTS_ONLY,
    unknown: str = messages.AGENT_CHECK_FAILED,
    thread: MessageRef | None = None,
) -> Message | None:
    """None for an agent; else what to tell the speaker."""
    agent = _is_agent(turn)
    if agent:
        return None
    return Message(unknown if agent is None else refused, thread=thread)


def _agent(turn: Turn) -> Actor:
    name = ""
    if turn.speaker.person_id is not None:
        with turn.db.session() as session:
            name = person_name(session, turn.speaker.person_id)
    # Unknown agents stay nameless: e-mails then speak for « le helpdesk Extranet ».
    return Actor(f"{turn.speaker.transport}:{turn.speaker.user_id}"[:64], name)


def _is_requester(turn: Turn, ticket: Ticket) -> bool:
    speaker = turn.speaker
    if speaker.person_id is not None and speaker.person_id == ticket.requester_person_id:
        return True
    return (
        speaker.transport == "slack"
        and ticket.requester_slack_user_id is not None
        and speaker.user_id == ticket.requester_slack_user_id
    )


def _requester_actor(turn: Turn, ticket: Ticket) -> Actor:
    if turn.speaker.person_id is not None:
        return Actor.person(turn.speaker.person_id, ticket.requester_name)
    return Actor(f"{turn.speaker.transport}:{turn.speaker.user_id}"[:64], ticket.requester_name)


# --- side effects shared by handlers and the CLI ---------------------------------------------


def card_for(db: Database, number: str) -> tuple[Ticket, Message]:
    with db.session() as session:
        ticket = tickets.get_ticket(session, number)
        card = triage_message(
            ticket,
            establishment=establishment_name(session, ticket.fase),
            account=account_blocks(session, ticket),
        )
        # A ticket from the FAQ asks, once resolved, which entry would have answered.
        learned = faq_learning_views.card_blocks(session, ticket)
        return ticket, Message(*card.blocks, *learned, private=False) if learned else card


def publish_triage(services: Services, db: Database, settings: Settings, number: str) -> bool:
    """Post a new ticket to the triage channel; on any failure the helpdesk gets it by e-mail."""
    channel = settings.triage_channel
    if not channel:
        return False
    _, card = card_for(db, number)
    reason = "the transport returned no message"
    ref: MessageRef | None = None
    try:
        ref = services.send(Recipient.channel(channel), card)
    except DeliveryFailed as error:
        reason = str(error)
    except Exception as error:  # Slack down in any way: the e-mail must still leave.
        log.exception("posting to the triage channel failed")
        reason = type(error).__name__
    with db.transaction() as session:
        if ref is not None:
            tickets.record_triage_post(session, number, channel=ref.channel, ts=ref.ts)
            return True
        log.warning("triage post failed (%s); ticket sent to the help address", reason)
        tickets.fall_back_to_email(session, settings, number, reason=reason)
    return False


def refresh_triage(services: Services, db: Database, number: str) -> None:
    ticket, card = card_for(db, number)
    if ticket.triage_channel and ticket.triage_ts:
        try:
            services.update(MessageRef(ticket.triage_channel, ticket.triage_ts), card)
        except DeliveryFailed as error:
            log.warning("could not update the triage card: %s", error)


def card_in_place(turn: Turn, number: str) -> Replies:
    """After a card's button: the triage post was updated by `refresh_triage`; a card shown
    elsewhere (`/tickets NUMBER`, the console) is replaced by the ticket as it is now."""
    with turn.db.session() as session:
        history = ticket_with_history(session, number)
        ticket = history.ticket
        pressed = turn.message
        if pressed is not None and (pressed.channel, pressed.ts) == (
            ticket.triage_channel,
            ticket.triage_ts,
        ):
            return None
        name = establishment_name(session, ticket.fase)
        card = history_message(
            ticket, history.events, establishment=name, account=account_blocks(session, ticket)
        )
    return Message(*card.blocks, replace=True)


def post_in_triage_thread(services: Services, db: Database, number: str, *texts: str) -> bool:
    """True when the texts are in the ticket's triage thread."""
    with db.session() as session:
        ticket = tickets.get_ticket(session, number)
        channel, ts = ticket.triage_channel, ticket.triage_ts
    if not channel or not ts:
        return False
    try:
        ref = services.send(
            Recipient.channel(channel),
            Message(*[Text(t) for t in texts], private=False),
            thread=MessageRef(channel, ts),
        )
    except DeliveryFailed as error:
        log.warning("could not post in the triage thread: %s", error)
        return False
    return ref is not None


def relay_to_triage(
    services: Services, db: Database, settings: Settings, number: str, text: str, *, reopened: bool
) -> None:
    """A requester's message, for agents, in the ticket's triage thread; by e-mail to the help
    address when the thread cannot take it."""
    lines = [messages.THREAD_REQUESTER_SAYS, text]
    if reopened:
        lines.append(messages.THREAD_REOPENED)
    if post_in_triage_thread(services, db, number, *lines):
        refresh_triage(services, db, number)
        return
    with db.transaction() as session:
        tickets.forward_to_helpdesk(session, settings, number, text)


def deliver_notice(
    services: Services, db: Database, settings: Settings, notice: tickets.Notice | None
) -> bool:
    """DM the requester; when that is impossible, the same words leave by e-mail. True: DM."""
    if notice is None or not notice.via_slack:
        return False
    assert notice.slack_user_id is not None
    thread = (
        MessageRef(notice.channel, notice.thread_ts)
        if notice.channel and notice.thread_ts
        else None
    )
    reason = "no direct message channel"
    ref = None
    try:
        ref = services.send(
            Recipient.user(notice.slack_user_id), notice_message(notice), thread=thread
        )
    except DeliveryFailed as error:
        reason = str(error)
    if ref is not None:
        return True
    with db.transaction() as session:
        tickets.deliver_notice_by_email(session, settings, notice, reason=reason)
    return False


# --- opening a ticket ------------------------------------------------------------------------


def _prefill(turn: Turn, session: Any) -> Any:
    if turn.speaker.person_id is None:
        return None
    return prefill_for_person(session, person_id=turn.speaker.person_id)


def _faq_seen(context: dict[str, Any]) -> list[str]:
    """The FAQ answers the person saw before the form: the one that did not help first."""
    shown = [context["s"]] if context.get("s") else []
    return list(dict.fromkeys([*shown, *(context.get("f") or [])]))


def _open_form(
    turn: Turn,
    question: str = "",
    faq_ids: tuple[str, ...] = (),
    usage: Any = None,
    not_helpful: str | None = None,
) -> Replies:
    with turn.db.session() as session:
        prefill = _prefill(turn, session)
    context: dict[str, Any] = {"f": list(faq_ids), "u": usage}
    if not_helpful:
        context["s"] = not_helpful
    category = propose_category(question, faq_topics=topics_of(_faq_seen(context)))
    return ticket_form(prefill=prefill, question=question, context=context, category=category)


@command("/helpdesk", "ticket", "demande")
def helpdesk_ticket(turn: Turn) -> Replies:
    return _open_form(turn, question=turn.text.strip())


@action(OPEN)
def contact_helpdesk(turn: Turn) -> Replies:
    assert turn.action is not None
    request = parse_contact_value(turn.action.value)
    return _open_form(turn, request.question, request.faq_ids, request.usage, request.not_helpful)


def _source(turn: Turn) -> Source:
    return Source.SLACK if turn.speaker.transport == "slack" else Source.CONSOLE


def _record_faq_ticket(turn: Turn, usage: Any, number: str) -> None:
    """Tell the FAQ's learning log that its answer was followed by this ticket."""
    if usage in (None, ""):
        return
    try:
        faq_learning.link_ticket(turn.db.engine, question_id=int(usage), ticket_number=number)
    except Exception:
        log.exception("could not record the ticket in the FAQ usage log")


def _form_problems(turn: Turn, session: Any, check: FormCheck, context: dict[str, Any]) -> Replies:
    """The errors by their fields; the confirmation box for an unknown FASE, once."""
    assert turn.submission is not None
    values = turn.submission.values
    errors = dict(check.errors)
    if "fase_other" in values and "fase" in errors:
        errors["fase_other" if values.get("fase_other") else "fase"] = errors.pop("fase")
    if check.fase_needs_confirmation and "confirm_unknown_fase" not in values:
        # Offer the confirmation box, everything typed kept.
        errors["confirm_unknown_fase"] = messages.CONFIRM_FASE_NEEDED
        kept = {k: v for k, v in values.items() if isinstance(v, str)}
        return ticket_form(
            prefill=_prefill(turn, session),
            values=kept,
            errors=errors,
            confirm_fase=True,
            context=context,
        )
    return FormErrors(errors)


def _faq_step(turn: Turn, session: Any, check: FormCheck, context: dict[str, Any]) -> Replies:
    """The form once more, with the FAQ answers nearest to the subject (as help desks do
    before a ticket is sent); None when the FAQ has nothing the person has not seen."""
    assert turn.submission is not None and check.form is not None
    found = suggestions_for(
        check.form.subject,
        check.form.description,
        exclude=_faq_seen(context),
        facts=faq_facts(turn.settings),
    )
    if not found:
        return None
    context = {**context, "k": 1, "f": [*(context.get("f") or []), *(s.id for s in found)]}
    kept = {k: v for k, v in turn.submission.values.items() if isinstance(v, str | list)}
    return ticket_form(
        prefill=_prefill(turn, session),
        values=kept,
        context=context,
        # A confirmed unknown FASE stays confirmed.
        confirm_fase=check.form.fase_unknown,
        category=check.form.category,
        suggestions=found,
    )


@form(FORM_ID)
@form(FASE_FORM_ID)
@form(FAQ_FORM_ID)
def submit_ticket(turn: Turn) -> Replies:
    assert turn.submission is not None
    context = dict(turn.submission.context)
    values: dict[str, Any] = dict(turn.submission.values)
    if values.get("fase_other"):
        values["fase"] = values["fase_other"]
    values["confirm_unknown_fase"] = bool(values.get("confirm_unknown_fase"))
    seen = _faq_seen(context)
    with turn.db.transaction() as session:
        check = check_ticket_form(values, session, faq_topics=topics_of(seen))
        if check.errors:
            return _form_problems(turn, session, check, context)
        assert check.form is not None
        if not context.get("k") and (step := _faq_step(turn, session, check, context)):
            return step
        # The answer as the person read it: the deployment's delays and rules filled in.
        shown = faq_entry(context["s"], faq_facts(turn.settings)) if context.get("s") else None
        ticket_form_ = replace(
            check.form, description=with_shown_answer(check.form.description, shown)
        )
        slack_user = turn.speaker.user_id if turn.speaker.transport == "slack" else None
        opened = tickets.open_ticket(
            session,
            turn.settings,
            ticket_form_,
            source=_source(turn),
            requester=Requester(person_id=turn.speaker.person_id, slack_user_id=slack_user),
            idempotency_key=f"form:{context.get('key')}" if context.get("key") else None,
            proposed_faq_ids=seen,
            triage_enabled=bool(turn.settings.triage_channel),
        )
        number, created = opened.ticket.number, opened.created
        contact = opened.ticket.contact_email
    if not created:
        return Message(messages.TICKET_ALREADY_OPENED.format(number=number))
    usage = context.get("u")
    return FollowUp(lambda: _announce_ticket(turn, number, contact, usage))


def _announce_ticket(turn: Turn, number: str, contact: str, usage: Any) -> Replies:
    """The card in the triage channel and the requester's own thread: Web API calls, made
    once the form is acknowledged."""
    _record_faq_ticket(turn, usage, number)
    publish_triage(turn.services, turn.db, turn.settings, number)
    slack_user = turn.speaker.user_id if turn.speaker.transport == "slack" else None
    how = (
        messages.TICKET_ANSWER_HERE
        if slack_user
        else messages.TICKET_ANSWER_BY_EMAIL.format(email=contact)
    )
    told = Message(messages.TICKET_OPENED.format(number=number), how, private=False)
    if slack_user:
        # Told in a DM of its own: that thread carries the conversation about this ticket.
        try:
            ref = turn.services.send(Recipient.user(slack_user), told)
        except DeliveryFailed:
            ref = None
        if ref is not None:
            with turn.db.transaction() as session:
                tickets.record_requester_thread(session, number, channel=ref.channel, ts=ref.ts)
            return None
    return told


# --- the triage card's buttons ---------------------------------------------------------------


@action(CLAIM)
def claim_ticket(turn: Turn) -> Replies:
    assert turn.action is not None
    if (refused := _agents_only(turn)) is not None:
        return refused
    with turn.db.transaction() as session:
        tickets.claim(session, turn.action.value, _agent(turn))
    refresh_triage(turn.services, turn.db, turn.action.value)
    return card_in_place(turn, turn.action.value)


@action(PRIORITY)
def prioritise_ticket(turn: Turn) -> Replies:
    assert turn.action is not None
    if (refused := _agents_only(turn)) is not None:
        return refused
    number, priority = unpack(turn.action.value)
    with turn.db.transaction() as session:
        tickets.set_priority(session, number, _agent(turn), priority)
    refresh_triage(turn.services, turn.db, number)
    return card_in_place(turn, number)


@action(STATUS)
def change_status(turn: Turn) -> Replies:
    assert turn.action is not None
    if (refused := _agents_only(turn)) is not None:
        return refused
    number, status = unpack(turn.action.value)
    with turn.db.transaction() as session:
        _, notice = tickets.set_status(session, turn.settings, number, _agent(turn), status)
    deliver_notice(turn.services, turn.db, turn.settings, notice)
    refresh_triage(turn.services, turn.db, number)
    return card_in_place(turn, number)


@action(REPLY)
def open_reply_form(turn: Turn) -> Replies:
    assert turn.action is not None
    if (refused := _agents_only(turn)) is not None:
        return refused
    return reply_form(turn.action.value)


@action(CATEGORY)
def open_category_form(turn: Turn) -> Replies:
    assert turn.action is not None
    if (refused := _agents_only(turn)) is not None:
        return refused
    with turn.db.session() as session:
        current = tickets.get_ticket(session, turn.action.value).category
    return category_form(turn.action.value, current)


@form(CATEGORY_FORM_ID)
def submit_category(turn: Turn) -> Replies:
    assert turn.submission is not None
    if (refused := _agents_only(turn)) is not None:
        return refused
    number = str(turn.submission.context.get("number", ""))
    with turn.db.transaction() as session:
        tickets.set_category(
            session, number, _agent(turn), str(turn.submission.values.get("category") or "")
        )
    refresh_triage(turn.services, turn.db, number)
    return card_in_place(turn, number)


def _relay_reply(turn: Turn, number: str, body: str, source_ref: str | None) -> tuple[str, bool]:
    """(what to tell the agent, whether the reply was relayed now)."""
    agent = _agent(turn)
    with turn.db.transaction() as session:
        _, notice = tickets.reply(
            session, turn.settings, number, agent, body, source_ref=source_ref
        )
    if notice is None:
        return messages.ALREADY_RELAYED, False
    by_dm = deliver_notice(turn.services, turn.db, turn.settings, notice)
    refresh_triage(turn.services, turn.db, number)
    return (messages.REPLY_SENT_SLACK if by_dm else messages.REPLY_SENT_EMAIL), True


@form(REPLY_FORM_ID)
def submit_reply(turn: Turn) -> Replies:
    assert turn.submission is not None
    if (refused := _agents_only(turn)) is not None:
        return refused
    number = str(turn.submission.context.get("number", ""))
    body = str(turn.submission.values.get("body") or "")
    key = turn.submission.context.get("key")
    told, relayed = _relay_reply(turn, number, body, f"form:{key}" if key else None)
    if relayed:
        # The thread stays the full conversation, whichever way the agent replied.
        author = _agent(turn).name
        post_in_triage_thread(
            turn.services, turn.db, number, messages.THREAD_REPLY_BY.format(author=author), body
        )
    return Message(told)


@action(NOTE)
def open_note_form(turn: Turn) -> Replies:
    assert turn.action is not None
    if (refused := _agents_only(turn)) is not None:
        return refused
    return note_form(turn.action.value)


@form(NOTE_FORM_ID)
def submit_note(turn: Turn) -> Replies:
    assert turn.submission is not None
    if (refused := _agents_only(turn)) is not None:
        return refused
    number = str(turn.submission.context.get("number", ""))
    body = str(turn.submission.values.get("body") or "")
    key = turn.submission.context.get("key")
    agent = _agent(turn)
    with turn.db.transaction() as session:
        event = tickets.internal_note(
            session, number, agent, body, source_ref=f"form:{key}" if key else None
        )
    if event is not None:
        # The thread stays the full record, whichever way the agent wrote the note.
        post_in_triage_thread(
            turn.services,
            turn.db,
            number,
            messages.THREAD_NOTE_BY.format(author=agent.name or agent.ref),
            body,
        )
    return Message(messages.NOTE_SAVED)


# --- threads: agents' replies and the requester's answers ------------------------------------


def _triage_thread_ticket(turn: Turn) -> str | None:
    channel = turn.settings.triage_channel
    if not channel or turn.thread is None or turn.place.channel != channel:
        return None
    with turn.db.session() as session:
        ticket = tickets.find_by_triage_thread(session, channel, turn.thread.ts)
        return ticket.number if ticket else None


def _requester_thread_ticket(turn: Turn) -> str | None:
    if not turn.place.is_direct or turn.thread is None:
        return None
    with turn.db.session() as session:
        ticket = tickets.find_by_requester_thread(session, turn.thread.channel, turn.thread.ts)
        return ticket.number if ticket else None


def _message_ref(turn: Turn) -> str | None:
    if turn.message is None:
        return None
    return f"{turn.speaker.transport}:{turn.message.channel}:{turn.message.ts}"


@message(when=lambda turn: _triage_thread_ticket(turn) is not None, priority=10)
def agent_thread_message(turn: Turn) -> Replies:
    number = _triage_thread_ticket(turn)
    assert number is not None and turn.thread is not None
    text = turn.text.strip()
    if not text:
        return None
    thread = turn.thread
    refused = _agents_only(
        turn,
        refused=messages.THREAD_NOT_AGENT,
        unknown=messages.THREAD_AGENT_CHECK_FAILED,
        thread=thread,
    )
    if refused is not None:
        return refused
    if text.casefold().startswith(NOTE_PREFIXES):
        body = text.split(":", 1)[1]
        with turn.db.transaction() as session:
            tickets.internal_note(
                session, number, _agent(turn), body, source_ref=_message_ref(turn)
            )
        return Message(messages.NOTE_SAVED, thread=thread)
    told, _ = _relay_reply(turn, number, text, _message_ref(turn))
    return Message(told, thread=thread)


@message(when=lambda turn: _requester_thread_ticket(turn) is not None, priority=20)
def requester_thread_message(turn: Turn) -> Replies:
    number = _requester_thread_ticket(turn)
    assert number is not None
    text = turn.text.strip()
    if not text:
        return None
    with turn.db.transaction() as session:
        ticket = tickets.get_ticket(session, number)
        outcome = tickets.requester_message(
            session,
            turn.settings,
            number,
            _requester_actor(turn, ticket),
            text,
            source_ref=_message_ref(turn),
        )
        if outcome.event is None:
            return None
        in_triage = outcome.for_triage_thread
    if in_triage:
        relay_to_triage(
            turn.services, turn.db, turn.settings, number, text, reopened=outcome.reopened
        )
    return Message(messages.REQUESTER_RELAYED.format(number=number), thread=turn.thread)


@action(RESOLVED_YES)
def resolution_confirmed(turn: Turn) -> Replies:
    return _confirm(turn, resolved=True)


@action(RESOLVED_NO)
def resolution_refused(turn: Turn) -> Replies:
    return _confirm(turn, resolved=False)


def _confirm(turn: Turn, *, resolved: bool) -> Replies:
    assert turn.action is not None
    number = turn.action.value
    with turn.db.transaction() as session:
        ticket = tickets.get_ticket(session, number)
        if not _is_requester(turn, ticket):
            # The buttons travel in a message; a forwarded or forged press must not close or
            # reopen someone else's ticket.
            return Message(messages.RESOLUTION_NOT_YOURS, private=True)
        outcome = tickets.confirm_resolution(
            session, number, _requester_actor(turn, ticket), resolved=resolved
        )
    if outcome.changed:
        post_in_triage_thread(
            turn.services,
            turn.db,
            number,
            messages.THREAD_REOPENED if outcome.reopened else messages.THREAD_CONFIRMED,
        )
        refresh_triage(turn.services, turn.db, number)
    text = (
        messages.RESOLUTION_REOPENED.format(number=number)
        if outcome.ticket.status != Status.RESOLVED.value
        else messages.RESOLUTION_THANKS.format(number=number)
    )
    return Message(text, replace=True, private=False)


# --- /tickets ------------------------------------------------------------------------------


@command("/tickets")
def tickets_command(turn: Turn) -> Replies:
    agent = _is_agent(turn)
    if agent is None:
        return Message(messages.AGENT_CHECK_FAILED)
    if not agent:
        return _requester_tickets(turn)
    argument = turn.text.strip()
    lowered = argument.casefold()
    with turn.db.session() as session:
        if lowered == "stats":
            rows = stats_rows(stats(session))
            return Message(Table(("Mesure", "Valeur"), rows, title=messages.STATS_TITLE))
        number = find_number(argument)
        if number is not None:
            history = ticket_with_history(session, number)
            name = establishment_name(session, history.ticket.fase)
            return history_message(
                history.ticket,
                history.events,
                establishment=name,
                account=account_blocks(session, history.ticket),
            )
        if lowered in ("", "ouverts", "open"):
            filters, what = TicketFilters(), messages.LIST_WHAT_OPEN
        elif lowered in ("mes", "mine", "moi", "les miens"):
            filters, what = TicketFilters(assignee_ref=_agent(turn).ref), messages.LIST_WHAT_MINE
        elif argument.replace(" ", "").isdigit():
            fase = argument.replace(" ", "")
            filters, what = TicketFilters(fase=fase), messages.LIST_WHAT_FASE.format(fase=fase)
        elif lowered.replace(" ", "_") in {s.value for s in Status}:
            status = lowered.replace(" ", "_")
            label = messages.status_label(status)
            filters = TicketFilters(status=status)
            what = messages.LIST_WHAT_STATUS.format(label=label)
        else:
            return Message(messages.LIST_USAGE)
        found = list_tickets(session, filters)
        title = messages.LIST_TITLE.format(what=what, count=len(found))
        return tickets_table(found, title)


def _requester_tickets(turn: Turn) -> Replies:
    """`/tickets` for someone who is not an agent: their own requests, and one of them."""
    argument = turn.text.strip()
    slack_user = turn.speaker.user_id if turn.speaker.transport == "slack" else None
    with turn.db.session() as session:
        if not argument:
            rows = tickets_of_requester(
                session, person_id=turn.speaker.person_id, slack_user_id=slack_user
            )
            return my_tickets_message(rows)
        number = find_number(argument)
        if number is None:
            return Message(messages.MY_TICKETS_USAGE)
        try:
            history = requester_ticket(
                session, number, person_id=turn.speaker.person_id, slack_user_id=slack_user
            )
        except TicketNotFound as error:
            return Message(error.user_message)
        return my_ticket_message(history.ticket, history.events)


# --- App Home ------------------------------------------------------------------------------


@home(order=60)
def helpdesk_home(turn: Turn) -> list[Block]:
    blocks: list[Block] = [
        Heading(messages.HOME_TITLE),
        Text(messages.HOME_TEXT),
        Choices([contact_button()]),
    ]
    if turn.speaker.person_id is not None:
        with turn.db.session() as session:
            mine = open_tickets_of(session, turn.speaker.person_id)
            if mine:
                rows = [(t.number, t.subject, messages.status_label(t.status)) for t in mine]
                blocks.append(Table(messages.HOME_COLUMNS, rows, title=messages.HOME_MY_TICKETS))
    return blocks
