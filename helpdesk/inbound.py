"""Inbound e-mail to tickets: a new message opens a ticket, a reply is added to its ticket.

Messages are RFC 5322 bytes (a Maildir file or standard input). The ticket number in the
subject (`[T-2026-00042]`) links a reply; the Message-ID makes ingesting the same message
twice harmless. Quoted history is cut from replies so the ticket thread reads cleanly.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from bs4 import BeautifulSoup
from mailparser_reply import EmailReplyParser
from sqlalchemy.orm import Session

from access.config import AccessSettings
from access.emails import normalize_email, same_address
from access.text import fold
from helpdesk import messages
from helpdesk.actors import Actor, Requester
from helpdesk.errors import TicketNotFound
from helpdesk.models import Category, Source
from helpdesk.numbering import find_number
from helpdesk.prefill import prefill_for_person
from helpdesk.tickets import complete_identification, get_ticket, open_ticket, requester_reply
from helpdesk.validation import TicketForm, fase_is_known, normalize_phone

IDENTIFICATION_FIELDS = ("last_name", "first_name", "fase")
NO_SUBJECT = "(sans objet)"
EMPTY_BODY = "(message vide)"
_REPLY_PARSER = EmailReplyParser(languages=["fr", "en", "nl", "de"])

# "Nom : Dupont", "N° FASE: 5432", "Téléphone - 02 511 22 33" (labels compared without accents).
_LABELLED_LINE = re.compile(r"^\s*[*>-]?\s*([a-z°º .'’]+?)\s*[:=-]\s*(.+?)\s*$")
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


@dataclass(frozen=True)
class InboundMail:
    message_id: str | None
    from_address: str | None
    from_name: str
    subject: str
    body: str
    auto_submitted: bool


@dataclass
class IngestResult:
    outcome: str  # "created", "appended", "duplicate", "ignored"
    number: str | None = None
    reason: str | None = None
    missing: list[str] = field(default_factory=list)


_BLOCKS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table")


def html_to_text(html: str) -> str:
    """Readable text from an HTML-only message: one line per paragraph or line break."""
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style", "head", "title"]):
        hidden.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(_BLOCKS):
        block.insert_after("\n")
    text = soup.get_text("")
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


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


def parse_mail(raw: bytes) -> InboundMail:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    name, address = parseaddr(str(message.get("Reply-To") or message.get("From") or ""))
    if not address:
        addresses = getaddresses([str(message.get("From") or "")])
        name, address = addresses[0] if addresses else ("", "")
    auto = str(message.get("Auto-Submitted") or "no").strip().casefold()
    precedence = str(message.get("Precedence") or "").strip().casefold()
    return InboundMail(
        message_id=(str(message.get("Message-ID") or "").strip() or None),
        from_address=normalize_email(address),
        from_name=name.strip(),
        subject=" ".join(str(message.get("Subject") or "").split()),
        body=_body_text(message),
        auto_submitted=auto != "no" or precedence in {"bulk", "junk", "list"},
    )


def strip_quoted(text: str) -> str:
    """The new part of a reply: quoted history and "Le … a écrit :" blocks removed."""
    reply = _REPLY_PARSER.parse_reply(text=text)
    return (reply or text).strip()


def identification_from_text(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
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


def _is_ours(settings: AccessSettings, mail: InboundMail) -> bool:
    own = normalize_email(parseaddr(settings.mail_from)[1])
    return same_address(mail.from_address, own)


def ingest(
    session: Session, settings: AccessSettings, raw: bytes, *, triage_enabled: bool
) -> IngestResult:
    """One message, inside the caller's transaction."""
    mail = parse_mail(raw)
    if mail.from_address is None:
        return IngestResult("ignored", reason="no valid sender address")
    if mail.auto_submitted or _is_ours(settings, mail):
        return IngestResult("ignored", reason="automatic message")
    source_ref = message_ref(mail.message_id)

    number = find_number(mail.subject)
    if number is not None:
        try:
            ticket = get_ticket(session, number)
        except TicketNotFound:
            ticket = None
        if ticket is not None and same_address(ticket.contact_email, mail.from_address):
            return _append(session, ticket.number, mail, source_ref)
    return _create(session, settings, mail, source_ref, triage_enabled=triage_enabled)


def _append(
    session: Session, number: str, mail: InboundMail, source_ref: str | None
) -> IngestResult:
    ticket = get_ticket(session, number)
    actor = Actor(f"email:{ticket.id}", mail.from_name or ticket.requester_name)
    body = strip_quoted(mail.body) or EMPTY_BODY
    outcome = requester_reply(session, number, actor, body, source_ref=source_ref)
    if outcome.event is None:
        return IngestResult("duplicate", number=number)
    if ticket.identification_missing:
        complete_identification(session, number, actor, identification_from_text(body))
    return IngestResult("appended", number=number)


def _create(
    session: Session,
    settings: AccessSettings,
    mail: InboundMail,
    source_ref: str | None,
    *,
    triage_enabled: bool,
) -> IngestResult:
    assert mail.from_address is not None
    body = mail.body.strip() or EMPTY_BODY
    values: dict[str, str] = {}
    person_id = None
    prefill = prefill_for_person(session, email=mail.from_address)
    if prefill is not None:
        person_id = prefill.person_id
        values.update(last_name=prefill.last_name, first_name=prefill.first_name)
        if len(prefill.fase_choices) == 1:
            values["fase"] = prefill.fase_choices[0][0]
    for name, value in identification_from_text(body).items():
        values.setdefault(name, value)
    if "last_name" not in values and mail.from_name:
        # "Émilie Dupont": the display name is all we have; the agent sees it as typed.
        first, _, last = mail.from_name.partition(" ")
        if last:
            values.setdefault("first_name", first)
            values.setdefault("last_name", last)
    missing = [name for name in IDENTIFICATION_FIELDS if not values.get(name)]
    fase = values.get("fase", "")
    form = TicketForm(
        last_name=values.get("last_name", ""),
        first_name=values.get("first_name", ""),
        fase=fase,
        email=mail.from_address,
        category=Category.OTHER.value,
        subject=(mail.subject or NO_SUBJECT)[:200],
        description=body,
        phone=values.get("phone"),
        fase_unknown=bool(fase) and not fase_is_known(session, fase),
    )
    opened = open_ticket(
        session,
        settings,
        form,
        source=Source.EMAIL,
        requester=Requester(person_id=person_id),
        idempotency_key=source_ref,
        triage_enabled=triage_enabled,
        identification_missing=missing,
    )
    if not opened.created:
        return IngestResult("duplicate", number=opened.ticket.number)
    return IngestResult(
        "created",
        number=opened.ticket.number,
        missing=[messages.FIELD_LABELS[name] for name in missing],
    )
