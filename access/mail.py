"""E-mails as the product writes them: French Jinja2 templates, text and HTML parts.

Templates live in `data/templates/mail/`: `<name>.subject.txt`, `<name>.txt`, `<name>.html`.
The HTML part is autoescaped; the text part is not (it is not HTML).

Names and addresses come from ProECO or from people typing them, so nothing from them may
shape the headers: control characters are dropped, and `=?` is broken up because Python's
email package decodes encoded words found in header values it is given (a name such as
`=?utf-8?q?=0D=0ABcc:...?=` would otherwise become a new header line). Addresses go in
only as `email.headerregistry.Address`, which refuses CR/LF.

Every message is then put in the outbox (`access.outbox.enqueue`), which gives it its stable
Message-ID and Date; nothing here sends anything.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from access.clock import as_utc
from access.config import AccessSettings

MAIL_TEMPLATES = "mail"

Recipient = str | Address | tuple[str | None, str]

_SPACES = re.compile(r"\s+")


def header_text(value: str | None) -> str:
    """Text safe for a header: one line, no control or invisible format characters, no
    encoded-word opener. What a person reads stays the same apart from those."""
    if not value:
        return ""
    kept = []
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Zl", "Zp"):
            kept.append(" ")
        else:
            kept.append(char)
    text = _SPACES.sub(" ", "".join(kept)).strip()
    while "=?" in text:
        text = text.replace("=?", "= ?")
    return text


def address(recipient: Recipient) -> Address:
    """An `Address` from "addr", ("Name", "addr") or an `Address`; the name made header-safe."""
    if isinstance(recipient, Address):
        name, addr_spec = recipient.display_name, recipient.addr_spec
    elif isinstance(recipient, tuple):
        name, addr_spec = recipient[0] or "", recipient[1]
    else:
        name, addr_spec = "", recipient
    if any(ch in addr_spec for ch in "\r\n\0") or not addr_spec.strip():
        raise ValueError("invalid e-mail address")
    return Address(display_name=header_text(name), addr_spec=addr_spec.strip())


def sender(settings: AccessSettings) -> Address:
    name, addr_spec = parseaddr(settings.mail_from)
    if not addr_spec:
        raise ValueError("MAIL_FROM has no address")
    return address((name, addr_spec))


def link(settings: AccessSettings, path: str) -> str:
    """An absolute link for an e-mail, always from PUBLIC_BASE_URL (never a request's Host)."""
    return settings.public_base_url.rstrip("/") + path


def activation_link(settings: AccessSettings, token: str) -> str:
    return link(settings, f"/activer/{quote(token, safe='')}")


def reset_link(settings: AccessSettings, token: str) -> str:
    return link(settings, f"/reinitialiser/{quote(token, safe='')}")


def email_change_link(settings: AccessSettings, token: str) -> str:
    return link(settings, f"/email/confirmer/{quote(token, safe='')}")


# The schools are in Belgium: dates in e-mails are local times there.
LOCAL_ZONE = ZoneInfo("Europe/Brussels")
_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def date_fr(moment: datetime) -> str:
    """ "4 décembre 2026 à 21 h 30" in Belgian time."""
    local = as_utc(moment).astimezone(LOCAL_ZONE)  # type: ignore[union-attr]
    day = "1er" if local.day == 1 else str(local.day)
    return f"{day} {_MONTHS[local.month - 1]} {local.year} à {local.hour} h {local.minute:02d}"


class _RecurringHeadersPolicy(EmailPolicy):
    """`policy.SMTP` that parses and folds a header value it has seen once only once.

    Serializing headers is most of the cost of a message, and in a batch of invitations most
    headers recur (From, Subject, MIME headers); the result for a given name and text is
    always the same, so it is kept. Values that are not plain text (e.g. an `Address`) and
    text holding an encoded-word opener go the normal way.
    """

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if isinstance(value, str) and "=?" not in value:
            return name, _parsed(name, value)
        return super().header_store_parse(name, value)  # type: ignore[no-any-return]

    def fold_binary(self, name: str, value: Any) -> bytes:
        text = str(value)
        if "=?" in text:
            return super().fold_binary(name, value)  # type: ignore[no-any-return]
        key = (name.lower(), text)
        folded = _FOLDED.get(key)
        if folded is None:
            folded = super().fold_binary(name, value)
            if len(_FOLDED) >= _FOLDED_MAX:
                _FOLDED.clear()
            _FOLDED[key] = folded
        return folded


SMTP_POLICY = _RecurringHeadersPolicy(linesep="\r\n")
_FOLDED: dict[tuple[str, str], bytes] = {}
_FOLDED_MAX = 4096


@lru_cache(maxsize=4096)
def _parsed(name: str, text: str) -> Any:
    return EmailPolicy.header_store_parse(SMTP_POLICY, name, text)[1]


@lru_cache(maxsize=8)
def _environments(templates_dir: Path) -> tuple[Environment, Environment]:
    loader = FileSystemLoader(str(templates_dir / MAIL_TEMPLATES))
    text = Environment(
        loader=loader, autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True
    )
    html = Environment(loader=loader, autoescape=True, undefined=StrictUndefined)
    for environment in (text, html):
        environment.filters["date_fr"] = date_fr
    return text, html


def _needs_utf8(*addresses: Address) -> bool:
    return any(not a.addr_spec.isascii() for a in addresses)


def render(
    settings: AccessSettings,
    template: str,
    *,
    to: Recipient,
    context: dict[str, Any],
    reply_to: Recipient | None = None,
) -> EmailMessage:
    """Build the message for `template` (e.g. "invitation") addressed to `to`."""
    text_env, html_env = _environments(Path(settings.templates_dir))
    values = {
        "helpdesk_email": settings.helpdesk_email,
        "extranet_url": settings.extranet_url,
        "public_base_url": settings.public_base_url.rstrip("/"),
        **context,
    }
    subject = text_env.get_template(f"{template}.subject.txt").render(values)
    text_body = text_env.get_template(f"{template}.txt").render(values)
    html_body = html_env.get_template(f"{template}.html").render(values)

    recipient = address(to)
    from_address = sender(settings)
    reply_address = address(reply_to) if reply_to is not None else None
    addresses = [recipient, from_address] + ([reply_address] if reply_address else [])
    if _needs_utf8(*addresses):
        message = EmailMessage(policy=policy.SMTPUTF8)
    else:
        message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = header_text(subject)
    message["From"] = from_address
    message["To"] = recipient
    if reply_address is not None:
        message["Reply-To"] = reply_address
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text_body)
    message.add_alternative(html_body, subtype="html")
    return message
