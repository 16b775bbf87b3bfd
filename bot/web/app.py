"""The one ASGI app: activation, sign-in and password pages, `/healthz`, and the Slack events
endpoint when the chat transport hands its handler in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from access.accounts import passwords
from access.accounts.passwords import HashingBusy
from access.mail import templates as mail
from access.persistence.database import Database
from bot.settings import Settings
from bot.web import account, faq_page, metrics, my_tickets, pages, situation, support
from bot.web.limits import HttpLimits, RequestLimitsMiddleware
from bot.web.request_id import RequestIdMiddleware
from bot.web.security import (
    SecurityHeadersMiddleware,
    SessionMiddleware,
    SignedInMiddleware,
    stored_secret,
)
from helpdesk.triage import EmailTriage, TriageNotifier
from migrations import is_at_head

log = logging.getLogger(__name__)

WEB_TEMPLATES = "web"

SlackHandler = Any  # slack_bolt's AsyncSlackRequestHandler, or any `async (Request) -> Response`


@lru_cache(maxsize=8)
def _environment(folder: Path) -> Environment:
    """One Jinja environment per templates folder and process: the apps a process builds
    share its compiled templates instead of compiling each page again."""
    env = Environment(
        loader=FileSystemLoader(str(folder)),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date_fr"] = mail.date_fr
    return env


def _templates(settings: Settings) -> Jinja2Templates:
    return Jinja2Templates(env=_environment(Path(settings.templates_dir) / WEB_TEMPLATES))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _slack_endpoint(handler: SlackHandler) -> Callable[[Request], Awaitable[Response]]:
    handle = getattr(handler, "handle", handler)

    async def slack_events(request: Request) -> Response:
        response: Response = await handle(request)
        return response

    return slack_events


def create_app(
    settings: Settings,
    db: Database,
    *,
    slack_handler: SlackHandler | None = None,
    run_worker: bool = False,
    triage: TriageNotifier | None = None,
    limits: HttpLimits | None = None,
) -> Starlette:
    """Build the app. `slack_handler` mounts `POST /slack/events`; `run_worker` runs the mail
    outbox worker inside this process (single-process mode); `triage` announces the tickets of
    the support form (the command that serves the app builds it; without one they are e-mailed
    to the help address); `limits` bounds each request's body (bot.web.limits)."""
    mail.preload(settings)
    passwords.preload()
    secret = (
        settings.session_secret.get_secret_value()
        if settings.session_secret is not None
        else stored_secret(db)
    )

    async def healthz(_request: Request) -> Response:
        def check() -> None:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))

        try:
            await run_in_threadpool(check)
        except Exception:
            log.exception("health check: database unreachable")
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        """Ready for traffic: the database answers and its schema is this code's."""
        try:
            current = await run_in_threadpool(is_at_head, db.engine)
        except Exception:
            log.exception("readiness check: database unreachable")
            return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
        if not current:
            log.warning("readiness check: migrations pending (run `extranet-bot db upgrade`)")
            return JSONResponse({"status": "error", "database": "migrations pending"}, 503)
        return JSONResponse({"status": "ready"})

    routes: list[Route | Mount] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics.metrics, methods=["GET"]),
        *support.routes(),
        *my_tickets.routes(),
        *faq_page.routes(),
        *pages.routes(),
        *account.routes(),
        *situation.routes(),
    ]
    if slack_handler is not None:
        routes.append(Route("/slack/events", _slack_endpoint(slack_handler), methods=["POST"]))
    static = Path(settings.templates_dir) / WEB_TEMPLATES / "static"
    routes.append(Mount("/static", StaticFiles(directory=str(static)), name="static"))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if not run_worker:
            yield
            return
        from access.mail import outbox

        stop = asyncio.Event()
        worker = asyncio.create_task(outbox.run_worker(settings, db, stop))
        log.info("mail outbox worker started in the web process")
        try:
            yield
        finally:
            stop.set()
            await worker

    https = settings.public_base_url.startswith("https://")
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(
                SecurityHeadersMiddleware,
                form_origin=_origin(settings.public_base_url),
                https=https,
            ),
            Middleware(RequestLimitsMiddleware, limits=limits or HttpLimits()),
            Middleware(SessionMiddleware, secret=secret, secure=https),
            Middleware(SignedInMiddleware, db=db),
        ],
        exception_handlers={404: pages.not_found, HashingBusy: pages.busy},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.triage = triage or EmailTriage(settings, db, reason="no triage notifier")
    app.state.templates = _templates(settings)
    return app
