"""The Bolt app: verifies, acknowledges at once, then hands the turn to a worker thread.

`build_slack_handler(settings, db)` is what the web app mounts at `POST /slack/events` (the
request's signature checked before Bolt reads it, see `bot.slack.endpoint`);
`build_slack_app` is also used by Socket Mode (`extranet-bot socket`).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from access.persistence.database import Database
from bot.conversation import load_features
from bot.conversation.links import claim_event, prune_events
from bot.conversation.router import Router
from bot.settings import Settings
from bot.slack.endpoint import SlackEndpoint
from bot.slack.transport import SlackTransport
from common import logs

log = logging.getLogger(__name__)

T = TypeVar("T")
PRUNE_EVERY = 500
ANY = re.compile(r".*")


class ConfigurationError(Exception):
    """A setting the Slack app needs is missing (English, for operators)."""


def _secret(value: Any, name: str) -> str:
    if value is None or not value.get_secret_value():
        raise ConfigurationError(f"{name} is not set")
    return str(value.get_secret_value())


def build_slack_app(
    settings: Settings,
    db: Database,
    *,
    router: Router | None = None,
    workers: int = 16,
    socket_mode: bool = False,
) -> AsyncApp:
    """The app; with socket_mode, requests come over Slack's WebSocket, which needs no
    signing secret (the app-level token authenticates the connection instead)."""
    token = _secret(settings.slack_bot_token, "SLACK_BOT_TOKEN")
    signing_secret = (
        "" if socket_mode else _secret(settings.slack_signing_secret, "SLACK_SIGNING_SECRET")
    )
    router = router or load_features()
    app = AsyncApp(
        client=_web_client(settings, token),
        signing_secret=signing_secret,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        name="extranet-bot",
    )
    transport = SlackTransport(settings, db, router)
    threads = _Threads(workers)
    app.middleware(_answer_each_event_once(db, threads))
    _add_listeners(app, transport, threads)
    return app


def _web_client(settings: Settings, token: str) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


class _Threads:
    """Runs a turn's blocking work (the database, the Web API) off the event loop."""

    def __init__(self, workers: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="slack-turn")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        # The thread logs under the event's request id (common/logs.py).
        context = contextvars.copy_context()
        return await loop.run_in_executor(self._executor, functools.partial(context.run, fn, *args))


def _answer_each_event_once(
    db: Database, threads: _Threads
) -> Callable[[dict[str, Any], Callable[[], Any]], Awaitable[BoltResponse | None]]:
    claimed = 0

    # Bolt passes the middleware's arguments by name: `body` and `next`.
    async def answer_each_event_once(
        body: dict[str, Any], next: Callable[[], Any]
    ) -> BoltResponse | None:
        nonlocal claimed
        if logs.current_request_id() == "-":  # over Socket Mode: no web request around it
            logs.set_request_id(logs.new_request_id(body.get("event_id")))
        # Slack retries a delivery it believes failed; Bolt does not deduplicate. The claim
        # is in the database, so a retry reaching another process is dropped too.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            if not await threads.run(claim_event, db, str(event_id)):
                log.info("event %s already handled; retry ignored", event_id)
                return BoltResponse(status=200, body="")
            claimed += 1
            if claimed % PRUNE_EVERY == 0:
                await threads.run(prune_events, db)
        await next()
        return None

    return answer_each_event_once


def _add_listeners(app: AsyncApp, transport: SlackTransport, threads: _Threads) -> None:
    """Each listener acknowledges first, then hands the turn to the transport on a thread."""

    @app.command(re.compile(r"^/"))
    async def on_command(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        await threads.run(transport.on_command, body)

    @app.event("message")
    async def on_message(event: dict[str, Any], context: AsyncBoltContext) -> None:
        await threads.run(transport.on_message, event, context.bot_user_id)

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], context: AsyncBoltContext) -> None:
        await threads.run(transport.on_message, event, context.bot_user_id)

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            await threads.run(transport.publish_home, event["user"])

    @app.action(ANY)
    async def on_action(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        await threads.run(transport.on_action, body)

    @app.view(ANY)
    async def on_view(ack: Any, body: dict[str, Any]) -> None:
        outcome = await threads.run(transport.on_view_submission, body)
        await ack(**outcome.ack)
        if outcome.replies:
            await threads.run(transport.deliver, outcome.origin, outcome.replies)

    @app.view_closed(ANY)
    async def on_view_closed(ack: Any) -> None:
        await ack()


def build_slack_handler(
    settings: Settings, db: Database, *, router: Router | None = None
) -> SlackEndpoint:
    """The Starlette handler of `POST /slack/events` (pass it to bot.web.app.create_app): it
    verifies the signature on the raw bytes before Bolt parses anything."""
    app = build_slack_app(settings, db, router=router)
    return SlackEndpoint(app, _secret(settings.slack_signing_secret, "SLACK_SIGNING_SECRET"))


async def run_socket_mode(
    settings: Settings, db: Database, stop: asyncio.Event | None = None
) -> None:
    """Serve the app over Socket Mode until `stop` is set (or forever)."""
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    app_token = _secret(settings.slack_app_token, "SLACK_APP_TOKEN")
    app = build_slack_app(settings, db, socket_mode=True)
    # apps.connections.open goes to SLACK_API_URL too (the tests' fake serves the WebSocket).
    handler = AsyncSocketModeHandler(
        app, app_token, web_client=AsyncWebClient(base_url=settings.slack_api_url)
    )
    await handler.connect_async()
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        await handler.close_async()
