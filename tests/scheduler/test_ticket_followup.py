"""Tickets waiting for their requester: one reminder, then closed with a message saying how to
reopen; resolved tickets whose requester never answered « Votre problème est-il résolu ? »
close after the same delay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

from access.clock import utcnow
from access.mail.outbox import OutboxMessage
from access.persistence.database import Database
from bot.settings import Settings
from helpdesk import tickets
from helpdesk.actors import Actor, Requester
from helpdesk.models import Ticket, TicketEvent
from scheduling import runs
from scheduling.jobs import JOBS, JobContext
from scheduling.runner import run_job
from tests.scheduler.conftest import RecordedRequesters
from tests.tickets.conftest import directory, make_form  # noqa: F401 (directory: a fixture)

AGENT = Actor.slack("UAGENT1", "Agent Alice")
pytestmark = pytest.mark.usefixtures("directory")


def _open(db: Database, settings: Settings, requester: Requester | None = None) -> str:
    with db.transaction() as session:
        opened = tickets.open_ticket(
            session,
            settings,
            make_form(),
            source="slack" if requester else "web",
            requester=requester,
            triage_enabled=False,
        )
        return opened.ticket.number


def _follow_up(ctx: JobContext) -> dict[str, int]:
    result = run_job(ctx, JOBS["ticket-followup"], slot=runs.manual_slot(ctx.now), trigger="manual")
    assert result.result is not None
    return result.result.counts


def _mails_to_requester(db: Database, number: str) -> list[str]:
    with db.session() as session:
        return list(
            session.scalars(
                sa.select(OutboxMessage.kind)
                .where(OutboxMessage.ref == number, OutboxMessage.kind.not_in(["ticket_helpdesk"]))
                .order_by(OutboxMessage.id)
            )
        )


def _ticket(db: Database, number: str) -> tuple[str, list[tuple[str, str | None]]]:
    with db.session() as session:
        ticket = tickets.get_ticket(session, number)
        events = session.execute(
            sa.select(TicketEvent.kind, TicketEvent.body)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.id)
        ).all()
        return ticket.status, [(kind, body) for kind, body in events]


def test_a_waiting_ticket_is_reminded_once_then_closed_and_can_be_reopened(
    db: Database,
    settings: Settings,
    context_at: Callable[..., JobContext],
) -> None:
    number = _open(db, settings)
    with db.transaction() as session:
        tickets.reply(session, settings, number, AGENT, "Pouvez-vous nous envoyer une capture ?")
        tickets.set_status(session, settings, number, AGENT, "en_attente")
    now = utcnow()
    assert _follow_up(context_at(now + timedelta(days=2)))["reminded"] == 0
    assert _follow_up(context_at(now + timedelta(days=3, minutes=1)))["reminded"] == 1
    assert _follow_up(context_at(now + timedelta(days=4)))["reminded"] == 0
    assert _mails_to_requester(db, number)[-1] == "ticket_waiting_reminder"
    status, events = _ticket(db, number)
    assert status == "en_attente"
    reminder = next(body for kind, body in events if kind == "waiting_reminder")
    assert reminder is not None and "Le helpdesk attend votre réponse" in reminder
    counts = _follow_up(context_at(now + timedelta(days=7, minutes=1)))
    assert counts == {"reminded": 0, "closed_waiting": 1, "closed_resolved": 0}
    status, events = _ticket(db, number)
    assert status == "resolu"
    closed = next(body for kind, body in events if kind == "auto_closed")
    assert closed is not None
    assert f"votre demande {number}" in closed and "est clôturée" in closed
    assert "répondez simplement à ce message : la demande sera rouverte" in closed
    assert _mails_to_requester(db, number)[-1] == "ticket_closed"
    # Closed once: later runs leave it alone, even past the « résolu » delay.
    assert _follow_up(context_at(now + timedelta(days=15))) == {
        "reminded": 0,
        "closed_waiting": 0,
        "closed_resolved": 0,
    }
    # Answering the message reopens it, as the message says.
    with db.transaction() as session:
        answer = tickets.requester_reply(session, number, Actor("requester"), "Toujours bloqué.")
    assert answer.reopened
    assert _ticket(db, number)[0] in ("nouveau", "en_cours")


def test_a_resolved_ticket_without_an_answer_closes_after_the_same_delay(
    db: Database,
    settings: Settings,
    context_at: Callable[..., JobContext],
) -> None:
    unanswered = _open(db, settings)
    confirmed = _open(db, settings)
    for number in (unanswered, confirmed):
        with db.transaction() as session:
            tickets.resolve(session, settings, number, AGENT, "Le lien est renvoyé.")
    with db.transaction() as session:
        tickets.confirm_resolution(session, confirmed, Actor("requester"), resolved=True)
    now = utcnow()
    assert _follow_up(context_at(now + timedelta(days=6)))["closed_resolved"] == 0
    assert _follow_up(context_at(now + timedelta(days=7, minutes=1)))["closed_resolved"] == 1
    assert _follow_up(context_at(now + timedelta(days=8)))["closed_resolved"] == 0
    status, events = _ticket(db, unanswered)
    assert status == "resolu" and [k for k, _ in events].count("auto_closed") == 1
    closed = events[-1][1]
    assert closed is not None and "« Votre problème est-il résolu ? »" in closed
    assert _mails_to_requester(db, unanswered)[-1] == "ticket_closed"
    assert "auto_closed" not in [kind for kind, _ in _ticket(db, confirmed)[1]]


def test_a_requester_in_slack_gets_the_messages_through_the_notifier(
    db: Database,
    settings: Settings,
    context_at: Callable[..., JobContext],
) -> None:
    number = _open(db, settings, Requester(person_id=None, slack_user_id="UREQ1"))
    with db.transaction() as session:
        tickets.set_status(session, settings, number, AGENT, "en_attente")
    recorded = RecordedRequesters()
    now = utcnow()
    _follow_up(context_at(now + timedelta(days=3, minutes=1), requesters=recorded))
    _follow_up(context_at(now + timedelta(days=7, minutes=1), requesters=recorded))
    assert [(n.kind, n.slack_user_id) for n in recorded.notices] == [
        ("waiting_reminder", "UREQ1"),
        ("closed", "UREQ1"),
    ]
    # Agents see the change: the triage card of the closed ticket is refreshed.
    assert recorded.changed == [number]
    # Nothing went by e-mail: the notifier delivers in Slack.
    assert "ticket_closed" not in _mails_to_requester(db, number)
    with db.session() as session:
        assert session.scalar(sa.select(Ticket.status).where(Ticket.number == number)) == "resolu"
