"""The web session use cases (access.accounts.sessions) on their own, on SQLite and
PostgreSQL: when a session answers, when it stops, and what it writes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.accounts import sessions, signin
from access.accounts.models import WebSession
from access.clock import as_utc, utcnow
from access.directory.models import Account, AccountStatus
from access.persistence.database import Database
from tests import people

HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
VERSION = signin.session_version(HASH)


def someone(session: Session) -> int:
    person = people.person(session, None, status=AccountStatus.ACTIVE)
    account = session.scalars(select(Account).where(Account.person_id == person.id)).one()
    account.password_hash = HASH
    return person.id


def start(
    db: Database, person_id: int, at: datetime, *, remember: bool = False, version: str = VERSION
) -> str:
    return db.call(
        sessions.start_session,
        person_id,
        credential_version=version,
        remember=remember,
        now=at,
    )


def test_a_session_answers_until_its_idle_time_then_never_again(db: Database) -> None:
    t0 = utcnow()
    person_id = db.call(someone)
    secret = start(db, person_id, t0)
    idle = sessions.BROWSER.idle
    assert db.call(sessions.session_person, secret, now=t0 + idle - timedelta(seconds=1)) == (
        person_id
    )
    # That request was activity: the idle time starts again from it.
    later = t0 + idle - timedelta(seconds=1) + idle - timedelta(seconds=1)
    assert db.call(sessions.session_person, secret, now=later) == person_id
    assert db.call(sessions.session_person, secret, now=later + idle) is None
    # Ended for good: going back in time does not revive it.
    assert db.call(sessions.session_person, secret, now=later) is None


def test_activity_is_written_at_most_once_a_minute(db: Database) -> None:
    t0 = utcnow()
    person_id = db.call(someone)
    secret = start(db, person_id, t0)

    def last_seen() -> datetime | None:
        with db.session() as session:
            return as_utc(session.scalars(select(WebSession.last_seen_at)).one())

    db.call(sessions.session_person, secret, now=t0 + timedelta(seconds=59))
    assert last_seen() == t0
    db.call(sessions.session_person, secret, now=t0 + timedelta(seconds=61))
    assert last_seen() == t0 + timedelta(seconds=61)


def test_the_absolute_lifetime_holds_whatever_the_activity(db: Database) -> None:
    t0 = utcnow()
    person_id = db.call(someone)
    secret = start(db, person_id, t0, remember=True)
    moment = t0
    while moment < t0 + sessions.REMEMBERED.maximum - timedelta(days=1):
        moment += timedelta(days=1)
        assert db.call(sessions.session_person, secret, now=moment) == person_id
    assert db.call(sessions.session_person, secret, now=t0 + sessions.REMEMBERED.maximum) is None


def test_a_session_started_with_an_older_password_answers_nothing(db: Database) -> None:
    person_id = db.call(someone)
    secret = start(db, person_id, utcnow(), version=signin.session_version("an older hash"))
    assert db.call(sessions.session_person, secret) is None


def test_ending_every_session_ends_only_that_persons(db: Database) -> None:
    t0 = utcnow()
    marie, pierre = db.call(someone), db.call(someone)
    hers = [start(db, marie, t0), start(db, marie, t0, remember=True)]
    his = start(db, pierre, t0)
    db.call(sessions.end_session, hers[0], now=t0)
    assert db.call(sessions.end_all_sessions, marie, now=t0) == 1
    assert all(db.call(sessions.session_person, one, now=t0) is None for one in hers)
    assert db.call(sessions.session_person, his, now=t0) == pierre


def test_an_unknown_or_ended_secret_is_no_error(db: Database) -> None:
    db.call(sessions.end_session, "never issued")
    assert db.call(sessions.session_person, "never issued") is None
    assert db.call(sessions.session_person, "") is None


def test_starting_a_session_deletes_those_that_ended(db: Database) -> None:
    t0 = utcnow()
    person_id = db.call(someone)
    signed_out = start(db, person_id, t0)
    db.call(sessions.end_session, signed_out, now=t0)
    start(db, person_id, t0)  # idle by the time of the next sign-in
    start(db, person_id, t0, remember=True)  # still alive then
    start(db, person_id, t0 + sessions.BROWSER.idle)

    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(WebSession)) == 2
