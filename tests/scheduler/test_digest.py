"""The directors' weekly digest: its content for a prepared school, its actions, only when
there is something to say, and a director can turn it off."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from access.clock import utcnow
from access.directory.digest import DigestBuilder, directors
from access.directory.grants import add_grant
from access.directory.models import AccountStatus, Person
from access.directory.profiles import default_profiles
from access.invitations.service import send_invitations
from access.mail import outbox
from access.mail.outbox import OutboxMessage
from access.persistence.database import Database
from bot.conversation.features.digest_views import ACTION_DIGEST_OFF, digest_message
from bot.conversation.features.directors_views import ACTION_CHOOSE, ACTION_CSV, decode
from bot.conversation.links import ChatUserLink
from bot.conversation.replies import Choices
from bot.settings import Settings
from bot.slack.scheduled import scheduler_notifiers
from scheduling import runs
from scheduling.jobs import JOBS, JobContext
from scheduling.runner import run_job
from tests import people
from tests.dialog import Dialog
from tests.scheduler.conftest import RecordedDigests
from tests.slack_fake import FakeSlack

FASE = "1234"


@pytest.fixture
def school(db: Database, settings: Settings) -> dict[str, int]:
    """A school whose team has one of everything the digest speaks of."""
    with db.transaction() as session:
        school = people.establishment(session, FASE, "École Saint-Joseph")
        ids = {
            "director": people.person(
                session,
                school,
                last_name="Martin",
                first_name="Marie",
                email="direction@ecole.be",
                function_code="DIR",
                status=AccountStatus.ACTIVE,
            ).id,
            "invited": people.person(
                session, school, last_name="Invitée", first_name="Anne", email="anne@ecole.be"
            ).id,
            "active": people.person(
                session,
                school,
                last_name="Active",
                first_name="Alice",
                email="alice@ecole.be",
                status=AccountStatus.ACTIVE,
            ).id,
            "left": people.person(
                session, school, last_name="Partie", first_name="Paule", email="paule@ecole.be"
            ).id,
        }
    send_invitations(
        db,
        settings,
        actor_person_id=ids["director"],
        fase=FASE,
        mode="new",
        idempotency_key=uuid.uuid4().hex,
        now=utcnow() - timedelta(days=8),
    )
    with db.transaction() as session:
        school = people.establishment(session, FASE)
        ids["newcomer"] = people.person(
            session, school, last_name="Nouveau", first_name="Noé", email="noe@ecole.be"
        ).id
        ids["to_fix"] = people.person(
            session, school, last_name="Sansmail", first_name="Sam", email="sam@ecole"
        ).id
        session.get_one(Person, ids["to_fix"]).proeco_email_valid = False
        session.get_one(Person, ids["left"]).left_at = utcnow()
        today = utcnow().date()
        for mission, days in (("Coordination", 10), ("Bibliothèque", 30)):
            add_grant(
                session,
                actor_person_id=ids["director"],
                fase=FASE,
                person_id=ids["active"],
                mission=mission,
                resources=[next(iter(default_profiles().resources))],
                profiles=default_profiles(),
                ends_on=today + timedelta(days=days),
            )
    return ids


def test_the_digest_of_a_prepared_school(db: Database, school: dict[str, int]) -> None:
    with db.session() as session:
        assert directors(session) == [school["director"]]
        digest = DigestBuilder(session).for_director(school["director"])
    assert digest is not None
    assert (digest.name, digest.email) == ("Marie Martin", "direction@ecole.be")
    (content,) = digest.schools
    assert (content.fase, content.name) == (FASE, "École Saint-Joseph")
    assert [row.full_name for row in content.to_invite] == ["Nouveau Noé"]
    assert [(row.full_name, row.proeco_email) for row in content.to_fix] == [
        ("Sansmail Sam", "sam@ecole")
    ]
    assert [row.full_name for row in content.not_activated] == ["Invitée Anne"]
    # Only the grant ending within 14 days; nobody who left, nobody active.
    assert [(g.name, g.mission) for g in content.grants_ending] == [
        ("Active Alice", "Coordination")
    ]
    assert digest.counts() == {"to_invite": 1, "to_fix": 1, "not_activated": 1, "grants_ending": 1}


def test_the_chat_digest_carries_its_actions(db: Database, school: dict[str, int]) -> None:
    with db.session() as session:
        digest = DigestBuilder(session).for_director(school["director"])
    assert digest is not None
    message = digest_message(digest)
    buttons = [b for block in message.blocks if isinstance(block, Choices) for b in block.buttons]
    assert [(b.action_id, decode(b.value)) for b in buttons] == [
        (ACTION_CHOOSE, {"f": FASE}),
        (ACTION_CSV, {"f": FASE}),
        (ACTION_DIGEST_OFF, {}),
    ]
    texts = "\n".join(getattr(block, "text", "") for block in message.blocks)
    assert "Nouveaux membres du personnel à inviter (1) :\n• Nouveau Noé (Enseignant·e)" in texts
    assert "• Sansmail Sam — sam@ecole" in texts
    assert "• Active Alice — Coordination, jusqu'au" in texts


def test_directors_not_in_slack_get_it_by_e_mail(
    db: Database,
    settings: Settings,
    school: dict[str, int],
    context_at: Callable[..., JobContext],
) -> None:
    now = utcnow()
    result = run_job(
        context_at(now), JOBS["directors-digest"], slot=runs.manual_slot(now), trigger="manual"
    )
    assert result.result is not None
    assert result.result.counts == {"directors": 1, "email": 1, "failed": 0}
    outbox.deliver_due(settings, db)
    (sent,) = [
        message_from_bytes(p.read_bytes())
        for p in Path(settings.mail_dir).glob("*.eml")
        if "direction@ecole.be" in message_from_bytes(p.read_bytes())["To"]
    ]
    subject = str(make_header(decode_header(sent["Subject"])))
    assert subject == "Extranet : le point de la semaine sur l'accès de votre équipe"
    text = next(
        part.get_payload(decode=True).decode()
        for part in sent.walk()
        if part.get_content_type() == "text/plain"
    )
    assert "== École Saint-Joseph (FASE 1234) ==" in text
    assert "- Nouveau Noé (Enseignant·e)" in text
    assert "- Sansmail Sam : sam@ecole" in text
    assert "- Invitée Anne, invitation du" in text
    assert "- Active Alice : Coordination, jusqu'au" in text
    assert "/invite-team 1234" in text and "/team recap off" in text


def test_no_digest_when_there_is_nothing_to_say_or_it_is_turned_off(
    db: Database,
    settings: Settings,
    school: dict[str, int],
    context_at: Callable[..., JobContext],
) -> None:
    dialog = Dialog(db, settings, as_email="direction@ecole.be")
    assert "Vous ne recevrez plus le récapitulatif hebdomadaire" in dialog.say("/team recap off")
    assert "est désactivé" in dialog.say("/team recap")
    recorded = RecordedDigests()
    now = utcnow()
    run_job(
        context_at(now, digests=recorded),
        JOBS["directors-digest"],
        slot=runs.manual_slot(now),
        trigger="manual",
    )
    assert recorded.digests == []
    assert "Vous recevrez le récapitulatif" in dialog.say("/team recap on")
    # A director whose school has nothing waiting gets nothing either.
    with db.transaction() as session:
        session.execute(sa.delete(OutboxMessage))
        for key in ("invited", "newcomer", "to_fix"):
            session.get_one(Person, school[key]).left_at = utcnow()
        session.execute(sa.text("UPDATE mission_grants SET revoked_at = CURRENT_TIMESTAMP"))
    later = now + timedelta(seconds=1)
    result = run_job(
        context_at(later, digests=recorded),
        JOBS["directors-digest"],
        slot=runs.manual_slot(later),
        trigger="manual",
    )
    assert recorded.digests == []
    assert result.result is not None and result.result.detail == "nothing to say to any director"


def test_a_director_in_slack_gets_it_as_a_direct_message(
    db: Database, settings: Settings, school: dict[str, int]
) -> None:
    with FakeSlack() as slack:
        slack.add_user("UDIR", email="direction@ecole.be", name="Marie Martin")
        live = settings.model_copy(
            update={"slack_bot_token": SecretStr("xoxb-test"), "slack_api_url": slack.api_url}
        )
        with db.transaction() as session:
            session.add(
                ChatUserLink(
                    transport="slack",
                    user_id="UDIR",
                    person_id=school["director"],
                    method="email",
                    linked_at=utcnow(),
                )
            )
        notifiers = scheduler_notifiers(live, db)
        with db.session() as session:
            digest = DigestBuilder(session).for_director(school["director"])
        assert digest is not None
        assert notifiers.digests.send(digest) == "slack"
        (post,) = slack.calls_to("chat.postMessage")
        assert "Nouveau Noé" in str(post.params.get("blocks"))
        with db.session() as session:
            kinds = set(session.scalars(sa.select(OutboxMessage.kind)))
        assert "directors_digest" not in kinds
