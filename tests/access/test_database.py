from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from access.directory.models import AuditEntry, Establishment
from access.persistence import database as db_module
from access.persistence.database import Database
from migrations import HEAD, downgrade, heads, is_at_head, upgrade_database
from tests.conftest import run_cli, run_cli_process


def test_fase_keeps_its_leading_zeros(db: Database) -> None:
    with db.transaction() as session:
        session.add(Establishment(fase="00123", name="École Saint-Joseph"))
    with db.session() as session:
        assert session.scalars(sa.select(Establishment.fase)).one() == "00123"


def test_failed_transaction_writes_nothing(db: Database) -> None:
    try:
        with db.transaction() as session:
            session.add(Establishment(fase="1", name="A"))
            session.flush()
            session.add(Establishment(fase="1", name="duplicate"))
            session.flush()
    except sa.exc.IntegrityError:
        pass
    with db.session() as session:
        assert session.scalars(sa.select(Establishment)).all() == []


def test_upgrade_is_idempotent(db: Database) -> None:
    upgrade_database(db)
    with db.engine.connect() as conn:
        assert "establishments" in sa.inspect(conn).get_table_names()


def test_the_head_the_code_knows_is_the_newest_migration(db: Database) -> None:
    assert heads(db.engine) == {HEAD}
    assert is_at_head(db.engine)


def test_a_database_below_the_head_or_never_migrated_is_not_at_it(db_url: str) -> None:
    database = Database(db_url)
    try:
        assert not is_at_head(database.engine)
        upgrade_database(database)
        assert is_at_head(database.engine)
        downgrade(database.engine, "-1")
        assert not is_at_head(database.engine)
    finally:
        database.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_db_upgrade_command_creates_the_schema(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = run_cli_process({"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}, "db", "upgrade")
    assert result.returncode == 0, result.stderr.decode()
    with Database(url).engine.connect() as conn:
        assert "accounts" in sa.inspect(conn).get_table_names()


def test_a_command_on_an_unmigrated_database_fails_with_one_line(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = run_cli({"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}, "team", "00931")
    assert result.returncode != 0
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "db upgrade" in lines[0]


def _holding_the_write_lock(path: Path) -> sqlite3.Connection:
    """Another process's writer, as SQLite sees it: a connection inside BEGIN IMMEDIATE."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_writer_waits_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'wait.db'}")
    upgrade_database(database)
    holder = _holding_the_write_lock(tmp_path / "wait.db")
    threading.Timer(0.3, holder.commit).start()
    with database.transaction() as session:
        session.add(Establishment(fase="0042", name="École Saint-Luc"))
    with database.session() as session:
        assert session.scalar(sa.select(Establishment.name)) == "École Saint-Luc"
    holder.close()
    database.dispose()


def test_a_writer_gives_up_with_an_error_when_the_lock_never_comes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'stuck.db'}")
    upgrade_database(database)
    monkeypatch.setattr(db_module, "LOCK_TIMEOUT_SECONDS", 0.2)
    holder = _holding_the_write_lock(tmp_path / "stuck.db")
    with pytest.raises(sa.exc.OperationalError, match="locked"), database.transaction() as session:
        session.add(Establishment(fase="0043", name="École Saint-Marc"))
    holder.rollback()
    holder.close()
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Establishment)) == 0
    database.dispose()


def test_a_reader_neither_takes_nor_waits_for_the_write_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'read.db'}")
    upgrade_database(database)
    with database.transaction() as session:
        session.add(Establishment(fase="0044", name="École Saint-Paul"))
    monkeypatch.setattr(db_module, "LOCK_TIMEOUT_SECONDS", 0.2)
    holder = _holding_the_write_lock(tmp_path / "read.db")
    with database.reading() as connection:
        assert connection.scalar(sa.select(Establishment.name)) == "École Saint-Paul"
    holder.rollback()
    # And while a reader is open, a writer still gets the lock.
    with database.reading() as connection:
        connection.scalar(sa.select(Establishment.name))
        with database.transaction() as session:
            session.add(Establishment(fase="0045", name="École Saint-Jean"))
    holder.close()
    database.dispose()


def test_a_bulk_insert_stores_what_an_insert_stores(db: Database) -> None:
    # On PostgreSQL insert_many goes through COPY: JSON (None included), text with
    # characters COPY escapes, bytes of every value and Python-side defaults must come
    # back as from insert().
    from access import audit
    from access.mail import outbox

    entries = [
        audit.entry_values(
            actor="person:1",
            action="invitation.sent",
            target_type="person",
            target_id=n,
            before={"status": None},
            after={"note": "tab\there, back\\slash, new\nline, « é »"},
            reason=None if n else "resent\\N",
        )
        for n in range(3)
    ]
    raw = bytes(range(256)) * 4
    sealed = outbox.Sealed("<bulk@x>", "a@example.org", ["b@example.org"], raw)
    with db.transaction() as session:
        db_module.insert_many(session, AuditEntry.__table__, entries)
        outbox.enqueue_many(session, [(sealed, None)], kind="test")
    with db.transaction() as session:
        session.execute(sa.insert(AuditEntry.__table__), entries)
    with db.session() as session:
        rows = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        stored = session.scalar(sa.select(outbox.OutboxBody.raw))
    seen = [(r.target_id, r.before, r.after, r.reason) for r in rows]
    assert seen[:3] == seen[3:]
    assert seen[0] == ("0", {"status": None}, entries[0]["after"], "resent\\N")
    assert all(r.at is not None for r in rows)
    assert bytes(stored) == raw


def test_messages_waiting_in_the_outbox_keep_their_bytes_through_the_upgrade(
    db_url: str,
) -> None:
    """Migration 0007 moves the bytes of queued e-mails to their own table: none is lost."""
    from access.mail.outbox import OutboxMessage
    from migrations import upgrade

    database = Database(db_url)
    upgrade(database.engine, "0006_directors")
    raw = b"Subject: Activez votre compte\r\n\r\nBonjour\r\n"
    with database.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO outbox_messages (message_id, kind, mail_from, recipients, raw, "
                "status, attempts, next_attempt_at, created_at) VALUES ('<m1@segec.be>', "
                "'invitation', 'extranet@segec.be', '[\"marie@example.org\"]', :raw, "
                "'pending', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"raw": raw},
        )
    upgrade_database(database)
    with database.session() as session:
        message = session.scalars(sa.select(OutboxMessage)).one()
        assert (message.message_id, message.raw) == ("<m1@segec.be>", raw)
    database.dispose()


def test_the_upgrade_forgets_the_bytes_of_sent_and_failed_messages_only(db_url: str) -> None:
    """Migration 0008: bytes (with their activation links) of messages already sent or failed
    for good are deleted; those still waiting keep theirs."""
    from access.mail.outbox import OutboxMessage
    from migrations import upgrade

    database = Database(db_url)
    upgrade(database.engine, "0007_outbox_bodies")
    with database.engine.begin() as connection:
        for n, status in enumerate(["pending", "sending", "sent", "failed"]):
            connection.execute(
                sa.text(
                    "INSERT INTO outbox_messages (message_id, kind, mail_from, recipients, "
                    "status, attempts, next_attempt_at, created_at) VALUES (:mid, "
                    "'invitation', 'extranet@segec.be', '[\"marie@example.org\"]', :status, "
                    "0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"mid": f"<m{n}@segec.be>", "status": status},
            )
        connection.execute(
            sa.text(
                "INSERT INTO outbox_bodies (outbox_id, raw) SELECT id, :raw FROM outbox_messages"
            ),
            {"raw": b"Subject: Activez votre compte\r\n\r\nhttp://x/activer/secret\r\n"},
        )
    upgrade_database(database)
    with database.session() as session:
        kept = {m.status: m.raw is not None for m in session.scalars(sa.select(OutboxMessage))}
    assert kept == {"pending": True, "sending": True, "sent": False, "failed": False}
    database.dispose()
