"""The test databases are copies of one migrated per session: each must be what the
migrations make, and independent of the others."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from access.directory.models import Establishment
from access.persistence.database import Database
from migrations import upgrade_database
from tests.conftest import _postgres_schema_url


def _shape(database: Database) -> dict[str, Any]:
    """Tables with their columns, keys, indexes and constraints; the alembic revision."""
    with database.engine.connect() as conn:
        inspector = sa.inspect(conn)
        shape: dict[str, Any] = {}
        for table in sorted(inspector.get_table_names()):
            shape[table] = (
                [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
                inspector.get_pk_constraint(table)["constrained_columns"],
                sorted(
                    (fk["name"] or "", tuple(fk["constrained_columns"]), fk["referred_table"])
                    for fk in inspector.get_foreign_keys(table)
                ),
                sorted(
                    (i["name"] or "", tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(table)
                ),
                sorted(u["name"] or "" for u in inspector.get_unique_constraints(table)),
                sorted(c["name"] or "" for c in inspector.get_check_constraints(table)),
            )
        shape["revision"] = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    return shape


@pytest.fixture
def freshly_migrated(
    db: Database, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Database]:
    """A database of the same kind as `db`, migrated the long way."""
    if db.is_sqlite:
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        schema = None
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with request.getfixturevalue("postgres_admin").begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = _postgres_schema_url(request.getfixturevalue("postgres_url"), schema)
    fresh = Database(url)
    upgrade_database(fresh)
    yield fresh
    fresh.dispose()
    if schema is not None:
        with request.getfixturevalue("postgres_admin").begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


def test_each_test_database_is_what_the_migrations_make(
    db: Database, freshly_migrated: Database
) -> None:
    assert _shape(db) == _shape(freshly_migrated)


@pytest.mark.parametrize("turn", [1, 2])
def test_what_one_test_writes_the_next_does_not_see(db: Database, turn: int) -> None:
    with db.session() as session:
        assert session.scalars(sa.select(Establishment)).all() == []
    with db.transaction() as session:
        school = Establishment(fase=f"{turn:05d}", name="École Saint-Joseph")
        session.add(school)
        session.flush()
        assert school.id == 1, "numbering starts again at 1"


def test_the_test_processes_run_one_blas_thread() -> None:
    """The xdist workers already fill the cores: the BLAS library under NumPy must not start
    threads of its own, which spin on the few cores while they wait (tests/__init__.py)."""
    import numpy  # noqa: F401  (loads the BLAS library)
    from threadpoolctl import threadpool_info

    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas), blas
