"""Database engine, sessions and transactions (the schema's history is in `migrations`).

SQLite is the embedded default (one file, WAL, foreign keys on); PostgreSQL is the production
server. Every transaction on SQLite starts with BEGIN IMMEDIATE: writers then wait for the
write lock at the start instead of failing later when a read lock cannot be promoted to it,
which is what makes claims (outbox, idempotency keys) atomic across processes.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar

from sqlalchemy import JSON, Column, MetaData, Table, create_engine, event, exc, insert
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON}


# How long a writer waits for SQLite's write lock before giving up.
LOCK_TIMEOUT_SECONDS = 30.0
# SQLite's own busy handler sleeps longer and longer between tries (up to 100 ms) while it
# waits for the write lock: under steady writes from another process (a school's invitations
# and the outbox worker) a writer would sleep while the lock is free. BEGIN IMMEDIATE is where
# a transaction waits (in WAL mode nothing else in it waits for another writer), so it is
# tried again every millisecond instead (`_begin_immediate`).
LOCK_RETRY_SECONDS = 0.001
BUSY_TIMEOUT = f"PRAGMA busy_timeout={int(LOCK_TIMEOUT_SECONDS * 1000)}"
# Execution option of `Database.reading()` connections.
READ_ONLY = "extranet_read_only"


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": LOCK_TIMEOUT_SECONDS}, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see module doc).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.connection.dbapi_connection.execute("BEGIN")
            return
        _begin_immediate(connection.connection.dbapi_connection)


def _begin_immediate(dbapi_connection: Any) -> None:
    deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout=0")
        while True:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    # As SQLAlchemy reports database errors, which is what callers handle.
                    raise exc.OperationalError("BEGIN IMMEDIATE", (), error) from error
                time.sleep(LOCK_RETRY_SECONDS)
    finally:
        cursor.execute(BUSY_TIMEOUT)
        cursor.close()


def insert_many(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT `rows` (dicts with the same keys) into `table`, in the session's transaction.

    On PostgreSQL through COPY: psycopg's executemany sends one statement per row, and for a
    school's invitations (five rows per person) the driver's and the server's work per row
    dominates the send (figures: docs/benchmarks.md). Values go
    through the column types' bind processors and missing columns get their Python-side
    defaults, as with `insert()`; a table with SQL-side defaults takes the `insert()` path.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    given = list(rows[0])
    defaults = [
        column
        for column in table.columns
        if column.name not in given and column.default is not None and not column.primary_key
    ]
    if dialect.name != "postgresql" or not all(
        column.default.is_scalar or column.default.is_callable  # type: ignore[union-attr]
        for column in defaults
    ):
        session.execute(insert(table), list(rows))
        return
    # session.execute() would flush pending ORM objects first (rows may refer to them);
    # the raw cursor below would not.
    session.flush()
    names = given + [column.name for column in defaults]
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    preparer = dialect.identifier_preparer
    statement = "COPY {} ({}) FROM STDIN".format(
        preparer.format_table(table), ", ".join(preparer.quote(name) for name in names)
    )
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                values = [row[name] for name in given]
                values += [_default_value(column) for column in defaults]
                copy.write_row(
                    [
                        value if process is None else process(value)
                        for value, process in zip(values, processors, strict=True)
                    ]
                )
    finally:
        cursor.close()


def _default_value(column: Column[Any]) -> Any:
    default = column.default
    if default.is_callable:  # type: ignore[union-attr]
        # Per row, as insert() does: a default may be unique (a random id).
        return default.arg(None)  # type: ignore[union-attr]
    return default.arg  # type: ignore[union-attr]


def insert_unless_present(session: Session, table: Table, **values: Any) -> None:
    """Insert the row unless one with the same key is there: a race between two processes
    writing it first ends quietly, and the transaction goes on (no IntegrityError)."""
    # Here, not at the top: the engine has loaded its own dialect, and only that one.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as insert_into
    else:
        from sqlalchemy.dialects.sqlite import insert as insert_into
    session.execute(insert_into(table).values(**values).on_conflict_do_nothing())


class Database:
    """An engine plus its session factory; the unit of work is `transaction()`."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self) -> Session:
        return self.sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success, roll back everything on any error: no half-written data."""
        with self.sessions.begin() as session:
            yield session

    def call(self, use_case: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`use_case(session, *args, **kwargs)` in one transaction of its own: how an edge (a
        web route, a chat handler, a command) runs a use case that takes the caller's session."""
        with self.transaction() as session:
            return use_case(session, *args, **kwargs)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A transaction that only reads, rolled back at the end. On SQLite it begins with a
        plain BEGIN, which takes no write lock (in WAL mode readers never wait either): a
        check repeated several times a second, such as the outbox worker's, then never
        makes a writer wait."""
        with self.engine.connect() as connection:
            connection.execution_options(**{READ_ONLY: True})
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()
