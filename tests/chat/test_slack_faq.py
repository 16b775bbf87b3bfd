"""FAQ answers in Slack: in a DM, by mention, with /helpdesk question; every exchange recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from access.persistence.database import Database
from bot.settings import Settings
from tests.chat.conftest import SLACK_USERS, Staff
from tests.slack_app import serve_slack
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack

USER = SLACK_USERS["active"]


@pytest.fixture
def slack(settings: Settings, db: Database, fake: FakeSlack, staff: Staff) -> Iterator[SlackClient]:
    with serve_slack(settings, db, fake) as client:
        yield client


def _questions(db: Database) -> list[sa.Row]:
    with db.engine.connect() as connection:
        return list(
            connection.execute(
                sa.text(
                    "SELECT user_ref, channel, entry_id, outcome FROM faq_questions ORDER BY id"
                )
            )
        )


def test_a_confident_answer_and_its_feedback_are_recorded(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    slack.message(USER, "j'ai oublié mon mot de passe")
    fake.wait_for("chat.postMessage")
    fake.wait_quiet()
    answer = fake.sent()[-1]
    # The feedback buttons, then the person's situation and its one action (issue 18).
    assert [b["text"]["text"] for b in answer.buttons()] == [
        "Ça m'aide",
        "Ça ne m'aide pas",
        "M'envoyer un lien de réinitialisation",
    ]
    assert "Votre situation" in answer.all_text()
    slack.press(USER, answer, "Ça ne m'aide pas")
    fake.wait_for("chat.update")
    updated = fake.sent()[-1]
    assert "Contacter le helpdesk" in [b["text"]["text"] for b in updated.buttons()]
    [row] = _questions(db)
    assert row.channel == "slack" and row.entry_id and row.outcome == "not_helpful"
    assert row.user_ref.startswith("person:")


def test_a_mention_is_answered_in_its_thread(slack: SlackClient, fake: FakeSlack) -> None:
    slack.mention(USER, "comment changer mon mot de passe ?", channel="C0STAFF")
    [post] = fake.wait_for("chat.postMessage")
    assert post.params["channel"] == "C0STAFF" and post.params["thread_ts"]


def test_helpdesk_question_out_of_domain_offers_the_helpdesk(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    slack.command(USER, "/helpdesk", "question quel temps fera-t-il demain à la mer ?")
    fake.wait_for("chat.postMessage")
    text = fake.sent()[-1].all_text()
    assert "Je n'ai pas de réponse" in text and "Contacter le helpdesk" in text
    [row] = _questions(db)
    assert row.entry_id is None
