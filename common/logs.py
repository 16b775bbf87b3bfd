"""Log lines for operators: plain text by default, one JSON object per line with
`LOG_FORMAT=json`; each line carries the id of the request (web request, Slack event) it
belongs to, so one can follow a request into the services. Messages never carry personal data
or secrets (the code logs ids and counts); this module only shapes the lines."""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"

_OURS = "extranet_bot_handler"
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# A request id given by a proxy is kept when it looks like one (nothing to inject).
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def current_request_id() -> str:
    return _request_id.get()


def new_request_id(given: str | None = None) -> str:
    if given and _ACCEPTABLE_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


@contextmanager
def request_scope(request_id: str) -> Iterator[str]:
    """Every line logged inside (and in the threads started with its context) names it."""
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        _request_id.reset(token)


def set_request_id(request_id: str) -> None:
    """For a task that belongs to one request to its end (the context dies with the task)."""
    _request_id.set(request_id)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            JSON_FIELDS,
            rename_fields={"levelname": "level", "name": "logger"},
            # uvicorn repeats each message with terminal colours for consoles.
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        )
    return logging.Formatter(TEXT_FORMAT)


def configure(*, level: int = logging.INFO, log_format: str = "text") -> None:
    """The root logger writes to stderr in the chosen format; run again, it replaces what it
    installed. Like `logging.basicConfig`, it leaves alone a root that someone else (a test
    runner, an embedding program) has already given handlers."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, _OURS, False)]
    if len(ours) != len(root.handlers):
        return
    for old in ours:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _OURS, True)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)
