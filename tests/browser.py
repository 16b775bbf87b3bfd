"""Debian's headless Chromium driven by Playwright: one browser per test session (per xdist
worker), started at its first use, and a fresh browser context for every use, closed after it.

Starting Playwright's driver and Chromium is most of a short browser test's cost; the contexts
are what keeps tests apart (cookies, storage, cache), as a new browser would."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)


class SharedBrowser:
    """Call it for the browser: `with shared_chromium() as browser: ...`.

    Playwright's sync API keeps its event loop suspended in a greenlet of this thread and marks
    it as this thread's running loop between its calls. Inside `with sync_playwright()` that
    was so for the block only; here too: the mark is set on entering the block and cleared on
    leaving it, so the other tests of the session run their own event loops as before."""

    def __init__(self) -> None:
        self._manager: Any = None
        self._browser: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @contextmanager
    def __call__(self) -> Iterator[Any]:
        if self._loop is not None:
            asyncio._set_running_loop(self._loop)
        try:
            if self._browser is None or not self._browser.is_connected():
                self._start()
            yield self._browser
        finally:
            if self._browser is not None and self._browser.is_connected():
                for context in self._browser.contexts:
                    context.close()
            asyncio._set_running_loop(None)

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._stop()
        self._manager = sync_playwright()
        playwright = self._manager.__enter__()
        self._loop = asyncio.get_running_loop()
        self._browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )

    def _stop(self) -> None:
        manager, self._manager, self._browser = self._manager, None, None
        if manager is not None:
            manager.__exit__(None, None, None)
        self._loop = None
        asyncio._set_running_loop(None)

    def close(self) -> None:
        if self._loop is not None:
            asyncio._set_running_loop(self._loop)
        try:
            if self._browser is not None and self._browser.is_connected():
                self._browser.close()
            self._stop()
        finally:
            asyncio._set_running_loop(None)
