"""Shared fixtures: real databases (an SQLite file always, PostgreSQL when TEST_POSTGRES_URL
is set), settings pointing at them, and free loopback ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from access.persistence.database import Database
from bot.settings import Settings
from migrations import upgrade_database

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
REPO_ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    env: dict[str, str], *args: str, stdin: bytes | None = None, text: bool = False
) -> subprocess.CompletedProcess[Any]:
    """`python -m bot ARGS` as an operator runs it, from the repository root (output as
    bytes, or as str with `text=True`)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=text,
        timeout=120,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def unused_port() -> int:
    return free_port()


def _postgres_schema_url(base_url: str, schema: str) -> str:
    # Each test gets its own schema, so tests stay independent and fast on one server.
    url = make_url(base_url)
    return url.set(query={**url.query, "options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip(
            "PostgreSQL tests need TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(POSTGRES_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    upgrade_database(database)
    yield database
    database.dispose()


@pytest.fixture
def settings(db: Database, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=db.url,
        mail_backend="file",
        mail_dir=tmp_path / "mail-out",
        public_base_url="http://extranet-bot.test",
        helpdesk_email="help.extranet@segec.be",
    )


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """Environment for running `python -m bot` as a subprocess against the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMTP_", "MAIL_"))}
    env.update(
        DATABASE_URL=settings.database_url,
        MAIL_BACKEND="file",
        MAIL_DIR=str(settings.mail_dir),
        PUBLIC_BASE_URL=settings.public_base_url,
        PYTHONPATH=str(REPO_ROOT),
    )
    return env
