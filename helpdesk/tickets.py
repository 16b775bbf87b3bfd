"""The ticket use cases: open, claim, prioritise, reply, note, resolve, reopen.

Each function works inside the caller's transaction (a Session) and leaves no half-written
ticket: the event, the status change and the outgoing e-mail (through the outbox) commit
together. What must reach the requester in Slack is returned as a `Notice` for the transport to
deliver after commit; when that fails, `deliver_notice_by_email` is the fallback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access.clock import as_utc, utcnow
from access.config import AccessSettings
from access.directory.establishments import canonical_fase, find_fase
from access.mail.letter import thread_id
from common import metrics
from helpdesk import mailing, messages
from helpdesk.actors import SYSTEM, Actor, Requester
from helpdesk.errors import InvalidTicketInput, TicketNotFound
from helpdesk.models import Category, Priority, Source, Status, Ticket, TicketEvent
from helpdesk.numbering import find_number, format_number, next_sequence
from helpdesk.validation import TicketForm


@dataclass(frozen=True)
class Opened:
    ticket: Ticket
    created: bool


@dataclass(frozen=True)
class Notice:
    """Something the requester must read. `slack_user_id` set: DM it (in `thread_ts` of
    `channel` when known); otherwise it already left by e-mail through the outbox."""

    number: str
    kind: str  # "reply", "resolved"
    body: str
    slack_user_id: str | None = None
    channel: str | None = None
    thread_ts: str | None = None

    @property
    def via_slack(self) -> bool:
        return self.slack_user_id is not None


@dataclass(frozen=True)
class Confirmation:
    ticket: Ticket
    changed: bool
    reopened: bool


@dataclass(frozen=True)
class RequesterMessage:
    ticket: Ticket
    event: TicketEvent | None  # None when the same message was already recorded
    reopened: bool
    # The message left for the help address by e-mail (the ticket is not in a triage channel);
    # otherwise the transport shows it in the ticket's triage thread.
    emailed: bool = False

    @property
    def for_triage_thread(self) -> bool:
        return self.event is not None and not self.emailed and self.ticket.triage_ts is not None


# --- loading ---------------------------------------------------------------------------------


def get_ticket(session: Session, number: str, *, for_update: bool = False) -> Ticket:
    canonical = find_number(number) or number.strip().upper()
    query = sa.select(Ticket).where(Ticket.number == canonical)
    if for_update:
        query = query.with_for_update()
    ticket = session.scalars(query).first()
    if ticket is None:
        raise TicketNotFound(
            f"ticket {canonical!r} not found",
            messages.TICKET_NOT_FOUND.format(number=canonical),
        )
    return ticket


def find_by_idempotency_key(session: Session, key: str) -> Ticket | None:
    return session.scalars(sa.select(Ticket).where(Ticket.idempotency_key == key)).first()


def find_by_triage_thread(session: Session, channel: str, ts: str) -> Ticket | None:
    query = sa.select(Ticket).where(Ticket.triage_channel == channel, Ticket.triage_ts == ts)
    return session.scalars(query).first()


def find_by_requester_thread(session: Session, channel: str, ts: str) -> Ticket | None:
    query = sa.select(Ticket).where(
        Ticket.requester_channel == channel, Ticket.requester_thread_ts == ts
    )
    return session.scalars(query).first()


def _add_event(
    session: Session,
    ticket: Ticket,
    actor: Actor,
    kind: str,
    *,
    body: str | None = None,
    internal: bool = False,
    data: dict[str, Any] | None = None,
    source_ref: str | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    event = TicketEvent(
        ticket_id=ticket.id,
        at=at or utcnow(),
        author_ref=actor.ref,
        author_name=actor.name,
        kind=kind,
        body=body,
        internal=internal,
        data=data,
        source_ref=source_ref,
    )
    session.add(event)
    ticket.updated_at = event.at
    return event


def _already_recorded(session: Session, source_ref: str | None) -> bool:
    if source_ref is None:
        return False
    query = sa.select(TicketEvent.id).where(TicketEvent.source_ref == source_ref)
    return session.execute(query).first() is not None


def _add_message_event(
    session: Session,
    ticket: Ticket,
    actor: Actor,
    kind: str,
    body: str,
    *,
    internal: bool,
    source_ref: str | None,
    data: dict[str, Any] | None = None,
) -> TicketEvent | None:
    """Record a message once, even when two deliveries of it race."""
    if _already_recorded(session, source_ref):
        return None
    try:
        with session.begin_nested():
            event = _add_event(
                session,
                ticket,
                actor,
                kind,
                body=body,
                internal=internal,
                data=data,
                source_ref=source_ref,
            )
            session.flush()
    except IntegrityError:
        if source_ref is None:
            raise
        return None
    return event


def _clean_body(body: str | None) -> str:
    text = (body or "").strip()
    if not text:
        raise InvalidTicketInput("empty message", messages.EMPTY_MESSAGE)
    return text


# --- opening ---------------------------------------------------------------------------------


def open_ticket(
    session: Session,
    settings: AccessSettings,
    form: TicketForm,
    *,
    source: Source | str,
    requester: Requester | None = None,
    idempotency_key: str | None = None,
    proposed_faq_ids: Iterable[str] = (),
    triage_enabled: bool,
    identification_missing: Iterable[str] = (),
    source_ref: str | None = None,
    now: datetime | None = None,
    reply_email: str | None = None,
    acknowledge: bool = True,
    origin_message_id: str | None = None,
) -> Opened:
    """Open a ticket, or find the one this same submission already opened.

    Without a triage channel the helpdesk receives it by e-mail in the same transaction;
    with one, the transport posts it and calls `record_triage_post` or `fall_back_to_email`.
    `reply_email`: where answers go instead of the form's address (an e-mail's Reply-To);
    `acknowledge=False`: no acknowledgement leaves (the caller decided it would be one too many);
    `origin_message_id`: the Message-ID of the e-mail that opened it, which our e-mails answer.
    """
    requester = requester or Requester()
    source = Source(source)
    if idempotency_key:
        existing = find_by_idempotency_key(session, idempotency_key)
        if existing is not None:
            return Opened(existing, created=False)
    now = now or utcnow()
    try:
        # The savepoint covers the counter too: a lost race gives its number back.
        with session.begin_nested():
            sequence = next_sequence(session, now.year)
            ticket = Ticket(
                number=format_number(now.year, sequence),
                year=now.year,
                sequence=sequence,
                status=Status.NEW.value,
                priority=Priority.NORMAL.value,
                category=form.category,
                source=source.value,
                last_name=form.last_name,
                first_name=form.first_name,
                fase=form.fase,
                fase_unknown=form.fase_unknown,
                contact_email=form.email,
                reply_email=reply_email,
                phone=form.phone,
                identification_missing=list(identification_missing),
                subject=form.subject,
                description=form.description,
                proposed_faq_ids=list(dict.fromkeys(proposed_faq_ids)),
                requester_person_id=requester.person_id,
                requester_slack_user_id=requester.slack_user_id,
                idempotency_key=idempotency_key,
                requester_mail_root=thread_id(origin_message_id),
                created_at=now,
                updated_at=now,
            )
            session.add(ticket)
            session.flush()
    except IntegrityError:
        if not idempotency_key:
            raise
        existing = find_by_idempotency_key(session, idempotency_key)
        if existing is None:
            raise
        return Opened(existing, created=False)

    actor = requester.actor(f"{form.first_name} {form.last_name}".strip())
    _add_event(
        session,
        ticket,
        actor,
        "opened",
        body=form.description,
        data={"source": source.value},
        source_ref=source_ref,
        at=now,
    )
    if not triage_enabled:
        email_helpdesk(session, settings, ticket, reason="no triage channel")
    if source in (Source.WEB, Source.EMAIL) and acknowledge:
        mailing.send_acknowledgement(session, settings, ticket)
        if ticket.identification_missing:
            _add_event(
                session,
                ticket,
                SYSTEM,
                "identification_requested",
                internal=True,
                data={"fields": list(ticket.identification_missing)},
            )
    metrics.on_commit(session, metrics.TICKETS_OPENED.labels(source=ticket.source).inc)
    return Opened(ticket, created=True)


def _count_first_response(session: Session, ticket: Ticket) -> None:
    assert ticket.first_response_at is not None
    opened, answered = as_utc(ticket.created_at), as_utc(ticket.first_response_at)
    waited = (answered - opened).total_seconds() if opened and answered else 0.0
    metrics.on_commit(session, lambda: metrics.TICKET_FIRST_RESPONSE.observe(max(waited, 0.0)))


def email_helpdesk(
    session: Session, settings: AccessSettings, ticket: Ticket, *, reason: str
) -> bool:
    """The safety net: the help address gets the whole ticket, once. False if already sent."""
    if ticket.helpdesk_emailed_at is not None:
        return False
    mailing.send_to_helpdesk(session, settings, ticket)
    ticket.helpdesk_emailed_at = utcnow()
    _add_event(session, ticket, SYSTEM, "emailed_helpdesk", internal=True, data={"reason": reason})
    return True


def fall_back_to_email(
    session: Session, settings: AccessSettings, number: str, *, reason: str
) -> bool:
    """Called by the transport when the triage channel could not take the ticket."""
    return email_helpdesk(
        session, settings, get_ticket(session, number, for_update=True), reason=reason
    )


def unannounced(
    session: Session, *, older_than: timedelta, now: datetime | None = None
) -> list[str]:
    """Tickets neither in the triage channel nor at the help address after `older_than`.

    It happens when the process died between saving a ticket and posting it: the sweep in the
    worker announces them again, so no ticket stays unseen by the helpdesk.
    """
    cutoff = (now or utcnow()) - older_than
    query = (
        sa.select(Ticket.number)
        .where(
            Ticket.triage_ts.is_(None),
            Ticket.helpdesk_emailed_at.is_(None),
            Ticket.created_at < cutoff,
        )
        .order_by(Ticket.id)
    )
    return list(session.scalars(query))


def record_triage_post(session: Session, number: str, *, channel: str, ts: str) -> Ticket:
    ticket = get_ticket(session, number, for_update=True)
    if ticket.triage_ts is None:
        ticket.triage_channel = channel
        ticket.triage_ts = ts
        _add_event(
            session, ticket, SYSTEM, "triage_posted", internal=True, data={"channel": channel}
        )
    return ticket


def record_requester_thread(session: Session, number: str, *, channel: str, ts: str) -> Ticket:
    """The DM where the requester was told the number: the relay thread from now on."""
    ticket = get_ticket(session, number, for_update=True)
    if ticket.requester_thread_ts is None:
        ticket.requester_channel = channel
        ticket.requester_thread_ts = ts
    return ticket


# --- agents' actions -------------------------------------------------------------------------


def claim(session: Session, number: str, agent: Actor) -> Ticket:
    ticket = get_ticket(session, number, for_update=True)
    if ticket.assignee_ref == agent.ref:
        return ticket
    previous = ticket.assignee_name
    ticket.assignee_ref = agent.ref
    ticket.assignee_name = agent.name
    data: dict[str, Any] = {"previous": previous} if previous else {}
    if ticket.status == Status.NEW.value:
        ticket.status = Status.IN_PROGRESS.value
        data["status"] = Status.IN_PROGRESS.value
    _add_event(session, ticket, agent, "claimed", internal=True, data=data or None)
    return ticket


def set_priority(session: Session, number: str, agent: Actor, priority: str) -> Ticket:
    try:
        value = Priority(priority)
    except ValueError:
        raise InvalidTicketInput(
            f"unknown priority {priority!r}", messages.UNKNOWN_PRIORITY.format(value=priority)
        ) from None
    ticket = get_ticket(session, number, for_update=True)
    if ticket.priority != value.value:
        data = {"from": ticket.priority, "to": value.value}
        ticket.priority = value.value
        _add_event(session, ticket, agent, "priority", internal=True, data=data)
    return ticket


def set_category(session: Session, number: str, agent: Actor, category: str) -> Ticket:
    """The agent's correction of the category proposed when the ticket was opened."""
    try:
        value = Category(category)
    except ValueError:
        raise InvalidTicketInput(
            f"unknown category {category!r}", messages.CATEGORY_INVALID
        ) from None
    ticket = get_ticket(session, number, for_update=True)
    if ticket.category != value.value:
        data = {"from": ticket.category, "to": value.value}
        ticket.category = value.value
        _add_event(session, ticket, agent, "category", internal=True, data=data)
    return ticket


def set_status(
    session: Session, settings: AccessSettings, number: str, agent: Actor, status: str
) -> tuple[Ticket, Notice | None]:
    try:
        value = Status(status)
    except ValueError:
        raise InvalidTicketInput(
            f"unknown status {status!r}", messages.UNKNOWN_STATUS.format(value=status)
        ) from None
    if value is Status.RESOLVED:
        return resolve(session, settings, number, agent)
    ticket = get_ticket(session, number, for_update=True)
    if ticket.status == value.value:
        return ticket, None
    data = {"from": ticket.status, "to": value.value}
    ticket.status = value.value
    if data["from"] == Status.RESOLVED.value:
        ticket.resolved_at = None
        ticket.resolution_confirmed = None
    _add_event(session, ticket, agent, "status", internal=True, data=data)
    return ticket, None


def reply(
    session: Session,
    settings: AccessSettings,
    number: str,
    agent: Actor,
    body: str,
    *,
    source_ref: str | None = None,
) -> tuple[Ticket, Notice | None]:
    """An agent's answer to the requester. None as notice: this message was already relayed."""
    text = _clean_body(body)
    ticket = get_ticket(session, number, for_update=True)
    event = _add_message_event(
        session, ticket, agent, "reply", text, internal=False, source_ref=source_ref
    )
    if event is None:
        return ticket, None
    if ticket.first_response_at is None:
        ticket.first_response_at = event.at
        _count_first_response(session, ticket)
    if ticket.assignee_ref is None:
        ticket.assignee_ref = agent.ref
        ticket.assignee_name = agent.name
    if ticket.status == Status.NEW.value:
        ticket.status = Status.IN_PROGRESS.value
    return ticket, _notify_requester(session, settings, ticket, "reply", text, author=agent)


def internal_note(
    session: Session, number: str, agent: Actor, body: str, *, source_ref: str | None = None
) -> TicketEvent | None:
    text = _clean_body(body)
    ticket = get_ticket(session, number, for_update=True)
    return _add_message_event(
        session, ticket, agent, "note", text, internal=True, source_ref=source_ref
    )


def system_note(
    session: Session,
    number: str,
    kind: str,
    body: str,
    *,
    data: dict[str, Any] | None = None,
    source_ref: str | None = None,
) -> TicketEvent | None:
    """What the bot itself tells agents about a ticket (an e-mail that could not join it, a
    bounce): internal, in the history. None when `source_ref` was already recorded."""
    ticket = get_ticket(session, number, for_update=True)
    return _add_message_event(
        session, ticket, SYSTEM, kind, body, internal=True, source_ref=source_ref, data=data
    )


def resolve(
    session: Session,
    settings: AccessSettings,
    number: str,
    agent: Actor,
    message: str | None = None,
) -> tuple[Ticket, Notice | None]:
    """Mark resolved and ask the requester « Votre problème est-il résolu ? »."""
    ticket = get_ticket(session, number, for_update=True)
    if ticket.status == Status.RESOLVED.value:
        return ticket, None
    now = utcnow()
    text = (message or "").strip() or None
    _add_event(
        session,
        ticket,
        agent,
        "resolved",
        body=text,
        data={"from": ticket.status},
        at=now,
    )
    ticket.status = Status.RESOLVED.value
    ticket.resolved_at = now
    ticket.resolution_confirmed = None
    if text and ticket.first_response_at is None:
        ticket.first_response_at = now
        _count_first_response(session, ticket)
    if ticket.assignee_ref is None:
        ticket.assignee_ref = agent.ref
        ticket.assignee_name = agent.name
    body = f"{text}\n\n{messages.RESOLUTION_QUESTION}" if text else messages.RESOLUTION_QUESTION
    return ticket, _notify_requester(session, settings, ticket, "resolved", body, author=agent)


# --- the requester's side --------------------------------------------------------------------


def _reopen(ticket: Ticket) -> None:
    ticket.status = (
        Status.IN_PROGRESS.value if ticket.assignee_ref is not None else Status.NEW.value
    )
    ticket.resolved_at = None


def confirm_resolution(
    session: Session, number: str, requester: Actor, *, resolved: bool
) -> Confirmation:
    """« Oui » closes the question; « Non » reopens the ticket. A second click changes nothing."""
    ticket = get_ticket(session, number, for_update=True)
    if ticket.status != Status.RESOLVED.value:
        return Confirmation(ticket, changed=False, reopened=False)
    if resolved:
        if ticket.resolution_confirmed is True:
            return Confirmation(ticket, changed=False, reopened=False)
        ticket.resolution_confirmed = True
        _add_event(session, ticket, requester, "confirmed")
        return Confirmation(ticket, changed=True, reopened=False)
    ticket.resolution_confirmed = False
    _reopen(ticket)
    _add_event(session, ticket, requester, "reopened", data={"status": ticket.status})
    return Confirmation(ticket, changed=True, reopened=True)


def requester_reply(
    session: Session,
    number: str,
    requester: Actor,
    body: str,
    *,
    source_ref: str | None = None,
) -> RequesterMessage:
    """The requester writes again: a waiting ticket goes back to work, a resolved one reopens."""
    text = _clean_body(body)
    ticket = get_ticket(session, number, for_update=True)
    event = _add_message_event(
        session, ticket, requester, "requester_reply", text, internal=False, source_ref=source_ref
    )
    if event is None:
        return RequesterMessage(ticket, None, reopened=False)
    reopened = False
    if ticket.status == Status.RESOLVED.value:
        _reopen(ticket)
        ticket.resolution_confirmed = False
        reopened = True
        _add_event(session, ticket, requester, "reopened", data={"status": ticket.status})
    elif ticket.status == Status.WAITING.value:
        ticket.status = Status.IN_PROGRESS.value
    return RequesterMessage(ticket, event, reopened=reopened)


def requester_message(
    session: Session,
    settings: AccessSettings,
    number: str,
    requester: Actor,
    body: str,
    *,
    source_ref: str | None = None,
) -> RequesterMessage:
    """The requester writes again, from any channel (chat, web, e-mail). A ticket handled by
    e-mail (not in a triage channel) gets the message at the help address, in its thread;
    otherwise `for_triage_thread` tells the transport to post it there."""
    outcome = requester_reply(session, number, requester, body, source_ref=source_ref)
    if outcome.event is None or outcome.ticket.triage_ts is not None:
        return outcome
    mailing.send_followup_to_helpdesk(session, settings, outcome.ticket, outcome.event.body or "")
    return RequesterMessage(outcome.ticket, outcome.event, outcome.reopened, emailed=True)


def complete_identification(
    session: Session, number: str, requester: Actor, values: dict[str, str]
) -> list[str]:
    """Fill identification fields the requester sent later (by e-mail). Returns those filled."""
    ticket = get_ticket(session, number, for_update=True)
    filled: list[str] = []
    attributes = {
        "last_name": "last_name",
        "first_name": "first_name",
        "fase": "fase",
        "phone": "phone",
    }
    for field, attribute in attributes.items():
        value = values.get(field)
        if value and field in ticket.identification_missing:
            if field == "fase":
                # As the web form does: the directory's spelling, or flagged for agents.
                ticket.fase_unknown = find_fase(session, value) is None
                value = canonical_fase(session, value)
            setattr(ticket, attribute, value)
            filled.append(field)
    if filled:
        ticket.identification_missing = [
            name for name in ticket.identification_missing if name not in filled
        ]
        _add_event(session, ticket, requester, "identified", internal=True, data={"fields": filled})
    return filled


# --- reaching the requester ------------------------------------------------------------------


def _notify_requester(
    session: Session,
    settings: AccessSettings,
    ticket: Ticket,
    kind: str,
    body: str,
    *,
    author: Actor,
) -> Notice:
    if ticket.requester_slack_user_id:
        return Notice(
            number=ticket.number,
            kind=kind,
            body=body,
            slack_user_id=ticket.requester_slack_user_id,
            channel=ticket.requester_channel,
            thread_ts=ticket.requester_thread_ts,
        )
    mailing.send_to_requester(session, settings, ticket, kind, body, author_name=author.name)
    return Notice(number=ticket.number, kind=kind, body=body)


def deliver_notice_by_email(
    session: Session, settings: AccessSettings, notice: Notice, *, reason: str
) -> None:
    """The DM could not be delivered: the requester still gets the message, by e-mail."""
    ticket = get_ticket(session, notice.number, for_update=True)
    mailing.send_to_requester(session, settings, ticket, notice.kind, notice.body, author_name="")
    _add_event(
        session,
        ticket,
        SYSTEM,
        "delivery_fallback",
        internal=True,
        data={"kind": notice.kind, "reason": reason},
    )


def forward_to_helpdesk(session: Session, settings: AccessSettings, number: str, body: str) -> None:
    """A requester's message on a ticket that never reached the triage channel: by e-mail."""
    ticket = get_ticket(session, number)
    mailing.send_followup_to_helpdesk(session, settings, ticket, body)
