"""Link codes, the domain side: who gets a code, how often, and what a typed code is worth."""

from __future__ import annotations

import email
import re
from email import policy

import sqlalchemy as sa

from access.accounts import link_codes
from access.accounts.link_codes import CODES_PER_HOUR, CodeRequest
from access.directory.models import AccountStatus, AuditEntry
from access.mail.outbox import OutboxMessage, deliver_due
from access.persistence.database import Database
from bot.settings import Settings
from tests import people

SUBJECT = "slack:U0LINK"


def _ask(
    db: Database, settings: Settings, last: str, first: str, fase: str = "1234"
) -> CodeRequest:
    with db.transaction() as session:
        return link_codes.send_link_code(
            session,
            settings,
            subject=SUBJECT,
            fase=fase,
            last_name=last,
            first_name=first,
            channel_label="Slack",
            actor=SUBJECT,
        )


def _mailed_code(db: Database, settings: Settings) -> str:
    deliver_due(settings, db)
    [path] = sorted(settings.mail_dir.glob("*.eml"))
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(r"\b(\d{6})\b", body.get_content())
    assert found is not None
    return found.group(1)


def _outbox(db: Database) -> list[tuple[str, list[str]]]:
    with db.session() as session:
        rows = session.execute(sa.select(OutboxMessage.kind, OutboxMessage.recipients)).all()
    return [(kind, list(recipients)) for kind, recipients in rows]


def test_the_code_goes_to_the_reference_address_of_the_one_person_so_named(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        school = people.establishment(session)
        helene = people.person(
            session,
            school,
            last_name="Van den Bossche-Léger",
            first_name="Hélène",
            email="helene@ecole.be",
            status=AccountStatus.ACTIVE,
        )
        person_id = helene.id
    asked = _ask(db, settings, "VAN DEN BOSSCHE LEGER", "helene")
    assert asked == CodeRequest(throttled=False, person_id=person_id)
    assert _outbox(db) == [("link_code", ["helene@ecole.be"])]
    with db.session() as session:
        entry = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "chat.link_code_requested")
        ).one()
        assert (entry.target_id, entry.after) == (str(person_id), {"code_sent": True})


def test_namesakes_in_one_school_and_people_without_an_address_get_no_code(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        school = people.establishment(session)
        people.person(session, school, email="jean.1@ecole.be")
        people.person(session, school, email="jean.2@ecole.be")
        people.person(session, school, last_name="Sans", first_name="Adresse", email=None)
        people.person(session, school, last_name="Faux", first_name="Mail", email_valid=False)
    for last, first in (("Dupont", "Jean"), ("Sans", "Adresse"), ("Faux", "Mail")):
        assert _ask(db, settings, last, first) == CodeRequest(throttled=False, person_id=None)
    assert _ask(db, settings, "Dupont", "Jean", fase="9999").person_id is None
    assert _outbox(db) == []
    with db.session() as session:
        entries = session.scalars(sa.select(AuditEntry.after)).all()
    assert entries == [{"code_sent": False}] * 4


def test_a_chat_user_gets_three_codes_an_hour_then_nothing(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        people.person(session, people.establishment(session), status=AccountStatus.INVITED)
    for _ in range(CODES_PER_HOUR):
        assert _ask(db, settings, "Dupont", "Jean").person_id is not None
    assert _ask(db, settings, "Dupont", "Jean") == CodeRequest(throttled=True)
    assert len(_outbox(db)) == CODES_PER_HOUR


def test_a_malformed_code_costs_no_attempt_and_the_right_one_works_once(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        person_id = people.person(session, people.establishment(session)).id
    _ask(db, settings, "Dupont", "Jean")
    code = _mailed_code(db, settings)

    def check(typed: str, subject: str = SUBJECT) -> bool:
        with db.transaction() as session:
            return link_codes.check_link_code(
                session, person_id=person_id, code=typed, subject=subject, actor=SUBJECT
            )

    for typed in ("12345", "abcdef", "1234567", "") * 3:  # more than the five-try budget
        assert not check(typed)
    assert not check(code, subject="slack:U0OTHER")  # another chat user cannot use it
    assert check(code)
    assert not check(code)
    with db.session() as session:
        actions = session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.action.like("chat.link%"))
            .order_by(AuditEntry.id)
        ).all()
    assert actions[-2:] == ["chat.linked", "chat.link_code_rejected"]
    assert actions.count("chat.linked") == 1
