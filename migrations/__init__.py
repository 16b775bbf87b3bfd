"""The application's one migration history (every package's tables), shipped as a package so
`extranet-bot db upgrade` works anywhere."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from access.persistence.database import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent
# The newest revision of versions/ (a test checks that alembic finds the same): every command
# and readiness probe asks whether the database is at it, without importing alembic and
# reading each migration file to find out.
HEAD = "0018"


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def upgrade_database(database: Database, revision: str = "head") -> None:
    # At the newest revision already, as at most starts of a command: alembic and the
    # migration files need not load to find that out.
    if revision == "head" and is_at_head(database.engine):
        return
    upgrade(database.engine, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def heads(engine: Engine) -> set[str]:
    """The newest revisions alembic reads in versions/ (one: `HEAD`)."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def is_at_head(engine: Engine) -> bool:
    """True when the database's schema is at the newest revision this code knows."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        current = connection.scalars(text("SELECT version_num FROM alembic_version")).all()
    return set(current) == {HEAD}
