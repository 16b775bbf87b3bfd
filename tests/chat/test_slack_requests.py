"""`POST /slack/events` under attack: whatever the headers and the body, an unsigned request gets
401, a signed one that cannot be read gets 400, never a 500 nor a traceback in the log; the
real app over HTTP, with the fake Web API to prove nothing reached the bot."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator

import httpx
import pytest

from access.persistence.database import Database
from bot.conversation.links import ProcessedEvent
from bot.settings import Settings
from bot.slack.verification import refusal
from tests.chat.toy import toy_router
from tests.slack_app import SIGNING_SECRET, serve_slack
from tests.slack_client import SlackClient, dm_channel, signature
from tests.slack_fake import FakeSlack

USER = "U100"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
Headers = list[tuple[str, str | bytes]]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.add_user(USER, email="nobody@example.org", name="Personne Inconnue")
        yield slack


@pytest.fixture
def slack(settings: Settings, db: Database, fake: FakeSlack) -> Iterator[SlackClient]:
    with serve_slack(settings, db, fake, router=toy_router()) as client:
        yield client


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def alarms(self) -> list[str]:
        """Tracebacks and errors: what an operator would be paged for."""
        return [
            f"{r.name}: {r.getMessage()}"
            for r in self.records
            if r.exc_info or r.levelno >= logging.ERROR
        ]


@pytest.fixture
def logged(slack: SlackClient) -> Iterator[Records]:
    # uvicorn's own loggers do not propagate to the root: listen to both.
    handler = Records()
    loggers = [logging.getLogger(), logging.getLogger("uvicorn")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def _now() -> str:
    return str(int(time.time()))


def _event_body(event_id: str = "Ev-attack") -> bytes:
    event = {
        "type": "message",
        "user": USER,
        "text": "bonjour",
        "ts": f"{time.time():.6f}",
        "channel": dm_channel(USER),
        "channel_type": "im",
    }
    body = {"type": "event_callback", "team_id": "T0TEST", "event_id": event_id, "event": event}
    return json.dumps(body).encode()


def _post(slack: SlackClient, body: bytes, headers: Headers) -> httpx.Response:
    return slack.http.post(slack.url, content=body, headers=headers)


def _signed(body: bytes, timestamp: str | None = None) -> Headers:
    timestamp = timestamp or _now()
    return [
        ("X-Slack-Request-Timestamp", timestamp),
        ("X-Slack-Signature", signature(SIGNING_SECRET, timestamp, body)),
    ]


def _hex(timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


SOME_SIGNATURE = "v0=" + "0" * 64


def _bad_headers() -> dict[str, Headers]:
    """Header shapes an attacker (or a broken proxy) sends, none of them signed as Slack signs."""
    body = _event_body()
    now = _now()
    good = _hex(now, body)
    return {
        "non-numeric timestamp": [
            ("X-Slack-Request-Timestamp", "abc"),
            ("X-Slack-Signature", SOME_SIGNATURE),
        ],
        "no timestamp": [("X-Slack-Signature", SOME_SIGNATURE)],
        "no signature": [("X-Slack-Request-Timestamp", now)],
        "no headers at all": [],
        "empty timestamp": [
            ("X-Slack-Request-Timestamp", ""),
            ("X-Slack-Signature", SOME_SIGNATURE),
        ],
        "empty signature": [("X-Slack-Request-Timestamp", now), ("X-Slack-Signature", "")],
        "timestamp of 5000 digits": [
            ("X-Slack-Request-Timestamp", "9" * 5000),
            ("X-Slack-Signature", SOME_SIGNATURE),
        ],
        "timestamp of 40 digits": [
            ("X-Slack-Request-Timestamp", "1" * 40),
            ("X-Slack-Signature", SOME_SIGNATURE),
        ],
        "negative timestamp": [
            ("X-Slack-Request-Timestamp", f"-{now}"),
            ("X-Slack-Signature", SOME_SIGNATURE),
        ],
        "float timestamp": [
            ("X-Slack-Request-Timestamp", f"{time.time():.3f}"),
            ("X-Slack-Signature", SOME_SIGNATURE),
        ],
        "non-ASCII timestamp": [
            ("X-Slack-Request-Timestamp", "١٧٠٠٠٠٠٠٠٠".encode()),
            ("X-Slack-Signature", SOME_SIGNATURE),
        ],
        "signature without v0=": [
            ("X-Slack-Request-Timestamp", now),
            ("X-Slack-Signature", good),
        ],
        "signature of another version": [
            ("X-Slack-Request-Timestamp", now),
            ("X-Slack-Signature", "v1=" + good),
        ],
        "non-ASCII signature": [
            ("X-Slack-Request-Timestamp", now),
            ("X-Slack-Signature", b"v0=" + "é".encode("latin-1") * 64),
        ],
        "signature with trailing garbage": [
            ("X-Slack-Request-Timestamp", now),
            ("X-Slack-Signature", f"v0={good}00"),
        ],
        "wrong signature then the right one": [
            ("X-Slack-Request-Timestamp", now),
            ("X-Slack-Signature", SOME_SIGNATURE),
            ("X-Slack-Signature", f"v0={good}"),
        ],
        "right signature then a wrong one": [
            ("X-Slack-Request-Timestamp", now),
            ("X-Slack-Signature", f"v0={good}"),
            ("X-Slack-Signature", SOME_SIGNATURE),
        ],
        "two timestamps": [
            ("X-Slack-Request-Timestamp", now),
            ("X-Slack-Request-Timestamp", "1500000000"),
            ("X-Slack-Signature", f"v0={good}"),
        ],
    }


@pytest.mark.parametrize("shape", list(_bad_headers()))
def test_malformed_signature_headers_get_401_and_no_traceback(
    slack: SlackClient, fake: FakeSlack, db: Database, logged: Records, shape: str
) -> None:
    headers: Headers = [("Content-Type", JSON), *_bad_headers()[shape]]
    response = _post(slack, _event_body(), headers)
    assert response.status_code == 401, response.text
    assert logged.alarms() == []
    fake.wait_quiet(0.2)
    assert not fake.calls
    with db.session() as session:
        assert session.get(ProcessedEvent, "Ev-attack") is None


UNREADABLE_BODIES: dict[str, tuple[bytes, str]] = {
    "not JSON": (b"not json", JSON),
    "an opening brace in a form": (b"{", FORM),
    "not UTF-8": (b"\xff\xfe{\xfa}", JSON),
    "a JSON list": (b"[1, 2]", JSON),
    "a JSON string": (b'"event_callback"', JSON),
    "a payload that is not JSON": (b"payload=notjson", FORM),
    "a payload that is a JSON list": (b"payload=%5B1%5D", FORM),
    "a user that is a number": (b'{"type": "event_callback", "user": 5}', JSON),
    "a team that is a number": (b'{"type": "block_actions", "team": 5}', JSON),
    "plain text": (b"hello", "text/plain"),
    "no content type": (b"token=x&command=%2Fdemo", ""),
    "empty": (b"", JSON),
}


@pytest.mark.parametrize("shape", list(UNREADABLE_BODIES))
def test_an_unsigned_body_is_never_parsed(
    slack: SlackClient, fake: FakeSlack, logged: Records, shape: str
) -> None:
    body, content_type = UNREADABLE_BODIES[shape]
    headers: Headers = [
        ("Content-Type", content_type),
        ("X-Slack-Request-Timestamp", "abc"),
        ("X-Slack-Signature", SOME_SIGNATURE),
    ]
    assert _post(slack, body, headers).status_code == 401
    unsigned = [("Content-Type", content_type)]
    assert _post(slack, body, unsigned).status_code == 401
    assert logged.alarms() == []
    fake.wait_quiet(0.2)
    assert not fake.calls


@pytest.mark.parametrize("shape", list(UNREADABLE_BODIES))
def test_a_signed_body_that_cannot_be_read_gets_400(
    slack: SlackClient, fake: FakeSlack, logged: Records, shape: str
) -> None:
    body, content_type = UNREADABLE_BODIES[shape]
    response = _post(slack, body, [("Content-Type", content_type), *_signed(body)])
    assert response.status_code == 400, response.text
    assert logged.alarms() == []
    fake.wait_quiet(0.2)
    assert not fake.calls


def test_a_huge_body_is_refused_before_it_is_read(
    slack: SlackClient, fake: FakeSlack, logged: Records
) -> None:
    body = b'{"type": "event_callback", "padding": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    unsigned = _post(slack, body, [("Content-Type", JSON)])
    assert unsigned.status_code == 413
    signed = _post(slack, body, [("Content-Type", JSON), *_signed(body)])
    assert signed.status_code == 413
    assert logged.alarms() == []
    assert not fake.calls


def test_a_signature_that_is_exact_but_stale_or_early_gets_401(
    slack: SlackClient, fake: FakeSlack, logged: Records
) -> None:
    body = _event_body()
    for shift in (-301, 301):
        timestamp = str(int(time.time()) + shift)
        response = _post(slack, body, [("Content-Type", JSON), *_signed(body, timestamp)])
        assert response.status_code == 401
    assert logged.alarms() == []
    fake.wait_quiet(0.2)
    assert not fake.calls


@pytest.mark.parametrize(
    "timestamp",
    ["+{now}", "{spaced}", "{now}.0", "{now}e0"],
    ids=["plus sign", "underscores", "float", "exponent"],
)
def test_only_plain_digits_are_a_timestamp_even_when_signed(
    slack: SlackClient, fake: FakeSlack, logged: Records, timestamp: str
) -> None:
    # Python's int() reads "+1" and "1_000" (and float() "1.0"): Slack never sends them.
    now = _now()
    shown = timestamp.format(now=now, spaced=f"{now[:4]}_{now[4:]}")
    body = _event_body()
    response = _post(slack, body, [("Content-Type", JSON), *_signed(body, shown)])
    assert response.status_code == 401
    assert logged.alarms() == []
    assert not fake.calls


def test_what_slack_really_sends_still_gets_through(
    slack: SlackClient, fake: FakeSlack, logged: Records
) -> None:
    # Slack's Events API says "application/json; charset=utf-8"; the signature in lower case.
    body = _event_body("Ev-real")
    headers: Headers = [("Content-Type", "application/json; charset=utf-8"), *_signed(body)]
    assert _post(slack, body, headers).status_code == 200
    fake.wait_for("chat.postMessage")
    assert slack.command(USER, "/demo", "bonjour").status_code == 200
    fake.wait_for("chat.postMessage", 2)
    assert logged.alarms() == []


def test_the_five_minute_window_is_inclusive_and_nothing_else_is_read() -> None:
    body = b'{"type": "event_callback"}'
    now = 1_800_000_000
    for shift, expected in ((-300, None), (300, None), (-301, "away"), (301, "away")):
        timestamp = str(now + shift)
        sent = signature(SIGNING_SECRET, timestamp, body)
        reason = refusal(SIGNING_SECRET, [timestamp], [sent], body, float(now))
        assert (reason is None) if expected is None else (expected in str(reason))
    good = signature(SIGNING_SECRET, str(now), body)
    assert refusal(SIGNING_SECRET, [str(now)], [good], body + b" ", float(now)) is not None
    assert refusal("another-secret", [str(now)], [good], body, float(now)) is not None
    assert refusal(SIGNING_SECRET, [str(now)], [good.upper()], body, float(now)) is not None
