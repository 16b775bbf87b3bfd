"""How long and how much a client may take to send a request, and what a client that goes
away mid-request leaves in the log.

uvicorn closes a connection idle between two requests (`timeout_keep_alive`) but waits
forever for a request's head or body sent a byte at a time: a few hundred such clients would
hold every connection. So:

- the head (request line and headers) must arrive within `header_seconds` of the connection
  or of the previous response: `protocol_with_header_timeout`, uvicorn's h11 protocol with a
  timer, answers 408 and closes;
- the head must stay under `max_head_bytes`: 414 when the request line alone is longer, else
  431, whether the head came in one piece (h11 then parses it whole, and
  `RequestLimitsMiddleware` measures it) or in several (h11 gives up on its buffer);
- the body must arrive within `body_seconds` of the head and stay under `max_body_bytes`:
  `RequestLimitsMiddleware` reads it with that deadline and answers 408 or 413;
- a client that disconnects while sending its request is not an application error: no
  ERROR, no traceback, one DEBUG line, and no answer (nobody is there to read it).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import h11
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.web import messages as msg

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpLimits:
    """Per-request limits; the defaults are what `extranet-bot serve` runs with."""

    header_seconds: float = 10.0
    body_seconds: float = 30.0
    keep_alive_seconds: int = 5
    # Forms and Slack payloads are a few KiB; nothing the app serves takes a file.
    max_body_bytes: int = 1024 * 1024
    # uvicorn's h11 default: the request line and headers together.
    max_head_bytes: int = 16 * 1024


def uvicorn_options(limits: HttpLimits) -> dict[str, Any]:
    """The uvicorn.run / uvicorn.Config keywords that apply `limits` to connections."""
    return {
        "http": protocol_with_header_timeout(limits.header_seconds, limits.max_head_bytes),
        "timeout_keep_alive": limits.keep_alive_seconds,
        "h11_max_incomplete_event_size": limits.max_head_bytes,
    }


def _plain(status: int, reason: str, text: str) -> bytes:
    body = text.encode("utf-8")
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode("ascii") + body


def _head_refusal(request_line_too_long: bool) -> tuple[int, str, str]:
    if request_line_too_long:
        return 414, "URI Too Long", msg.URI_TOO_LONG
    return 431, "Request Header Fields Too Large", msg.HEAD_TOO_LARGE


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, plus a deadline (`head_seconds`) for each request's head and
    the right refusal of a head over `max_head_bytes`."""

    head_seconds: float = 10.0
    max_head_bytes: int = HttpLimits.max_head_bytes
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._start_head_timer()

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._stop_head_timer()  # the head is in: the body has its own deadline

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._start_head_timer()  # the next request on this connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _start_head_timer(self) -> None:
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self.head_seconds, self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        log.debug("closed a connection whose request head took over %s s", self.head_seconds)
        self.transport.write(_plain(408, "Request Timeout", msg.REQUEST_TIMEOUT))
        self.transport.close()

    def send_400_response(self, message: str) -> None:
        # uvicorn answers 400 to every h11 error; a head that outgrew h11's buffer is no
        # malformed request but one too large, and answered as such.
        pending, _ = self.conn.trailing_data
        if len(pending) <= self.max_head_bytes:
            super().send_400_response(message)
            return
        status, reason, text = _head_refusal(b"\r\n" not in pending)
        log.info("refused a request head over %s bytes: answered %s", self.max_head_bytes, status)
        self.transport.write(_plain(status, reason, text))
        self.transport.close()


def protocol_with_header_timeout(
    seconds: float, max_head_bytes: int = HttpLimits.max_head_bytes
) -> type[H11Protocol]:
    """The protocol class uvicorn is given: `HeaderTimeoutProtocol` with these limits."""
    limits = {"head_seconds": seconds, "max_head_bytes": max_head_bytes}
    return type("HeaderTimeoutProtocol", (HeaderTimeoutProtocol,), limits)


class _BodyTimeout(Exception):
    pass


class _BodyTooLarge(Exception):
    pass


class RequestLimitsMiddleware:
    """Reads each request's body under a deadline and a size cap (408, 413), and answers
    nothing to a client that left while sending it."""

    def __init__(self, app: ASGIApp, *, limits: HttpLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        line, head = _head_size(scope)
        if head > self.limits.max_head_bytes:
            status, _, text = _head_refusal(line > self.limits.max_head_bytes)
            log.info("refused a request head over %s bytes: answered %s", head, status)
            await _answer(send, status, text)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limits.max_body_bytes:
            await _answer(send, 413, msg.REQUEST_TOO_LARGE)
            return
        reading = _Reading(
            asyncio.get_running_loop().time() + self.limits.body_seconds,
            receive_from=receive,
            send_to=send,
            max_bytes=self.limits.max_body_bytes,
        )
        await self._serve(scope, send, reading)

    async def _serve(self, scope: Scope, send: Send, reading: _Reading) -> None:
        try:
            await self.app(scope, reading.timed_receive, reading.watched_send)
        except _BodyTimeout:
            log.info("request body not in within %s s: answered 408", self.limits.body_seconds)
            if not reading.answered:
                await _answer(send, 408, msg.REQUEST_TIMEOUT)
        except _BodyTooLarge:
            if not reading.answered:
                await _answer(send, 413, msg.REQUEST_TOO_LARGE)
        except ClientDisconnect:
            if not reading.client_gone:
                raise
            log.debug("client disconnected while sending %s %s", scope["method"], scope["path"])


@dataclass
class _Reading:
    """One request's body as it arrives: its deadline, its size so far, the client's fate."""

    deadline: float
    receive_from: Receive
    send_to: Send
    max_bytes: int
    size: int = 0
    complete: bool = False
    client_gone: bool = False
    answered: bool = False

    async def timed_receive(self) -> Message:
        return await self.receive(self.receive_from, self.max_bytes)

    async def watched_send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.answered = True
        await self.send_to(message)

    async def receive(self, receive: Receive, max_bytes: int) -> Message:
        if self.complete:
            return await receive()  # after the body only a disconnect comes: no deadline
        remaining = max(self.deadline - asyncio.get_running_loop().time(), 0)
        try:
            message = await asyncio.wait_for(receive(), remaining)
        except TimeoutError:
            raise _BodyTimeout from None
        except OSError as error:
            self.client_gone = True
            raise ClientDisconnect from error
        if message["type"] == "http.disconnect":
            self.client_gone = True
        elif message["type"] == "http.request":
            self.size += len(message.get("body", b""))
            if self.size > max_bytes:
                raise _BodyTooLarge
            self.complete = not message.get("more_body", False)
        return message


def _head_size(scope: Scope) -> tuple[int, int]:
    """The request line's and the whole head's size in bytes, as the client sent them."""
    target = len(scope.get("raw_path") or scope["path"].encode()) + len(scope["query_string"])
    query_mark = 1 if scope["query_string"] else 0
    line = len(scope["method"]) + 1 + target + query_mark + len(" HTTP/1.1\r\n")
    headers = sum(len(name) + 2 + len(value) + 2 for name, value in scope["headers"])
    return line, line + headers + 2


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
