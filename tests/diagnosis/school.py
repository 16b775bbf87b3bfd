"""A school for the diagnosis tests: a director, staff in each situation the issue names,
and the real services to put them there (invitations, the outbox, bounces, sign-ins)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from access.accounts.models import LoginAttempt, SecretToken, email_key
from access.accounts.signin import FAILURE_WINDOW, MAX_FAILURES, SIGNIN
from access.clock import utcnow
from access.directory.models import Account, AccountStatus, Assignment, Person
from access.invitations import service as invitations
from access.mail.outbox import deliver_due
from access.mail.outbox.models import OutboxMessage
from access.persistence.database import Database
from bot.settings import Settings
from tests import people
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401

FASE = "4321"
OTHER_FASE = "8765"
SCHOOL = "École Sainte-Julie"
OTHER_SCHOOL = "Institut Saint-Luc"


@dataclass(frozen=True)
class School:
    director: int
    director_email: str
    other_director: int
    teacher: int  # valid address, not invited
    teacher_email: str
    nomail: int  # no address in ProECO
    active: int
    active_email: str


def make_school(db: Database) -> School:
    with db.transaction() as session:
        school = people.establishment(session, FASE, SCHOOL)
        other = people.establishment(session, OTHER_FASE, OTHER_SCHOOL)
        director = people.person(
            session,
            school,
            last_name="Directrice",
            first_name="Claire",
            email="claire.directrice@sj.example.be",
            function_code="DIR",
            status=AccountStatus.ACTIVE,
        )
        other_director = people.person(
            session,
            other,
            last_name="Directeur",
            first_name="Luc",
            email="luc.directeur@sl.example.be",
            function_code="DIR",
            status=AccountStatus.ACTIVE,
        )
        teacher = people.person(
            session,
            school,
            last_name="Lambert",
            first_name="Nadia",
            email="n.lambert@sj.example.be",
        )
        nomail = people.person(session, school, last_name="Sansmail", first_name="Paul", email=None)
        active = people.person(
            session,
            school,
            last_name="Dupont",
            first_name="Marie",
            email="marie.dupont@sj.example.be",
            status=AccountStatus.ACTIVE,
        )
        return School(
            director=director.id,
            director_email="claire.directrice@sj.example.be",
            other_director=other_director.id,
            teacher=teacher.id,
            teacher_email="n.lambert@sj.example.be",
            nomail=nomail.id,
            active=active.id,
            active_email="marie.dupont@sj.example.be",
        )


@pytest.fixture
def school(db: Database) -> School:
    return make_school(db)


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: SmtpServer) -> Settings:  # noqa: F811
    return settings.model_copy(update=smtp_server.settings_update())


def invite_team(db: Database, settings: Settings, school: School, fase: str = FASE) -> None:
    director = school.director if fase == FASE else school.other_director
    invitations.send_invitations(
        db,
        settings,
        actor_person_id=director,
        fase=fase,
        mode="new",
        idempotency_key=uuid.uuid4().hex,
    )


def deliver(db: Database, settings: Settings) -> None:
    deliver_due(settings, db)


def age_invitation(db: Database, person_id: int, days: float) -> None:
    """Move the person's invitations `days` into the past (a link expires as it would, the
    resend cooldown is over)."""
    back = timedelta(days=days)
    with db.transaction() as session:
        for token in session.scalars(
            sa.select(SecretToken).where(SecretToken.person_id == person_id)
        ):
            token.created_at -= back
            token.expires_at -= back
        for message in session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.person_id == person_id)
        ):
            message.created_at -= back
            if message.sent_at is not None:
                message.sent_at -= back
        account = session.scalars(sa.select(Account).where(Account.person_id == person_id)).one()
        if account.invited_at is not None:
            account.invited_at -= back


def lock_out(db: Database, address: str, at: datetime | None = None) -> datetime:
    """MAX_FAILURES failed sign-ins for `address`, the last at `at`."""
    last = at or utcnow()
    with db.transaction() as session:
        for n in range(MAX_FAILURES):
            session.add(
                LoginAttempt(
                    kind=SIGNIN,
                    email_key=email_key(address),
                    at=last - (FAILURE_WINDOW / (MAX_FAILURES + 1)) * n,
                    success=False,
                )
            )
    return last


def leave(db: Database, person_id: int) -> None:
    with db.transaction() as session:
        person = session.get(Person, person_id)
        assert person is not None
        person.left_at = utcnow() - timedelta(days=2)
        for assignment in session.scalars(
            sa.select(Assignment).where(Assignment.person_id == person_id)
        ):
            assignment.ended_at = person.left_at


def invitation_row(db: Database, person_id: int) -> OutboxMessage:
    with db.session() as session:
        return session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.person_id == person_id, OutboxMessage.kind == "invitation")
            .order_by(OutboxMessage.id.desc())
        ).first()  # type: ignore[return-value]
