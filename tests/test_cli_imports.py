"""`extranet-bot` loads a command's modules only when that command runs: `--help` imports no
domain module, `worker --once` neither the chat, the web, the FAQ, the scheduler nor the
migrations (docs/benchmarks.md, « CLI start »)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import command_env, settings_of_a_copy

# One process: `--help` first, then `worker --once`, the modules loaded after each.
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

print(json.dumps({"help": run("--help"), "worker": run("worker", "--once")}))
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
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    modules = json.loads(done.stdout.splitlines()[-1])
    assert "bot.commands.worker" in modules["worker"]
    assert loaded(modules["help"], NOT_FOR_HELP) == []
    assert loaded(modules["worker"], NOT_FOR_WORKER_ONCE) == []
