"""The FAQ learns from the helpdesk, end to end in Slack: a question the FAQ could not answer,
the ticket opened from it, the agent's answer on the resolved ticket's card, the proposed
phrasing in `extranet-bot faq report`, `faq accept`, and the same question now answered."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import faq
from access.persistence.database import Database
from bot.settings import Settings
from faq.kb import DEFAULT_DATA_DIR
from faq.learning import faq_proposals
from faq.matcher import Reason
from helpdesk.models import Ticket
from tests.conftest import run_cli
from tests.slack_app import serve_slack
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack, Sent
from tests.tickets.conftest import Directory

REQUESTER = "UEMILIE"
AGENT = "UAGENT"
OUTSIDER = "UOUTSIDER"
TRIAGE = "CTRIAGE"
# Not in the base, and the FAQ is unsure of it: its first suggestion is another entry.
QUESTION = "je suis devenue prof mais l'extranet me classe toujours comme éducatrice"
RIGHT = "acces-par-fonction"
FORM = {
    "fase": "5432",
    "category": "access",
    "subject": "Accès et fonction",
}


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


def _latest_card(fake: FakeSlack) -> Sent:
    card = next(s for s in fake.sent() if s.channel == TRIAGE and s.thread_ts is None)
    updates = [s for s in fake.sent() if s.kind == "update" and s.ts == card.ts]
    return updates[-1] if updates else card


def _card_recorded(fake: FakeSlack, db: Database) -> None:
    """Wait until the triage card is posted and recorded: an agent presses a card the bot
    knows (a button on a card not yet recorded replaces it through Slack's response URL)."""
    fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == TRIAGE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with db.session() as session:
            if session.scalar(sa.select(Ticket.triage_ts)) is not None:
                return
        time.sleep(0.02)
    raise AssertionError("the triage card was posted but never recorded")


def _ticket_from_the_faq(slack: SlackClient, fake: FakeSlack, db: Database) -> None:
    slack.message(REQUESTER, QUESTION)
    fake.wait_for("chat.postMessage")
    fake.wait_quiet()
    unsure = fake.sent()[-1]
    slack.press(REQUESTER, unsure, "Contacter le helpdesk")
    view = fake.wait_for("views.open")[-1].params["view"]
    description = next(
        b["element"]["initial_value"] for b in view["blocks"] if b.get("block_id") == "description"
    )
    values = {**FORM, "description": description + "Merci."}
    step = slack.submit_view(REQUESTER, view, values)
    if step.content and step.json().get("response_action") == "update":
        # The FAQ's nearest answers before sending: they did not help either, sent anyway.
        assert step.json()["view"]["callback_id"] == "ticket_faq"
        slack.submit_view(REQUESTER, step.json()["view"], values)
    _card_recorded(fake, db)


def _resolve(slack: SlackClient, fake: FakeSlack) -> Sent:
    updates = len(fake.calls_to("chat.update"))
    slack.press(AGENT, _latest_card(fake), "Résolu")
    fake.wait_for("chat.update", updates + 1)
    return _latest_card(fake)


def test_a_resolved_ticket_from_the_faq_teaches_the_base(
    slack: SlackClient, fake: FakeSlack, db: Database, tmp_path: Path
) -> None:
    asked = faq.load_default().match(QUESTION)
    assert asked.entry is None and asked.reason is Reason.UNSURE
    _ticket_from_the_faq(slack, fake, db)
    # Open, the card does not ask yet.
    assert "Quelle entrée de la FAQ" not in _latest_card(fake).all_text()

    card = _resolve(slack, fake)
    assert "Quelle entrée de la FAQ" in card.all_text() and QUESTION in card.all_text()
    labels = [b["text"]["text"] for b in card.buttons()]
    assert labels[-2:] == ["Autre entrée…", "Aucune : nouveau sujet"]

    # The entry the agent has in mind is not among the likely ones: the form has them all.
    slack.press(AGENT, card, "Autre entrée…")
    view = fake.wait_for("views.open", 2)[-1].params["view"]
    inputs = {b["block_id"]: b for b in view["blocks"] if b.get("type") == "input"}
    assert inputs["phrasing"]["element"]["initial_value"] == QUESTION
    updates = len(fake.calls_to("chat.update"))
    slack.submit_view(AGENT, view, {"entry": RIGHT})
    fake.wait_for("chat.update", updates + 1)
    assert "proposée comme formulation de" in _latest_card(fake).all_text()

    env = {"DATABASE_URL": db.url, "PATH": "/usr/bin:/bin"}
    report = run_cli(env, "faq", "report", "--json", text=True)
    assert report.returncode == 0, report.stderr
    [proposed] = json.loads(report.stdout)["proposals"]
    assert proposed["entry"] == RIGHT and proposed["count"] == 1
    [phrasing] = proposed["phrasings"]
    assert phrasing["text"] == QUESTION
    text = run_cli(env, "faq", "report", text=True).stdout
    assert RIGHT in text and QUESTION in text

    base = tmp_path / "faq"
    shutil.copytree(DEFAULT_DATA_DIR, base)
    # The refit reads and writes files only, whatever the database: once, on SQLite.
    refit = db.is_sqlite
    accepted = run_cli(
        env,
        "faq",
        "accept",
        str(phrasing["ids"][0]),
        "--data",
        str(base),
        *(() if refit else ("--no-refit",)),
        text=True,
    )
    assert accepted.returncode == 0, accepted.stderr
    [entry] = [e for e in faq.load(base).entries if e.id == RIGHT]
    assert QUESTION in entry.phrasings
    if refit:
        for step in ("check", "fit", "calibrate --write"):
            assert f"python -m faq --data {base} {step}" in accepted.stdout
        learnt = faq.Matcher(faq.load(base))
        assert learnt.kb.classifier is not None, "the second opinion was fitted on the new base"
        answer = learnt.match(QUESTION)
        assert answer.entry is not None and answer.entry.id == RIGHT
    with db.session() as session:
        assert session.scalars(sa.select(faq_proposals.c.status)).all() == ["accepted"]
    after = json.loads(run_cli(env, "faq", "report", "--json", text=True).stdout)
    assert after["proposals"] == []
    assert after["proposal_counts"] == {"proposed": 0, "accepted": 1, "rejected": 0}


def test_only_agents_answer_and_a_new_subject_is_reported_as_such(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    _ticket_from_the_faq(slack, fake, db)
    card = _resolve(slack, fake)
    updates = len(fake.calls_to("chat.update"))
    slack.press(OUTSIDER, card, "Aucune : nouveau sujet")
    fake.wait_quiet()
    assert len(fake.calls_to("chat.update")) == updates
    with db.session() as session:
        assert session.scalars(sa.select(faq_proposals.c.id)).all() == []

    slack.press(AGENT, card, "Aucune : nouveau sujet")
    fake.wait_for("chat.update", updates + 1)
    assert "nouveau sujet" in _latest_card(fake).all_text()
    env = {"DATABASE_URL": db.url, "PATH": "/usr/bin:/bin"}
    payload: dict[str, Any] = json.loads(run_cli(env, "faq", "report", "--json", text=True).stdout)
    assert payload["proposals"] == []
    [topic] = payload["new_topics"]
    assert topic["example"] == QUESTION
    # The person asked once, got no answer, then a ticket: a miss, reported as such.
    assert payload["deflection"]["tickets"] == 1 and payload["deflection"]["deflected"] == 0
    assert payload["abstentions"][0]["question"] == QUESTION


def test_a_ticket_not_from_the_faq_asks_nothing(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    slack.command(REQUESTER, "/helpdesk", "ticket")
    view = fake.wait_for("views.open")[-1].params["view"]
    values = {**FORM, "description": "Une demande directe."}
    step = slack.submit_view(REQUESTER, view, values).json()["view"]
    # The FAQ's nearest answers before sending (helpdesk.suggestions): sent anyway.
    assert step["callback_id"] == "ticket_faq"
    slack.submit_view(REQUESTER, step, values)
    _card_recorded(fake, db)
    card = _resolve(slack, fake)
    assert "FAQ" not in card.all_text().replace("FAQ proposée", "")
    with db.session() as session:
        assert session.scalars(sa.select(Ticket.status)).one() == "resolu"
