"""Announcing tickets opened outside a chat turn: the notifier the edge builds and hands in."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import sqlalchemy as sa
from pydantic import SecretStr

from access.clock import utcnow
from access.persistence.database import Database
from bot.settings import Settings
from bot.slack.triage import SlackTriage, triage_notifier
from bot.web.app import create_app
from helpdesk import tickets
from helpdesk.models import Ticket, TicketEvent
from helpdesk.sweep import announce_forgotten_tickets
from helpdesk.triage import EmailTriage
from tests.conftest import TLS, free_port
from tests.tickets.conftest import Directory, make_form
from tests.web.conftest import LiveServer, csrf_of

FORM = {
    "last_name": "Lemaître",
    "first_name": "Sophie",
    "fase": "5432",
    "email": "sophie.lemaitre@gmail.com",
    "phone": "",
    "category": "activation",
    "subject": "Pas reçu l'e-mail d'activation",
    "description": "Je n'ai rien reçu.",
    # The page's script has shown the FAQ's answers on this subject as it was typed.
    "faq_checked": "Pas reçu l'e-mail d'activation",
}


class PostingNotifier:
    """Stands for the Slack notifier: records the post as the real one does."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.published: list[str] = []

    def publish(self, number: str) -> bool:
        self.published.append(number)
        with self.db.transaction() as session:
            tickets.record_triage_post(session, number, channel="CTRIAGE", ts="1.000100")
        return True


def _post_the_form_twice(settings: Settings, db: Database, **app_options: object) -> str:
    port = free_port()
    live = settings.model_copy(
        update={"triage_channel": "CTRIAGE", "public_base_url": f"http://127.0.0.1:{port}"}
    )
    app = create_app(live, db, **app_options)  # type: ignore[arg-type]
    with LiveServer(app, port) as server, httpx.Client(verify=TLS, base_url=server.url) as client:
        page = client.get("/support")
        found = re.search(r'name="submission_id" value="([^"]+)"', page.text)
        assert found
        fields = {"csrf_token": csrf_of(page), "submission_id": found.group(1), **FORM}
        for _ in range(2):  # a double submit opens, and announces, one ticket
            assert client.post("/support", data=fields).status_code == 303
    with db.session() as session:
        return session.scalars(sa.select(Ticket.number)).one()


def test_the_support_form_hands_its_new_ticket_to_the_notifier_of_the_app(
    settings: Settings, db: Database, directory: Directory
) -> None:
    notifier = PostingNotifier(db)
    number = _post_the_form_twice(settings, db, triage=notifier)
    assert notifier.published == [number]
    with db.session() as session:
        ticket = tickets.get_ticket(session, number)
        assert (ticket.triage_ts, ticket.helpdesk_emailed_at) == ("1.000100", None)


def test_a_web_app_given_no_notifier_sends_the_ticket_to_the_help_address(
    settings: Settings, db: Database, directory: Directory
) -> None:
    number = _post_the_form_twice(settings, db)
    with db.session() as session:
        ticket = tickets.get_ticket(session, number)
        assert ticket.triage_ts is None and ticket.helpdesk_emailed_at is not None


def test_the_sweep_announces_each_forgotten_ticket_once_through_the_notifier(
    db: Database, settings: Settings, directory: Directory
) -> None:
    with db.transaction() as session:
        old, recent = (
            tickets.open_ticket(
                session, settings, make_form(), source="slack", triage_enabled=True
            ).ticket.number
            for _ in range(2)
        )
        session.execute(
            sa.update(Ticket)
            .where(Ticket.number == old)
            .values(created_at=utcnow() - timedelta(minutes=10))
        )
    notifier = PostingNotifier(db)
    assert announce_forgotten_tickets(db, notifier) == 1
    assert announce_forgotten_tickets(db, notifier) == 0
    assert notifier.published == [old]
    with db.session() as session:  # the recent one may still be on its way: left alone
        assert tickets.unannounced(session, older_than=timedelta(0)) == [recent]


def _emailed_reasons(db: Database) -> list[object]:
    with db.session() as session:
        events = session.scalars(
            sa.select(TicketEvent).where(TicketEvent.kind == "emailed_helpdesk")
        ).all()
        return [event.data.get("reason") for event in events if event.data]


def test_the_notifier_follows_the_settings_and_the_help_address_gets_a_ticket_once(
    db: Database, settings: Settings, directory: Directory
) -> None:
    slack = settings.model_copy(
        update={"triage_channel": "CTRIAGE", "slack_bot_token": SecretStr("xoxb-test")}
    )
    assert isinstance(triage_notifier(slack, db), SlackTriage)
    no_token = slack.model_copy(update={"slack_bot_token": None})
    assert isinstance(triage_notifier(no_token, db), EmailTriage)
    assert isinstance(triage_notifier(settings, db), EmailTriage)

    with db.transaction() as session:
        number = tickets.open_ticket(
            session, settings, make_form(), source="web", triage_enabled=True
        ).ticket.number
    by_email = triage_notifier(no_token, db)
    assert by_email.publish(number) is False
    assert by_email.publish(number) is False
    assert _emailed_reasons(db) == ["no Slack bot token"]
