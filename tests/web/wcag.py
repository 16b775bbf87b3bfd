"""WCAG 2.2 A and AA as axe-core (shipped by axe-playwright-python) finds them in Chromium."""

from __future__ import annotations

from typing import Any

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def wcag_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.2 A and AA violations on the page a Playwright `page` shows."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])}×: "
        f"{violation['nodes'][0]['target']})"
        for violation in results.response.get("violations", [])
    ]
