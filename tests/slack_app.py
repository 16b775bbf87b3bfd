"""The real Slack app served over HTTP on loopback, for end-to-end tests.

with FakeSlack() as fake, serve_slack(settings, db, fake) as slack:
    fake.add_user("U1", email="marie@ecole.be")
    slack.command("U1", "/extranet")          # signed as Slack signs
    fake.wait_for("chat.postMessage")
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import SecretStr
from starlette.applications import Starlette

from access.persistence.database import Database
from bot.conversation.router import Router
from bot.settings import Settings
from bot.slack.app import build_slack_handler
from bot.web.app import create_app
from tests.conftest import TLS, free_port
from tests.live_server import serving
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack

SIGNING_SECRET = "test-signing-secret"


def slack_settings(settings: Settings, fake: FakeSlack, **extra: Any) -> Settings:
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr("xoxb-test-token"),
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_api_url": fake.api_url,
            **extra,
        }
    )


def _asgi_app(settings: Settings, db: Database, router: Router | None) -> Starlette:
    handler = build_slack_handler(settings, db, router=router)
    return create_app(settings, db, slack_handler=handler)


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    with serving(app, free_port(), lifespan="off") as server:
        yield f"http://127.0.0.1:{server.config.port}"


@contextmanager
def serve_slack(
    settings: Settings, db: Database, fake: FakeSlack, *, router: Router | None = None, **extra: Any
) -> Iterator[SlackClient]:
    app_settings = slack_settings(settings, fake, **extra)
    with serve_app(_asgi_app(app_settings, db, router)) as url:
        client = SlackClient(url, SIGNING_SECRET, fake)
        try:
            yield client
        finally:
            client.close()


@contextmanager
def serve_process(env: dict[str, str], log: Any = None) -> Iterator[str]:
    """`extranet-bot serve` in its own process on a free port, its output to `log` (an open
    file) or nowhere; yields its base URL once it answers."""
    import subprocess
    import sys

    import httpx

    from tests.conftest import REPO_ROOT

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log or subprocess.DEVNULL,
        stderr=log or subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Generous: on a loaded machine starting Python and the app can take long; a crashed
        # process is seen at once (poll).
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", verify=TLS).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("extranet-bot serve did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(20)
