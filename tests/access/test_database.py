from __future__ import annotations

import sqlalchemy as sa

from access.db import Database
from access.models import Establishment
from tests.conftest import run_cli


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
    db.upgrade()
    with db.engine.connect() as conn:
        assert "establishments" in sa.inspect(conn).get_table_names()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_db_upgrade_command_creates_the_schema(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = run_cli({"DATABASE_URL": url, "PATH": "/usr/bin:/bin"}, "db", "upgrade")
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
