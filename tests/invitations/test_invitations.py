from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
import sqlalchemy as sa

from access.accounts import tokens
from access.accounts.models import SecretToken
from access.clock import utcnow
from access.directory.models import Account, AccountStatus, AuditEntry
from access.directory.team import TeamStatus, team_of
from access.errors import NotAllowed, NotFound
from access.invitations import service as invitations
from access.mail import outbox
from access.mail.outbox import OutboxMessage
from access.persistence.database import Database
from bot.settings import Settings
from tests import people
from tests.smtp_server import SmtpServer

FASE = "1234"


@dataclass
class School:
    director: int
    teachers: list[int]
    to_fix: int
    active: int
    left: int
    other_director: int


@pytest.fixture
def school(db: Database) -> School:
    with db.transaction() as session:
        school = people.establishment(session, FASE, "École Saint-Joseph")
        director = people.person(
            session,
            school,
            last_name="Martin",
            first_name="Marie",
            email="direction@ecole.be",
            function_code="DIR",
            status=AccountStatus.ACTIVE,
        )
        teachers = [
            people.person(
                session, school, last_name=f"Prof{n}", first_name="Anne", email=f"prof{n}@ecole.be"
            ).id
            for n in range(3)
        ]
        to_fix = people.person(session, school, last_name="Sansmail", email="pas-une-adresse")
        to_fix.proeco_email_valid = False
        active = people.person(
            session, school, last_name="Actif", email="actif@ecole.be", status=AccountStatus.ACTIVE
        )
        left = people.person(session, school, last_name="Parti", email="parti@ecole.be")
        session.flush()
        for assignment in left.assignments:
            assignment.ended_at = utcnow()
        elsewhere = people.establishment(session, "9999", "Athénée Royal")
        other = people.person(
            session, elsewhere, last_name="Autre", email="autre@ecole.be", function_code="DIR"
        )
        return School(director.id, teachers, to_fix.id, active.id, left.id, other.id)


def send(
    db: Database,
    settings: Settings,
    school: School,
    mode: str = "new",
    *,
    key: str | None = None,
    actor: int | None = None,
    **kwargs: object,
) -> invitations.InvitationReport:
    return invitations.send_invitations(
        db,
        settings,
        actor_person_id=school.director if actor is None else actor,
        fase=FASE,
        mode=mode,
        idempotency_key=key or uuid.uuid4().hex,
        **kwargs,  # type: ignore[arg-type]
    )


def delivered(db: Database, settings: Settings) -> list[Message]:
    outbox.deliver_due(settings, db)
    return [
        message_from_bytes(p.read_bytes()) for p in sorted(Path(settings.mail_dir).glob("*.eml"))
    ]


def queued_for(db: Database, person_id: int) -> int:
    with db.session() as session:
        return (
            session.scalar(sa.select(sa.func.count()).where(OutboxMessage.person_id == person_id))
            or 0
        )


def link_token(message: Message) -> str:
    text = next(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )
    (token,) = re.findall(r"http://extranet-bot\.test/activer/(\S+)", text)
    return token


def test_the_director_invites_everyone_who_will_be_invited(
    db: Database, settings: Settings, school: School
) -> None:
    report = send(db, settings, school)
    assert sorted(o.person_id for o in report.sent) == sorted(school.teachers)
    assert [(o.person_id, o.label) for o in report.to_fix] == [
        (school.to_fix, "Adresse e-mail manquante ou invalide : à corriger dans ProECO")
    ]
    assert {(o.person_id, o.reason) for o in report.skipped} == {
        (school.director, "active"),
        (school.active, "active"),
    }
    mails = delivered(db, settings)
    assert sorted(m["To"].split("<")[1].rstrip(">") for m in mails) == [
        f"prof{n}@ecole.be" for n in range(3)
    ]
    with db.session() as session:
        team = team_of(session, FASE)
        statuses = {row.person_id: row.status for row in team.rows}
        for teacher in school.teachers:
            assert statuses[teacher] == TeamStatus.INVITED
        for message in mails:
            token = tokens.peek(session, purpose=tokens.INVITATION, raw=link_token(message))
            assert token is not None and token.email == message["To"].split("<")[1].rstrip(">")


def test_only_a_director_of_the_establishment_may_send(
    db: Database, settings: Settings, school: School
) -> None:
    for outsider in (school.teachers[0], school.other_director, None):
        with pytest.raises(NotAllowed) as error:
            invitations.send_invitations(
                db,
                settings,
                actor_person_id=outsider,
                fase=FASE,
                mode="new",
                idempotency_key=uuid.uuid4().hex,
            )
        assert error.value.user_message
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_the_same_request_twice_sends_once(
    db: Database, settings: Settings, school: School
) -> None:
    first = send(db, settings, school, key="click-1")
    again = send(db, settings, school, key="click-1")
    assert again.replayed and not first.replayed
    assert [o.person_id for o in again.sent] == [o.person_id for o in first.sent]
    for teacher in school.teachers:
        assert queued_for(db, teacher) == 1


def _together(count: int, action) -> list[object]:  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(count)
    results: list[object] = []
    errors: list[BaseException] = []

    def run(n: int) -> None:
        barrier.wait()
        try:
            results.append(action(n))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def test_twenty_concurrent_copies_of_one_request_send_each_person_once(
    db: Database, settings: Settings, school: School
) -> None:
    reports = _together(20, lambda n: send(Database(db.url), settings, school, key="same-click"))
    assert sum(1 for r in reports if not r.replayed) == 1  # type: ignore[attr-defined]
    for teacher in school.teachers:
        assert queued_for(db, teacher) == 1


@pytest.mark.parametrize("mode", ["new", "resend"])
def test_twenty_requests_pressed_together_send_each_person_once(
    db: Database, settings: Settings, school: School, mode: str
) -> None:
    if mode == "resend":
        send(db, settings, school, now=utcnow() - timedelta(hours=1))
    before = {t: queued_for(db, t) for t in school.teachers}
    reports = _together(20, lambda n: send(Database(db.url), settings, school, mode, key=f"k{n}"))
    for teacher in school.teachers:
        assert queued_for(db, teacher) == before[teacher] + 1
    sent = [o.person_id for r in reports for o in r.sent]  # type: ignore[attr-defined]
    assert sorted(sent) == sorted(school.teachers)


def test_a_resend_within_the_cooldown_sends_nothing(
    db: Database, settings: Settings, school: School
) -> None:
    now = utcnow()
    send(db, settings, school, now=now)
    soon = send(db, settings, school, "resend", now=now + timedelta(seconds=179))
    assert soon.sent == []
    assert {o.reason for o in soon.skipped if o.person_id in school.teachers} == {"cooldown"}
    assert "moins de 3 minutes" in soon.skipped[-1].label or any(
        "moins de 3 minutes" in o.label for o in soon.skipped
    )
    later = send(db, settings, school, "resend", now=now + timedelta(seconds=181))
    assert sorted(o.person_id for o in later.sent) == sorted(school.teachers)


def test_a_resend_revokes_the_previous_link(
    db: Database, settings: Settings, school: School
) -> None:
    send(db, settings, school, now=utcnow() - timedelta(hours=1))
    (first,) = [m for m in delivered(db, settings) if "prof0@" in m["To"]]
    for mail_file in Path(settings.mail_dir).glob("*.eml"):
        mail_file.unlink()
    send(db, settings, school, "resend")
    (second,) = [m for m in delivered(db, settings) if "prof0@" in m["To"]]
    with db.transaction() as session:
        assert tokens.consume(session, purpose=tokens.INVITATION, raw=link_token(first)) is None
        assert tokens.consume(session, purpose=tokens.INVITATION, raw=link_token(second))
    assert first["Message-ID"] != second["Message-ID"]


def test_resend_goes_only_to_the_invited_who_have_not_activated(
    db: Database, settings: Settings, school: School
) -> None:
    assert send(db, settings, school, "resend").sent == []
    send(db, settings, school, now=utcnow() - timedelta(hours=1))
    with db.transaction() as session:
        account = session.scalars(
            sa.select(Account).where(Account.person_id == school.teachers[0])
        ).one()
        account.status = AccountStatus.ACTIVE.value
    report = send(db, settings, school, "resend")
    assert sorted(o.person_id for o in report.sent) == sorted(school.teachers[1:])


def test_resend_one_person(db: Database, settings: Settings, school: School) -> None:
    report = invitations.resend_one(
        db,
        settings,
        actor_person_id=school.director,
        fase=FASE,
        person_id=school.teachers[1],
        idempotency_key="one",
    )
    assert [o.person_id for o in report.sent] == [school.teachers[1]]
    assert queued_for(db, school.teachers[0]) == 0
    for person_id, reason in ((school.to_fix, "email_to_fix"), (school.left, "left")):
        report = invitations.resend_one(
            db,
            settings,
            actor_person_id=school.director,
            fase=FASE,
            person_id=person_id,
            idempotency_key=uuid.uuid4().hex,
        )
        assert report.sent == [] and [o.reason for o in report.skipped + report.to_fix] == [reason]
    with pytest.raises(NotFound):
        invitations.resend_one(
            db,
            settings,
            actor_person_id=school.director,
            fase=FASE,
            person_id=school.other_director,
            idempotency_key=uuid.uuid4().hex,
        )


def test_a_person_may_ask_for_the_invitation_again_once_per_cooldown(
    db: Database, settings: Settings, school: School
) -> None:
    # The direction decides who is invited: nobody gets a first invitation by asking.
    first = db.call(invitations.resend_own_invitation, settings, person_id=school.teachers[2])
    assert first.reason == "not_invited" and queued_for(db, school.teachers[2]) == 0
    send(db, settings, school)
    later = utcnow() + timedelta(seconds=settings.invitation_cooldown_seconds + 1)
    again = db.call(
        invitations.resend_own_invitation, settings, person_id=school.teachers[2], now=later
    )
    assert again.reason is None
    soon = db.call(
        invitations.resend_own_invitation, settings, person_id=school.teachers[2], now=later
    )
    assert soon.reason == "cooldown"
    active = db.call(invitations.resend_own_invitation, settings, person_id=school.active)
    assert active.reason == "active"
    assert queued_for(db, school.teachers[2]) == 2  # the direction's, and the one asked for
    (message,) = [m for m in delivered(db, settings) if "prof2@ecole.be" in str(m["To"])]
    assert (
        "École Saint-Joseph (FASE 1234), vous invite"
        in message.get_payload(0).get_payload(decode=True).decode()
    )


def test_progress_counts_every_person_prepared(
    db: Database, settings: Settings, school: School
) -> None:
    seen: list[tuple[int, int]] = []
    send(db, settings, school, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]


def test_every_invitation_is_audited_without_the_token(
    db: Database, settings: Settings, school: School
) -> None:
    send(db, settings, school)
    with db.session() as session:
        entries = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "invitation.sent")
        ).all()
        hashes = set(session.scalars(sa.select(SecretToken.token_hash)))
    assert sorted(int(e.target_id or 0) for e in entries) == sorted(school.teachers)
    assert all(e.actor == f"person:{school.director}" for e in entries)
    assert not any(h in str(e.after) for e in entries for h in hashes)


def test_the_invitation_arrives_by_smtp_naming_school_director_and_link(
    db: Database, settings: Settings, school: School, smtp_server: SmtpServer
) -> None:
    smtp_settings = settings.model_copy(update=smtp_server.settings_update())
    send(db, smtp_settings, school)
    assert outbox.deliver_due(smtp_settings, db).sent == 3
    received = smtp_server.wait_for(3)
    text = received[0].text()
    assert "Marie Martin, direction de l'établissement École Saint-Joseph (FASE 1234)" in text
    assert "valable 7 jours" in text and "help.extranet@segec.be" in text
    (link,) = [u for u in received[0].links() if "/activer/" in u]
    assert link.startswith("http://extranet-bot.test/activer/")
    with db.session() as session:
        assert tokens.peek(session, purpose=tokens.INVITATION, raw=link.rsplit("/", 1)[1])
