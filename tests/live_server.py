"""uvicorn serving an app in a thread of the test process, started and stopped on events.

uvicorn's own loop looks at `should_exit` every 0.1 s and its shutdown sleeps 0.1 s more
before it waits for the connections in 0.1 s steps: about a quarter of a second per server,
which the hundreds of tests that serve the site paid each time. Here a stop request wakes the
server at once and the shutdown (same steps: stop listening, close the idle connections, let
the busy ones finish, then the app's shutdown) waits in short steps."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from typing import Any

import uvicorn

STARTUP_SECONDS = 60.0
# How long the busy connections get to finish their answer before they are cut.
GRACE_SECONDS = 15.0


class ThreadedServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="uvicorn-test", daemon=True)

    def start(self) -> None:
        """Serve in a thread of this process; returns once the server accepts connections."""
        self._thread.start()
        if not self._ready.wait(STARTUP_SECONDS) or not self.started:
            self.stop()
            raise RuntimeError("the web server did not start")

    def stop(self) -> None:
        self.should_exit = True
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # its loop already closed
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(STARTUP_SECONDS + GRACE_SECONDS)

    def _run(self) -> None:
        try:
            self.run()
        finally:
            self._ready.set()  # a failed start must not leave `start()` waiting

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        await super().startup(sockets=sockets)
        self._ready.set()

    async def main_loop(self) -> None:
        assert self._stop is not None
        # uvicorn's tick (the Date header once a second, `should_exit`), woken by `stop()`.
        while not await self.on_tick(0):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=1.0)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        state = self.server_state
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GRACE_SECONDS
        while (state.connections or state.tasks) and loop.time() < deadline:
            await asyncio.sleep(0.005)
        for task in state.tasks:
            task.cancel(msg="the test server stopped")
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()


@contextlib.contextmanager
def serving(app: Any, port: int, **options: Any) -> Any:
    """`app` served on 127.0.0.1:`port` (uvicorn.Config's `options`) while in the block."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options)
    server = ThreadedServer(config)
    server.start()
    try:
        yield server
    finally:
        server.stop()
