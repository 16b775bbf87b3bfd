"""End to end over signed HTTP: the real Slack app (fake Web API), the real SMTP server, the
web pages: `/invite-team` → list → send → progress → e-mails → link followed → account active
→ the list says « Compte activé »."""

from __future__ import annotations

import csv
import io
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa

from access.directory.models import Account, AccountStatus, AuditEntry, Person
from access.mail import outbox
from access.mail.outbox import OutboxMessage
from access.persistence.database import Database
from bot.settings import Settings
from bot.slack.app import build_slack_handler
from bot.web.app import create_app
from tests.conftest import TLS
from tests.directors import factories
from tests.slack_app import serve_app, slack_settings
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack, Sent
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401  (fixture)

FASE = "01234"
DIRECTOR = "UDIR"
PASSWORD = "cheval agrafe batterie correcte"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def running_site(settings: Settings, db: Database) -> Iterator[str]:
    """The ASGI app as `extranet-bot serve` builds it: Slack events and the web pages."""
    app = create_app(settings, db, slack_handler=build_slack_handler(settings, db))
    with serve_app(app) as url:
        yield url


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.add_user(DIRECTOR, email="claire.dupont@ecole01234.be", name="Claire Dupont")
        slack.add_user("UTEACH", email="sam.prof01234x000@ecole01234.be", name="Sam")
        slack.add_user("UNOBODY", email="inconnu@example.org", name="Inconnu")
        yield slack


@pytest.fixture
def school(db: Database) -> factories.School:
    with db.transaction() as session:
        built = factories.school(session, FASE, staff=5)
        factories.person(session, FASE, last_name="Sansadresse", first_name="Léa", email=None)
    return built


@pytest.fixture
def live(
    settings: Settings,
    db: Database,
    fake: FakeSlack,
    smtp_server: SmtpServer,  # noqa: F811
    school: factories.School,
) -> Iterator[tuple[SlackClient, Settings]]:
    live_settings = slack_settings(
        settings, fake, **smtp_server.settings_update(), invitation_cooldown_seconds=0
    )
    with running_site(live_settings, db) as url:
        client = SlackClient(url, "test-signing-secret", fake)
        client.base_url = url  # type: ignore[attr-defined]
        try:
            yield client, live_settings
        finally:
            client.close()


def wait_text(fake: FakeSlack, containing: str, timeout: float = 30.0) -> Sent:
    """The last message shown that contains `containing`, waiting for it (slow work)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [s for s in fake.sent() if containing in s.all_text()]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"{containing!r} never shown; last: {fake.sent()[-1].all_text()}")


def button_label(sent: Sent, start: str) -> str:
    for button in sent.buttons():
        if button["text"]["text"].startswith(start):
            return str(button["text"]["text"])
    raise AssertionError(f"no button {start!r}: {[b['text']['text'] for b in sent.buttons()]}")


def activate(base_url: str, link: str) -> httpx.Response:
    path = httpx.URL(link).raw_path.decode()
    with httpx.Client(verify=TLS, base_url=base_url, timeout=30) as browser:
        page = browser.get(path)
        token = CSRF.search(page.text)
        assert token, page.text[:500]
        return browser.post(
            path,
            data={
                "csrf_token": token.group(1),
                "password": PASSWORD,
                "password_confirmation": PASSWORD,
            },
        )


def test_director_invites_the_team_and_sees_an_account_activated(
    live: tuple[SlackClient, Settings],
    fake: FakeSlack,
    smtp_server: SmtpServer,  # noqa: F811
    db: Database,
    school: factories.School,
) -> None:
    slack, settings = live
    assert slack.command(DIRECTOR, "/invite-team").status_code == 200
    listing = wait_text(fake, "Accès de mon équipe à l'Extranet")
    text = listing.all_text()
    assert "Sansadresse Léa" in text and "À corriger dans ProECO, puis renvoyer" in text

    response = slack.press(DIRECTOR, listing, button_label(listing, "Envoyer les emails"))
    assert response.status_code == 200
    assert listing.buttons()[0].get("confirm"), "sending asks for confirmation first"
    summary = wait_text(fake, "Emails d'invitation envoyés")
    assert "Envoi : 5 / 5" in "\n".join(s.all_text() for s in fake.sent())
    assert "Sansadresse Léa" in summary.all_text()

    outbox.deliver_due(settings, db)
    mails = smtp_server.wait_for(5)
    assert len(mails) == 5
    first = next(m for m in mails if "sam.prof01234x000@ecole01234.be" in m.rcpt_tos)
    link = next(x for x in first.links() if "/activer/" in x)
    answer = activate(slack.base_url, link)  # type: ignore[attr-defined]
    assert answer.status_code in (200, 303), answer.text[:300]
    with db.session() as session:
        status = session.scalar(
            sa.select(Account.status).where(Account.person_id == school.staff_ids[0])
        )
    assert status == AccountStatus.ACTIVE.value

    slack.command(DIRECTOR, "/team", "activé")
    active = wait_text(fake, "Filtre : activé")
    assert "Prof01234x000" in active.all_text() and "Compte activé" in active.all_text()

    slack.command(DIRECTOR, "/invite-team")
    fake.wait_quiet()
    again = [s for s in fake.sent() if "Accès de mon équipe" in s.all_text()][-1]
    resend = button_label(again, "Renvoyer aux personnes")
    assert resend.endswith("(4)")
    slack.press(DIRECTOR, again, resend)
    fake.wait_quiet(0.5)
    # The reminders are queued in the background: deliver until they are all out.
    deadline = time.monotonic() + 30
    while len(smtp_server.messages) < 10 and time.monotonic() < deadline:
        outbox.deliver_due(settings, db)
        time.sleep(0.05)
    smtp_server.wait_for(10)  # 5 + the activation notice + 4 reminders
    to_active = [
        m
        for m in smtp_server.messages
        if "sam.prof01234x000@ecole01234.be" in m.rcpt_tos and "/activer/" in " ".join(m.links())
    ]
    assert len(to_active) == 1, "the activated person is not invited again"

    slack.press(DIRECTOR, again, button_label(again, "Télécharger la liste complète"))
    [upload] = fake.wait_for("upload")
    content = fake.uploads[upload.params["file_id"]]
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 + 7
    assert any(row[0] == "Compte activé" and row[1] == "Prof01234x000" for row in rows)


def test_twenty_simultaneous_send_clicks_send_one_email_per_person(
    live: tuple[SlackClient, Settings], fake: FakeSlack, db: Database
) -> None:
    slack, _ = live
    slack.command(DIRECTOR, "/invite-team")
    listing = wait_text(fake, "Accès de mon équipe à l'Extranet")
    label = button_label(listing, "Envoyer les emails")
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def click() -> None:
        barrier.wait()
        statuses.append(slack.press(DIRECTOR, listing, label).status_code)

    threads = [threading.Thread(target=click) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [200] * 20
    wait_text(fake, "Emails d'invitation envoyés")
    fake.wait_quiet(1.0)
    with db.session() as session:
        per_person = session.execute(
            sa.select(OutboxMessage.person_id, sa.func.count())
            .where(OutboxMessage.kind == "invitation")
            .group_by(OutboxMessage.person_id)
        ).all()
    assert sorted(n for _pid, n in per_person) == [1] * 5


@pytest.mark.parametrize(
    ("user", "expected", "on_button"),
    [
        ("UNOBODY", "Je ne vous reconnais pas", "Je ne vous reconnais pas"),
        ("UTEACH", "réservée aux directions", "Seule la direction de l'établissement 01234"),
    ],
)
def test_refusals_over_slack_are_answered_in_french_and_audited(
    live: tuple[SlackClient, Settings],
    fake: FakeSlack,
    db: Database,
    user: str,
    expected: str,
    on_button: str,
) -> None:
    slack, _ = live
    slack.command(user, "/invite-team")
    wait_text(fake, expected)
    forged = {
        "action_id": "directors.send",
        "text": {"type": "plain_text", "text": "Envoyer"},
        "value": '{"f":"01234","m":"new","n":"forged"}',
    }
    slack.block_actions(user, forged)
    wait_text(fake, on_button)
    fake.wait_quiet(0.5)
    assert sum(on_button in s.all_text() for s in fake.sent()) == (
        2 if on_button == expected else 1
    )
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
        audited = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "directors.refused")
        ).all()
        assert len(audited) == 2
        assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 7
