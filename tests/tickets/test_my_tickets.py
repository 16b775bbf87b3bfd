"""A requester follows their own tickets: « Mes demandes » on the web (real HTTP, a real SMTP
server, the Nu HTML checker, one real browser), and `/tickets` in Slack for someone who is
not an agent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from access.mail.outbox import deliver_due
from access.persistence.database import Database
from bot.settings import Settings
from helpdesk import tickets
from helpdesk.actors import Actor, Requester
from helpdesk.models import Ticket, TicketEvent
from tests.browser import needs_chromium
from tests.slack_app import serve_slack
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack
from tests.tickets.conftest import Directory, make_form
from tests.web.conftest import Site, activate, invitation_token, invited_person, sign_in, text_of
from tests.web.conftest import site as site
from tests.web.nu import html_errors

EMAIL = "marie.curie@example.org"
AGENT = Actor("slack:UAGENT", "Alice Agent")
HELP = "help.extranet@segec.be"


def _signed_in_person(site: Site) -> int:
    person_id = invited_person(site.db, email=EMAIL)
    assert activate(site, invitation_token(site.db, person_id)).status_code == 200
    return person_id


def _open(db: Database, settings: Settings, person_id: int | None, **form: object) -> str:
    with db.transaction() as session:
        opened = tickets.open_ticket(
            session,
            settings,
            make_form(email=EMAIL, fase="1234", **form),
            source="web",
            requester=Requester(person_id=person_id),
            triage_enabled=False,
        )
        return opened.ticket.number


@contextmanager
def _signed_in(site: Site) -> Iterator[httpx.Client]:
    with site.client() as browser:
        answer = sign_in(browser, EMAIL, "cheval agrafe batterie correcte")
        assert answer.status_code == 303
        yield browser


def test_a_requester_reads_their_tickets_and_the_helpdesk_answer_on_the_web(
    site: Site,
) -> None:
    person_id = _signed_in_person(site)
    mine = _open(site.db, site.settings, person_id, subject="Mot de passe <b>refusé</b>")
    theirs = _open(site.db, site.settings, None, subject="La demande de quelqu'un d'autre")
    with site.db.transaction() as session:
        tickets.internal_note(session, mine, AGENT, "Compte bloqué côté annuaire")
        tickets.reply(session, site.settings, mine, AGENT, "Essayez maintenant, <svg onload=x>.")
    with _signed_in(site) as browser:
        listed = browser.get("/mes-demandes")
        assert listed.status_code == 200
        page = text_of(listed)
        assert mine in page and theirs not in page
        assert "En cours" in page and "Essayez maintenant" in page
        # What people typed is shown as text, never as markup.
        assert "<b>refusé</b>" not in listed.text and "&lt;b&gt;refusé&lt;/b&gt;" in listed.text
        assert "<svg" not in listed.text

        conversation = browser.get(f"/mes-demandes/{mine}")
        text = text_of(conversation)
        assert conversation.status_code == 200
        assert "Mon mot de passe est refusé depuis ce matin." in text
        assert "Alice Agent" in text and "Essayez maintenant, <svg onload=x>." in text
        assert "Compte bloqué" not in text  # internal notes stay internal

        # Someone else's number reads as a page that does not exist.
        assert browser.get(f"/mes-demandes/{theirs}").status_code == 404
        assert browser.get("/mes-demandes/pas-un-numero").status_code == 404
    # Signed out: to the sign-in page.
    with site.client() as stranger:
        assert stranger.get("/mes-demandes").status_code == 303
        assert stranger.get(f"/mes-demandes/{mine}").headers["location"].endswith("/connexion")


def _message_form(page: httpx.Response) -> dict[str, str]:
    fields = dict(re.findall(r'name="(csrf_token|submission_id)" value="([^"]+)"', page.text))
    assert set(fields) == {"csrf_token", "submission_id"}
    return fields


def test_a_message_added_on_the_web_reaches_the_help_address_in_the_ticket_thread(
    site: Site,
) -> None:
    person_id = _signed_in_person(site)
    number = _open(site.db, site.settings, person_id)
    with site.db.transaction() as session:
        tickets.resolve(session, site.settings, number, AGENT, "Débloqué.")
    with _signed_in(site) as browser:
        page = browser.get(f"/mes-demandes/{number}")
        fields = _message_form(page)
        empty = browser.post(f"/mes-demandes/{number}", data={**fields, "message": "  "})
        assert empty.status_code == 400 and "Le message est vide." in text_of(empty)
        typed = {**fields, "message": "Ça recommence ce matin.\nMême message d'erreur."}
        sent = browser.post(f"/mes-demandes/{number}", data=typed)
        again = browser.post(f"/mes-demandes/{number}", data=typed)  # a double click
        assert sent.status_code == again.status_code == 303
        shown = text_of(browser.get(httpx.URL(sent.headers["location"]).path))
        assert "la demande est rouverte" in shown
        assert "Ça recommence ce matin.\nMême message d'erreur." in shown
        forged = browser.post(
            f"/mes-demandes/{number}", data={**typed, "csrf_token": "forged", "submission_id": "x"}
        )
        assert forged.status_code == 400 and "Ça recommence" in text_of(forged)
    with site.db.session() as session:
        ticket = session.scalars(sa.select(Ticket)).one()
        said = session.scalars(
            sa.select(TicketEvent.body).where(TicketEvent.kind == "requester_reply")
        ).all()
    assert ticket.status == "en_cours" and said == [
        "Ça recommence ce matin.\nMême message d'erreur."
    ]
    # No triage channel: the help address got the ticket, then this message in its thread.
    deliver_due(site.settings, site.db)
    to_help = [m for m in site.smtp.messages if m.rcpt_tos == [HELP]]
    copy, followup = to_help
    assert str(followup.message["Subject"]) == f"Re: {copy.message['Subject']}"
    assert followup.message["In-Reply-To"] == copy.message["Message-ID"]
    assert copy.message["Message-ID"] in str(followup.message["References"])
    assert "Ça recommence ce matin." in followup.text()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_requester_pages_and_the_support_form_are_valid_html(
    site: Site,
) -> None:
    person_id = _signed_in_person(site)
    number = _open(site.db, site.settings, person_id, subject="Accès <script>alert(1)</script>")
    with site.db.transaction() as session:
        tickets.reply(session, site.settings, number, AGENT, "Réponse & suite")
    with _signed_in(site) as browser:
        pages = {
            "liste": browser.get("/mes-demandes").text,
            "demande": browser.get(f"/mes-demandes/{number}").text,
        }
        page = browser.get(f"/mes-demandes/{number}")
        pages["erreur"] = browser.post(
            f"/mes-demandes/{number}", data={**_message_form(page), "message": ""}
        ).text
        support = browser.get("/support")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', support.text)
        assert csrf
        pages["support"] = support.text
        pages["support-faq"] = browser.post(
            "/support",
            data={
                "csrf_token": csrf.group(1),
                "last_name": "Curie",
                "first_name": "Marie",
                "fase": "1234",
                "email": EMAIL,
                "subject": "Mot de passe refusé",
                "description": "Refusé.",
            },
        ).text
    with site.db.transaction() as session:
        session.execute(sa.delete(TicketEvent))
        session.execute(sa.update(Ticket).values(requester_person_id=None))
    with _signed_in(site) as browser:
        pages["vide"] = browser.get("/mes-demandes").text
    assert "Ces réponses de la FAQ" in pages["support-faq"]
    assert html_errors(pages) == []


@needs_chromium
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_requester_answers_the_helpdesk_from_mes_demandes_in_a_browser(
    site: Site, shared_chromium: Any
) -> None:
    person_id = _signed_in_person(site)
    number = _open(site.db, site.settings, person_id)
    with site.db.transaction() as session:
        tickets.reply(session, site.settings, number, AGENT, "Avez-vous vidé le cache ?")
    with shared_chromium() as browser:
        # A phone's width: nothing to scroll sideways (WCAG 1.4.10).
        page = browser.new_page(viewport={"width": 390, "height": 800})
        page.goto(f"{site.url}/connexion")
        page.get_by_label("Nom d'utilisateur").fill(EMAIL)
        page.get_by_label("Mot de passe").fill("cheval agrafe batterie correcte")
        page.get_by_role("button", name="Connexion").click()
        page.wait_for_url(f"{site.url}/mon-acces")
        page.get_by_role("link", name="Mes demandes").click()
        page.wait_for_url(f"{site.url}/mes-demandes")
        assert "Avez-vous vidé le cache ?" in page.inner_text("main")
        page.get_by_role("link", name=re.compile(number)).click()
        page.wait_for_url(f"{site.url}/mes-demandes/{number}")
        # The keyboard reaches the message box and the button.
        page.get_by_label("Votre message").focus()
        page.keyboard.type("Oui, et toujours la même erreur.")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Envoyer le message"
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        main = page.inner_text("main")
        assert "Votre message est transmis au helpdesk." in main
        assert "Oui, et toujours la même erreur." in main
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


# --- Slack: /tickets for someone who is not an agent ---------------------------------------

REQUESTER = "UEMILIE"
TRIAGE = "CTRIAGE"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.add_user(REQUESTER, email="emilie.dupont@ecole.be", name="Émilie Dupont")
        slack.add_user("UAGENT", email="agent@helpdesk.test", name="Alice Agent")
        slack.set_members(TRIAGE, ["UAGENT"])
        yield slack


@pytest.fixture
def slack(mail_settings: Settings, db: Database, fake: FakeSlack) -> Iterator[SlackClient]:
    with serve_slack(mail_settings, db, fake, triage_channel=TRIAGE) as client:
        yield client


def test_tickets_for_a_requester_lists_their_own_with_status_and_last_reply(
    slack: SlackClient, fake: FakeSlack, db: Database, mail_settings: Settings, directory: Directory
) -> None:
    with db.transaction() as session:
        mine = tickets.open_ticket(
            session,
            mail_settings,
            make_form(subject="Mot de passe refusé"),
            source="slack",
            requester=Requester(person_id=directory.person_id, slack_user_id=REQUESTER),
            triage_enabled=True,
        ).ticket.number
        other = tickets.open_ticket(
            session, mail_settings, make_form(subject="Autre"), source="web", triage_enabled=True
        ).ticket.number
        tickets.reply(session, mail_settings, mine, AGENT, "Pouvez-vous réessayer ?")
        tickets.internal_note(session, mine, AGENT, "note interne")
    slack.command(REQUESTER, "/tickets")
    [answer] = fake.wait_for("chat.postMessage", where=lambda c: "Vos demandes" in str(c.params))
    text = str(answer.params["blocks"])
    assert "Vos demandes au helpdesk (1)" in text and mine in text and other not in text
    assert "En cours" in text and "Pouvez-vous réessayer ?" in text

    slack.command(REQUESTER, "/tickets", mine.lower())
    [history] = fake.wait_for(
        "chat.postMessage", where=lambda c: "Historique" in str(c.params.get("blocks"))
    )
    shown = str(history.params["blocks"])
    assert "Réponse du helpdesk" in shown and "Pouvez-vous réessayer ?" in shown
    assert "note interne" not in shown and "Publié" not in shown

    slack.command(REQUESTER, "/tickets", other)
    fake.wait_for("chat.postMessage", where=lambda c: "n'existe pas" in str(c.params))
    assert not any(
        "Autre" in str(c.params.get("blocks")) for c in fake.calls_to("chat.postMessage")
    )
