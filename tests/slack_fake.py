"""A local Slack Web API that answers like Slack and records every call the bot makes.

    with FakeSlack() as slack:                 # aiohttp on 127.0.0.1, in its own thread
        slack.add_user("U1", email="marie@ecole.be", name="Marie")
        settings.slack_api_url = slack.api_url  # SLACK_API_URL
        ...
        slack.wait_for("chat.postMessage")      # -> [Call(method, params, ...)]
        slack.sent()                            # messages: posts, ephemerals, updates, response_url

Failure injection: `slack.fail("chat.postMessage", "channel_not_found", times=1)`,
`slack.rate_limit("chat.postMessage", retry_after=1, times=1)` (HTTP 429 + Retry-After).
Also serves `response_url`s (`slack.response_url()`) and file upload URLs.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

TEAM_ID = "T0TEST"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.time)
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sent:
    """A message the bot showed someone, whatever the Web API method used."""

    kind: str  # "post", "ephemeral", "update", "response"
    channel: str | None
    text: str
    blocks: list[dict[str, Any]]
    ts: str | None = None
    thread_ts: str | None = None
    user: str | None = None
    replace_original: bool = False
    response_token: str | None = None

    def all_text(self) -> str:
        return "\n".join([self.text, *(block_text(b) for b in self.blocks)])

    def buttons(self) -> list[dict[str, Any]]:
        return [
            element
            for block in self.blocks
            if block.get("type") == "actions"
            for element in block.get("elements", [])
            if element.get("type") == "button"
        ]


def block_text(block: dict[str, Any]) -> str:
    """Every human-readable string of a Block Kit block, in order."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                parts.append(node["text"])
                return
            for key, value in node.items():
                if key not in ("confirm",):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(block)
    return "\n".join(parts)


class FakeSlack:
    def __init__(self, *, team_id: str = TEAM_ID, bot_user_id: str = BOT_USER_ID) -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = BOT_ID
        self.users: dict[str, dict[str, Any]] = {}
        self.members: dict[str, list[str]] = {}
        self.uploads: dict[str, bytes] = {}
        self.calls: list[Call] = []
        self.responses: list[Call] = []
        self._failures: dict[str, list[tuple[str, int | None]]] = {}
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sockets: list[web.WebSocketResponse] = []
        self.socket_acks: dict[str, dict[str, Any]] = {}
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, token: str | None = None) -> str:
        return f"{self.base_url}/response/{token or next(self._ids)}"

    def start(self) -> FakeSlack:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            app = web.Application(client_max_size=50 * 1024 * 1024)
            app.router.add_route("*", "/api/{method}", self._api)
            app.router.add_post("/response/{token}", self._response)
            app.router.add_post("/upload/{file_id}", self._upload)
            app.router.add_get("/socket", self._socket)
            self._runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-slack", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Slack did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            for ws in list(self._sockets):
                asyncio.run_coroutine_threadsafe(ws.close(), self._loop)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scenario set-up ---------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        email: str | None = None,
        name: str = "Test User",
        is_bot: bool = False,
    ) -> None:
        profile: dict[str, Any] = {"real_name": name, "display_name": name.split()[0]}
        if email is not None:
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name.lower().replace(" ", "."),
            "real_name": name,
            "is_bot": is_bot,
            "deleted": False,
            "profile": profile,
        }

    def set_members(self, channel: str, user_ids: list[str]) -> None:
        self.members[channel] = list(user_ids)

    def fail(self, method: str, error: str = "internal_error", *, times: int = 1) -> None:
        """The next `times` calls of `method` answer {"ok": false, "error": error}."""
        with self._lock:
            self._failures.setdefault(method, []).extend([(error, None)] * times)

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """The next `times` calls of `method` answer HTTP 429 with Retry-After."""
        with self._lock:
            self._failures.setdefault(method, []).extend([("ratelimited", retry_after)] * times)

    # -- inspection --------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()
            self.responses.clear()

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait until `count` matching calls were recorded (the bot answers after its ack)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [
                    c
                    for c in (*self.calls, *self.responses)
                    if c.method == method and (where is None or where(c))
                ]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} call(s) to {method}, got {len(found)}: "
                        f"{[c.method for c in self.calls]}"
                    )
                self._lock.wait(remaining)

    def sent(self) -> list[Sent]:
        """Messages shown to people, in the order the bot sent them."""
        with self._lock:
            calls = sorted([*self.calls, *self.responses], key=lambda c: c.at)
        return [s for s in (_as_sent(c) for c in calls) if s is not None]

    def wait_sent(self, text: str, timeout: float = 10.0) -> Sent:
        """Wait until a message shown to people contains `text` (the bot's answer may come
        after its ack, later than any quiet period on a loaded machine); the latest such."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [s for s in self.sent() if text in s.all_text()]
                if found:
                    return found[-1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no message containing {text!r} within {timeout} s")
                self._lock.wait(remaining)

    def wait_quiet(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until the bot has made no call for `quiet` seconds (its slow work is done)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                last = max((c.at for c in (*self.calls, *self.responses)), default=0.0)
                idle = time.time() - last
                remaining = deadline - time.monotonic()
                if idle >= quiet or remaining <= 0:
                    return
                # Woken by each call the bot makes, else when the quiet period is over.
                self._lock.wait(min(quiet - idle, remaining))

    # -- Socket Mode -------------------------------------------------------------------------

    def wait_socket(self, timeout: float = 20.0) -> None:
        """Wait until an app is connected over Socket Mode."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not self._sockets:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError("no Socket Mode connection")
                self._lock.wait(remaining)

    def socket_send(self, kind: str, payload: dict[str, Any], timeout: float = 10.0) -> dict:
        """Send an envelope ("slash_commands", "events_api", "interactive"); return the ack."""
        envelope_id = f"env-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        assert self._loop is not None
        sockets = list(self._sockets)
        asyncio.run_coroutine_threadsafe(sockets[-1].send_json(envelope), self._loop).result(5)
        deadline = time.monotonic() + timeout
        with self._lock:
            while envelope_id not in self.socket_acks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"envelope {envelope_id} was not acknowledged")
                self._lock.wait(remaining)
            return self.socket_acks[envelope_id]

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                "connection_info": {"app_id": "A0TEST"},
            }
        )
        with self._lock:
            self._sockets.append(ws)
            self._lock.notify_all()
        async for frame in ws:
            if frame.type.name != "TEXT":
                continue
            data = json.loads(frame.data)
            if "envelope_id" in data:
                with self._lock:
                    self.socket_acks[data["envelope_id"]] = data
                    self._lock.notify_all()
        with self._lock:
            if ws in self._sockets:
                self._sockets.remove(ws)
        return ws

    # -- HTTP handlers -----------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        body = await request.read()
        if body:
            ctype = request.content_type
            if ctype == "application/json":
                params.update(json.loads(body))
            elif ctype == "application/x-www-form-urlencoded":
                params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        for key in ("blocks", "view", "attachments", "files"):
            if isinstance(params.get(key), str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(params[key])
        return params

    def _record(self, call: Call, responses: bool = False) -> None:
        with self._lock:
            (self.responses if responses else self.calls).append(call)
            self._lock.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else params.get("token")
        with self._lock:
            queued = self._failures.get(method)
            failure = queued.pop(0) if queued else None
        call = Call(method, params, token)
        if failure is None:
            call.answer = self._answer(method, params)
        self._record(call)
        if failure is not None:
            error, retry_after = failure
            if retry_after is not None:
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(retry_after)},
                )
            return web.json_response({"ok": False, "error": error})
        return web.json_response(call.answer)

    async def _response(self, request: web.Request) -> web.Response:
        body = await request.read()
        payload = json.loads(body) if body else {}
        payload["_token"] = request.match_info["token"]
        self._record(Call("response_url", payload, None), responses=True)
        return web.json_response({"ok": True})

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            part = await reader.next()
            data = await part.read() if part is not None else b""  # type: ignore[union-attr]
        else:
            data = await request.read()
        with self._lock:
            self.uploads[file_id] = bytes(data)
        self._record(Call("upload", {"file_id": file_id, "size": len(data)}, None))
        return web.Response(text=f"OK - {len(data)}")

    def _next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        answers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._connections_open,
            "chat.postMessage": self._post_message,
            "chat.update": self._update_message,
            "chat.postEphemeral": self._post_ephemeral,
            "views.open": self._view,
            "views.update": self._view,
            "views.push": self._view,
            "views.publish": self._view,
            "conversations.open": self._open_conversation,
            "conversations.members": self._channel_members,
            "users.info": self._user_info,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }
        answer = answers.get(method)
        if answer is None:
            return {"ok": False, "error": "unknown_method"}
        return answer(params)

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake-workspace.slack.com/",
            "team": "Fake workspace",
            "user": "extranet-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel", ""))
        if channel.startswith("U"):
            channel = "D" + channel[1:]
        ts = self._next_ts()
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "message": {"text": params.get("text", ""), "ts": ts, "bot_id": self.bot_id},
        }

    def _update_message(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _view(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params.get("view") or {}
        return {"ok": True, "view": {**view, "id": f"V{next(self._ids):06d}", "hash": "h"}}

    def _open_conversation(self, params: dict[str, Any]) -> dict[str, Any]:
        users = str(params.get("users", "")).split(",")[0]
        return {"ok": True, "channel": {"id": "D" + users.removeprefix("U")}}

    def _channel_members(self, params: dict[str, Any]) -> dict[str, Any]:
        """One page of the members, as Slack pages them: `limit` (100 by default, at most
        1000) and an opaque `cursor` ("" on the last page)."""
        channel = str(params.get("channel", ""))
        if channel not in self.members:
            return {"ok": False, "error": "channel_not_found"}
        try:
            limit = min(int(params.get("limit") or 100), 1000)
            cursor = str(params.get("cursor") or "")
            start = int(base64.b64decode(cursor).decode().removeprefix("offset:")) if cursor else 0
        except ValueError:
            return {"ok": False, "error": "invalid_cursor"}
        members = self.members[channel]
        end = start + max(limit, 1)
        following = (
            base64.b64encode(f"offset:{end}".encode()).decode() if end < len(members) else ""
        )
        return {
            "ok": True,
            "members": members[start:end],
            "response_metadata": {"next_cursor": following},
        }

    def _user_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids):06d}"
        return {
            "ok": True,
            "upload_url": f"{self.base_url}/upload/{file_id}",
            "file_id": file_id,
        }

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files") or []
        return {
            "ok": True,
            "files": [{"id": f.get("id"), "title": f.get("title")} for f in files],
        }


def _as_sent(call: Call) -> Sent | None:
    p = call.params
    blocks = p.get("blocks") or []
    if call.method == "chat.postMessage":
        return Sent(
            "post",
            call.answer.get("channel", p.get("channel")),
            p.get("text", ""),
            blocks,
            ts=call.answer.get("ts"),
            thread_ts=p.get("thread_ts"),
        )
    if call.method == "chat.postEphemeral":
        return Sent("ephemeral", p.get("channel"), p.get("text", ""), blocks, user=p.get("user"))
    if call.method == "chat.update":
        return Sent("update", p.get("channel"), p.get("text", ""), blocks, ts=p.get("ts"))
    if call.method == "response_url":
        return Sent(
            "response",
            None,
            p.get("text", ""),
            blocks,
            replace_original=bool(p.get("replace_original")),
            response_token=p.get("_token"),
        )
    return None


def iter_buttons(sent: list[Sent]) -> Iterator[tuple[Sent, dict[str, Any]]]:
    for message in sent:
        for button in message.buttons():
            yield message, button
