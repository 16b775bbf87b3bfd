"""`POST /slack/events`: bounded, verified, readable, and only then handed to Bolt.

Bolt's Starlette adapter decodes and parses the body (JSON, form, `payload=`) before its own
signature check runs, so unsigned bytes could reach its parsers and end as a 500 with a
traceback. Here nothing of the body is read until the signature holds: an unsigned request is
a 401 whatever its shape, a body over the size limit a 413, and a signed body Bolt cannot read
a 400. Bolt still verifies again, as a second lock.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from slack_bolt.adapter.starlette.async_handler import (
    to_async_bolt_request,
    to_starlette_response,
)
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.slack.verification import refusal

log = logging.getLogger(__name__)

# Slack's largest payloads (a modal's view with its state) stay far below this.
MAX_BODY_BYTES = 1024 * 1024
MEDIA_TYPES = ("application/json", "application/x-www-form-urlencoded")
_LENGTH = re.compile(r"[0-9]{1,20}")


class SlackEndpoint:
    """What the web app mounts at `POST /slack/events` (it calls `handle`)."""

    def __init__(
        self,
        app: AsyncApp,
        signing_secret: str,
        *,
        max_body: int = MAX_BODY_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self._secret = signing_secret
        self._max_body = max_body
        self._clock = clock

    async def handle(self, request: Request) -> Response:
        body = await _read_at_most(request, self._max_body)
        if body is None:
            log.info("Slack request refused (413): body over %d bytes", self._max_body)
            return _error(413, "request too large")
        reason = refusal(
            self._secret,
            request.headers.getlist("x-slack-request-timestamp"),
            request.headers.getlist("x-slack-signature"),
            body,
            self._clock(),
        )
        if reason is not None:
            log.info("Slack request refused (401): %s", reason)
            return _error(401, "invalid request")
        try:
            bolt_request = _bolt_request(request, body)
        except Unreadable as error:
            # Signed, so from Slack (or from someone holding the secret): worth a look.
            log.warning("signed Slack request refused (400): %s", error)
            return _error(400, "unreadable request")
        return to_starlette_response(await self.app.async_dispatch(bolt_request))


class Unreadable(Exception):
    """A signed body that is not what Slack sends (the reason, in English)."""


async def _read_at_most(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and _LENGTH.fullmatch(declared) and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _bolt_request(request: Request, body: bytes) -> AsyncBoltRequest:
    """Bolt's request for a body as Slack sends it: UTF-8 JSON or form, holding an object."""
    content_types = request.headers.getlist("content-type")
    if len(content_types) != 1:
        raise Unreadable("no content type, or several")
    if content_types[0].split(";")[0].strip().lower() not in MEDIA_TYPES:
        raise Unreadable("neither JSON nor a form")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8") from None
    try:
        bolt_request = to_async_bolt_request(request, body)
    except Exception as error:  # Bolt's parsing and context extraction, on an unexpected shape
        raise Unreadable(f"Bolt cannot parse it ({type(error).__name__})") from None
    if not isinstance(bolt_request.body, dict) or not bolt_request.body:
        raise Unreadable("not an object")
    return bolt_request


def _error(status: int, error: str) -> Response:
    return JSONResponse({"error": error}, status_code=status)
