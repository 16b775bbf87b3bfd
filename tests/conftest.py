"""Shared fixtures: real databases (an SQLite file always, PostgreSQL when TEST_POSTGRES_URL
is set), each a copy of one migrated once per session; settings pointing at them; the CLI run
in this process or as `python -m bot`; and free loopback ports."""

from __future__ import annotations

import atexit
import functools
import hashlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, TextIO
from unittest import mock

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher, Type
from click.testing import CliRunner
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from access.accounts import passwords
from access.persistence import database as persistence
from access.persistence.database import Database
from bot.commands.context import AppContext
from bot.settings import Settings
from migrations import upgrade_database

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
REPO_ROOT = Path(__file__).resolve().parent.parent
# The tests' HTTP clients share one TLS context: httpx otherwise builds one per client, reading
# the whole CA bundle each time, which the suite's thousands of clients paid over and over.
TLS = httpx.create_ssl_context()


def run_cli(
    env: dict[str, str], *args: str, stdin: bytes | None = None, text: bool = False
) -> subprocess.CompletedProcess[Any]:
    """`extranet-bot ARGS` run in this process, as `bot.cli.main` runs it (its one-line
    errors and exit codes), with the settings read from `env` alone; output as bytes, or as
    str with `text=True`. `run_cli_process` starts `python -m bot` for the smoke tests."""
    overrides: dict[str, str | None] = {
        name: None for name in os.environ if name.lower() in Settings.model_fields
    }
    overrides.update(env)
    import bot.cli

    argv = sys.argv
    opened: list[AppContext] = []

    class Recorded(AppContext):
        def __post_init__(self) -> None:
            opened.append(self)

    with (
        _logging_restored(),
        CliRunner().isolation(input=stdin, env=overrides) as (stdout, stderr, _),
        console_streams(sys.stdin, sys.stdout),
        mock.patch.object(bot.cli, "AppContext", Recorded),
    ):
        sys.argv = ["extranet-bot", *args]
        try:
            bot.cli.main()
            code: int | str | None = 0
        except SystemExit as exit_:
            code = exit_.code
        finally:
            sys.argv = argv
            for app in opened:
                if app._database is not None:
                    app._database.dispose()
        sys.stdout.flush()
        sys.stderr.flush()
        out, err = stdout.getvalue(), stderr.getvalue()
    if isinstance(code, str):  # sys.exit("reason"): the reason goes to stderr, status 1
        err, code = err + (code + "\n").encode(), 1
    returncode = code or 0
    if text:
        return subprocess.CompletedProcess(args, returncode, out.decode(), err.decode())
    return subprocess.CompletedProcess(args, returncode, out, err)


@contextmanager
def console_streams(stdin: TextIO, stdout: TextIO) -> Iterator[None]:
    """The console's read-answer loop on these streams: its defaults are the process's
    streams as they were when it was imported (in a test process, pytest's)."""
    import bot.console  # here: the xdist controller, which runs no test, never loads it

    with mock.patch.object(bot.console.run, "__defaults__", (stdin, stdout)):
        yield


@contextmanager
def _logging_restored() -> Iterator[None]:
    """The CLI configures logging as a process of its own would (a stderr handler on the
    root logger, quieter levels); the test process gets its own configuration back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in ("alembic",)}
    root.handlers.clear()
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, saved in levels.items():
            logging.getLogger(name).setLevel(saved)


def run_cli_process(
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


def run_cli_smoke(
    env: dict[str, str], *args: str, stdin: bytes | None = None, text: bool = False
) -> subprocess.CompletedProcess[Any]:
    """A command's smoke test: `python -m bot ARGS` as a process on SQLite; on PostgreSQL the
    same run in this process, since what only a process shows (the entry point, settings
    read from the environment, exit status) does not depend on the database."""
    run = run_cli_process if env["DATABASE_URL"].startswith("sqlite") else run_cli
    return run(env, *args, stdin=stdin, text=text)


PRODUCTION_HASHER = passwords.HASHER
# argon2id at its lowest cost: a hash at the production cost takes some 30 ms of CPU and the
# suite makes over a thousand. Tests about the cost itself are marked `production_hashing`;
# processes the tests start (`serve`, `worker`) always hash at the production cost.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "production_hashing: hash passwords at the production argon2id cost"
    )
    if not hasattr(config, "workerinput"):  # the xdist controller, or the one process
        from tests.web import nu

        nu.begin_run()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the run's Nu service: after the workers, even when the run is interrupted. An
    xdist worker, its results sent, exits without freeing its heap (`_exit_at_once`)."""
    if not hasattr(config, "workerinput"):
        from tests.web import nu

        nu.end_run()
    elif "coverage" not in sys.modules:  # coverage.py writes its data at exit
        atexit.register(_exit_at_once)


def _exit_at_once() -> None:
    """The worker's last step (registered last, run first at exit): the controller has every
    report; freeing the heap object by object took a second or two of CPU in each worker,
    at the end of the run, with nobody waiting for anything but the workers to go."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@pytest.fixture(autouse=True)
def password_hashing_cost(request: pytest.FixtureRequest) -> Iterator[PasswordHasher]:
    """The hasher of this test: the cheap one unless marked `production_hashing`."""
    real = request.node.get_closest_marker("production_hashing") is not None
    hasher = PRODUCTION_HASHER if real else CHEAP_HASHER
    passwords._dummy_hash.cache_clear()
    with mock.patch.object(passwords, "HASHER", hasher):
        yield hasher
    passwords._dummy_hash.cache_clear()


_make_engine = persistence.make_engine
# The first engine of this test process per database: every SQLite file, or one PostgreSQL
# schema (a schema is emptied and handed to the next test under the same name).
_FIRST_ENGINES: dict[str, sa.Engine] = {}


def _engine_sharing_compilation(url: str, **kwargs: Any) -> sa.Engine:
    """`make_engine`, but the engines of this test process compile a statement once.

    A production process has one engine, whose cache compiles each statement once; here each
    test has an engine of its own, and compiling the same statements again in every test was
    a fifth of the CPU of the tests that use the database. SQLAlchemy keys its cache by the
    dialect object, so the engines share the first one's dialect and cache: all SQLite
    engines, and the PostgreSQL engines of one schema (the dialect records its schema)."""
    engine = _make_engine(url, **kwargs)
    if kwargs:
        return engine
    key = "sqlite" if engine.dialect.name == "sqlite" else str(engine.url)
    first = _FIRST_ENGINES.setdefault(key, engine)
    if first is not engine:
        engine.dialect = engine.pool._dialect = first.dialect
        engine._compiled_cache = first._compiled_cache
    return engine


@pytest.fixture(scope="session", autouse=True)
def _compile_each_statement_once() -> Iterator[None]:
    with mock.patch.object(persistence, "make_engine", _engine_sharing_compilation):
        yield


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pyproject): two workers more than this process may use cores, since many
    tests spend part of their time waiting (servers, processes, deliberate delays) and the
    extra workers use those moments (docs/benchmarks.md: 3, 4 and 5 workers on two cores).
    In this one process for benchmarks, which measure one thing at a time, and under `-s`,
    whose output workers would not show."""
    benchmarks = any("bench" in Path(arg.split("::")[0]).parts for arg in config.args)
    if benchmarks or config.getoption("capture") == "no":
        return 0
    return len(os.sched_getaffinity(0)) + 2


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The skipped tests, one line per reason (`-ra` gave one per test function: some 600
    lines for the PostgreSQL half when TEST_POSTGRES_URL is not set)."""
    if "s" in config.option.reportchars or "a" in config.option.reportchars:
        return  # asked for pytest's own list
    reasons: Counter[str] = Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    for reason, count in reasons.most_common():
        terminalreporter.write_line(f"SKIPPED {count}: {reason}", yellow=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def unused_port() -> int:
    return free_port()


def _postgres_schema_url(base_url: str, schema: str, **query: str) -> str:
    # Each test gets its own schema, so tests stay independent and fast on one database. A
    # test's commits need not survive a crash of the server: no wait for the disk on each.
    url = make_url(base_url)
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    query = {**url.query, "options": options, **query}
    return url.set(query=query).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A database of this checkout's and this xdist worker's own on TEST_POSTGRES_URL's
    server, created the first time and kept (a DROP DATABASE waits for a checkpoint of the
    whole server); each test gets a schema in it. Runs side by side (workers, other
    checkouts) then never hear each other's NOTIFY nor see each other's LISTEN."""
    if not POSTGRES_URL:
        pytest.skip(
            "PostgreSQL tests need TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    checkout = hashlib.sha256(str(REPO_ROOT).encode()).hexdigest()[:8]
    name = f"pytest_{checkout}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    server = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with server.connect() as conn:
            known = "SELECT 1 FROM pg_database WHERE datname = :name"
            if conn.execute(sa.text(known), {"name": name}).first() is None:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.DBAPIError:
        return POSTGRES_URL  # not allowed to create databases: schemas in the given one
    finally:
        server.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_admin(postgres_url: str) -> Iterator[sa.Engine]:
    """One connection on the session's database for creating, emptying and dropping the
    tests' schemas."""
    admin = sa.create_engine(
        postgres_url,
        pool_size=1,
        max_overflow=0,
        connect_args={"options": "-csynchronous_commit=off"},
    )
    yield admin
    admin.dispose()


class PostgresSchemas:
    """This session's schemas. A test that uses `db` takes a migrated one: a free one,
    emptied after an earlier test (a few DELETEs), else a new copy of the template made from
    its SQL (a few hundred DDL statements); the tests of the migrations get an empty one.
    Before a schema is emptied, the connections the finished test left open are cut (they
    may hold locks): every connection of this session names it (`application_name`)."""

    def __init__(self, url: str, admin: sa.Engine) -> None:
        self.url = url
        self.admin = admin
        self.session = f"pytest-{uuid.uuid4().hex[:12]}"
        self.free: list[str] = []
        self._template: str | None = None
        self._ddl: str | None = None
        self._emptying: list[str] = []

    def url_of(self, schema: str) -> str:
        return _postgres_schema_url(self.url, schema, application_name=self.session)

    def empty(self) -> str:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with self.admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        return schema

    def migrated(self) -> str:
        if self._template is None:
            self._template = self.empty()
            self._migrate(self._template)
            self._ddl = _dump_schema(self.url, self._template)
            self._emptying = self._statements_emptying(self._template)
            return self._template
        if self.free:
            return self.free.pop()
        schema = self.empty()
        if self._ddl is None:
            self._migrate(schema)
        else:
            with self.admin.begin() as conn:
                conn.exec_driver_sql(self._ddl.replace(self._template, schema))
                # The dump's session settings (an empty search_path) must not stay.
                conn.exec_driver_sql("RESET ALL")
        return schema

    def give_back(self, schema: str, *, migrated: bool) -> None:
        """Empty a migrated schema for the next test; drop what cannot be reused."""
        with self.admin.begin() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = :session AND pid <> pg_backend_pid()"
                ),
                {"session": self.session},
            )
        if migrated:
            emptying = ";".join(
                ["SET LOCAL lock_timeout = '10s'"]
                + [statement.format(schema=schema) for statement in self._emptying]
            )
            try:
                with self.admin.begin() as conn:
                    # One round trip: without parameters psycopg sends the statements at once.
                    conn.connection.driver_connection.execute(emptying)
                self.free.append(schema)
                return
            except sa.exc.DBAPIError:
                pass
        with self.admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))

    def close(self) -> None:
        for schema in self.free:
            with self.admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))

    def _migrate(self, schema: str) -> None:
        database = Database(self.url_of(schema))
        upgrade_database(database)
        database.dispose()

    def _statements_emptying(self, schema: str) -> list[str]:
        """DELETE every table, those referring to others first; sequences back to 1."""
        with self.admin.connect() as conn:
            tables = sa.MetaData()
            tables.reflect(conn, schema=schema)
            sequences = conn.scalars(
                sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = :schema"),
                {"schema": schema},
            ).all()
        deletes = [
            f'DELETE FROM "{{schema}}"."{table.name}"'
            for table in reversed(tables.sorted_tables)
            if table.name != "alembic_version"
        ]
        restarts = [f'SELECT setval(\'"{{schema}}"."{name}"\', 1, false)' for name in sequences]
        return deletes + restarts


@pytest.fixture(scope="session")
def postgres_schemas(postgres_url: str, postgres_admin: sa.Engine) -> Iterator[PostgresSchemas]:
    schemas = PostgresSchemas(postgres_url, postgres_admin)
    yield schemas
    schemas.close()


def _dump_schema(base_url: str, schema: str) -> str | None:
    """The schema as SQL (pg_dump), or None when pg_dump cannot give it."""
    url = make_url(base_url)
    command = ["pg_dump", "--schema", schema, "--no-owner", "--no-privileges", "--inserts"]
    command += ["--host", url.host or "localhost", "--port", str(url.port or 5432)]
    command += ["--username", url.username or "postgres", url.database or "postgres"]
    try:
        dumped = subprocess.run(
            command,
            env={**os.environ, **({"PGPASSWORD": str(url.password)} if url.password else {})},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    # psql meta-commands (\restrict) and the schema itself (each copy is created first).
    lines = [
        line
        for line in dumped.splitlines()
        if not line.startswith("\\") and line != f"CREATE SCHEMA {schema};"
    ]
    return "\n".join(lines)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, or on PostgreSQL a migrated one when the test also uses `db`."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    schemas: PostgresSchemas = request.getfixturevalue("postgres_schemas")
    migrated = "db" in request.fixturenames
    schema = schemas.migrated() if migrated else schemas.empty()
    try:
        yield schemas.url_of(schema)
    finally:
        schemas.give_back(schema, migrated=migrated)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once per session (per xdist worker), copied by each test."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    template = Database(f"sqlite:///{path}")
    upgrade_database(template)
    template.dispose()
    # The last connection closed wrote the WAL back into the file: the file is the database.
    assert not Path(f"{path}-wal").exists()
    return path


@pytest.fixture
def db(db_url: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    """The database migrated to the latest revision: on SQLite a copy of the session's
    migrated file, on PostgreSQL a schema `db_url` took migrated (tests of the migrations
    themselves take `db_url` alone, an empty database)."""
    parsed = make_url(db_url)
    if parsed.get_backend_name() == "sqlite":
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), parsed.database or "")
    database = Database(db_url)
    yield database
    database.dispose()


@functools.cache
def _tests_settings() -> Settings:
    """The tests' settings but for their database and mail folder, read from the environment
    once per process: reading it for each of the hundred fields was most of a test's setup."""
    return Settings(
        _env_file=None,
        mail_backend="file",
        public_base_url="http://extranet-bot.test",
        helpdesk_email="help.extranet@segec.be",
        # A delivery run whose senders are still busy looks again for mail after this long.
        outbox_poll_seconds=0.05,
    )


def settings_on(database_url: str, folder: Path) -> Settings:
    """The tests' settings on this database, the mail written under `folder` (a copy: a
    test's changes stay its own)."""
    return _tests_settings().model_copy(
        update={"database_url": database_url, "mail_dir": folder / "mail-out"}
    )


def command_env(settings: Settings) -> dict[str, str]:
    """Environment for running `python -m bot` as a subprocess with these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMTP_", "MAIL_"))}
    env.update(
        DATABASE_URL=settings.database_url,
        MAIL_BACKEND="file",
        MAIL_DIR=str(settings.mail_dir),
        PUBLIC_BASE_URL=settings.public_base_url,
        OUTBOX_POLL_SECONDS=str(settings.outbox_poll_seconds),
        PYTHONPATH=str(REPO_ROOT),
    )
    return env


def settings_of_a_copy(migrated: Path, folder: Path) -> Settings:
    """Settings on a copy of the migrated SQLite file in `folder`, for a process a whole
    session keeps up (the function-scoped `db` would be gone after the first test)."""
    path = folder / "served.db"
    shutil.copyfile(migrated, path)
    return settings_on(f"sqlite:///{path}", folder)


@pytest.fixture
def settings(db: Database, tmp_path: Path) -> Settings:
    return settings_on(db.url, tmp_path)


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """Environment for running `python -m bot` as a subprocess against the test database."""
    return command_env(settings)


class ServedWithSlack(NamedTuple):
    url: str
    fake: Any  # tests.slack_fake.FakeSlack


@pytest.fixture(scope="session")
def shared_chromium() -> Iterator[Any]:
    """The session's headless Chromium (tests/browser.py): `with shared_chromium() as
    browser:` gives it, and closes the contexts opened in the block."""
    from tests.browser import SharedBrowser

    shared = SharedBrowser()
    yield shared
    shared.close()


@pytest.fixture(scope="session")
def served_with_slack(
    migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedWithSlack]:
    """`extranet-bot serve` with Slack configured (against the fake Slack Web API), one process
    per xdist worker on a database of its own: the tests of the command's Slack wiring share
    it (starting the process is most of their time). Each test clears the fake's calls."""
    from tests.slack_app import SIGNING_SECRET, serve_process
    from tests.slack_fake import FakeSlack

    settings = settings_of_a_copy(migrated_sqlite, tmp_path_factory.mktemp("served-slack"))
    with FakeSlack() as fake:
        env = {
            **command_env(settings),
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
        }
        with serve_process(env) as url:
            yield ServedWithSlack(url, fake)
