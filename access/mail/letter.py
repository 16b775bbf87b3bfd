"""An e-mail as the product sends it, and its bytes.

Every message of the product has one shape: a subject, one sender, one recipient, maybe a
Reply-To, and one text in two alternatives, plain and HTML, in UTF-8. `Letter.to_bytes`
writes that shape with the standard library's encoders: `email.header.Header` for encoded
words and folding, `email.utils.formataddr` for addresses, `binascii.b2a_qp` (in C) for the
bodies, `email.utils.format_datetime` for the date. Only the joining is done here.

Why not `EmailMessage.as_bytes()`: the email package runs every header through its header
registry (parse, then fold again) and encodes bodies in pure Python, which made it most of
the time to send a school's invitations (figures: docs/benchmarks.md). The
tests read every kind of message back with the standard parser, hostile names included.

Header safety does not rest on this module alone: `access.mail.templates` has already taken control
characters and encoded-word openers out of names and subjects, and checked the addresses.
"""

from __future__ import annotations

import binascii
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.utils import format_datetime, formataddr
from functools import lru_cache

CRLF = "\r\n"
# SMTP allows 998 characters a line; folding at 78 is what every mailer expects of headers.
FOLD_AT = 78
# Template lines are short; a long line is someone's text (a ticket), encoded and not kept.
MAX_CACHED_LINE = 200


@dataclass(frozen=True)
class Letter:
    """A rendered e-mail, before the outbox gives it its Message-ID and Date."""

    subject: str
    sender: Address
    to: Address
    reply_to: Address | None
    text: str
    html: str
    # RFC 3834: "auto-replied" for an automatic answer to a message (a ticket's
    # acknowledgement), "auto-generated" for the rest; either way no responder answers it.
    auto_submitted: str = "auto-generated"
    # RFC 5322 threading: the Message-ID this answers, and the thread's earlier Message-IDs.
    # Each is one `<id@domain>` already checked by the caller (`thread_id`).
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()

    @property
    def recipients(self) -> list[str]:
        return [self.to.addr_spec]

    def to_bytes(self, *, message_id: str, date: datetime) -> bytes:
        # "=_" cannot occur in quoted-printable text ("=" is always followed by two hex
        # digits or a line break), so the boundary never collides with a body.
        boundary = "=_" + secrets.token_hex(16)
        headers = [
            ("Subject", _subject(self.subject)),
            ("From", _address(self.sender)),
            ("To", _address(self.to)),
        ]
        if self.reply_to is not None:
            headers.append(("Reply-To", _address(self.reply_to)))
        if self.in_reply_to is not None:
            headers.append(("In-Reply-To", self.in_reply_to))
        if self.references:
            # One id per line: folded where a reader may, never past SMTP's line length.
            headers.append(("References", f"{CRLF} ".join(self.references)))
        headers += [
            ("Auto-Submitted", self.auto_submitted),
            ("Message-ID", message_id),
            ("Date", _date(date)),
            ("MIME-Version", "1.0"),
            ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
        ]
        parts = [f"{name}: {value}{CRLF}" for name, value in headers]
        parts.append(CRLF)
        for subtype, body in (("plain", self.text), ("html", self.html)):
            parts += [
                f"--{boundary}{CRLF}",
                f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}',
                f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}",
                _quoted_printable(body),
                CRLF,
            ]
        parts.append(f"--{boundary}--{CRLF}")
        return "".join(parts).encode("utf-8")


# A msg-id as RFC 5322 writes it (no spaces, no angle brackets inside), short enough for a line.
_MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{3,250}>")


def thread_id(value: str | None) -> str | None:
    """`value` when it has the shape of one Message-ID (`<id@domain>`: no space, no bracket
    inside), else None: ids read from a stranger's e-mail go into our headers only so."""
    text = (value or "").strip()
    return text if _MESSAGE_ID.fullmatch(text) else None


def _quoted_printable(body: str) -> str:
    # Line by line: quoted-printable encodes each line on its own, and the letters of one
    # batch differ only in the few lines that hold a name or a link, so most lines come
    # from the cache.
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return CRLF.join(
        [
            _quoted_printable_line(line)
            if len(line) <= MAX_CACHED_LINE
            else _quoted_printable_line.__wrapped__(line)
            for line in lines
        ]
    )


@lru_cache(maxsize=4096)
def _quoted_printable_line(line: str) -> str:
    # b2a_qp breaks a long line with the line ending it finds in its input; a single line
    # gives it none, and it falls back to a bare LF, which SMTP does not allow.
    return binascii.b2a_qp(line.encode("utf-8")).decode("ascii").replace("\n", CRLF)


@lru_cache(maxsize=64)
def _date(date: datetime) -> str:
    # A batch is written at one moment.
    return format_datetime(date)


@lru_cache(maxsize=1024)
def _subject(subject: str) -> str:
    # Most messages of a batch share their subject: encode it once.
    if subject.isascii() and len(subject) + len("Subject: ") <= FOLD_AT:
        return subject
    charset = "us-ascii" if subject.isascii() else "utf-8"
    return Header(subject, charset, header_name="Subject").encode(linesep=CRLF, maxlinelen=FOLD_AT)


def _address(address: Address) -> str:
    return _address_text(address.display_name, address.addr_spec)


@lru_cache(maxsize=256)
def _address_text(name: str, addr_spec: str) -> str:
    # Cached for the sender and Reply-To, the same on every message of a batch.
    if not addr_spec.isascii():
        # The worker sends such a message with SMTPUTF8, where UTF-8 headers are allowed.
        return str(Address(name, addr_spec=addr_spec))
    # One encoded word, not folded: the standard parser reads a space into a display name
    # folded between two encoded words. Names are short (access.mail.templates.MAX_NAME_LENGTH).
    return formataddr((name, addr_spec), charset="utf-8")
