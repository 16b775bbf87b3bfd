"""The app as operators meet it: health check, session secret, Slack mount, single-process
mode, `extranet-bot serve`."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import httpx
from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from access.persistence.database import Database
from bot.settings import Settings
from bot.web.app import create_app
from bot.web.security import COOKIE_NAME, stored_secret
from tests.conftest import TLS, ServedWithSlack, free_port
from tests.slack_app import SIGNING_SECRET
from tests.slack_client import signature
from tests.smtp_server import SmtpServer
from tests.web.conftest import (
    GOOD_PASSWORD,
    LiveServer,
    Served,
    invitation_token,
    invited_person,
    submit,
)


async def _get(app: object, path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path, **kwargs)  # type: ignore[arg-type]


async def test_healthz_answers_503_when_the_database_is_unreachable(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    broken = Database(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    assert (await _get(create_app(settings, db), "/healthz")).status_code == 200
    dead = create_app(settings.model_copy(update={"session_secret": SecretStr("s")}), broken)
    answer = await _get(dead, "/healthz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "error"


async def test_cookies_are_secure_when_the_public_url_is_https(
    settings: Settings, db: Database
) -> None:
    secure = settings.model_copy(update={"public_base_url": "https://extranet.example"})
    page = await _get(create_app(secure, db), "/connexion")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert 'action="https://extranet.example/connexion"' in page.text


async def test_apps_share_the_compiled_pages_of_one_templates_folder(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    one = create_app(settings, db)
    other = settings.model_copy(update={"public_base_url": "https://extranet.example"})
    two = create_app(other, db)
    assert 'action="https://extranet.example/connexion"' in (await _get(two, "/connexion")).text
    compiled = one.state.templates.get_template("signin.html")
    assert two.state.templates.get_template("signin.html") is compiled

    data = tmp_path / "data"
    shutil.copytree(settings.templates_dir, data / "templates")
    base = data / "templates" / "web" / "base.html"
    base.write_text(base.read_text("utf-8").replace("</body>", "copie locale</body>"), "utf-8")
    edited = create_app(settings.model_copy(update={"data_dir": data}), db)
    assert "copie locale" in (await _get(edited, "/connexion")).text
    assert "copie locale" not in (await _get(one, "/connexion")).text


def test_without_session_secret_one_is_generated_once_and_shared(db: Database) -> None:
    first = stored_secret(db)
    assert len(first) >= 40
    assert stored_secret(db) == first


async def test_a_cookie_signed_with_another_secret_is_ignored(
    settings: Settings, db: Database
) -> None:
    one = create_app(settings.model_copy(update={"session_secret": SecretStr("one")}), db)
    two = create_app(settings.model_copy(update={"session_secret": SecretStr("two")}), db)
    page = await _get(one, "/connexion")
    cookie = page.cookies[COOKIE_NAME]
    transport = httpx.ASGITransport(app=two)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        client.cookies.set(COOKIE_NAME, cookie)
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        answer = await client.post(
            "/connexion", data={"csrf_token": csrf, "username": "a@b.c", "password": "x"}
        )
    assert answer.status_code == 403


async def test_the_slack_handler_gets_post_slack_events(settings: Settings, db: Database) -> None:
    seen: list[bytes] = []

    class FakeHandler:
        async def handle(self, request: Request) -> Response:
            seen.append(await request.body())
            return JSONResponse({"challenge": "abc"})

    app = create_app(settings, db, slack_handler=FakeHandler())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answer = await client.post("/slack/events", content=b'{"type":"url_verification"}')
    assert answer.json() == {"challenge": "abc"}
    assert seen == [b'{"type":"url_verification"}']
    without = create_app(settings, db)
    transport = httpx.ASGITransport(app=without)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.post("/slack/events", content=b"{}")).status_code == 404


def test_single_process_mode_delivers_mail_without_a_separate_worker(
    settings: Settings, db: Database
) -> None:
    port = free_port()
    with SmtpServer() as smtp:
        live = settings.model_copy(
            update={
                **smtp.settings_update(),
                "public_base_url": f"http://127.0.0.1:{port}",
                "outbox_poll_seconds": 0.1,
            }
        )
        person_id = invited_person(db)
        token = invitation_token(db, person_id)
        with LiveServer(create_app(live, db, run_worker=True), port) as server:
            with httpx.Client(verify=TLS, base_url=server.url) as browser:
                done = submit(
                    browser,
                    f"/activer/{token}",
                    {"password": GOOD_PASSWORD, "password_confirmation": GOOD_PASSWORD},
                )
            assert done.status_code == 200
            (mail,) = smtp.wait_for(1, timeout=15)
        assert mail.rcpt_tos == ["marie.curie@example.org"]


def test_serve_command_serves_http_on_the_given_port(served: Served) -> None:
    assert httpx.get(f"{served.url}/healthz", verify=TLS, timeout=5).status_code == 200
    page = httpx.get(f"{served.url}/connexion", verify=TLS, timeout=5)
    assert page.status_code == 200 and "Se souvenir de moi" in page.text
    # Without Slack settings, nothing answers for Slack.
    answer = httpx.post(f"{served.url}/slack/events", verify=TLS, content=b"{}", timeout=5)
    assert answer.status_code == 404


def test_serve_command_mounts_slack_events_when_slack_is_configured(
    served_with_slack: ServedWithSlack,
) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c-123"}).encode()
    stamp = str(int(time.time()))
    answer = httpx.post(
        f"{served_with_slack.url}/slack/events",
        verify=TLS,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(SIGNING_SECRET, stamp, body),
        },
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.json() == {"challenge": "c-123"}


def test_the_access_log_never_shows_a_secret_link(served: Served) -> None:
    secret = "s3cr3t-link-token-that-must-not-leak"
    already = served.log.stat().st_size  # what the process logged for other tests
    for path in (f"/activer/{secret}", f"/reinitialiser/{secret}?x=1"):
        assert httpx.get(f"{served.url}{path}", verify=TLS, timeout=5).status_code == 404
    assert httpx.get(f"{served.url}/connexion", verify=TLS, timeout=5).status_code == 200
    written = logged_since(served.log, already, "GET /connexion")
    assert "GET /connexion" in written  # the access log is on...
    assert "GET /activer/…" in written
    assert "GET /reinitialiser/…?x=1" in written
    assert secret not in served.log.read_text(encoding="utf-8", errors="replace")  # ...never


def logged_since(log: Path, offset: int, last: str, timeout: float = 15) -> str:
    """What the process wrote to `log` after `offset`, once `last` is in it (the access log
    line is written just after the answer is sent)."""
    deadline = time.monotonic() + timeout
    while True:
        with log.open("rb") as file:
            file.seek(offset)
            written = file.read().decode("utf-8", errors="replace")
        if last in written or time.monotonic() > deadline:
            return written
        time.sleep(0.02)
