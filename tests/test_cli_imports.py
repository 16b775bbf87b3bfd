"""`extranet-bot` loads a command's modules only when that command runs: `--help` imports no
domain module, `worker --once` neither the chat, the web, the FAQ, the scheduler, the
migrations nor the PostgreSQL driver on SQLite; `tickets stats` and `faq report` not the FAQ's
matcher (numpy) nor the account actions; `serve` without Slack settings not Bolt's async stack
(docs/benchmarks.md, « CLI start »)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import command_env, settings_of_a_copy

# One process: `--help` first, then `worker --once`, `tickets stats`, `faq report`, `console`
# and `serve` (up to where uvicorn would listen), the modules loaded after each: each list
# holds those of the commands before it too.
PROBE = """
import json, sys
import bot.cli

def run(*args):
    sys.argv = ["extranet-bot", *args]
    try:
        bot.cli.main()
    except SystemExit as exit_:
        assert not exit_.code, (args, exit_.code)
    return sorted(sys.modules)

modules = {
    "help": run("--help"),
    "worker": run("worker", "--once"),
    "stats": run("tickets", "stats"),
    "faq report": run("faq", "report"),
    "console": run("console"),
}
import uvicorn

uvicorn.run = lambda *args, **kwargs: None
modules["serve"] = run("serve")
print()  # after the console's last prompt
print(json.dumps(modules))
"""

# Prefixes of modules a command loads only when it needs them.
NOT_FOR_HELP = (
    "sqlalchemy",
    "pydantic",
    "alembic",
    "apscheduler",
    "uvloop",
    "migrations",
    "access.persistence",
    "access.directory.team",
    "access.demo",
    "helpdesk",
    "faq",
    "scheduling",
    "bot.settings",
    "bot.slack",
    "bot.web",
    "bot.conversation",
)
NOT_FOR_WORKER_ONCE = (
    "alembic",
    "migrations",
    "apscheduler.schedulers",
    "uvloop",
    "uvicorn",
    "starlette",
    "slack_sdk",
    "slack_bolt",
    "faq",
    "access.demo",
    "access.invitations",
    "helpdesk.stats",
    "scheduling.jobs",
    "bot.web",
    "bot.conversation",
    "bot.slack.transport",
    "psycopg",
    "sqlalchemy.dialects.postgresql",
)
# On an empty database, whose hint asks `access.demo` what it holds: not the ProECO import.
NOT_FOR_TICKETS_STATS = (
    "numpy",
    "faq.kb",
    "faq.matcher",
    "access.diagnosis.actions",
    "access.proeco.sync",
)
NOT_FOR_FAQ_REPORT = ("numpy", "faq.kb", "faq.matcher", "faq.editing", "access.proeco.sync")
# On a database at the newest revision: nothing to migrate, no alembic to load.
NOT_FOR_CONSOLE = ("alembic",)
# Without SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET; the first /faq request loads the FAQ.
NOT_FOR_SERVE = (
    "slack_bolt",
    "slack_sdk",
    "aiohttp",
    "bot.slack.app",
    "numpy",
    "faq.kb",
    "faq.matcher",
    "alembic",
    "psycopg",
    "sqlalchemy.dialects.postgresql",
)


def loaded(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)]


def test_a_command_imports_only_its_own_modules(migrated_sqlite: Path, tmp_path: Path) -> None:
    env = command_env(settings_of_a_copy(migrated_sqlite, tmp_path))
    env.pop("TRIAGE_CHANNEL", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    modules = json.loads(done.stdout.splitlines()[-1])
    assert "bot.commands.worker" in modules["worker"]
    assert loaded(modules["help"], NOT_FOR_HELP) == []
    assert loaded(modules["worker"], NOT_FOR_WORKER_ONCE) == []
    assert loaded(modules["stats"], NOT_FOR_TICKETS_STATS) == []
    assert loaded(modules["faq report"], NOT_FOR_FAQ_REPORT) == []
    assert "bot.console" in modules["console"]
    assert loaded(modules["console"], NOT_FOR_CONSOLE) == []
    assert "bot.web.app" in modules["serve"]
    assert loaded(modules["serve"], NOT_FOR_SERVE) == []
