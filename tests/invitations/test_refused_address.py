"""A bulk send does not write again to an address that refused the last invitation for good,
and writes as soon as ProECO gives another one; the preview counts the same way."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from access.clock import utcnow
from access.directory.models import Account, AccountStatus, Person
from access.invitations import service as invitations
from access.invitations.preview import send_preview
from access.mail.outbox import OutboxMessage
from access.persistence.database import Database
from bot.settings import Settings
from tests import people

FASE = "4321"


def _school(db: Database, *, error: str) -> tuple[int, int, int]:
    """(director, invited person whose invitation failed with `error`, establishment id)."""
    with db.transaction() as session:
        school = people.establishment(session, FASE, "École du Centre")
        director = people.person(
            session,
            school,
            last_name="Chef",
            email="chef@ecole.be",
            function_code="DIR",
            status=AccountStatus.ACTIVE,
        )
        teacher = people.person(
            session,
            school,
            last_name="Prof",
            email="prof@ecole.be",
            status=AccountStatus.INVITED,
        )
        session.flush()
        account = session.scalars(sa.select(Account).where(Account.person_id == teacher.id)).one()
        account.invited_at = utcnow() - timedelta(days=2)
        session.add(
            OutboxMessage(
                message_id="<one@test>",
                kind="invitation",
                person_id=teacher.id,
                mail_from="x@test",
                recipients=["prof@ecole.be"],
                status="failed",
                last_error=error,
            )
        )
        return director.id, teacher.id, school.id


def _resend(
    db: Database, settings: Settings, director: int, key: str
) -> invitations.InvitationReport:
    return invitations.send_invitations(
        db,
        settings,
        actor_person_id=director,
        fase=FASE,
        mode=invitations.RESEND,
        idempotency_key=key,
    )


def test_a_refused_address_is_held_back_until_proeco_gives_another(
    db: Database, settings: Settings
) -> None:
    director, teacher, school_id = _school(db, error="550 5.1.1 user unknown")
    with db.session() as session:
        preview = send_preview(session, settings, school_id)
    assert preview.resend == 0 and [h.reason for h in preview.held] == ["bad_address"]
    report = _resend(db, settings, director, "first")
    assert report.sent == []
    assert {s.person_id: s.reason for s in report.skipped}[teacher] == "bad_address"

    with db.transaction() as session:
        session.get_one(Person, teacher).proeco_email = "prof.corrige@ecole.be"
    with db.session() as session:
        assert send_preview(session, settings, school_id).resend == 1
    report = _resend(db, settings, director, "second")
    assert [s.email for s in report.sent] == ["prof.corrige@ecole.be"]


def test_a_failure_of_our_own_mail_server_is_no_bad_address(
    db: Database, settings: Settings
) -> None:
    director, _teacher, school_id = _school(db, error="connection failed: refused")
    with db.session() as session:
        assert send_preview(session, settings, school_id).resend == 1
    assert len(_resend(db, settings, director, "k").sent) == 1
