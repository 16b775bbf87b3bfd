"""« Renvoyer (N) » promises what will happen: over signed HTTP against the real Slack app, N
counts only the people a send writes to now; those within the cooldown or whose address
refused the last invitation are named apart, and the send leaves them out too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from access.clock import utcnow
from access.directory.models import Account, AccountStatus
from access.mail.outbox import OutboxMessage
from access.persistence.database import Database
from bot.settings import Settings
from tests.directors import factories
from tests.directors.test_slack_directors import DIRECTOR, button_label, running_site, wait_text
from tests.slack_app import slack_settings
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack

FASE = "01234"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.add_user(DIRECTOR, email="claire.dupont@ecole01234.be", name="Claire Dupont")
        yield slack


@pytest.fixture
def team(db: Database) -> dict[str, int]:
    """Three people invited: one a minute ago, one whose address refused the invitation, one
    two days ago; and one never invited."""
    now = utcnow()
    with db.transaction() as session:
        factories.school(session, FASE, staff=0)
        ids = {}
        for name, invited_at in (
            ("Recent", now - timedelta(minutes=1)),
            ("Refuse", now - timedelta(days=2)),
            ("Ancien", now - timedelta(days=2)),
        ):
            someone = factories.person(session, FASE, last_name=name, status=AccountStatus.INVITED)
            session.flush()
            account = session.scalars(
                sa.select(Account).where(Account.person_id == someone.id)
            ).one()
            account.invited_at = invited_at
            ids[name] = someone.id
        refused = factories.person(session, FASE, last_name="Nouveau")
        ids["Nouveau"] = refused.id
        session.add(
            OutboxMessage(
                message_id="<refused@test>",
                kind="invitation",
                person_id=ids["Refuse"],
                mail_from="Extranet <no-reply@test>",
                recipients=["alex.refuse@ecole01234.be"],
                status="failed",
                attempts=1,
                last_error="550 5.1.1 <alex.refuse@ecole01234.be>: user unknown",
                created_at=now - timedelta(days=2),
            )
        )
    return ids


@pytest.fixture
def slack(
    settings: Settings, db: Database, fake: FakeSlack, team: dict[str, int]
) -> Iterator[SlackClient]:
    live = slack_settings(settings, fake, invitation_cooldown_seconds=180)
    with running_site(live, db) as url:
        client = SlackClient(url, "test-signing-secret", fake)
        try:
            yield client
        finally:
            client.close()


def _invitations(db: Database) -> dict[int, int]:
    with db.session() as session:
        rows = session.execute(
            sa.select(OutboxMessage.person_id, sa.func.count())
            .where(OutboxMessage.kind == "invitation")
            .group_by(OutboxMessage.person_id)
        ).all()
    return {person_id: count for person_id, count in rows}


def test_resend_counts_only_who_gets_an_email_now_and_names_the_others(
    slack: SlackClient, fake: FakeSlack, db: Database, team: dict[str, int]
) -> None:
    slack.command(DIRECTOR, "/invite-team")
    listing = wait_text(fake, "Accès de mon équipe à l'Extranet")
    text = listing.all_text()
    assert button_label(listing, "Renvoyer aux personnes").endswith("(1)")
    assert button_label(listing, "Envoyer les emails").endswith("(1)")
    after_title = text.split("Ne recevront pas d'e-mail si vous envoyez maintenant :", 1)[1]
    lines = after_title.strip().splitlines()
    held = "\n".join(lines[: next(i for i, x in enumerate(lines) if not x.startswith("•"))])
    assert "Recent Alex — Invitation envoyée il y a moins de 3 minutes" in held
    assert "Refuse Alex — Adresse refusée par sa messagerie" in held
    assert "Ancien Alex" not in held

    before = _invitations(db)
    slack.press(DIRECTOR, listing, button_label(listing, "Renvoyer aux personnes"))
    summary = wait_text(fake, "Emails d'invitation envoyés")
    fake.wait_quiet(0.5)
    after = _invitations(db)
    written = {pid for pid in after if after[pid] != before.get(pid, 0)}
    assert written == {team["Ancien"]}  # exactly the one the button promised
    said = summary.all_text()
    assert "Recent Alex" in said and "Refuse Alex" in said


def test_a_director_may_still_resend_to_a_refused_address_one_person_at_a_time(
    slack: SlackClient, fake: FakeSlack, db: Database, team: dict[str, int]
) -> None:
    slack.command(DIRECTOR, "/team", "Refuse")
    found = wait_text(fake, "Filtre : Refuse")
    slack.press(DIRECTOR, found, "Renvoyer l'invitation")
    wait_text(fake, "Invitation renvoyée à Alex Refuse")
    assert _invitations(db)[team["Refuse"]] == 2
