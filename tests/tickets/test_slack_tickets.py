"""Tickets in Slack, end to end: the real Bolt app over signed HTTP, the fake Web API, a real
SMTP server for what leaves by e-mail."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from access.mail.outbox import deliver_due
from access.persistence.database import Database
from bot.settings import Settings
from helpdesk.models import Ticket, TicketEvent
from tests.slack_app import serve_slack, slack_settings
from tests.slack_client import SlackClient, dm_channel
from tests.slack_fake import FakeSlack, Sent
from tests.smtp_server import SmtpServer
from tests.tickets.conftest import Directory

REQUESTER = "UEMILIE"
AGENT = "UAGENT"
OUTSIDER = "UOUTSIDER"
TRIAGE = "CTRIAGE"


@pytest.fixture
def fake(directory: Directory) -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.add_user(REQUESTER, email=directory.person_email, name="Émilie Dupont")
        slack.add_user(AGENT, email="agent@helpdesk.test", name="Alice Agent")
        slack.add_user(OUTSIDER, email="someone@else.test", name="Someone Else")
        slack.set_members(TRIAGE, [AGENT])
        yield slack


@pytest.fixture
def slack(mail_settings: Settings, db: Database, fake: FakeSlack) -> Iterator[SlackClient]:
    with serve_slack(mail_settings, db, fake, triage_channel=TRIAGE) as client:
        yield client


def _open_form(slack: SlackClient, fake: FakeSlack, text: str = "") -> dict[str, Any]:
    slack.command(REQUESTER, "/helpdesk", f"ticket {text}".strip())
    opened = fake.wait_for("views.open")
    return opened[-1].params["view"]


GOOD = {
    "fase": "5432",
    "phone": "0470 12 34 56",
    "category": "password",
    "subject": "Mot de passe refusé",
    "description": "Refusé depuis ce matin.",
}


def _faq_step(response: httpx.Response) -> dict[str, Any] | None:
    """The modal again with the FAQ's answers on the subject, when the bot shows it."""
    if not response.content:
        return None
    answer = response.json()
    if answer.get("response_action") != "update" or answer["view"]["callback_id"] != "ticket_faq":
        return None
    return answer["view"]


def _send(slack: SlackClient, view: dict[str, Any], values: dict[str, Any]) -> httpx.Response:
    """Submit the ticket modal as someone the FAQ's answers did not help: « Envoyer » again."""
    response = slack.submit_view(REQUESTER, view, values)
    step = _faq_step(response)
    return slack.submit_view(REQUESTER, step, {}) if step is not None else response


def _submit_ticket(slack: SlackClient, fake: FakeSlack, **values: Any) -> dict[str, Any]:
    view = _open_form(slack, fake)
    response = _send(slack, view, {**GOOD, **values})
    assert response.status_code == 200
    return view


def _triage_card(fake: FakeSlack) -> Sent:
    posts = [s for s in fake.sent() if s.channel == TRIAGE and s.thread_ts is None]
    assert posts, "no triage card posted"
    return posts[0]


def _latest_card(fake: FakeSlack) -> Sent:
    card = _triage_card(fake)
    updates = [s for s in fake.sent() if s.kind == "update" and s.ts == card.ts]
    return updates[-1] if updates else card


def _number(db: Database) -> str:
    with db.session() as session:
        return session.scalars(sa.select(Ticket.number)).one()


def test_the_modal_is_prefilled_shows_errors_by_the_fields_then_tells_the_number(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    view = _open_form(slack, fake, "je ne peux plus me connecter")
    inputs = {b["block_id"]: b for b in view["blocks"] if b.get("type") == "input"}
    assert inputs["last_name"]["element"]["initial_value"] == "Dupont"
    assert inputs["email"]["element"]["initial_value"] == "emilie.dupont@ecole.be"
    # Two schools: a choice, not a guess.
    options = [o["value"] for o in inputs["fase"]["element"]["options"]]
    assert sorted(options) == ["1010", "5432"]
    assert "je ne peux plus me connecter" in inputs["description"]["element"]["initial_value"]

    bad = slack.submit_view(
        REQUESTER, view, {**GOOD, "email": "emilie@", "phone": "12", "subject": ""}
    )
    errors = bad.json()["errors"]
    assert set(errors) == {"email", "phone", "subject"}
    assert not fake.calls_to("chat.postMessage")

    ok = _send(slack, view, GOOD)
    assert ok.status_code == 200 and not ok.content
    fake.wait_for("chat.postMessage", 2)
    fake.wait_quiet()
    number = _number(db)
    told = [s for s in fake.sent() if s.channel == dm_channel(REQUESTER)]
    assert number in told[-1].all_text()
    card = _triage_card(fake).all_text()
    for expected in (number, "Émilie Dupont", "5432 — Institut Saint-Joseph", "+32 470 12 34 56"):
        assert expected in card
    assert _requester_thread(db) == told[-1].ts
    with db.session() as session:
        ticket = session.scalars(sa.select(Ticket)).one()
        assert (ticket.source, ticket.status, ticket.triage_channel) == ("slack", "nouveau", TRIAGE)


def test_an_unknown_fase_needs_the_confirmation_box_and_is_flagged(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    view = _open_form(slack, fake)
    answer = slack.submit_view(REQUESTER, view, {**GOOD, "fase": "", "fase_other": "99999"})
    assert answer.json()["response_action"] == "update"
    confirm_view = answer.json()["view"]
    inputs = {b["block_id"]: b for b in confirm_view["blocks"] if b.get("type") == "input"}
    assert "confirm_unknown_fase" in inputs
    assert inputs["fase_other"]["element"]["initial_value"] == "99999"
    assert inputs["subject"]["element"]["initial_value"] == GOOD["subject"]

    done = _send(slack, confirm_view, {"confirm_unknown_fase": ["yes"]})
    assert done.status_code == 200 and not done.content
    fake.wait_for("chat.postMessage", 2)
    assert "99999 ⚠ inconnu de l'annuaire" in _triage_card(fake).all_text()
    with db.session() as session:
        assert session.scalars(sa.select(Ticket.fase_unknown)).one() is True


def test_a_double_submit_opens_one_ticket(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    view = _submit_ticket(slack, fake)
    _send(slack, view, GOOD)
    fake.wait_for("chat.postMessage", 2)
    fake.wait_quiet()
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
    cards = [s for s in fake.sent() if s.channel == TRIAGE]
    assert len(cards) == 1


def test_triage_buttons_update_the_card_in_place(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    _submit_ticket(slack, fake)
    fake.wait_for("chat.postMessage", 2)
    card = _triage_card(fake)

    slack.press(AGENT, card, "Prendre en charge")
    fake.wait_for("chat.update", 1)
    assert "En cours" in _latest_card(fake).all_text()
    assert "UAGENT" in _latest_card(fake).all_text()

    slack.press(AGENT, _latest_card(fake), "Priorité Urgente")
    fake.wait_for("chat.update", 2)
    assert "Urgente" in _latest_card(fake).all_text()

    slack.press(AGENT, _latest_card(fake), "En attente du demandeur")
    fake.wait_for("chat.update", 3)
    assert all(s.ts == card.ts for s in fake.sent() if s.kind == "update")
    latest = _latest_card(fake)
    assert "En attente du demandeur" in latest.all_text()
    statuses = [b for b in latest.buttons() if b["action_id"].startswith("tickets.status")]
    assert [b["text"]["text"] for b in statuses] == ["En cours", "Résolu"]

    with db.session() as session:
        kinds = session.scalars(sa.select(TicketEvent.kind).order_by(TicketEvent.id)).all()
    assert kinds == ["opened", "triage_posted", "claimed", "priority", "status"]


def test_only_members_of_the_triage_channel_can_triage(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    _submit_ticket(slack, fake)
    fake.wait_for("chat.postMessage", 2)
    slack.press(OUTSIDER, _triage_card(fake), "Prendre en charge")
    fake.wait_quiet()
    assert not fake.calls_to("chat.update")
    assert any("réservée aux agents" in s.all_text() for s in fake.sent())
    # For someone who is not an agent, /tickets lists their own requests: none here.
    slack.command(OUTSIDER, "/tickets")
    answer = fake.wait_sent("Vos demandes au helpdesk").all_text()
    assert "Vos demandes au helpdesk (0)" in answer and _number(db) not in answer


def test_replies_are_relayed_both_ways_and_notes_stay_internal(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    _submit_ticket(slack, fake)
    fake.wait_for("chat.postMessage", 2)
    card = _triage_card(fake)
    number = _number(db)
    requester_thread = _requester_thread(db)

    slack.message(AGENT, "note: compte bloqué côté annuaire", channel=TRIAGE, thread_ts=card.ts)
    fake.wait_quiet()
    assert not [s for s in fake.sent() if s.channel == dm_channel(REQUESTER) and s.thread_ts]

    slack.message(AGENT, "Pouvez-vous réessayer maintenant ?", channel=TRIAGE, thread_ts=card.ts)
    fake.wait_for("chat.postMessage", where=lambda c: c.params.get("thread_ts") == requester_thread)
    dm = [s for s in fake.sent() if s.thread_ts == requester_thread][-1]
    assert "Pouvez-vous réessayer maintenant ?" in dm.all_text()
    assert number in dm.all_text()
    assert "compte bloqué" not in "".join(
        s.all_text() for s in fake.sent() if s.channel == dm_channel(REQUESTER)
    )

    slack.message(
        REQUESTER, "Ça marche, merci !", channel=dm_channel(REQUESTER), thread_ts=requester_thread
    )
    fake.wait_for(
        "chat.postMessage",
        where=lambda c: (
            c.params.get("thread_ts") == card.ts and "Ça marche" in str(c.params.get("blocks"))
        ),
    )
    with db.session() as session:
        events = session.scalars(sa.select(TicketEvent).order_by(TicketEvent.id)).all()
        relayed = [
            (e.kind, e.internal) for e in events if e.kind in ("note", "reply", "requester_reply")
        ]
    assert relayed == [("note", True), ("reply", False), ("requester_reply", False)]


def test_the_reply_modal_reaches_the_requester_and_the_thread(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    _submit_ticket(slack, fake)
    fake.wait_for("chat.postMessage", 2)
    card = _triage_card(fake)
    slack.press(AGENT, card, "Répondre")
    view = fake.wait_for("views.open", 2)[-1].params["view"]
    assert view["callback_id"] == "ticket_reply"
    slack.submit_view(AGENT, view, {"body": "Je viens de débloquer votre compte."})
    fake.wait_for(
        "chat.postMessage",
        where=lambda c: (
            c.params.get("channel") == dm_channel(REQUESTER)
            and "débloquer" in str(c.params.get("blocks"))
        ),
    )
    fake.wait_for(
        "chat.postMessage",
        where=lambda c: (
            c.params.get("thread_ts") == card.ts and "débloquer" in str(c.params.get("blocks"))
        ),
    )


def test_resolution_asks_the_requester_and_non_reopens(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    _submit_ticket(slack, fake)
    fake.wait_for("chat.postMessage", 2)
    slack.press(AGENT, _triage_card(fake), "Résolu")
    fake.wait_for(
        "chat.postMessage", where=lambda c: "est-il résolu" in str(c.params.get("blocks"))
    )
    question = [s for s in fake.sent() if "est-il résolu" in s.all_text()][-1]
    assert question.channel == dm_channel(REQUESTER)
    slack.press(REQUESTER, question, "Non")
    fake.wait_for("chat.update", where=lambda c: "rouvert" in str(c.params.get("blocks")))
    fake.wait_quiet()
    with db.session() as session:
        assert session.scalars(sa.select(Ticket.status)).one() == "en_cours"
    assert "En cours" in _latest_card(fake).all_text()


def test_only_the_requester_can_answer_the_resolution_question(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    _submit_ticket(slack, fake)
    fake.wait_for("chat.postMessage", 2)
    slack.press(AGENT, _triage_card(fake), "Résolu")
    fake.wait_for(
        "chat.postMessage", where=lambda c: "est-il résolu" in str(c.params.get("blocks"))
    )
    question = [s for s in fake.sent() if "est-il résolu" in s.all_text()][-1]
    slack.press(AGENT, question, "Non")  # a forwarded message, pressed by someone else
    fake.wait_quiet()
    with db.session() as session:
        assert session.scalars(sa.select(Ticket.status)).one() == "resolu"
    assert any("Seule la personne qui a ouvert" in s.all_text() for s in fake.sent())


def test_when_slack_refuses_the_triage_post_the_help_address_gets_the_ticket(
    slack: SlackClient,
    fake: FakeSlack,
    db: Database,
    mail_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    view = _open_form(slack, fake)
    fake.fail("chat.postMessage", "channel_not_found")
    _send(slack, view, GOOD)
    fake.wait_for("chat.postMessage", 2)
    fake.wait_quiet()
    number = _number(db)
    deliver_due(mail_settings, db)
    (mail,) = smtp_server.messages
    assert mail.rcpt_tos == ["help.extranet@segec.be"]
    assert number in str(mail.message["Subject"])
    assert str(mail.message["Reply-To"]) == "emilie.dupont@ecole.be"
    assert "N° FASE de l'établissement : 5432" in mail.text()
    # The requester still got the number.
    told = fake.sent()[-1]
    assert number in told.all_text()

    # Her follow-up in that DM thread reaches the help address, in the ticket's thread.
    slack.message(
        REQUESTER, "J'ajoute : même erreur sur mon GSM.", channel=told.channel, thread_ts=told.ts
    )
    fake.wait_for("chat.postMessage", where=lambda c: "transmis au helpdesk" in str(c.params))
    deliver_due(mail_settings, db)
    followup = smtp_server.wait_for(2)[-1]
    assert followup.rcpt_tos == ["help.extranet@segec.be"]
    assert str(followup.message["Subject"]) == f"Re: {mail.message['Subject']}"
    assert followup.message["In-Reply-To"] == mail.message["Message-ID"]
    assert "même erreur sur mon GSM" in followup.text()


def test_a_retried_thread_reply_is_relayed_once(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    _submit_ticket(slack, fake)
    fake.wait_for("chat.postMessage", 2)
    card = _triage_card(fake)
    first = slack.message(
        AGENT, "Réponse unique", channel=TRIAGE, thread_ts=card.ts, event_id="Ev-1"
    )
    again = slack.message(
        AGENT, "Réponse unique", channel=TRIAGE, thread_ts=card.ts, event_id="Ev-1", retry_num=1
    )
    assert first.status_code == again.status_code == 200
    # The relay first (the bot may still be busy with the database), then no second one.
    fake.wait_for(
        "chat.postMessage",
        where=lambda c: "Réponse unique" in str(c.params) and c.params.get("channel") != TRIAGE,
    )
    fake.wait_quiet()
    dms = [s for s in fake.sent() if "Réponse unique" in s.all_text() and s.channel != TRIAGE]
    assert len(dms) == 1


def _command_answer(slack: SlackClient, fake: FakeSlack, user: str, text: str, expect: str) -> str:
    """Run `/tickets text` and return the answer containing `expect` (answers come async)."""
    slack.command(user, "/tickets", text)
    calls = fake.wait_for("chat.postMessage", where=lambda c: expect in str(c.params.get("blocks")))
    return str(calls[-1].params.get("blocks"))


def test_agents_list_and_inspect_tickets(slack: SlackClient, fake: FakeSlack, db: Database) -> None:
    _submit_ticket(slack, fake)
    fake.wait_for("chat.postMessage", 2)
    number = _number(db)
    assert number in _command_answer(slack, fake, AGENT, "", "ouverts (1)")
    assert number in _command_answer(slack, fake, AGENT, "5432", "FASE 5432 (1)")
    assert "Aucun ticket" in _command_answer(slack, fake, AGENT, "resolu", "Résolu » (0)")
    history = _command_answer(slack, fake, AGENT, number.lower(), "Historique")
    assert "Ticket ouvert" in history and "Publié dans le canal de triage" in history
    assert "Tickets ouverts" in _command_answer(slack, fake, AGENT, "stats", "Délai médian")


def test_slack_settings_helper_is_used(fake: FakeSlack, mail_settings: Settings) -> None:
    assert slack_settings(mail_settings, fake).slack_api_url == fake.api_url


def test_contacting_the_helpdesk_from_an_faq_answer_carries_the_question(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    from bot.conversation.features.tickets import contact_button
    from bot.conversation.replies import Choices, Message
    from bot.slack.blocks import render_message

    button = contact_button("Comment changer mon mot de passe ?", ["mot-de-passe-oublie"], None)
    rendered = render_message(Message(Choices([button])))[0]["blocks"]
    element = next(b for b in rendered if b["type"] == "actions")["elements"][0]
    slack.block_actions(REQUESTER, element)
    view = fake.wait_for("views.open")[-1].params["view"]
    inputs = {b["block_id"]: b for b in view["blocks"] if b.get("type") == "input"}
    description = inputs["description"]["element"]["initial_value"]
    assert "« Comment changer mon mot de passe ? »" in description
    _send(slack, view, {**GOOD, "description": description + "Rien ne marche."})
    card = fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == TRIAGE)
    assert "mot-de-passe-oublie" in str(card[-1].params.get("blocks"))
    with db.session() as session:
        # The answers proposed before the form, then those the form showed on the subject.
        assert session.scalars(sa.select(Ticket.proposed_faq_ids)).one() == [
            "mot-de-passe-oublie",
            "mot-de-passe-regles",
        ]


def test_the_app_home_offers_the_form_and_lists_my_open_tickets(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    _submit_ticket(slack, fake)
    fake.wait_for("chat.postMessage", 2)
    number = _number(db)
    slack.open_home(REQUESTER)
    published = fake.wait_for("views.publish")[-1].params["view"]
    text = str(published["blocks"])
    assert "Contacter le helpdesk" in text and number in text


# --- who may answer the requester from the triage thread -------------------------------------


def _ticket_in_triage(slack: SlackClient, fake: FakeSlack, db: Database) -> tuple[Sent, str]:
    """A ticket whose card is in the triage channel; (the card, the requester's DM thread)."""
    _submit_ticket(slack, fake)
    fake.wait_for("chat.postMessage", 2)
    fake.wait_quiet()
    return _triage_card(fake), _requester_thread(db)


def _requester_thread(db: Database, timeout: float = 30.0) -> str:
    """The requester's DM thread, recorded once the bot has posted there (after the form's
    acknowledgement, so a moment after the post itself)."""
    deadline = time.monotonic() + timeout
    while True:
        with db.session() as session:
            thread = session.scalars(sa.select(Ticket.requester_thread_ts)).one()
        if thread is not None or time.monotonic() > deadline:
            assert thread is not None, "the requester's thread was never recorded"
            return thread
        time.sleep(0.02)


def _reached_requester(fake: FakeSlack, requester_thread: str) -> list[str]:
    return [s.all_text() for s in fake.sent() if s.thread_ts == requester_thread]


def _thread_events(db: Database) -> list[str]:
    with db.session() as session:
        kinds = session.scalars(sa.select(TicketEvent.kind).order_by(TicketEvent.id)).all()
    return [k for k in kinds if k in ("reply", "note")]


def _relay_of(fake: FakeSlack, requester_thread: str, text: str) -> None:
    fake.wait_for(
        "chat.postMessage",
        where=lambda c: c.params.get("thread_ts") == requester_thread and text in str(c.params),
    )


def test_a_reply_in_the_triage_thread_from_someone_not_an_agent_is_not_relayed(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    card, requester_thread = _ticket_in_triage(slack, fake, db)
    slack.message(OUTSIDER, "Envoyez-moi votre mot de passe", channel=TRIAGE, thread_ts=card.ts)
    [told] = fake.wait_for("chat.postEphemeral")
    assert told.params["user"] == OUTSIDER
    assert (told.params["channel"], told.params["thread_ts"]) == (TRIAGE, card.ts)
    assert "agents du helpdesk" in str(told.params["blocks"])
    assert "pas été transmis" in str(told.params["blocks"])
    slack.message(OUTSIDER, "note: fausse note", channel=TRIAGE, thread_ts=card.ts)
    fake.wait_for("chat.postEphemeral", 2)
    # An agent's answer afterwards: it goes through, and it is the only one that did.
    slack.message(AGENT, "Réponse de l'agent", channel=TRIAGE, thread_ts=card.ts)
    _relay_of(fake, requester_thread, "Réponse de l'agent")
    fake.wait_quiet()
    reached = _reached_requester(fake, requester_thread)
    assert len(reached) == 1 and "Réponse de l'agent" in reached[0]
    assert "mot de passe" not in "".join(s.all_text() for s in fake.sent() if s.channel != TRIAGE)
    assert _thread_events(db) == ["reply"]


def test_a_broadcast_thread_reply_from_someone_not_an_agent_is_not_relayed(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    card, requester_thread = _ticket_in_triage(slack, fake, db)
    event = {
        "type": "message",
        "subtype": "thread_broadcast",
        "user": OUTSIDER,
        "text": "Aussi envoyé au canal",
        "ts": "1700000900.000100",
        "thread_ts": card.ts,
        "channel": TRIAGE,
        "channel_type": "channel",
    }
    slack.event(event)
    fake.wait_for("chat.postEphemeral")
    fake.wait_quiet()
    assert _reached_requester(fake, requester_thread) == []
    assert _thread_events(db) == []


def test_when_slack_refuses_the_ephemeral_the_non_agent_is_told_in_a_dm(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    # Slack refuses an ephemeral to someone who is not in the channel.
    card, requester_thread = _ticket_in_triage(slack, fake, db)
    fake.fail("chat.postEphemeral", "user_not_in_channel")
    slack.message(OUTSIDER, "Je réponds quand même", channel=TRIAGE, thread_ts=card.ts)
    fake.wait_for(
        "chat.postMessage",
        where=lambda c: (
            c.params.get("channel") == dm_channel(OUTSIDER)
            and "agents du helpdesk" in str(c.params.get("blocks"))
        ),
    )
    fake.wait_quiet()
    assert _reached_requester(fake, requester_thread) == []
    assert _thread_events(db) == []


_event_ts = itertools.count(1)


def _thread_event(card: Sent, **fields: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "text": "Message automatique",
        "ts": f"1700000{next(_event_ts):03d}.000200",
        "thread_ts": card.ts,
        "channel": TRIAGE,
        "channel_type": "channel",
        **fields,
    }


def _machine_messages(card: Sent, bot_user_id: str) -> dict[str, dict[str, Any]]:
    """Messages in the thread that no agent typed (some carry an agent's user id)."""
    agent_message = {"user": AGENT, "text": "Texte d'origine", "ts": "1700000001.000100"}
    return {
        "another bot": _thread_event(card, user="UOTHERBOT", bot_id="BOTHER"),
        "a bot speaking as an agent": _thread_event(card, user=AGENT, bot_id="BOTHER"),
        "bot_message": _thread_event(card, subtype="bot_message", bot_id="BOTHER"),
        "the bot itself": _thread_event(card, user=bot_user_id),
        "an app": _thread_event(card, user=AGENT, app_id="A0OTHER", bot_profile={"id": "B1"}),
        "an app without a bot": _thread_event(card, user=AGENT, app_id="A0OTHER"),
        "an edit": _thread_event(
            card,
            subtype="message_changed",
            message={**agent_message, "text": "Texte modifié", "thread_ts": card.ts},
            previous_message=agent_message,
        ),
        "a deletion": _thread_event(
            card, subtype="message_deleted", deleted_ts="1700000001.000100"
        ),
        "a join": _thread_event(card, subtype="channel_join", user=OUTSIDER),
        "no author": _thread_event(card),
    }


def test_bots_apps_edits_and_deletions_in_the_triage_thread_are_ignored_silently(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    card, requester_thread = _ticket_in_triage(slack, fake, db)
    fake.clear()
    for event in _machine_messages(card, fake.bot_user_id).values():
        assert slack.event(event).status_code == 200
    slack.message(AGENT, "Seule réponse", channel=TRIAGE, thread_ts=card.ts)
    _relay_of(fake, requester_thread, "Seule réponse")
    fake.wait_quiet()
    reached = _reached_requester(fake, requester_thread)
    assert len(reached) == 1 and "Seule réponse" in reached[0]
    # Nobody told anything but the agent, that the one reply went through.
    told = [s for s in fake.sent() if s.kind != "update" and s.channel != dm_channel(REQUESTER)]
    assert [(s.kind, s.user) for s in told] == [("ephemeral", AGENT)]
    assert "Réponse transmise" in told[0].all_text()
    assert _thread_events(db) == ["reply"]


def test_when_the_members_cannot_be_listed_nothing_is_relayed_and_the_agent_is_told(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    card, requester_thread = _ticket_in_triage(slack, fake, db)
    fake.fail("conversations.members", "internal_error")
    slack.message(AGENT, "Première tentative", channel=TRIAGE, thread_ts=card.ts)
    [told] = fake.wait_for("chat.postEphemeral")
    assert told.params["user"] == AGENT and told.params["thread_ts"] == card.ts
    assert "Impossible de vérifier" in str(told.params["blocks"])
    assert "pas été transmis" in str(told.params["blocks"])
    fake.wait_quiet()
    assert _reached_requester(fake, requester_thread) == []
    assert _thread_events(db) == []
    # The failure is not remembered: the next try asks Slack again and goes through.
    slack.message(AGENT, "Deuxième tentative", channel=TRIAGE, thread_ts=card.ts)
    _relay_of(fake, requester_thread, "Deuxième tentative")
    assert _thread_events(db) == ["reply"]


def test_when_the_members_cannot_be_listed_buttons_and_commands_do_nothing(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    card, _ = _ticket_in_triage(slack, fake, db)
    fake.fail("conversations.members", "channel_not_found", times=2)
    slack.press(AGENT, card, "Prendre en charge")
    fake.wait_for("response_url", where=lambda c: "Impossible de vérifier" in str(c.params))
    slack.command(AGENT, "/tickets")
    fake.wait_for("chat.postMessage", where=lambda c: "Impossible de vérifier" in str(c.params))
    fake.wait_quiet()
    assert not fake.calls_to("chat.update")
    with db.session() as session:
        assert session.scalars(sa.select(Ticket.status)).one() == "nouveau"


def test_the_member_list_is_cached_briefly_and_read_across_pages(
    slack: SlackClient, fake: FakeSlack, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A big triage channel: the agent is on the last page of conversations.members.
    fake.set_members(TRIAGE, [f"UMEMBER{i:04d}" for i in range(450)] + [AGENT])
    card, requester_thread = _ticket_in_triage(slack, fake, db)
    slack.press(AGENT, card, "Prendre en charge")
    fake.wait_for("chat.update")
    listed = len(fake.calls_to("conversations.members"))
    assert listed >= 3  # several pages
    slack.message(AGENT, "Dans le cache", channel=TRIAGE, thread_ts=card.ts)
    _relay_of(fake, requester_thread, "Dans le cache")
    assert len(fake.calls_to("conversations.members")) == listed

    # Removed from the channel: once the cache has expired, no longer an agent.
    import bot.slack.transport

    monkeypatch.setattr(bot.slack.transport, "MEMBERS_TTL_SECONDS", 0.0)
    fake.set_members(TRIAGE, [f"UMEMBER{i:04d}" for i in range(450)])
    slack.message(AGENT, "Plus agent", channel=TRIAGE, thread_ts=card.ts)
    fake.wait_for("chat.postEphemeral")
    fake.wait_quiet()
    assert not any("Plus agent" in text for text in _reached_requester(fake, requester_thread))
