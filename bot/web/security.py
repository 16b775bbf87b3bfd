"""Cookies, sessions, CSRF and response headers of the web pages.

The cookie is signed (itsdangerous), like Starlette's SessionMiddleware, with one difference
the sign-in page needs: « Se souvenir de moi » makes it a persistent cookie, otherwise it is
a browser-session cookie. Who is signed in is not in the cookie: it holds the secret of a
session kept on the server (`access.accounts.sessions`), checked on every request by
`SignedInMiddleware`, so signing out ends the session even for a copy of the cookie.
Every form carries the session's CSRF token and every POST checks it (synchronizer token:
the cookie is HttpOnly and SameSite=Lax, the token is only ever put in our own pages).
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from access.accounts import sessions
from access.persistence.database import Base, Database, insert_unless_present

COOKIE_NAME = "extranet_session"
REMEMBER_SECONDS = 30 * 24 * 3600
BROWSER_SESSION_SECONDS = 12 * 3600
CSRF_FIELD = "csrf_token"
SESSION_SECRET_NAME = "session_secret"
# Keys of the cookie: the server-side session's secret, and « Se souvenir de moi ».
SIGNED_IN = "sid"
REMEMBER = "remember"
# Why the cookie no longer signs anyone in: a `sessions.Ended` value, or SIGNED_OUT; the
# sign-in page tells the person (pages.SIGNIN_REASONS).
ENDED = "ended"
SIGNED_OUT = "signed_out"
# Where SignedInMiddleware puts the signed-in person's id (None: nobody) for the pages.
PERSON_ID = "extranet.person_id"
# Paths that never show who is signed in: no session lookup for them.
NO_SESSION_PATHS = ("/static/", "/healthz", "/readyz", "/metrics", "/slack/", "/favicon.ico")
HSTS = "max-age=31536000; includeSubDomains"


class AppSecret(Base):
    """Secrets the product makes for itself when the operator gave none (table from 0002)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


def stored_secret(db: Database, name: str = SESSION_SECRET_NAME) -> str:
    """The secret kept in the database, created on first use.

    Kept in the database rather than in a file so every web process of a deployment signs
    and accepts the same cookies, and a restart signs nobody out.
    """
    with db.transaction() as session:
        insert_unless_present(
            session, AppSecret.__table__, name=name, value=secrets.token_urlsafe(48)
        )  # another process may have written it first: then theirs is kept
        value = session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    assert value
    return value


class SessionMiddleware:
    """Puts the signed session dict in `scope["session"]` and writes it back when changed."""

    def __init__(self, app: ASGIApp, *, secret: str, secure: bool) -> None:
        self.app = app
        self.serializer = URLSafeTimedSerializer(secret, salt="extranet-session")
        self.secure = secure

    def _load(self, raw: str | None) -> dict[str, Any]:
        if not raw:
            return {}
        try:
            data = self.serializer.loads(raw, max_age=REMEMBER_SECONDS)
        except BadSignature:
            return {}
        if not isinstance(data, dict):
            return {}
        if not data.get(REMEMBER) and time.time() - float(data.get("since", 0)) > (
            BROWSER_SESSION_SECONDS
        ):
            return {}
        return data

    def _cookie(self, data: Mapping[str, Any]) -> str:
        attributes = ["Path=/", "HttpOnly", "SameSite=Lax"]
        if self.secure:
            attributes.append("Secure")
        if not data:
            return "; ".join([f"{COOKIE_NAME}=", "Max-Age=0", *attributes])
        if data.get(REMEMBER):
            attributes.append(f"Max-Age={REMEMBER_SECONDS}")
        value = self.serializer.dumps(dict(data))
        assert isinstance(value, str)
        return "; ".join([f"{COOKIE_NAME}={value}", *attributes])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        had_cookie = COOKIE_NAME in HTTPConnection(scope).cookies
        session = self._load(HTTPConnection(scope).cookies.get(COOKIE_NAME))
        scope["session"] = session
        before = json.dumps(session, sort_keys=True)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                current = scope["session"]
                changed = json.dumps(current, sort_keys=True) != before
                if changed and (current or had_cookie):
                    if current and "since" not in current:
                        current["since"] = time.time()
                    MutableHeaders(scope=message).append("Set-Cookie", self._cookie(current))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (so GET pages with a form set a cookie)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
        request.session.setdefault("since", time.time())
    return str(token)


def csrf_valid(request: Request, submitted: object) -> bool:
    expected = request.session.get("csrf")
    return (
        isinstance(submitted, str)
        and bool(expected)
        and hmac.compare_digest(submitted.encode(), str(expected).encode())
    )


def start_signed_in_session(request: Request, *, secret: str, remember: bool) -> None:
    """A fresh cookie on sign-in: a new CSRF token too, so nothing planted before survives."""
    request.session.clear()
    request.session.update(
        {
            SIGNED_IN: secret,
            REMEMBER: remember,
            "since": time.time(),
            "csrf": secrets.token_urlsafe(32),
        }
    )


def session_secret(request: Request) -> str | None:
    """The secret of the server-side session this browser holds, if any."""
    secret = request.session.get(SIGNED_IN)
    return secret if isinstance(secret, str) else None


def forget_signed_in(session: dict[str, Any], why: str | None = None) -> None:
    """Drop the sign-in from the cookie, keeping its CSRF token (a form being typed survives),
    and `why` it ended, for the sign-in page."""
    session.pop(SIGNED_IN, None)
    session.pop(REMEMBER, None)
    if why is not None:
        session[ENDED] = why


def signed_out(request: Request) -> None:
    """Sign-out: a fresh cookie that only remembers the person chose to leave."""
    request.session.clear()
    request.session[ENDED] = SIGNED_OUT


def why_signed_out(request: Request) -> str | None:
    """Why this browser is no longer signed in (None: it never was, as far as it says)."""
    why = request.session.get(ENDED)
    return why if isinstance(why, str) else None


def replace_session_secret(request: Request, secret: str | None) -> None:
    """The server renewed this browser's session (a new password): the cookie follows, its
    CSRF token kept so that other open tabs still work. None: the session ended."""
    if secret is None:
        forget_signed_in(request.session)
    else:
        request.session[SIGNED_IN] = secret


def signed_in_person_id(request: Request) -> int | None:
    """The person signed in on this request, as checked against the server."""
    person_id = request.scope.get(PERSON_ID)
    return person_id if isinstance(person_id, int) else None


class SignedInMiddleware:
    """Checks the cookie's session on the server before every page: a session that ended
    (signed out, on every device, password changed, idle, too old, account disabled) signs
    nobody in, and its secret is dropped from the cookie. Runs inside `SessionMiddleware`."""

    def __init__(self, app: ASGIApp, *, db: Database) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[PERSON_ID] = await self._person(scope)
        await self.app(scope, receive, send)

    async def _person(self, scope: Scope) -> int | None:
        cookie: dict[str, Any] = scope["session"]
        secret = cookie.get(SIGNED_IN)
        if not isinstance(secret, str) or str(scope.get("path", "")).startswith(NO_SESSION_PATHS):
            return None
        check = await run_in_threadpool(self.db.call, sessions.check_session, secret)
        if check.person_id is None:
            forget_signed_in(cookie, check.ended.value if check.ended else None)
        return check.person_id


class SecurityHeadersMiddleware:
    """Headers every page gets: nothing cached, no referrer (links carry secrets), no framing;
    over https, HSTS (browsers then never use plain http for the site, for a year)."""

    def __init__(self, app: ASGIApp, *, form_origin: str, https: bool = False) -> None:
        self.app = app
        self.https = https
        # Scripts only from our own files (the support form's FAQ answers as one types).
        self.policy = (
            "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "
            f"connect-src 'self' {form_origin}; "
            f"form-action 'self' {form_origin}; frame-ancestors 'none'; base-uri 'none'"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Content-Security-Policy", self.policy)
                if self.https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
