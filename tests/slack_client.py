"""Requests to the bot's `POST /slack/events`, signed exactly as Slack signs them.

Slack sends `X-Slack-Request-Timestamp` and `X-Slack-Signature: v0=<hex>` where hex is
HMAC-SHA256(signing secret, "v0:<timestamp>:<raw body>"). Slash commands and interactive
payloads are form-encoded (`payload=<json>` for interactivity); Events API deliveries are
JSON with an `event_id`, and retries carry `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.conftest import TLS
from tests.slack_fake import TEAM_ID, FakeSlack, Sent

API_APP_ID = "A0TEST"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def dm_channel(user_id: str) -> str:
    """The fake's id of the bot's DM with a user (as `conversations.open` answers)."""
    return "D" + user_id.removeprefix("U")


class SlackClient:
    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        fake: FakeSlack,
        *,
        team_id: str = TEAM_ID,
        path: str = "/slack/events",
    ) -> None:
        self.url = app_url.rstrip("/") + path
        self.secret = signing_secret
        self.fake = fake
        self.team_id = team_id
        # Slack's side gives up an idle connection before the server does (its keep-alive is
        # 5 s): reusing one the server is closing gets a reset, not an answer.
        self.http = httpx.Client(verify=TLS, timeout=30, limits=httpx.Limits(keepalive_expiry=1.0))
        self._ids = itertools.count(1)

    def close(self) -> None:
        self.http.close()

    # -- raw ---------------------------------------------------------------------------------

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: str | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
        signed: bool = True,
    ) -> httpx.Response:
        ts = timestamp or str(int(time.time()))
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if signed:
            all_headers["X-Slack-Request-Timestamp"] = ts
            all_headers["X-Slack-Signature"] = signature(secret or self.secret, ts, body)
        return self.http.post(self.url, content=body, headers=all_headers)

    def post_form(self, fields: dict[str, str], **kwargs: Any) -> httpx.Response:
        return self.post(urlencode(fields).encode(), "application/x-www-form-urlencoded", **kwargs)

    def post_payload(self, payload: dict[str, Any], **kwargs: Any) -> httpx.Response:
        return self.post_form({"payload": json.dumps(payload)}, **kwargs)

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    # -- slash commands ----------------------------------------------------------------------

    def command(
        self,
        user_id: str,
        command: str,
        text: str = "",
        *,
        channel_id: str | None = None,
        **kw: Any,
    ) -> httpx.Response:
        return self.post_form(self.command_payload(user_id, command, text, channel_id), **kw)

    def command_payload(
        self, user_id: str, command: str, text: str = "", channel_id: str | None = None
    ) -> dict[str, str]:
        """A slash command as Slack sends it (form fields; the Socket Mode payload too)."""
        return {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": "fake",
            "channel_id": channel_id or dm_channel(user_id),
            "channel_name": "directmessage",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(self._id("cmd")),
            "trigger_id": self._id("trigger."),
        }

    # -- Events API --------------------------------------------------------------------------

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **kw: Any,
    ) -> httpx.Response:
        body = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "api_app_id": API_APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self._id("Ev"),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": self.team_id,
                    "user_id": self.fake.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
        headers = dict(kw.pop("headers", {}) or {})
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return self.post(json.dumps(body).encode(), "application/json", headers=headers, **kw)

    def message(
        self,
        user_id: str,
        text: str,
        *,
        channel: str | None = None,
        thread_ts: str | None = None,
        event_id: str | None = None,
        **kw: Any,
    ) -> httpx.Response:
        channel = channel or dm_channel(user_id)
        event: dict[str, Any] = {
            "type": "message",
            "user": user_id,
            "text": text,
            "ts": f"{time.time():.6f}",
            "channel": channel,
            "channel_type": "im" if channel.startswith("D") else "channel",
            "event_ts": f"{time.time():.6f}",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event, event_id=event_id, **kw)

    def mention(
        self, user_id: str, text: str, *, channel: str = "C0GENERAL", **kw: Any
    ) -> httpx.Response:
        event = {
            "type": "app_mention",
            "user": user_id,
            "text": f"<@{self.fake.bot_user_id}> {text}",
            "ts": f"{time.time():.6f}",
            "channel": channel,
            "event_ts": f"{time.time():.6f}",
        }
        return self.event(event, **kw)

    def open_home(self, user_id: str, **kw: Any) -> httpx.Response:
        event = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": dm_channel(user_id),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        return self.event(event, **kw)

    # -- interactivity -----------------------------------------------------------------------

    def press(self, user_id: str, sent: Sent, label: str, **kw: Any) -> httpx.Response:
        """Press the button labelled `label` in a message the bot sent."""
        for button in sent.buttons():
            if button["text"]["text"] == label:
                return self.block_actions(user_id, button, sent, **kw)
        labels = [b["text"]["text"] for b in sent.buttons()]
        raise AssertionError(f"no button {label!r} in message; buttons: {labels}")

    def block_actions(
        self, user_id: str, button: dict[str, Any], sent: Sent | None = None, **kw: Any
    ) -> httpx.Response:
        channel = (sent.channel if sent else None) or dm_channel(user_id)
        message_ts = (sent.ts if sent else None) or f"{time.time():.6f}"
        container: dict[str, Any] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": bool(sent and sent.kind in ("ephemeral", "response")),
        }
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "api_app_id": API_APP_ID,
            "token": "legacy-verification-token",
            "container": container,
            "trigger_id": self._id("trigger."),
            "team": {"id": self.team_id, "domain": "fake"},
            "channel": {"id": channel, "name": "directmessage"},
            "response_url": self.fake.response_url(self._id("act")),
            "actions": [
                {
                    "action_id": button["action_id"],
                    "block_id": button.get("block_id", "b"),
                    "text": button["text"],
                    "value": button.get("value", ""),
                    "type": "button",
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if sent is not None and sent.kind in ("post", "update"):
            payload["message"] = {"ts": message_ts, "text": sent.text, "blocks": sent.blocks}
        return self.post_payload(payload, **kw)

    def submit_view(
        self, user_id: str, view: dict[str, Any], values: dict[str, Any], **kw: Any
    ) -> httpx.Response:
        """Submit a modal the bot opened, filling its inputs by block_id (the field name)."""
        state: dict[str, dict[str, Any]] = {}
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            element = block["element"]
            name = block["block_id"]
            raw = values.get(name, _initial(element))
            state[name] = {element["action_id"]: _element_value(element, raw)}
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "fake"},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "api_app_id": API_APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": self._id("trigger."),
            "view": {
                **view,
                "id": view.get("id", self._id("V")),
                "team_id": self.team_id,
                "state": {"values": state},
                "hash": "h",
            },
            "response_urls": [],
        }
        return self.post_payload(payload, **kw)


def _initial(element: dict[str, Any]) -> Any:
    if "initial_value" in element:
        return element["initial_value"]
    if "initial_date" in element:
        return element["initial_date"]
    if "initial_option" in element:
        return element["initial_option"]["value"]
    if "initial_options" in element:
        return [o["value"] for o in element["initial_options"]]
    return None


def _element_value(element: dict[str, Any], raw: Any) -> dict[str, Any]:
    kind = element["type"]
    if kind == "datepicker":
        return {"type": kind, "selected_date": raw}
    if kind == "static_select":
        option = next((o for o in element.get("options", []) if o["value"] == raw), None)
        return {"type": kind, "selected_option": option}
    if kind == "multi_static_select":
        chosen = [o for o in element.get("options", []) if o["value"] in (raw or [])]
        return {"type": kind, "selected_options": chosen}
    return {"type": kind, "value": raw}
