"""The outbox worker's loop (`run_worker`) in a thread of the test process, with its own
event loop, stopped as the Procfile's worker is on SIGTERM."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from access.mail.outbox import run_worker
from access.persistence.database import Database
from bot.settings import Settings


@contextmanager
def outbox_worker(settings: Settings, db: Database) -> Iterator[None]:
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(run_worker(settings, db, stop))

    thread = threading.Thread(target=serve, name="outbox-worker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(60)
        assert not thread.is_alive(), "the outbox worker did not stop"
        loop.close()
