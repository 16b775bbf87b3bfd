"""Many visitors at once: each opens the page in its own browser (its own CSRF session),
then all submit together, as a botnet or a crowd on Monday morning would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.web.conftest import Site, csrf_of


def submit_together(
    site: Site,
    path: str,
    forms: list[dict[str, str]],
    *,
    headers: Callable[[int], dict[str, str]] | None = None,
) -> list[httpx.Response]:
    """POST `forms[n]` to `path` from visitor n, all released at the same moment."""
    browsers = [site.client() for _ in forms]
    try:
        tokens = [csrf_of(browser.get(path)) for browser in browsers]
        barrier = threading.Barrier(len(forms))

        def post(n: int) -> httpx.Response:
            barrier.wait()
            return browsers[n].post(
                path,
                data={"csrf_token": tokens[n], **forms[n]},
                headers=headers(n) if headers is not None else None,
            )

        with ThreadPoolExecutor(len(forms)) as pool:
            return list(pool.map(post, range(len(forms))))
    finally:
        for browser in browsers:
            browser.close()


class CallCounter:
    """Wraps a function to count its calls and the most that ran at the same time."""

    def __init__(self, function: Callable[..., object]) -> None:
        self.function = function
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def __call__(self, *args: object, **kwargs: object) -> object:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            return self.function(*args, **kwargs)
        finally:
            with self._lock:
                self.running -= 1
