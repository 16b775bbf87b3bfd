"""The real Bolt app over HTTP with signed requests and the fake Web API, on a toy router."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from access.persistence.database import Database
from bot.conversation import Job, Message, Router, Table, Turn
from bot.conversation.links import ProcessedEvent
from bot.settings import Settings
from bot.slack.transport import JOB_THREADS
from tests.chat.toy import toy_router
from tests.slack_app import serve_slack
from tests.slack_client import SlackClient, dm_channel
from tests.slack_fake import FakeSlack

USER = "U100"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.add_user(USER, email="nobody@example.org", name="Personne Inconnue")
        yield slack


@pytest.fixture
def slack(settings: Settings, db: Database, fake: FakeSlack) -> Iterator[SlackClient]:
    with serve_slack(settings, db, fake, router=toy_router()) as client:
        yield client


def test_a_command_is_acknowledged_at_once_then_answered_in_the_dm(
    slack: SlackClient, fake: FakeSlack
) -> None:
    response = slack.command(USER, "/demo", "bonjour")
    assert response.status_code == 200
    [post] = fake.wait_for("chat.postMessage")
    assert post.params["channel"] == dm_channel(USER)
    sent = fake.sent()[-1]
    assert "« bonjour »" in sent.all_text()
    assert [b["text"]["text"] for b in sent.buttons()] == ["Oui", "Supprimer"]
    confirm = sent.buttons()[1]["confirm"]
    assert confirm["text"]["text"] == "Vraiment ?"


def test_a_button_replaces_the_message_it_was_in(slack: SlackClient, fake: FakeSlack) -> None:
    slack.command(USER, "/demo", "x")
    fake.wait_for("chat.postMessage")
    slack.press(USER, fake.sent()[-1], "Oui")
    [update] = fake.wait_for("chat.update")
    assert "Réponse : yes" in fake.sent()[-1].all_text()
    assert update.params["ts"] == fake.calls_to("chat.postMessage")[0].answer["ts"]


def test_in_a_channel_private_replies_are_ephemeral_through_the_response_url(
    slack: SlackClient, fake: FakeSlack
) -> None:
    slack.command(USER, "/demo", "en public", channel_id="C0GENERAL")
    [response] = fake.wait_for("response_url")
    assert response.params["response_type"] == "ephemeral"
    assert not fake.calls_to("chat.postMessage")


def test_a_form_opens_a_modal_shows_errors_by_the_fields_then_succeeds(
    slack: SlackClient, fake: FakeSlack
) -> None:
    slack.command(USER, "/demo", "form")
    [opened] = fake.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == "demo.form"
    bad = slack.submit_view(USER, view, {"email": "pas-une-adresse", "kind": "pwd"})
    assert bad.status_code == 200
    assert bad.json() == {
        "response_action": "errors",
        "errors": {"email": "Adresse e-mail invalide (exemple : prenom.nom@ecole.be)."},
    }
    refused = slack.submit_view(USER, view, {"name": "Interdit", "email": "a@b.be", "kind": "pwd"})
    assert refused.json()["errors"] == {"name": "Ce nom est refusé."}
    ok = slack.submit_view(USER, view, {"email": "a@b.be", "kind": "other", "until": "2026-12-31"})
    assert ok.status_code == 200 and not ok.content
    fake.wait_for("chat.postMessage")
    assert "Reçu Dupont a@b.be None other 2026-12-31 test" in fake.sent()[-1].all_text()


def test_a_job_shows_progress_in_its_message_then_the_summary(
    slack: SlackClient, fake: FakeSlack
) -> None:
    slack.command(USER, "/demo", "job")
    fake.wait_for("chat.update", where=lambda c: "Terminé" in c.params.get("text", ""))
    texts = [s.all_text() for s in fake.sent()]
    assert "Envoi en cours…" in texts[0]
    assert any("Envoi : 3 / 3" in t for t in texts)
    assert "Terminé : 3 envoyés." in texts[-1]


def test_user_text_cannot_ping_the_channel(slack: SlackClient, fake: FakeSlack) -> None:
    slack.message(USER, "<!channel> & <@U999> <https://evil.example|banque>")
    fake.wait_for("chat.postMessage")
    text = fake.sent()[-1].all_text()
    assert "&lt;!channel&gt; &amp; &lt;@U999&gt; &lt;https://evil.example|banque&gt;" in text
    assert "<!channel>" not in json.dumps(fake.calls_to("chat.postMessage")[0].params)


def test_a_retried_event_is_answered_once(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    first = slack.message(USER, "une question", event_id="Ev-retry-1")
    retry = slack.message(USER, "une question", event_id="Ev-retry-1", retry_num=1)
    assert first.status_code == retry.status_code == 200
    fake.wait_for("chat.postMessage")
    fake.wait_quiet()
    assert len(fake.calls_to("chat.postMessage")) == 1
    with db.session() as session:
        assert session.get(ProcessedEvent, "Ev-retry-1") is not None


@pytest.mark.parametrize("how", ["wrong secret", "stale", "unsigned"])
def test_a_badly_signed_request_gets_401_and_changes_nothing(
    slack: SlackClient, fake: FakeSlack, db: Database, how: str
) -> None:
    kwargs = {
        "wrong secret": {"secret": "not-the-secret"},
        "stale": {"timestamp": "1500000000"},
        "unsigned": {"signed": False},
    }[how]
    response = slack.message(USER, "une question", event_id="Ev-forged", **kwargs)
    assert response.status_code == 401
    fake.wait_quiet(0.3)
    assert not fake.calls_to("chat.postMessage") and not fake.calls_to("users.info")
    with db.session() as session:
        assert session.get(ProcessedEvent, "Ev-forged") is None


def test_long_tables_are_split_within_block_kit_limits(
    settings: Settings, db: Database, fake: FakeSlack
) -> None:
    router = Router()

    @router.command("/big")
    def big(turn: Turn) -> Message:
        rows = [
            [f"Nom {i:03d}", "Enseignant·e", f"p{i}@ecole.be", "Compte activé"] for i in range(400)
        ]
        return Message(Table(["Nom", "Rôle", "E-mail", "Statut"], rows, title="Équipe"))

    with serve_slack(settings, db, fake, router=router) as client:
        client.command(USER, "/big")
        fake.wait_for("chat.postMessage")
        fake.wait_quiet()
    posts = fake.calls_to("chat.postMessage")
    shown = "\n".join(s.all_text() for s in fake.sent())
    assert all(f"Nom {i:03d}" in shown for i in range(400))
    for post in posts:
        blocks = post.params["blocks"]
        assert len(blocks) <= 50
        assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)


def test_rate_limited_calls_are_retried_after_the_delay(
    slack: SlackClient, fake: FakeSlack
) -> None:
    fake.rate_limit("chat.postMessage", retry_after=1)
    slack.command(USER, "/demo", "patience")
    fake.wait_for("chat.postMessage", count=2)
    assert "« patience »" in fake.sent()[-1].all_text()


def test_a_rush_of_jobs_queues_behind_a_few_threads_and_every_one_finishes(
    settings: Settings, db: Database, fake: FakeSlack
) -> None:
    """Thousands of directors pressing « Envoyer » at once must not start a thread each."""
    release = threading.Event()
    lock = threading.Lock()
    running, most, finished = [0], [0], []

    def slow(turn: Turn) -> Job:
        def run(progress: Any) -> Message:
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            release.wait(30)
            with lock:
                running[0] -= 1
                finished.append(turn.speaker.user_id)
            return Message("Terminé.", replace=True)

        return Job(start=Message("Envoi en cours…"), run=run)

    router = Router()
    router.command("/slow")(slow)
    users = [f"U2{n:02d}" for n in range(JOB_THREADS * 3)]
    for user in users:
        fake.add_user(user, email=f"{user.lower()}@example.org", name=user)
    with serve_slack(settings, db, fake, router=router) as client:
        for user in users:
            client.command(user, "/slow", "")
        # Every press sees its first message at once, queued or not.
        fake.wait_for(
            "chat.postMessage",
            where=lambda c: "Envoi en cours" in c.params.get("text", ""),
            count=len(users),
        )
        release.set()
        fake.wait_for(
            "chat.update", where=lambda c: "Terminé" in c.params.get("text", ""), count=len(users)
        )
    assert sorted(finished) == users
    assert most[0] <= JOB_THREADS
