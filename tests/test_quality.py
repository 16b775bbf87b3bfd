"""The code base stays lint- and format-clean: the test run is what CI runs."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import REPO_ROOT


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    ruff = shutil.which("ruff") or str(__import__("pathlib").Path(sys.executable).parent / "ruff")
    return subprocess.run([ruff, *args], cwd=REPO_ROOT, capture_output=True, text=True)


def test_ruff_finds_no_lint_error() -> None:
    result = _ruff("check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_formatted() -> None:
    result = _ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_domain_packages_import_no_transport() -> None:
    forbidden = ("slack_bolt", "slack_sdk", "starlette", "uvicorn", "click", "httpx", "bot.")
    offenders = []
    for package in ("access", "faq"):
        for path in (REPO_ROOT / package).rglob("*.py"):
            for line in path.read_text(encoding="utf-8").splitlines():
                stripped = line.strip()
                if stripped.startswith(("import ", "from ")) and any(
                    f" {name}" in stripped for name in forbidden
                ):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}: {stripped}")
    assert offenders == []
