from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from access.accounts import tokens
from access.accounts.models import SecretToken
from access.clock import utcnow
from access.persistence.database import Database
from tests import people

WEEK = timedelta(days=7)


@pytest.fixture
def person_id(db: Database) -> int:
    with db.transaction() as session:
        return people.person(session, None).id


def issue(db: Database, person_id: int, **kwargs: object) -> str:
    with db.transaction() as session:
        return tokens.issue(
            session,
            purpose=str(kwargs.pop("purpose", tokens.INVITATION)),
            person_id=person_id,
            email="jean.dupont@example.org",
            ttl=kwargs.pop("ttl", WEEK),  # type: ignore[arg-type]
            **kwargs,  # type: ignore[arg-type]
        )


def consume(db: Database, raw: str, **kwargs: object) -> SecretToken | None:
    with db.transaction() as session:
        return tokens.consume(session, purpose=tokens.INVITATION, raw=raw, **kwargs)  # type: ignore[arg-type]


def test_the_raw_token_has_256_bits_and_is_stored_only_as_a_hash(
    db: Database, person_id: int
) -> None:
    raw = issue(db, person_id)
    assert len(raw) >= 43  # 32 bytes, URL-safe base64
    with db.session() as session:
        stored = session.scalars(sa.select(SecretToken)).one()
    assert raw not in {stored.token_hash, stored.salt, str(stored.payload)}
    assert stored.token_hash == tokens.hash_token(raw)


def test_a_token_works_once(db: Database, person_id: int) -> None:
    raw = issue(db, person_id)
    first = consume(db, raw)
    assert first is not None and first.person_id == person_id
    assert first.email == "jean.dupont@example.org"
    assert consume(db, raw) is None


def test_opening_the_link_consumes_nothing(db: Database, person_id: int) -> None:
    raw = issue(db, person_id)
    with db.session() as session:
        assert tokens.peek(session, purpose=tokens.INVITATION, raw=raw) is not None
        assert tokens.peek(session, purpose=tokens.INVITATION, raw=raw) is not None
    assert consume(db, raw) is not None


def test_a_token_expires_exactly_at_its_deadline(db: Database, person_id: int) -> None:
    issued_at = utcnow()
    with db.transaction() as session:
        raw = tokens.issue(
            session,
            purpose=tokens.INVITATION,
            person_id=person_id,
            email="a@example.org",
            ttl=WEEK,
            now=issued_at,
        )
    deadline = issued_at + WEEK
    with db.session() as session:
        assert tokens.peek(
            session, purpose=tokens.INVITATION, raw=raw, now=deadline - timedelta(microseconds=1)
        )
        assert tokens.peek(session, purpose=tokens.INVITATION, raw=raw, now=deadline) is None
    assert consume(db, raw, now=deadline) is None
    assert consume(db, raw, now=deadline - timedelta(seconds=1)) is not None


def test_a_tampered_token_is_refused(db: Database, person_id: int) -> None:
    raw = issue(db, person_id)
    flipped = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    for bad in (flipped, raw[:-1], raw + "x", "", "é" * 10, "x" * 5000):
        assert consume(db, bad) is None
    assert consume(db, raw) is not None


def test_a_token_serves_only_its_purpose(db: Database, person_id: int) -> None:
    raw = issue(db, person_id, purpose=tokens.RESET, ttl=timedelta(hours=1))
    assert consume(db, raw) is None
    with db.transaction() as session:
        assert tokens.consume(session, purpose=tokens.RESET, raw=raw) is not None


def test_revoked_tokens_no_longer_work(db: Database, person_id: int) -> None:
    invitation = issue(db, person_id)
    reset = issue(db, person_id, purpose=tokens.RESET, ttl=timedelta(hours=1))
    with db.transaction() as session:
        count = tokens.revoke_for_person(
            session, person_id, purposes=[tokens.INVITATION], reason="resent"
        )
    assert count == 1
    assert consume(db, invitation) is None
    with db.session() as session:
        assert tokens.peek(session, purpose=tokens.RESET, raw=reset) is not None


def test_of_twenty_concurrent_submissions_of_one_token_exactly_one_wins(
    db: Database, person_id: int
) -> None:
    raw = issue(db, person_id)
    barrier = threading.Barrier(20)
    wins: list[bool] = []

    def submit() -> None:
        barrier.wait()
        wins.append(consume(db, raw) is not None)

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 19 + [True]


def test_a_link_code_works_once_for_its_person(db: Database, person_id: int) -> None:
    with db.transaction() as session:
        code = tokens.issue_code(
            session, person_id=person_id, email="a@example.org", subject="slack:U1"
        )
    assert len(code) == 6 and code.isdigit()
    with db.transaction() as session:
        assert not tokens.check_code(session, person_id=person_id, code=code, subject="slack:U2")
        assert tokens.check_code(session, person_id=person_id, code=code, subject="slack:U1")
    with db.transaction() as session:
        assert not tokens.check_code(session, person_id=person_id, code=code, subject="slack:U1")


def test_a_link_code_dies_after_five_wrong_tries(db: Database, person_id: int) -> None:
    with db.transaction() as session:
        code = tokens.issue_code(session, person_id=person_id, email="a@example.org")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with db.transaction() as session:
            assert not tokens.check_code(session, person_id=person_id, code=wrong)
    with db.transaction() as session:
        assert not tokens.check_code(session, person_id=person_id, code=code)


def test_a_link_code_expires_after_ten_minutes(db: Database, person_id: int) -> None:
    now = utcnow()
    with db.transaction() as session:
        code = tokens.issue_code(session, person_id=person_id, email="a@example.org", now=now)
    with db.transaction() as session:
        assert not tokens.check_code(
            session, person_id=person_id, code=code, now=now + timedelta(minutes=10)
        )


def test_a_new_link_code_replaces_the_previous_one(db: Database, person_id: int) -> None:
    with db.transaction() as session:
        first = tokens.issue_code(session, person_id=person_id, email="a@example.org")
        second = tokens.issue_code(session, person_id=person_id, email="a@example.org")
    with db.transaction() as session:
        if first != second:
            assert not tokens.check_code(session, person_id=person_id, code=first)
        assert tokens.check_code(session, person_id=person_id, code=second)
