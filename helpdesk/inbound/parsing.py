"""An e-mail's bytes read into what the helpdesk needs: who wrote, to which addresses, the
text, and whether a person wrote it at all.

The author is the From address, and only it: Reply-To is where answers go, never who wrote.
Headers only searched for an address (To, Cc, Delivered-To…) are read leniently from their
raw text; the From header goes through the standard parser, which refuses what no mail
client writes (an encoded line break in a name): such a message is not processed.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser

from access.emails import normalize_email, same_address
from access.mail.reports import DeliveryReport, is_report, read_delivery_report
from access.text import fold
from helpdesk.inbound.automatic import automatic_reason
from helpdesk.validation import normalize_phone

_REPLY_PARSER = EmailReplyParser(languages=["fr", "en", "nl", "de"])
# Ten times the longest text a ticket keeps: a reply's new part starts well within it.
QUOTE_SEARCH_CHARS = 100_000

# Where the MTA or the sender's client names the addresses a message was sent to.
RECIPIENT_HEADERS = (
    "To",
    "Cc",
    "Delivered-To",
    "X-Original-To",
    "Envelope-To",
    "X-Envelope-To",
    "X-Delivered-To",
)

# "Nom : Dupont", "N° FASE: 5432", "Téléphone - 02 511 22 33" (labels compared without accents).
_LABELLED_LINE = re.compile(r"^\s*[*>-]?\s*([a-z°º .'’]+?)\s*[:=-]\s*(.+?)\s*$")
# A labelled line is short; longer lines are someone's text, not worth the pattern.
_MAX_LABELLED_LINE = 300
_LABELS = {
    "nom": "last_name",
    "nom de famille": "last_name",
    "prenom": "first_name",
    "fase": "fase",
    "n fase": "fase",
    "n° fase": "fase",
    "no fase": "fase",
    "numero fase": "fase",
    "fase ecole": "fase",
    "fase de l'ecole": "fase",
    "fase de l'etablissement": "fase",
    "n° fase de l'etablissement": "fase",
    "telephone": "phone",
    "tel": "phone",
    "gsm": "phone",
}
_FASE_IN_TEXT = re.compile(r"\bfase\b\D{0,20}?(\d{1,8})\b", re.IGNORECASE)
# Control characters other than tab and line breaks: PostgreSQL refuses NUL in text, and
# none of them is something a person typed.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_BLOCKS = frozenset(
    {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"}
)
_HIDDEN = frozenset({"script", "style", "head", "title"})
# Elements that never hold anything (HTML's void elements, as tree builders list them).
_VOID = frozenset(
    [
        "area",
        "base",
        "basefont",
        "bgsound",
        "br",
        "col",
        "command",
        "embed",
        "frame",
        "hr",
        "image",
        "img",
        "input",
        "isindex",
        "keygen",
        "link",
        "menuitem",
        "meta",
        "nextid",
        "param",
        "source",
        "spacer",
        "track",
        "wbr",
    ]
)


@dataclass(frozen=True)
class InboundMail:
    message_id: str | None
    from_address: str | None
    from_name: str
    subject: str
    body: str
    # Why no person wrote this (the header that says so), or None.
    automatic: str | None = None
    # Reply-To, when it names one valid address other than From: where answers go.
    reply_address: str | None = None
    # False when From names several addresses: nobody in particular can be recognised.
    single_sender: bool = True
    recipients: tuple[str, ...] = ()
    authentication_results: tuple[str, ...] = ()
    # A `multipart/report` (bounce, read receipt); `delivery` when it is a delivery report.
    report: bool = False
    delivery: DeliveryReport | None = None

    @property
    def auto_submitted(self) -> bool:
        return self.automatic is not None

    @property
    def from_domain(self) -> str:
        return (self.from_address or "").rpartition("@")[2].casefold()


def clean_text(text: str) -> str:
    return _CONTROLS.sub("", text)


def html_to_text(html: str) -> str:
    """Readable text from an HTML-only message: one line per paragraph or line break."""
    reader = _HtmlText()
    reader.feed(html)
    reader.close()
    text = reader.text()
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_ASCII_SPACES = dict.fromkeys(map(ord, " \n\t\f\r"))


class _HtmlText(HTMLParser):
    """The text of an HTML document in one pass: a line break for `<br>` and after each block
    element, nothing from script, style, head or title. Elements left open are closed the way
    a tree builder closes them (by their parent's end tag, or at the end), so the result is
    the tree's text; building the tree took seconds for a few MiB of HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._open: list[str] = []
        self._counts: dict[str, int] = {}
        self._hidden = 0
        self._pending: list[str] = []

    def text(self) -> str:
        self._flush()
        while self._open:
            self._close_last()
        return "".join(self._parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        if tag in _VOID:
            if tag == "br" and not self._hidden:
                self._parts.append("\n")
            return
        self._open.append(tag)
        self._counts[tag] = self._counts.get(tag, 0) + 1
        if tag in _HIDDEN:
            self._hidden += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        if not self._counts.get(tag):
            return
        while self._open[-1] != tag:
            self._close_last()
        self._close_last()

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self._pending.append(data)

    def handle_comment(self, data: str) -> None:
        self._flush()

    def handle_decl(self, decl: str) -> None:
        self._flush()

    def handle_pi(self, data: str) -> None:
        self._flush()

    def _flush(self) -> None:
        """A text between two pieces of markup that is only indentation counts as one line
        break or one space, as a tree builder keeps it (else blank lines multiply)."""
        if not self._pending:
            return
        data = "".join(self._pending)
        self._pending.clear()
        if not data.translate(_ASCII_SPACES):
            data = "\n" if "\n" in data else " "
        self._parts.append(data)

    def _close_last(self) -> None:
        tag = self._open.pop()
        self._counts[tag] -= 1
        if tag in _HIDDEN:
            self._hidden -= 1
        elif tag in _BLOCKS and not self._hidden:
            self._parts.append("\n")


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        return html_to_text(content)
    return content.replace("\r\n", "\n").replace("\r", "\n").strip()


def _raw_headers(message: EmailMessage, names: tuple[str, ...]) -> list[str]:
    wanted = {name.casefold() for name in names}
    return [
        re.sub(r"\r?\n[ \t]+", " ", str(value))
        for name, value in message.raw_items()
        if name.casefold() in wanted
    ]


def _addresses(values: list[str]) -> list[str]:
    found = []
    for _, address in getaddresses(values):
        normalized = normalize_email(address)
        if normalized is not None:
            found.append(normalized)
    return found


def _authors(message: EmailMessage) -> list[tuple[str, str]]:
    header = message.get("From")
    if header is None:
        return []
    addresses = getattr(header, "addresses", ())
    if addresses:
        return [(a.display_name, a.addr_spec) for a in addresses]
    # A From the standard parser could not read (e.g. an unclosed "<"): its plain reading.
    return [pair for pair in getaddresses(_raw_headers(message, ("From",))) if pair[1]]


def parse_mail(raw: bytes) -> InboundMail:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    authors = _authors(message)
    name, address = authors[0] if authors else ("", "")
    from_address = normalize_email(address)
    replies = [a for a in _addresses(_raw_headers(message, ("Reply-To",))) if a]
    reply_address = replies[0] if len(replies) == 1 else None
    if reply_address is not None and same_address(reply_address, from_address):
        reply_address = None
    report = is_report(message)
    return InboundMail(
        message_id=(str(message.get("Message-ID") or "").strip() or None),
        from_address=from_address,
        from_name=clean_text(name).strip(),
        subject=clean_text(" ".join(str(message.get("Subject") or "").split())),
        body="" if report else clean_text(_body_text(message)),
        automatic=automatic_reason(message, from_address),
        reply_address=reply_address,
        single_sender=len(authors) == 1,
        recipients=tuple(_addresses(_raw_headers(message, RECIPIENT_HEADERS))),
        authentication_results=tuple(_raw_headers(message, ("Authentication-Results",))),
        report=report,
        delivery=read_delivery_report(message) if report else None,
    )


# Where a quoted history starts, in what the reply parser leaves: Outlook's separator line
# (« -----Message d'origine----- », « -----Original Message----- »), its header block
# (« De : … / Envoyé : … », « From: … / Sent: … »), and a « Le …, X <adresse> a écrit : » or
# « On …, X wrote: » that Gmail wrapped over several lines.
_QUOTE_STARTS = (
    re.compile(
        r"^[ \t>]*-{2,}[ \t]*(?:message d['’]origine|original message|message transf[ée]r[ée]"
        r"|forwarded message)[ \t]*-{2,}[ \t]*$",
        re.IGNORECASE | re.MULTILINE,
    ),
    re.compile(r"^[ \t>]*_{8,}[ \t]*\n[ \t>]*(?:de|from)[ \t]*:", re.IGNORECASE | re.MULTILINE),
    re.compile(
        r"^[ \t>]*(?:de|from)[ \t]*:[^\n]{0,300}\n(?:[^\n]{0,300}\n)?"
        r"[ \t>]*(?:envoy[ée]|sent|date)[ \t]*:",
        re.IGNORECASE | re.MULTILINE,
    ),
    re.compile(
        # Header lines are short: bounded, so a hostile long line costs nothing.
        r"^[ \t>]*(?:le|on)[ \t][^\n]{0,200}?\d[^\n]{0,200}(?:\n[^\n]{0,200}){0,2}?"
        r"(?:a [ée]crit|wrote)[ \t]*:[ \t]*$",
        re.IGNORECASE | re.MULTILINE,
    ),
)


def _cut_quote_headers(text: str) -> str:
    starts = [m.start() for pattern in _QUOTE_STARTS if (m := pattern.search(text))]
    return text[: min(starts)].strip() if starts else text


def strip_quoted(text: str) -> str:
    """The new part of a reply: quoted history and "Le … a écrit :" blocks removed.

    The history is looked for in the first `QUOTE_SEARCH_CHARS` characters only (the reply
    parser's patterns take seconds on megabytes); past them, a reply is all new text.
    """
    head = text[:QUOTE_SEARCH_CHARS]
    reply = (_REPLY_PARSER.parse_reply(text=head) or head).strip()
    if len(text) > len(head) and len(reply) == len(head.strip()):
        return text.strip()
    # What the parser missed; a message that is nothing but a quote keeps its text.
    return _cut_quote_headers(reply) or reply


def identification_from_text(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        if len(line) > _MAX_LABELLED_LINE:
            continue
        match = _LABELLED_LINE.match(fold(line))
        if match is None:
            continue
        label = " ".join(match.group(1).replace("º", "°").replace(".", " ").split())
        field_name = _LABELS.get(label)
        if field_name is None or field_name in found:
            continue
        # Take the value from the original line, accents and case kept.
        value = line.split(":", 1)[1] if ":" in line else line.split("-", 1)[-1]
        value = value.strip().strip("*").strip()
        if field_name == "fase":
            value = re.sub(r"\D", "", value)
        elif field_name == "phone":
            value = normalize_phone(value) or ""
        if value:
            found[field_name] = value
    if "fase" not in found:
        match = _FASE_IN_TEXT.search(text)
        if match:
            found["fase"] = match.group(1)
    return found


def message_ref(message_id: str | None) -> str | None:
    """A short stable key for a Message-ID (they can be longer than a column allows)."""
    if not message_id:
        return None
    return "email:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()[:40]
