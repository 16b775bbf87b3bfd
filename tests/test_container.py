"""The container image and the compose file, checked without Docker (this machine has no
daemon): what the Dockerfile copies exists and covers every package, and each process of
compose.yaml runs a real `extranet-bot` command against the services it names."""

from __future__ import annotations

import re
import tomllib

import yaml

from bot.cli import cli
from tests.conftest import REPO_ROOT


def _dockerfile() -> str:
    return (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_the_image_copies_every_package_and_runs_unprivileged() -> None:
    text = _dockerfile()
    copied = set(re.findall(r"^COPY (?!--from)(\S+)", text, flags=re.MULTILINE))
    for source in copied:
        assert (REPO_ROOT / source).exists(), source
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages | {"data"} <= copied
    assert re.search(r"^USER (?!root)\w+", text, flags=re.MULTILINE)
    assert 'ENTRYPOINT ["extranet-bot"]' in text


def test_each_compose_process_is_a_real_command() -> None:
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"db", "web", "worker", "scheduler", "mail", "migrate"} <= set(services)
    for name in ("migrate", "web", "worker", "scheduler"):
        command = services[name]["command"]
        assert cli.get_command(None, command[0]) is not None, (name, command)  # type: ignore[arg-type]
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["SMTP_HOST"] == "mail"
    # Each long-running process can be scraped: the worker's deliveries, the scheduler's
    # counters are nowhere else.
    for name in ("web", "worker", "scheduler"):
        assert services[name]["environment"]["METRICS_PORT"] == "9100", name
    # The metrics stay inside the compose network: no port of the host publishes them.
    assert all("9100" not in str(s.get("ports", [])) for s in services.values())
