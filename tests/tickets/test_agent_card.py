"""The card's actions beyond the triage post, in Slack: the internal note as a button of its
own, and the card shown by `/tickets NUMBER`, whose buttons act and update it in place."""

from __future__ import annotations

import sqlalchemy as sa

from access.persistence.database import Database
from helpdesk.models import Ticket, TicketEvent
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack
from tests.tickets import test_slack_tickets as slack_tickets
from tests.tickets.test_slack_tickets import AGENT, OUTSIDER, _number, _submit_ticket, _triage_card

# The Slack app with its triage channel, and the fake Web API, of the Slack ticket tests.
fake = slack_tickets.fake
slack = slack_tickets.slack


def test_the_note_button_saves_an_internal_note_and_tells_the_thread(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    _submit_ticket(slack, fake)
    fake.wait_for("chat.postMessage", 2)
    card = _triage_card(fake)

    slack.press(OUTSIDER, card, "Note interne")
    fake.wait_quiet()
    assert not fake.calls_to("views.open")[1:]  # only the requester's ticket form
    assert any("réservée aux agents" in s.all_text() for s in fake.sent())

    slack.press(AGENT, card, "Note interne")
    view = fake.wait_for("views.open", 2)[-1].params["view"]
    assert view["callback_id"] == "ticket_note"
    slack.submit_view(AGENT, view, {"body": "Compte bloqué côté annuaire : voir avec Luc."})
    fake.wait_for(
        "chat.postMessage",
        where=lambda c: (
            c.params.get("thread_ts") == card.ts and "voir avec Luc" in str(c.params.get("blocks"))
        ),
    )
    with db.session() as session:
        notes = session.execute(
            sa.select(TicketEvent.body, TicketEvent.internal).where(TicketEvent.kind == "note")
        ).all()
    assert [(body, internal) for body, internal in notes] == [
        ("Compte bloqué côté annuaire : voir avec Luc.", True)
    ]
    requester_dms = [s for s in fake.sent() if s.channel and s.channel.startswith("D")]
    assert all("voir avec Luc" not in s.all_text() for s in requester_dms)


def test_the_card_of_tickets_number_acts_and_is_replaced_by_the_new_state(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    _submit_ticket(slack, fake)
    fake.wait_for("chat.postMessage", 2)
    number = _number(db)
    slack.command(AGENT, "/tickets", number)
    fake.wait_for("chat.postMessage", where=lambda c: "Historique" in str(c.params.get("blocks")))
    [shown] = [s for s in fake.sent() if "Historique" in s.all_text()]
    assert "Prendre en charge" in [b["text"]["text"] for b in shown.buttons()]

    slack.press(AGENT, shown, "Prendre en charge")
    fake.wait_for("chat.update", 2)  # the triage post, as ever, and the card pressed
    fake.wait_quiet()
    [replaced] = [s for s in fake.sent() if s.kind == "update" and s.ts == shown.ts]
    assert "En cours" in replaced.all_text() and "Pris en charge (interne)" in replaced.all_text()
    with db.session() as session:
        assert session.scalars(sa.select(Ticket.status)).one() == "en_cours"
