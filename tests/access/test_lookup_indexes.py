"""The lookups every sign-in, activation and chat turn repeats read an index, not the table.

An address is compared as lower(column) = …, which an index on the column alone cannot serve:
at the September rush (100,000 people) each lookup read the whole `people` or `accounts`
table (docs/benchmarks.md, « The September rush »). The statements are captured as the
product runs them and their plans read on both databases; on PostgreSQL with sequential
scans discouraged, so that the plan shows whether an index *can* serve the statement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from access.accounts import sessions, signin
from access.accounts.activation import address_used_by_other
from access.accounts.models import LoginAttempt, WebSession
from access.clock import utcnow
from access.directory.models import AccountStatus
from access.directory.people import find_person_by_email
from access.persistence.database import Database
from tests import people


@contextmanager
def captured(db: Database) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def plans(db: Database, statements: list[tuple[str, Any]], table: str) -> list[str]:
    """The plan of each captured statement that reads `table`."""
    found = []
    with db.engine.connect() as connection, connection.begin():
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        for statement, parameters in statements:
            if f"FROM {table}" not in statement:
                continue
            explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
            rows = connection.exec_driver_sql(explain + statement, parameters).all()
            found.append("\n".join(" ".join(str(part) for part in row) for row in rows))
    return found


def full_scan(plan: str, table: str) -> bool:
    return f"Seq Scan on {table}" in plan or any(
        line.split(" ", 3)[-1].strip() == f"SCAN {table}" for line in plan.splitlines()
    )


def assert_indexed(db: Database, run: Callable[[], object], table: str, index: str) -> None:
    """No statement `run` issues reads the whole `table`, and one reads it through `index`."""
    with captured(db) as statements:
        run()
    read = plans(db, statements, table)
    assert read, f"no statement read {table}"
    for plan in read:
        assert not full_scan(plan, table), plan
    assert any(index in plan for plan in read), read


def _someone(db: Database) -> int:
    with db.transaction() as session:
        school = people.establishment(session, "4242", "École Saint-Luc")
        person = people.person(
            session,
            school,
            last_name="Curie",
            first_name="Marie",
            email="Marie.Curie@Ecole.example",
            status=AccountStatus.ACTIVE,
        )
        return person.id


def test_an_account_is_found_by_its_address_in_any_case_through_the_index(db: Database) -> None:
    person_id = _someone(db)

    def lookup() -> None:
        with db.session() as session:
            account = signin.account_by_reference_email(session, "MARIE.curie@ecole.EXAMPLE")
            assert account is not None and account.person_id == person_id

    lookup()
    assert_indexed(db, lookup, "accounts", "ix_accounts_reference_email_lower")


def test_a_person_is_found_by_a_proeco_address_in_any_case_through_the_indexes(
    db: Database,
) -> None:
    person_id = _someone(db)
    with db.transaction() as session:
        school = people.establishment(session, "4242", "École Saint-Luc")
        # No account: found by the ProECO address alone, after the accounts were searched.
        people.person(session, school, last_name="Lambert", email="Paul.Lambert@Ecole.example")

    def lookup() -> None:
        with db.session() as session:
            found = find_person_by_email(session, "paul.LAMBERT@ecole.example")
            assert found is not None and found.last_name == "Lambert"
            assert address_used_by_other(session, "marie.curie@ecole.example", -1)
            assert not address_used_by_other(session, "MARIE.CURIE@ecole.example", person_id)

    lookup()
    assert_indexed(db, lookup, "people", "ix_people_proeco_email_lower")
    assert_indexed(db, lookup, "accounts", "ix_accounts_reference_email_lower")


def test_old_sign_in_attempts_are_pruned_through_the_index(db: Database) -> None:
    now = utcnow()
    with db.transaction() as session:
        session.add_all(
            [
                LoginAttempt(kind=signin.SIGNIN, email_key="a" * 64, at=now - timedelta(days=3)),
                LoginAttempt(kind=signin.SIGNIN, email_key="b" * 64, at=now - timedelta(hours=1)),
            ]
        )

    def prune() -> None:
        with db.transaction() as session:
            signin._prune(session, now)

    assert_indexed(db, prune, "login_attempts", "ix_login_attempts_at")
    with db.session() as session:
        left = session.scalars(sa.select(LoginAttempt.email_key)).all()
    assert left == ["b" * 64], "only the attempt older than two days goes"


def test_ended_web_sessions_are_pruned_through_the_indexes(db: Database) -> None:
    person_id = _someone(db)
    now = utcnow()
    version = signin.session_version(None)  # the account has no password in this test
    with db.transaction() as session:
        idle = sessions.start_session(
            session,
            person_id,
            credential_version=version,
            remember=False,
            now=now - timedelta(hours=1),
        )
        remembered = sessions.start_session(
            session,
            person_id,
            credential_version=version,
            remember=True,
            now=now - timedelta(hours=1),
        )
        signed_out = sessions.start_session(
            session, person_id, credential_version=version, remember=True, now=now
        )
        sessions.end_session(session, signed_out, now=now)
        alive = sessions.start_session(
            session, person_id, credential_version=version, remember=False, now=now
        )

    def prune() -> None:
        with db.transaction() as session:
            sessions.prune(session, now)

    if db.engine.dialect.name == "postgresql":
        # SQLite's planner scans a four-way OR whatever the indexes (development only).
        assert_indexed(db, prune, "web_sessions", "ix_web_sessions_last_seen_at")
    else:
        prune()
    with db.session() as session:
        assert sessions.session_person(session, alive, now=now) == person_id
        assert sessions.session_person(session, remembered, now=now) == person_id
        assert sessions.session_person(session, idle, now=now) is None
        left = session.scalar(sa.select(sa.func.count()).select_from(WebSession))
    assert left == 2, "the idle and the signed-out sessions went, the others stayed"
