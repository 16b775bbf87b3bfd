"""From the FAQ to a ticket in Slack, as a person does it: a question, an answer that does not
help, « Contacter le helpdesk ». The ticket keeps the person's words, the answer they read,
a category proposed from what they said, and agents may change it on the card."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from access.persistence.database import Database
from bot.settings import Settings
from helpdesk.models import Ticket, TicketEvent
from tests.slack_app import serve_slack
from tests.slack_client import SlackClient, dm_channel
from tests.slack_fake import FakeSlack, Sent
from tests.tickets.conftest import Directory

REQUESTER = "UEMILIE"
AGENT = "UAGENT"
TRIAGE = "CTRIAGE"
QUESTION = "je ne reçois toujours pas le mail pour créer mon compte"


@pytest.fixture
def fake(directory: Directory) -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.add_user(REQUESTER, email=directory.person_email, name="Émilie Dupont")
        slack.add_user(AGENT, email="agent@helpdesk.test", name="Alice Agent")
        slack.set_members(TRIAGE, [AGENT])
        yield slack


@pytest.fixture
def slack(mail_settings: Settings, db: Database, fake: FakeSlack) -> Iterator[SlackClient]:
    with serve_slack(mail_settings, db, fake, triage_channel=TRIAGE) as client:
        yield client


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b.get("type") == "input"}


def _card(fake: FakeSlack) -> Sent:
    [card] = [
        s for s in fake.sent() if s.channel == TRIAGE and s.thread_ts is None and s.kind == "post"
    ]
    updates = [s for s in fake.sent() if s.kind == "update" and s.ts == card.ts]
    return updates[-1] if updates else card


def test_the_ticket_keeps_the_persons_question_then_the_faq_answer_that_did_not_help(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    slack.message(REQUESTER, QUESTION)
    fake.wait_for("chat.postMessage")
    fake.wait_quiet()
    answer = fake.sent()[-1]
    faq_title = "Je n'ai pas reçu l'e-mail d'invitation, que faire ?"
    assert faq_title in answer.all_text()
    slack.press(REQUESTER, answer, "Ça ne m'aide pas")
    [updated] = fake.wait_for("chat.update")
    replaced = next(s for s in fake.sent() if s.kind == "update")
    slack.press(REQUESTER, replaced, "Contacter le helpdesk")
    view = fake.wait_for("views.open")[-1].params["view"]
    inputs = _inputs(view)
    # Her own words, not the FAQ's title; the category proposed from them.
    description = inputs["description"]["element"]["initial_value"]
    assert description.startswith(f"Ma question : « {QUESTION} »")
    assert faq_title not in description
    assert inputs["subject"]["element"]["initial_value"] == QUESTION
    assert inputs["category"]["element"]["initial_option"]["value"] == "invitation"
    assert updated.params["channel"] == dm_channel(REQUESTER)

    typed = {"fase": "5432", "description": description + "Ma directrice dit l'avoir envoyé."}
    first = slack.submit_view(REQUESTER, view, typed)
    if first.content:  # other FAQ answers on the subject: send anyway
        assert first.json()["view"]["callback_id"] == "ticket_faq"
        assert faq_title not in str(first.json()["view"]["blocks"])  # already seen
        first = slack.submit_view(REQUESTER, first.json()["view"], {})
    assert first.status_code == 200 and not first.content
    fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == TRIAGE)
    with db.session() as session:
        ticket = session.scalars(sa.select(Ticket)).one()
    words = f"Ma question : « {QUESTION} »\n\nMa directrice dit l'avoir envoyé."
    assert ticket.description.startswith(words)
    shown = ticket.description[len(words) :]
    assert f"Réponse de la FAQ affichée, qui ne m'a pas aidé(e) : « {faq_title} »" in shown
    assert "Regardez dans vos *courriers indésirables (spams)*." in shown
    assert ticket.proposed_faq_ids[0] == "acces-invitation-non-recue"
    assert ticket.category == "invitation"
    card = _card(fake).all_text()
    assert QUESTION in card and "Invitation (non reçue, à renvoyer)" in card


def test_the_slack_form_offers_the_faq_answers_after_the_first_submit(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    slack.command(REQUESTER, "/helpdesk", "ticket")
    view = fake.wait_for("views.open")[-1].params["view"]
    typed = {
        "fase": "5432",
        "category": "",
        "subject": "Mon compte est bloqué",
        "description": "Trop d'essais ce matin.",
    }
    first = slack.submit_view(REQUESTER, view, typed)
    step = first.json()
    assert step["response_action"] == "update"
    blocks = str(step["view"]["blocks"])
    assert "Mon compte est bloqué après plusieurs essais de connexion" in blocks
    assert "Si aucune ne convient, envoyez le formulaire" in blocks
    # Nothing sent yet; what she typed is still there, the category proposed.
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
    inputs = _inputs(step["view"])
    assert inputs["description"]["element"]["initial_value"] == "Trop d'essais ce matin."
    assert inputs["category"]["element"]["initial_option"]["value"] == "password"

    sent = slack.submit_view(REQUESTER, step["view"], {})
    assert sent.status_code == 200 and not sent.content
    fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == TRIAGE)
    with db.session() as session:
        ticket = session.scalars(sa.select(Ticket)).one()
    assert (ticket.category, ticket.proposed_faq_ids) == ("password", ["compte-bloque"])


def test_an_agent_changes_the_proposed_category_on_the_card(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    slack.command(REQUESTER, "/helpdesk", "ticket Mot de passe refusé")
    view = fake.wait_for("views.open")[-1].params["view"]
    first = slack.submit_view(REQUESTER, view, {"fase": "5432", "description": "Refusé."})
    if first.content:
        slack.submit_view(REQUESTER, first.json()["view"], {})
    fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == TRIAGE)
    card = _card(fake)
    assert "Mot de passe" in card.all_text()

    # Not an agent: refused, nothing opened.
    slack.press("UOUTSIDER", card, "Changer la catégorie")
    fake.wait_quiet()
    assert len(fake.calls_to("views.open")) == 1
    slack.press(AGENT, card, "Changer la catégorie")
    form = fake.wait_for("views.open", 2)[-1].params["view"]
    assert form["callback_id"] == "ticket_category"
    assert _inputs(form)["category"]["element"]["initial_option"]["value"] == "password"
    assert slack.submit_view(AGENT, form, {"category": "email"}).status_code == 200
    fake.wait_for("chat.update")
    assert "Adresse e-mail" in _card(fake).all_text()
    with db.session() as session:
        assert session.scalars(sa.select(Ticket.category)).one() == "email"
        change = session.scalars(sa.select(TicketEvent).where(TicketEvent.kind == "category")).one()
    assert change.data == {"from": "password", "to": "email"} and change.internal
