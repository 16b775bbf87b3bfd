"""New mail wakes the worker at once: the poll (two minutes here) is only the fallback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from access.mail import outbox
from access.mail.outbox import doorbell
from access.persistence.database import Database
from bot.settings import Settings
from tests.outbox.test_outbox import _code_mail, queue, statuses
from tests.outbox_thread import outbox_worker
from tests.smtp_server import SmtpServer

# Longer than any wait below: what arrives was rung in, not found by polling.
POLL_SECONDS = 120.0


@pytest.fixture
def slow_poll(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return settings.model_copy(
        update={**smtp_server.settings_update(), "outbox_poll_seconds": POLL_SECONDS}
    )


@contextmanager
def running_worker(settings: Settings, db: Database) -> Iterator[None]:
    with outbox_worker(settings, db):
        # Idle: it has looked once, found nothing, and waits.
        time.sleep(0.5)
        yield


def test_an_idle_worker_sends_new_mail_at_once_not_at_its_next_poll(
    db: Database, slow_poll: Settings, smtp_server: SmtpServer
) -> None:
    with running_worker(slow_poll, db):
        queue(db, slow_poll, 3)
        received = smtp_server.wait_for(3, timeout=20)
        # Again once idle: every enqueueing transaction rings.
        queue(db, slow_poll, 2)
        received = smtp_server.wait_for(5, timeout=20)
    assert len({r.message_id for r in received}) == 5
    assert statuses(db) == {"sent": 5}


def test_mail_committed_while_the_senders_are_busy_is_taken_when_rung(
    db: Database, slow_poll: Settings, smtp_server: SmtpServer
) -> None:
    """A school's invitations are committed chunk after chunk: when the worker has claimed
    everything committed so far and its senders are still busy, the next chunk wakes it."""
    smtp_server.delay = 0.02
    with running_worker(slow_poll, db):
        queue(db, slow_poll, 20)
        smtp_server.wait_for(1, timeout=20)
        with db.transaction() as session:
            outbox.enqueue(
                session, _code_mail(slow_poll, "late@example.org", "999999"), kind="invitation"
            )
        received = smtp_server.wait_for(21, timeout=20)
    assert "late@example.org" in {r.rcpt_tos[0] for r in received}
    assert statuses(db) == {"sent": 21}


def test_a_rolled_back_enqueue_rings_no_one(db: Database, settings: Settings) -> None:
    async def scenario() -> bool:
        bell = await doorbell.open_doorbell(db)
        try:
            await bell.wait(0.3)  # whatever was committed before
            with pytest.raises(RuntimeError), db.transaction() as session:
                outbox.enqueue(session, _code_mail(settings, "a@example.org"), kind="test")
                raise RuntimeError("the change failed")
            started = asyncio.get_running_loop().time()
            await bell.wait(1.0)
            return asyncio.get_running_loop().time() - started >= 0.9
        finally:
            await bell.close()

    assert asyncio.run(scenario()), "rung by a transaction that rolled back"


def test_the_doorbell_stops_waiting_when_the_worker_stops(db: Database) -> None:
    async def scenario() -> float:
        bell = await doorbell.open_doorbell(db)
        stop = asyncio.Event()
        try:
            await bell.wait(0.3)
            asyncio.get_running_loop().call_later(0.2, stop.set)
            started = asyncio.get_running_loop().time()
            await bell.wait(POLL_SECONDS, stop)
            return asyncio.get_running_loop().time() - started
        finally:
            await bell.close()

    # It waited for the stop (not returning at once, which would make a busy loop), and no
    # longer.
    assert 0.15 <= asyncio.run(scenario()) < 10


def _listener_pids(db: Database) -> set[int]:
    with db.engine.connect() as connection:
        return set(
            connection.scalars(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE query = :listen"
                    " AND datname = current_database() AND pid <> pg_backend_pid()"
                ),
                {"listen": f"LISTEN {doorbell.CHANNEL}"},
            )
        )


def _wait_for_listener(db: Database, not_in: set[int]) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        new = _listener_pids(db) - not_in
        if new:
            return new.pop()
        time.sleep(0.05)
    raise AssertionError("no worker listens")


def test_a_lost_listening_connection_is_opened_again(
    db: Database, slow_poll: Settings, smtp_server: SmtpServer
) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL's LISTEN connection")
    before = _listener_pids(db)
    with running_worker(slow_poll, db):
        listener = _wait_for_listener(db, before)
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": listener})
        _wait_for_listener(db, before | {listener})
        queue(db, slow_poll, 2)
        received = smtp_server.wait_for(2, timeout=20)
    assert len(received) == 2
    assert statuses(db) == {"sent": 2}
