"""FAQ answers in Slack: in a DM, by mention, with /helpdesk question; every exchange recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from access.persistence.database import Database
from bot.settings import Settings
from helpdesk.numbering import NUMBER_PATTERN
from tests.chat.conftest import SLACK_USERS, Staff
from tests.slack_app import serve_slack
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack, Sent

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


# -- messages that are not questions (faq.kinds) --------------------------------------------


def _reply_to(slack: SlackClient, fake: FakeSlack, text: str) -> Sent:
    before = len(fake.calls_to("chat.postMessage"))
    slack.message(USER, text)
    fake.wait_for("chat.postMessage", before + 1)
    fake.wait_quiet()
    return fake.sent()[-1]


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("bonjour", "Bonjour !"),
        ("merci beaucoup !", "Avec plaisir !"),
        ("ok super", "Je suis là si vous avez besoin de moi."),
        ("au revoir", "Au revoir, et bonne journée !"),
    ],
)
def test_politeness_gets_a_friendly_word_and_the_help_hint(
    slack: SlackClient, fake: FakeSlack, db: Database, text: str, reply: str
) -> None:
    answer = _reply_to(slack, fake, text)
    said = answer.all_text()
    assert reply in said and "tapez « aide »" in said
    assert "Je n'ai pas de réponse" not in said
    assert answer.buttons() == []
    assert _questions(db) == []  # nothing for the FAQ's report of unanswered questions


@pytest.mark.parametrize(
    "text",
    [
        "le wifi de l'école ne marche plus",
        "j'ai oublié mon mot de passe Smartschool",
        "quand commencent les vacances de Pâques ?",
        "je n'ai pas reçu ma fiche de paie",
        "l'imprimante de la salle des profs est en panne",
    ],
)
def test_another_subject_is_told_this_helpdesk_covers_the_extranet_only(
    slack: SlackClient, fake: FakeSlack, settings: Settings, text: str
) -> None:
    answer = _reply_to(slack, fake, text)
    said = answer.all_text()
    assert "ne couvre que l'Extranet" in said
    # The helpdesk's address comes last, as the last resort.
    assert said.index(settings.helpdesk_email) > said.index("ne couvre que")
    assert answer.buttons() == []  # no button that opens an Extranet ticket


@pytest.mark.parametrize(
    "text", ["page blanche", "j'ai une erreur 500", "l'Extranet est très lent aujourd'hui"]
)
def test_a_fault_of_the_extranet_opens_a_ticket_asking_browser_device_and_time(
    slack: SlackClient, fake: FakeSlack, text: str
) -> None:
    answer = _reply_to(slack, fake, text)
    said = answer.all_text()
    assert "problème de l'Extranet lui-même" in said
    assert "https://extranet.segec.be" not in said  # not the FAQ entry about its address
    assert [b["text"]["text"] for b in answer.buttons()] == ["Signaler le problème"]
    slack.press(USER, answer, "Signaler le problème")
    [opened] = fake.wait_for("views.open")
    view = opened.params["view"]
    description = next(
        b["element"]["initial_value"] for b in view["blocks"] if b.get("block_id") == "description"
    )
    assert f"« {text} »" in description
    for asked in ("Navigateur", "Appareil", "Heure du problème : le "):
        assert asked in description


def test_a_problem_report_becomes_a_ticket_with_its_details(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    answer = _reply_to(slack, fake, "page blanche après la connexion")
    slack.press(USER, answer, "Signaler le problème")
    [opened] = fake.wait_for("views.open")
    view = opened.params["view"]
    description = next(
        b["element"]["initial_value"] for b in view["blocks"] if b.get("block_id") == "description"
    ).replace("Navigateur (Chrome, Edge, Firefox, Safari…) : ", "Navigateur : Firefox 128 ")
    response = slack.submit_view(
        USER,
        view,
        {
            "fase": "1234",
            "category": "other",
            "subject": "Page blanche",
            "description": description,
        },
    )
    assert response.status_code == 200
    assert "errors" not in response.text
    # The question's outcome is recorded once the form is acknowledged, before the ticket is
    # announced: wait for the announcement.
    fake.wait_for(
        "chat.postMessage", where=lambda c: NUMBER_PATTERN.search(str(c.params)) is not None
    )
    with db.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT description FROM tickets")).scalar_one()
    assert "Navigateur : Firefox 128" in stored and "Heure du problème" in stored
    [row] = _questions(db)
    assert row.outcome == "ticket_opened"


# -- answers state the product's real delays and rules (faq.facts) ---------------------------


def test_answers_state_the_delays_and_rules_of_the_settings(
    settings: Settings, db: Database, fake: FakeSlack, staff: Staff
) -> None:
    with serve_slack(settings.model_copy(update={"invitation_ttl_days": 3}), db, fake) as slack:
        expired = _reply_to(slack, fake, "le lien d'activation a expiré").all_text()
        blocked = _reply_to(slack, fake, "mon compte est bloqué après plusieurs essais").all_text()
        rules = _reply_to(slack, fake, "quelles règles pour mon mot de passe ?").all_text()
    assert "valable 3 jours" in expired and "{" not in expired
    assert "Après 10 essais manqués en 15 minutes" in blocked
    assert "bloquée pendant 15 minutes" in blocked
    assert "Au moins 12 caractères visibles" in rules
