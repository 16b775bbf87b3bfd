"""Tickets that wait for their requester: one reminder, then closed (issue 19).

- « En attente du demandeur »: `remind_after` after the ticket started waiting (the agent set
  that status, or answered while it was set), the requester gets one reminder; `close_after`
  after, the ticket is closed (status résolu, event `auto_closed`) with a message that says how
  to reopen it: answer the message (in the Slack thread, or by e-mail), which reopens it as
  any message of the requester on a resolved ticket does.
- « Résolu » without an answer to « Votre problème est-il résolu ? »: closed `close_after`
  after it was resolved, with the same kind of message. Tickets resolved long before that
  (`LATE_LIMIT` more) are left as they are: their requester is not written to months later.

A process (docs/architecture.md): one transaction per ticket, the event and the e-mail (outbox)
together; a requester in Slack gets the message as a `Notice` the `RequesterNotifier` delivers
after the commit (a DM in the ticket's thread, or the e-mail when that fails), and the notifier
hears which tickets changed, to refresh what agents see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.clock import as_utc, utcnow
from access.config import AccessSettings
from access.mail.templates import date_fr
from access.persistence.database import Database
from helpdesk import messages, tickets
from helpdesk.actors import SYSTEM
from helpdesk.models import Status, Ticket, TicketEvent
from helpdesk.tickets import Notice, _add_event, _notify_requester

REMINDER_EVENT = "waiting_reminder"
CLOSED_EVENT = "auto_closed"
LATE_LIMIT = timedelta(days=7)
# Events after which a ticket waits for its requester again.
_WAITING_STARTS = ("status", "reply")


class RequesterNotifier(Protocol):
    def deliver(self, notice: Notice) -> None:
        """Give a Slack requester the notice (a DM; the e-mail when that cannot be done)."""
        ...

    def ticket_changed(self, number: str) -> None:
        """The ticket's status changed: refresh what the agents see of it."""
        ...


class EmailRequesterNotifier:
    """No chat: what was meant for a Slack requester leaves by e-mail."""

    def __init__(self, settings: AccessSettings, db: Database) -> None:
        self._settings = settings
        self._db = db

    def deliver(self, notice: Notice) -> None:
        with self._db.transaction() as session:
            tickets.deliver_notice_by_email(
                session, self._settings, notice, reason="no Slack bot token for the scheduler"
            )

    def ticket_changed(self, number: str) -> None:
        pass


@dataclass
class FollowUpReport:
    reminded: int = 0
    closed_waiting: int = 0
    closed_resolved: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "reminded": self.reminded,
            "closed_waiting": self.closed_waiting,
            "closed_resolved": self.closed_resolved,
        }


def follow_up_tickets(
    db: Database,
    settings: AccessSettings,
    notifier: RequesterNotifier,
    *,
    remind_after: timedelta,
    close_after: timedelta,
    now: datetime | None = None,
) -> FollowUpReport:
    """Remind and close what is due (see the module); commits one ticket at a time."""
    moment = as_utc(now) or utcnow()
    report = FollowUpReport()
    with db.session() as session:
        numbers = _candidates(session, close_after, moment)
    for number in numbers:
        with db.transaction() as session:
            ticket = tickets.get_ticket(session, number, for_update=True)
            action, notice = _follow_up(
                session, settings, ticket, remind_after, close_after, moment
            )
        if action is None:
            continue
        setattr(report, action, getattr(report, action) + 1)
        if notice is not None and notice.via_slack:
            notifier.deliver(notice)
        if action != "reminded":
            notifier.ticket_changed(number)
    return report


def _candidates(session: Session, close_after: timedelta, now: datetime) -> list[str]:
    waiting = sa.select(Ticket.number).where(Ticket.status == Status.WAITING.value)
    unanswered = sa.select(Ticket.number).where(
        Ticket.status == Status.RESOLVED.value,
        Ticket.resolution_confirmed.is_(None),
        Ticket.resolved_at <= now - close_after,
        Ticket.resolved_at > now - close_after - LATE_LIMIT,
    )
    return sorted(set(session.scalars(waiting)) | set(session.scalars(unanswered)))


def _follow_up(
    session: Session,
    settings: AccessSettings,
    ticket: Ticket,
    remind_after: timedelta,
    close_after: timedelta,
    now: datetime,
) -> tuple[str | None, Notice | None]:
    events = session.scalars(
        sa.select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.at, TicketEvent.id)
    ).all()
    if ticket.status == Status.WAITING.value:
        since = waiting_since(ticket, events)
        if now - since >= close_after:
            return "closed_waiting", _close(session, settings, ticket, since, now, waiting=True)
        reminded = any(_at(e) >= since for e in events if e.kind == REMINDER_EVENT)
        if now - since >= remind_after and not reminded:
            return "reminded", _remind(session, settings, ticket, since, since + close_after, now)
        return None, None
    resolved_at = as_utc(ticket.resolved_at)
    if (
        ticket.status != Status.RESOLVED.value
        or ticket.resolution_confirmed is not None
        or resolved_at is None
        or now - resolved_at < close_after
        or any(_at(e) >= resolved_at for e in events if e.kind == CLOSED_EVENT)
    ):
        return None, None
    return "closed_resolved", _close(session, settings, ticket, resolved_at, now, waiting=False)


def waiting_since(ticket: Ticket, events: list[TicketEvent]) -> datetime:
    """When the ticket last started waiting: the status set, or an agent's answer since."""
    starts = [
        _at(event)
        for event in events
        if (event.kind == "status" and (event.data or {}).get("to") == Status.WAITING.value)
        or event.kind == "reply"
    ]
    return max(starts) if starts else _at_of(ticket.created_at)


def _at(event: TicketEvent) -> datetime:
    return _at_of(event.at)


def _at_of(moment: datetime) -> datetime:
    utc = as_utc(moment)
    assert utc is not None
    return utc


def _remind(
    session: Session,
    settings: AccessSettings,
    ticket: Ticket,
    since: datetime,
    close_on: datetime,
    now: datetime,
) -> Notice:
    body = messages.WAITING_REMINDER.format(
        number=ticket.number,
        subject=ticket.subject,
        since=date_fr(since),
        close_on=date_fr(close_on),
    )
    _add_event(session, ticket, SYSTEM, REMINDER_EVENT, body=body, at=now)
    return _notify_requester(session, settings, ticket, REMINDER_EVENT, body, author=SYSTEM)


def _close(
    session: Session,
    settings: AccessSettings,
    ticket: Ticket,
    since: datetime,
    now: datetime,
    *,
    waiting: bool,
) -> Notice:
    wording = messages.CLOSED_WITHOUT_ANSWER if waiting else messages.CLOSED_WITHOUT_CONFIRMATION
    body = wording.format(number=ticket.number, subject=ticket.subject, since=date_fr(since))
    _add_event(
        session,
        ticket,
        SYSTEM,
        CLOSED_EVENT,
        body=body,
        data={"from": ticket.status, "reason": "no_answer" if waiting else "no_confirmation"},
        at=now,
    )
    if waiting:
        ticket.status = Status.RESOLVED.value
        ticket.resolved_at = now
        ticket.resolution_confirmed = None
    return _notify_requester(session, settings, ticket, "closed", body, author=SYSTEM)
