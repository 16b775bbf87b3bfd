"""Who is speaking in Slack: the profile e-mail, cached; or a code sent to the address on file."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from access.mail.outbox import deliver_due
from access.persistence.database import Database
from bot.conversation.links import ChatUserLink
from bot.settings import Settings
from tests.chat.conftest import SLACK_USERS, Staff
from tests.slack_app import serve_slack
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack
from tests.smtp_server import SmtpServer

UNKNOWN = SLACK_USERS["unknown"]


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return settings.model_copy(update=smtp_server.settings_update())


@pytest.fixture
def slack(mail_settings: Settings, db: Database, fake: FakeSlack) -> Iterator[SlackClient]:
    with serve_slack(mail_settings, db, fake) as client:
        yield client


def _last_text(fake: FakeSlack, before: int) -> str:
    fake.wait_quiet(0.3)
    return "\n".join(s.all_text() for s in fake.sent()[before:])


def _ask(slack: SlackClient, fake: FakeSlack, user: str, command: str, text: str = "") -> str:
    before = len(fake.sent())
    posts = len(fake.calls_to("chat.postMessage"))
    slack.command(user, command, text)
    fake.wait_for("chat.postMessage", count=posts + 1)
    return _last_text(fake, before)


def test_the_slack_profile_email_finds_the_person_whatever_its_case(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    fake.add_user("U0CASE", email="MARIE.Active@Ecole.BE", name="Marie")
    assert "Marie Active" in _ask(slack, fake, "U0CASE", "/extranet")
    assert "Compte activé" in _ask(slack, fake, "U0CASE", "/extranet")
    # The link is cached: one profile lookup for two turns.
    assert len([c for c in fake.calls_to("users.info") if c.params["user"] == "U0CASE"]) == 1
    with db.session() as session:
        link = session.get(ChatUserLink, ("slack", "U0CASE"))
        assert link is not None and link.method == "email" and link.person_id is not None


def test_linking_by_a_code_sent_to_the_address_on_file(
    slack: SlackClient,
    fake: FakeSlack,
    db: Database,
    mail_settings: Settings,
    smtp_server: SmtpServer,
    staff: Staff,
) -> None:
    assert "Je ne vous retrouve pas" in _ask(slack, fake, UNKNOWN, "/extranet")
    slack.command(UNKNOWN, "/extranet", "lier")
    [opened] = fake.wait_for("views.open")
    view = opened.params["view"]
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels == ["Nom", "Prénom", "N° FASE de l'établissement"]  # never an address
    response = slack.submit_view(
        UNKNOWN, view, {"last_name": "INVITE", "first_name": "paul", "fase": staff.fase}
    )
    assert response.status_code == 200
    fake.wait_for("chat.postMessage", count=2)
    assert "un code à 6 chiffres" in _last_text(fake, 0)

    deliver_due(mail_settings, db)
    [mail] = smtp_server.wait_for(1)
    assert mail.rcpt_tos == [staff.invited]
    code = re.search(r"\b(\d{6})\b", mail.text())
    assert code is not None

    assert "n'est pas valable" in _ask(slack, fake, UNKNOWN, "/extranet", "lier 000000")
    done = _ask(slack, fake, UNKNOWN, "/extranet", f"lier {code.group(1)}")
    assert "C'est fait" in done and "Paul Invité" in done
    situation = _ask(slack, fake, UNKNOWN, "/extranet")
    assert "Paul Invité" in situation and "Invitation envoyée" in situation
    again = _ask(slack, fake, UNKNOWN, "/extranet", f"lier {code.group(1)}")
    assert "déjà relié" in again


def test_a_name_that_matches_nobody_gets_the_same_answer_and_no_mail(
    slack: SlackClient,
    fake: FakeSlack,
    db: Database,
    mail_settings: Settings,
    smtp_server: SmtpServer,
    staff: Staff,
) -> None:
    slack.command(UNKNOWN, "/extranet", "lier")
    [opened] = fake.wait_for("views.open")
    slack.submit_view(
        UNKNOWN,
        opened.params["view"],
        {"last_name": "Personne", "first_name": "Nulle", "fase": staff.fase},
    )
    fake.wait_for("chat.postMessage", count=1)
    assert "un code à 6 chiffres" in _last_text(fake, 0)
    report = deliver_due(mail_settings, db)
    assert not smtp_server.messages
    assert report is not None


def test_the_fase_must_be_digits(slack: SlackClient, fake: FakeSlack) -> None:
    slack.command(UNKNOWN, "/extranet", "lier")
    [opened] = fake.wait_for("views.open")
    response = slack.submit_view(
        UNKNOWN, opened.params["view"], {"last_name": "A", "first_name": "B", "fase": "12a4"}
    )
    assert response.json()["errors"] == {"fase": "Le numéro FASE ne contient que des chiffres."}


def test_the_app_home_shows_the_self_service_summary_and_the_help(
    slack: SlackClient, fake: FakeSlack
) -> None:
    slack.open_home(SLACK_USERS["active"])
    [published] = fake.wait_for("views.publish")
    view = published.params["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = str(view)
    assert "Compte activé" in text and "help.extranet@segec.be" in text
