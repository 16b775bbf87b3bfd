"""Invitation reminders: once per delay, a working fresh link (the old one revoked), at most
REMINDERS_MAX, never to someone who left, is active, or has an address to fix."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

import pytest
import sqlalchemy as sa

from access.accounts import tokens
from access.accounts.activation import activate
from access.clock import utcnow
from access.directory.models import Account, AccountStatus, Assignment, Person
from access.invitations.service import send_invitations
from access.mail import outbox
from access.mail.outbox import OutboxMessage
from access.persistence.database import Database
from bot.settings import Settings
from scheduling import runs
from scheduling.jobs import JOBS, JobContext
from scheduling.models import JobRun
from scheduling.runner import run_job
from tests import people

FASE = "1234"
PASSWORD = "cartable bleu sur la table"
NAMES = ("Attend", "Actif", "Parti", "Sansmail", "Rebond", "Recent")


@pytest.fixture
def invited(db: Database, settings: Settings) -> dict[str, int]:
    """Six people invited six days ago, then: one still waiting, one activated, one who left,
    one whose ProECO address became invalid, one whose invitation bounced; the sixth was
    invited again yesterday by the director."""
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
        ).id
        ids = {
            name: people.person(
                session, school, last_name=name, first_name="Anne", email=f"{name.lower()}@ecole.be"
            ).id
            for name in NAMES
        }
    send_invitations(
        db,
        settings,
        actor_person_id=director,
        fase=FASE,
        mode="new",
        idempotency_key=uuid.uuid4().hex,
        now=utcnow() - timedelta(days=6),
    )
    outbox.deliver_due(settings, db)
    with db.transaction() as session:
        session.execute(
            sa.update(Account)
            .where(Account.person_id == ids["Actif"])
            .values(status=AccountStatus.ACTIVE.value)
        )
        session.execute(
            sa.update(Assignment)
            .where(Assignment.person_id == ids["Parti"])
            .values(ended_at=utcnow())
        )
        session.execute(
            sa.update(Person).where(Person.id == ids["Sansmail"]).values(proeco_email_valid=False)
        )
        session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.person_id == ids["Rebond"])
            .values(status="failed", last_error="550 5.1.1 user unknown")
        )
        session.execute(
            sa.update(Account)
            .where(Account.person_id == ids["Recent"])
            .values(invited_at=utcnow() - timedelta(days=1))
        )
    return ids


def _remind(ctx: JobContext) -> JobRun:
    run_job(ctx, JOBS["invitation-reminders"], slot=runs.manual_slot(ctx.now), trigger="manual")
    with ctx.db.session() as session:
        record = session.scalars(sa.select(JobRun).order_by(JobRun.id.desc())).first()
        assert record is not None
        session.expunge(record)
        return record


def _mails(settings: Settings, db: Database) -> dict[str, list[Message]]:
    """Every e-mail delivered so far, by recipient."""
    outbox.deliver_due(settings, db)
    found: dict[str, list[Message]] = {}
    for path in sorted(Path(settings.mail_dir).glob("*.eml"), key=lambda p: p.stat().st_mtime):
        message = message_from_bytes(path.read_bytes())
        found.setdefault(message["To"].split("<")[-1].rstrip(">"), []).append(message)
    return found


def _text(message: Message) -> str:
    return next(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )


def _link(message: Message) -> str:
    (token,) = re.findall(r"http://extranet-bot\.test/activer/(\S+)", _text(message))
    return token


def test_a_reminder_goes_once_with_a_fresh_link_and_only_to_who_waits(
    db: Database,
    settings: Settings,
    invited: dict[str, int],
    context_at: Callable[..., JobContext],
) -> None:
    first_link = _link(_mails(settings, db)["attend@ecole.be"][0])
    now = utcnow()
    record = _remind(context_at(now))
    assert record.outcome == "success"
    assert record.counts["reminded"] == 1
    mails = _mails(settings, db)
    assert len(mails["attend@ecole.be"]) == 2
    for name in ("actif", "parti", "sansmail", "rebond", "recent"):
        assert len(mails.get(f"{name}@ecole.be", [])) == 1, name
    reminder = mails["attend@ecole.be"][1]
    subject = str(make_header(decode_header(reminder["Subject"])))
    assert subject == "Rappel : activez votre compte Extranet – École Saint-Joseph"
    assert "Ce lien remplace celui du message précédent" in _text(reminder)
    # The old link no longer works, the new one does.
    with db.session() as session:
        assert tokens.peek(session, purpose=tokens.INVITATION, raw=first_link) is None
    fresh = _link(reminder)
    assert activate(db, settings, first_link, password=PASSWORD, confirmation=PASSWORD).link_invalid
    assert activate(db, settings, fresh, password=PASSWORD, confirmation=PASSWORD).ok
    # Run again the same day: nobody is reminded twice.
    assert _remind(context_at(now + timedelta(minutes=1))).counts["reminded"] == 0


def test_at_most_reminders_max_in_all(
    db: Database,
    settings: Settings,
    invited: dict[str, int],
    context_at: Callable[..., JobContext],
) -> None:
    now = utcnow()
    days = [0, 4, 5, 9, 10, 14, 20]
    counts = [_remind(context_at(now + timedelta(days=n, minutes=n))).counts for n in days]
    # « Attend » on days 0 and 5; « Recent », invited again by the director the day before
    # the first run, on days 4 and 9; then neither, each having had two.
    assert [c["reminded"] for c in counts] == [1, 1, 1, 1, 0, 0, 0]
    assert [c["max_reached"] for c in counts] == [0, 0, 0, 0, 1, 2, 2]
    with db.session() as session:
        queued = dict(
            session.execute(
                sa.select(OutboxMessage.person_id, sa.func.count()).group_by(
                    OutboxMessage.person_id
                )
            ).all()
        )
    assert queued[invited["Attend"]] == queued[invited["Recent"]] == 3
