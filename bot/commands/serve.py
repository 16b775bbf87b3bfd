from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import click

from bot.commands.context import AppContext, pass_app

if TYPE_CHECKING:
    from access.persistence.database import Database
    from bot.settings import Settings
    from bot.slack.endpoint import SlackEndpoint

log = logging.getLogger(__name__)


def slack_handler_if_configured(settings: Settings, db: Database) -> SlackEndpoint | None:
    """The Slack endpoint when its settings are there, else none (and say so)."""
    if not settings.slack_bot_token or not settings.slack_signing_secret:
        log.warning("Slack is off: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not both set")
        return None
    # Here, not at the top: Bolt's async stack (aiohttp with it) loads only when Slack is on.
    from bot.slack.app import build_slack_handler

    return build_slack_handler(settings, db)


@click.command(help="Serve HTTP: Slack events, activation, sign-in and password pages, /healthz.")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=None, help="Port (default: the PORT setting).")
@click.option(
    "--with-worker",
    is_flag=True,
    help="Also deliver the mail outbox in this process (single-process mode).",
)
@pass_app
def serve(app: AppContext, host: str, port: int | None, with_worker: bool) -> None:
    """The ASGI app with uvicorn: the Slack endpoint when Slack is configured, and the
    notifier that announces the support form's tickets."""
    from common import collector

    settings = app.settings
    with collector.startup():
        import uvicorn

        from bot.slack.triage import triage_notifier
        from bot.web.access_log import uvicorn_log_config
        from bot.web.app import create_app
        from bot.web.limits import HttpLimits, uvicorn_options
        from bot.web.metrics import serve_on_own_port

        db = app.database()
        limits = HttpLimits()
        asgi_app = create_app(
            settings,
            db,
            slack_handler=slack_handler_if_configured(settings, db),
            run_worker=with_worker,
            triage=triage_notifier(settings, db),
            limits=limits,
        )
        serve_on_own_port(settings, db)
    # proxy_headers: behind the platform's router the client address comes from
    # X-Forwarded-For (uvicorn trusts it only from FORWARDED_ALLOW_IPS, 127.0.0.1 by default).
    # uvicorn_options: slow clients are cut off (head, body, keep-alive; bot/web/limits.py).
    uvicorn.run(
        asgi_app,
        host=host,
        port=port or settings.port,
        proxy_headers=True,
        log_level="info",
        log_config=uvicorn_log_config(settings.log_format),
        **uvicorn_options(limits),
    )
