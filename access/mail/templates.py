"""E-mails as the product writes them: French Jinja2 templates, text and HTML parts.

Templates live in `data/templates/mail/`: `<name>.subject.txt`, `<name>.txt`, `<name>.html`.
The HTML part is autoescaped; the text part is not (it is not HTML).

Names and addresses come from ProECO or from people typing them, so nothing from them may
shape the headers: control characters are dropped, and `=?` is broken up because Python's
email package decodes encoded words found in header values it is given (a name such as
`=?utf-8?q?=0D=0ABcc:...?=` would otherwise become a new header line). Addresses go in
only as `email.headerregistry.Address`, which refuses CR/LF.

`render` gives a `Letter`; the outbox (`access.mail.outbox.enqueue`) gives it its stable Message-ID
and Date and stores its bytes (`access.mail.letter`); nothing here sends anything.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import escape

from access.clock import as_utc
from access.config import AccessSettings
from access.mail.letter import Letter, thread_id

MAIL_TEMPLATES = "mail"

Recipient = str | Address | tuple[str | None, str]

_SPACES = re.compile(r"\s+")
MAX_NAME_LENGTH = 100


# A batch repeats its subject and the sender's name: checking them once is enough.
@lru_cache(maxsize=4096)
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
    addr_spec = addr_spec.strip()
    username, _, domain = addr_spec.rpartition("@")
    if any(ch in addr_spec for ch in "\r\n\0") or not username or not domain:
        raise ValueError("invalid e-mail address")
    # No real name is this long; a longer one, encoded in one piece, would make a header
    # line longer than SMTP allows (see access.mail.letter).
    display_name = header_text(name)[:MAX_NAME_LENGTH]
    # By its parts, not `addr_spec=`: that would parse again an address already checked
    # where it entered (ProECO import, forms), at a cost that shows in a school's batch.
    return Address(display_name=display_name, username=username, domain=domain)


def sender(settings: AccessSettings) -> Address:
    return _sender(settings.mail_from)


@lru_cache(maxsize=8)
def _sender(mail_from: str) -> Address:
    name, addr_spec = parseaddr(mail_from)
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


@lru_cache(maxsize=8)
def _environments(templates_dir: Path) -> tuple[Environment, Environment]:
    loader = FileSystemLoader(str(templates_dir / MAIL_TEMPLATES))
    # Templates do not change while the product runs: no file check at every render.
    text = Environment(
        loader=loader,
        autoescape=False,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    html = Environment(loader=loader, autoescape=True, undefined=StrictUndefined, auto_reload=False)
    for environment in (text, html):
        environment.filters["date_fr"] = date_fr
    return text, html


def preload(settings: AccessSettings) -> int:
    """Compile every mail template now; the number compiled.

    A process that sends mail calls this at startup: the first school to press « Envoyer »
    after a deploy then does not wait for the compilation (a few dozen milliseconds, paid
    before the first e-mail of the batch can leave), and a broken template stops the
    start instead of a send."""
    text_env, html_env = _environments(Path(settings.templates_dir))
    names = text_env.list_templates()
    for name in names:
        (html_env if name.endswith(".html") else text_env).get_template(name)
    return len(names)


def render(
    settings: AccessSettings,
    template: str,
    *,
    to: Recipient,
    context: dict[str, Any],
    reply_to: Recipient | None = None,
    auto_submitted: str = "auto-generated",
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> Letter:
    """Write the message for `template` (e.g. "invitation") addressed to `to`; `in_reply_to`
    and `references` thread it (Message-IDs; malformed ones are left out)."""
    subject, text, html = _render_parts(settings, template, context)
    thread = [checked for value in references if (checked := thread_id(value)) is not None]
    return Letter(
        subject=header_text(subject),
        sender=sender(settings),
        to=address(to),
        reply_to=address(reply_to) if reply_to is not None else None,
        text=text,
        html=html,
        auto_submitted=auto_submitted,
        in_reply_to=thread_id(in_reply_to),
        references=tuple(dict.fromkeys(thread)),
    )


def render_many(
    settings: AccessSettings,
    template: str,
    *,
    context: dict[str, Any],
    personal: Sequence[tuple[Recipient, dict[str, str]]],
) -> list[Letter]:
    """`render` for many recipients who share `context` and differ by a few printed values
    (`personal`: each recipient with, e.g., their name and link): a mail merge.

    The templates are rendered once with a marker for each personal value, then each
    recipient's values replace the markers (HTML-escaped in the HTML part), which costs a
    fraction of rendering. So a personal value may only be printed, never tested or filtered;
    the first recipient is also rendered the normal way and compared, and any difference
    sends every recipient the normal way.
    """
    if not personal:
        return []
    keys = list(personal[0][1])
    markers = {key: f"\x00{key}\x00" for key in keys}
    stencil = _render_parts(settings, template, {**context, **markers})
    first_values = personal[0][1]
    if _fill(stencil, markers, first_values) != _render_parts(
        settings, template, {**context, **first_values}
    ):
        return [
            render(settings, template, to=to, context={**context, **values})
            for to, values in personal
        ]
    from_address = sender(settings)
    letters = []
    for to, values in personal:
        subject, text, html = _fill(stencil, markers, values)
        letters.append(
            Letter(
                subject=header_text(subject),
                sender=from_address,
                to=address(to),
                reply_to=None,
                text=text,
                html=html,
            )
        )
    return letters


def _fill(
    stencil: tuple[str, str, str], markers: dict[str, str], values: dict[str, str]
) -> tuple[str, str, str]:
    subject, text, html = stencil
    for key, marker in markers.items():
        value = values[key]
        subject = subject.replace(marker, value)
        text = text.replace(marker, value)
        html = html.replace(marker, str(escape(value)))
    return subject, text, html


def _render_parts(
    settings: AccessSettings, template: str, context: dict[str, Any]
) -> tuple[str, str, str]:
    """Subject (not yet made header-safe), text and HTML of `template`."""
    text_env, html_env = _environments(Path(settings.templates_dir))
    values = {
        "helpdesk_email": settings.helpdesk_email,
        "extranet_url": settings.extranet_url,
        "public_base_url": settings.public_base_url.rstrip("/"),
        **context,
    }
    return (
        text_env.get_template(f"{template}.subject.txt").render(values),
        text_env.get_template(f"{template}.txt").render(values),
        html_env.get_template(f"{template}.html").render(values),
    )
