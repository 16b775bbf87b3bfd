"""Wakes an outbox worker as soon as mail is committed, rather than at its next poll.

Without it an idle worker finds new mail only when it next looks (`OUTBOX_POLL_SECONDS`, 2 s
by default), and a worker whose senders are still busy waits as long before it takes the
next chunk of a school's invitations, while its connections run dry.

- PostgreSQL: the transaction that enqueues mail sends a NOTIFY (`ring`), which the server
  delivers to listening workers when, and only if, that transaction commits. The worker
  listens on a connection of its own.
- SQLite: nothing to send. The worker asks its own connection for `PRAGMA data_version`,
  which changes when another connection commits, every 10 ms (a read of the shared WAL
  index, no lock, no query plan).

Polling stays, as the fallback for what no ring announces: a retry whose backoff ends, a
claim left by a dead worker, a notification lost with a broken connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.persistence.database import BUSY_TIMEOUT, Database

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

CHANNEL = "extranet_outbox"
# How often a waiting worker on SQLite reads data_version: often enough that new mail waits
# only a few ms, rarely enough that the event loop's wake-ups cost an idle worker next to
# nothing (docs/benchmarks.md).
SQLITE_CHECK_SECONDS = 0.01

# After a lost LISTEN connection, the pause before the next; and how long to try to open one.
RECONNECT_PAUSE_SECONDS = 1.0
CONNECT_TIMEOUT_SECONDS = 10

_NOTIFY = sa.text(f"NOTIFY {CHANNEL}")


def ring(session: Session) -> None:
    """Announce, in the caller's transaction, that it enqueues mail."""
    if session.get_bind().dialect.name == "postgresql":
        # One per transaction reaches the listeners, however many messages it enqueues
        # (PostgreSQL folds identical notifications of a transaction).
        session.execute(_NOTIFY)


class Doorbell(Protocol):
    async def wait(self, timeout: float, stop: asyncio.Event | None = None) -> None:
        """Return when new mail may be there, after `timeout` seconds, or once `stop` is set."""

    async def close(self) -> None: ...


async def open_doorbell(db: Database) -> Doorbell:
    if db.is_sqlite:
        return _DataVersion(db)
    if db.engine.dialect.name == "postgresql":
        listener = _Listener(db)
        # Before the worker first looks for mail, so nothing committed after that look
        # goes unannounced.
        await listener.listen()
        return listener
    return _Timer()


async def _sleep(timeout: float, stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.sleep(timeout)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout)


class _Timer:
    """A database that cannot ring: the poll alone."""

    async def wait(self, timeout: float, stop: asyncio.Event | None = None) -> None:
        await _sleep(timeout, stop)

    async def close(self) -> None:
        return None


class _DataVersion:
    def __init__(self, db: Database) -> None:
        # A pooled connection kept for the doorbell alone: data_version only tells about
        # commits made through other connections.
        self._connection: Any = db.engine.raw_connection()
        # Read on the event loop: never wait there for a lock (an error counts as a ring).
        self._connection.driver_connection.execute("PRAGMA busy_timeout=0")
        self._seen = self._version()

    def _version(self) -> int | None:
        try:
            row = self._connection.driver_connection.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error as error:
            log.warning("outbox doorbell: data_version unreadable (%s)", type(error).__name__)
            return None
        return int(row[0])

    async def wait(self, timeout: float, stop: asyncio.Event | None = None) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            version = self._version()
            if version is None:
                await _sleep(max(0.0, deadline - loop.time()), stop)
                return
            if version != self._seen:
                self._seen = version
                return
            remaining = deadline - loop.time()
            if remaining <= 0 or (stop is not None and stop.is_set()):
                return
            await asyncio.sleep(min(SQLITE_CHECK_SECONDS, remaining))

    async def close(self) -> None:
        # Back to the pool as the pool made it.
        with contextlib.suppress(sqlite3.Error):
            self._connection.driver_connection.execute(BUSY_TIMEOUT)
        self._connection.close()


class _Listener:
    """LISTEN on a connection of its own, opened before the worker first looks for mail,
    and again after a failure. psycopg is imported in its methods: on SQLite no command
    loads the PostgreSQL driver."""

    def __init__(self, db: Database) -> None:
        _, params = db.engine.dialect.create_connect_args(db.engine.url)
        # The engine's type adapters belong to its own connections.
        params.pop("context", None)
        params.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
        self._params = params
        self._connection: psycopg.AsyncConnection[Any] | None = None

    async def listen(self) -> bool:
        import psycopg

        try:
            connection = await psycopg.AsyncConnection.connect(**self._params, autocommit=True)
        except psycopg.Error as error:
            log.warning("outbox doorbell: cannot listen (%s); polling only", type(error).__name__)
            return False
        try:
            await connection.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as error:
            log.warning("outbox doorbell: cannot listen (%s); polling only", type(error).__name__)
            await connection.close()
            return False
        self._connection = connection
        return True

    async def _notified(self, connection: psycopg.AsyncConnection[Any], timeout: float) -> None:
        async for _ in connection.notifies(timeout=timeout, stop_after=1):
            return

    async def wait(self, timeout: float, stop: asyncio.Event | None = None) -> None:
        import psycopg

        connection = self._connection
        if connection is None or connection.closed:
            if not await self.listen():
                await _sleep(timeout, stop)
            # Listening again: what was committed while no one listened was announced to
            # no one, so the worker looks now.
            return
        listening = asyncio.ensure_future(self._notified(connection, timeout))
        stopping = asyncio.ensure_future(stop.wait()) if stop is not None else None
        try:
            await asyncio.wait(
                [task for task in (listening, stopping) if task is not None],
                return_when=asyncio.FIRST_COMPLETED,
            )
        except asyncio.CancelledError:
            # Cancelled from outside: the listening task must not outlive this wait.
            listening.cancel()
            raise
        finally:
            if stopping is not None:
                stopping.cancel()
        if not listening.done():
            # Stopping: the connection goes, with whatever it was waiting for.
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError, psycopg.Error):
                await listening
            await self.close()
            return
        try:
            listening.result()
        except psycopg.Error as error:
            # The server went away or restarted. Not listening again at once: a server that
            # drops every new connection would otherwise make a busy loop.
            log.warning("outbox doorbell: connection lost (%s)", type(error).__name__)
            await self.close()
            await _sleep(min(timeout, RECONNECT_PAUSE_SECONDS), stop)

    async def close(self) -> None:
        import psycopg

        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(psycopg.Error):
                await connection.close()
