"""Messages no person wrote: out-of-office replies, robots, lists, bounces.

They open no ticket and get no acknowledgement, or two automatic systems would answer each
other for ever (RFC 3834). The signs, as Zendesk and Request Tracker read them:
`Auto-Submitted` other than `no` (RFC 3834); `Precedence: bulk, junk, list, auto_reply`;
`X-Autoreply`, `X-Autorespond`, `X-Auto-Response-Suppress` (Microsoft's mark on its own
automatic messages); an empty envelope sender (`Return-Path: <>`, what bounces carry);
a sender that is a mail system (`MAILER-DAEMON`, `postmaster`); any `multipart/report`.
"""

from __future__ import annotations

from email.message import EmailMessage

AUTOMATIC_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
AUTOMATIC_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
SYSTEM_SENDERS = frozenset({"mailer-daemon", "postmaster"})


def _values(message: EmailMessage, name: str) -> list[str]:
    wanted = name.casefold()
    return [
        " ".join(str(value).split()).casefold()
        for key, value in message.raw_items()
        if key.casefold() == wanted
    ]


def automatic_reason(message: EmailMessage, from_address: str | None) -> str | None:
    """The header that shows no person wrote `message`, or None when one did."""
    for value in _values(message, "Auto-Submitted"):
        if value.partition(";")[0].strip() != "no":
            return "Auto-Submitted"
    if any(value in AUTOMATIC_PRECEDENCE for value in _values(message, "Precedence")):
        return "Precedence"
    for name in AUTOMATIC_HEADERS:
        if _values(message, name):
            return name
    if any(value.replace(" ", "") == "<>" for value in _values(message, "Return-Path")):
        return "Return-Path"
    local = (from_address or "").rpartition("@")[0].casefold()
    if local in SYSTEM_SENDERS:
        return "From"
    if message.get_content_type() == "multipart/report":
        return "Content-Type"
    return None
