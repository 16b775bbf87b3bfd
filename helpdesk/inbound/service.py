"""One inbound message, inside the caller's transaction: a new ticket, a reply joined to its
ticket, a bounce recorded, or nothing (an automatic message).

Refused before anything else: a message over the size limit (`MessageTooLarge`).
A reply joins its ticket only when its sender is proven (`helpdesk.inbound.senders`);
acknowledgements to one address are limited as the web form limits tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from sqlalchemy.orm import Session

from access.accounts import throttle
from access.config import AccessSettings
from access.directory.establishments import canonical_fase
from access.emails import normalize_email, same_address
from helpdesk import messages
from helpdesk.actors import Actor, Requester
from helpdesk.categories import propose_category
from helpdesk.errors import MessageTooLarge
from helpdesk.inbound import full_texts
from helpdesk.inbound.bounces import record_report
from helpdesk.inbound.parsing import (
    InboundMail,
    identification_from_text,
    message_ref,
    parse_mail,
    strip_quoted,
)
from helpdesk.inbound.result import IngestResult
from helpdesk.inbound.senders import UNKNOWN_TICKET, Verdict, verify
from helpdesk.models import Category, Source, Ticket
from helpdesk.prefill import prefill_for_person
from helpdesk.tickets import (
    complete_identification,
    find_by_idempotency_key,
    open_ticket,
    requester_message,
    system_note,
)
from helpdesk.validation import TicketForm, fase_is_known

IDENTIFICATION_FIELDS = ("last_name", "first_name", "fase")
NO_SUBJECT = "(sans objet)"
EMPTY_BODY = "(message vide)"

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# As the web form: 5 acknowledgements an hour to one address; and a ceiling for the whole
# helpdesk, so rotating addresses does not turn it into a mail cannon either.
ACKS_PER_ADDRESS = 5
ACKS_PER_HOUR = 100
ACK_WINDOW = timedelta(hours=1)
ACK_KIND = "mail_ack"
ACK_CLIENT = "inbound-mail"


@dataclass(frozen=True)
class InboundOptions:
    """The operator's choices (MAIL_INGEST_MAX_BYTES, MAIL_INGEST_DMARC_AUTHSERV_ID)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    # The authserv-id of our MTA's Authentication-Results; set, its dmarc=pass proves a From.
    dmarc_authserv_id: str | None = None


def ingest(
    session: Session,
    settings: AccessSettings,
    raw: bytes,
    *,
    triage_enabled: bool,
    options: InboundOptions | None = None,
) -> IngestResult:
    """One message, inside the caller's transaction."""
    options = options or InboundOptions()
    if len(raw) > options.max_bytes:
        raise MessageTooLarge(len(raw), options.max_bytes)
    mail = parse_mail(raw)
    source_ref = message_ref(mail.message_id)
    if mail.report:
        return record_report(session, mail, source_ref)
    if mail.automatic is not None:
        return IngestResult("ignored", reason=f"automatic message ({mail.automatic})")
    if mail.from_address is None:
        return IngestResult("ignored", reason="no valid sender address")
    if _is_ours(settings, mail):
        return IngestResult("ignored", reason="automatic message (our own)")
    verdict = verify(
        session, settings.helpdesk_email, mail, dmarc_authserv_id=options.dmarc_authserv_id
    )
    if verdict.ticket is not None:
        return _append(session, settings, verdict.ticket, mail, source_ref)
    return _create(session, settings, mail, source_ref, verdict, triage_enabled=triage_enabled)


def _is_ours(settings: AccessSettings, mail: InboundMail) -> bool:
    """From our sender, or from the help address itself (with or without a `+tag`): such a
    message opened as a ticket would acknowledge itself."""
    own = normalize_email(parseaddr(settings.mail_from)[1])
    if same_address(mail.from_address, own):
        return True
    local, _, domain = (mail.from_address or "").rpartition("@")
    return same_address(f"{local.partition('+')[0]}@{domain}", settings.helpdesk_email)


def _append(
    session: Session,
    settings: AccessSettings,
    ticket: Ticket,
    mail: InboundMail,
    source_ref: str | None,
) -> IngestResult:
    """The requester's answer joins the ticket, its quoted history cut; when the ticket is
    handled by e-mail, the help address receives it in the ticket's thread."""
    number = ticket.number
    actor = Actor(f"email:{ticket.id}", mail.from_name or ticket.requester_name)
    text = strip_quoted(mail.body) or EMPTY_BODY
    body, was_cut = full_texts.cut(text)
    if ticket.identification_missing:
        # Before the message leaves for the help address: its copy shows the fields filled.
        # (Again for the same message: its fields are no longer missing, nothing changes.)
        complete_identification(session, number, actor, identification_from_text(body))
    outcome = requester_message(session, settings, number, actor, body, source_ref=source_ref)
    if outcome.event is None:
        return IngestResult("duplicate", number=number)
    if was_cut:
        full_texts.keep(session, ticket.id, text, event_id=outcome.event.id)
    return IngestResult(
        "appended",
        number=number,
        text=body if outcome.for_triage_thread else None,
        reopened=outcome.reopened,
    )


def _create(
    session: Session,
    settings: AccessSettings,
    mail: InboundMail,
    source_ref: str | None,
    verdict: Verdict,
    *,
    triage_enabled: bool,
) -> IngestResult:
    assert mail.from_address is not None
    if source_ref is not None:
        existing = find_by_idempotency_key(session, source_ref)
        if existing is not None:
            return IngestResult("duplicate", number=existing.number)
    text = mail.body.strip() or EMPTY_BODY
    description, was_cut = full_texts.cut(text)
    values: dict[str, str] = {}
    person_id = None
    prefill = prefill_for_person(session, email=mail.from_address)
    if prefill is not None:
        person_id = prefill.person_id
        values.update(last_name=prefill.last_name, first_name=prefill.first_name)
        if len(prefill.fase_choices) == 1:
            values["fase"] = prefill.fase_choices[0][0]
    for name, value in identification_from_text(description).items():
        values.setdefault(name, value)
    if "last_name" not in values and mail.from_name:
        # "Émilie Dupont": the display name is all we have; the agent sees it as typed.
        first, _, last = mail.from_name.partition(" ")
        if last:
            values.setdefault("first_name", first)
            values.setdefault("last_name", last)
    missing = [name for name in IDENTIFICATION_FIELDS if not values.get(name)]
    fase = values.get("fase", "")
    subject = (mail.subject or NO_SUBJECT)[:200]
    form = TicketForm(
        last_name=values.get("last_name", ""),
        first_name=values.get("first_name", ""),
        fase=canonical_fase(session, fase) if fase else "",
        email=mail.from_address,
        category=_category(subject, description),
        subject=subject,
        description=description,
        phone=values.get("phone"),
        fase_unknown=bool(fase) and not fase_is_known(session, fase),
    )
    acknowledge = throttle.allow(
        session,
        ACK_KIND,
        client=ACK_CLIENT,
        address=mail.reply_address or mail.from_address,
        per_client=ACKS_PER_HOUR,
        per_address=ACKS_PER_ADDRESS,
        window=ACK_WINDOW,
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
        reply_email=mail.reply_address,
        acknowledge=acknowledge,
        origin_message_id=mail.message_id,
    )
    if not opened.created:
        return IngestResult("duplicate", number=opened.ticket.number)
    ticket = opened.ticket
    if was_cut:
        full_texts.keep(session, ticket.id, text)
    _explain(session, ticket, mail, verdict, acknowledged=acknowledge)
    return IngestResult(
        "created",
        number=ticket.number,
        missing=[messages.FIELD_LABELS[name] for name in missing],
        cited=verdict.cited,
    )


def _category(subject: str, description: str) -> str:
    """From the subject's words, else from the FAQ answers nearest to it, else the text."""
    from helpdesk.suggestions import suggestions_for, topics_of

    proposed = propose_category(subject)
    if proposed != Category.OTHER.value or subject == NO_SUBJECT:
        return proposed
    topics = topics_of([found.id for found in suggestions_for(subject)])
    return propose_category(subject, faq_topics=topics, description=description)


def _explain(
    session: Session, ticket: Ticket, mail: InboundMail, verdict: Verdict, *, acknowledged: bool
) -> None:
    """Internal notes for agents: what in this e-mail the helpdesk did not take at its word."""
    number = ticket.number
    if verdict.cited is not None and verdict.doubt is not None:
        system_note(
            session,
            number,
            "unverified_mail",
            messages.MAIL_UNVERIFIED[verdict.doubt].format(cited=verdict.cited),
            data={"cited": verdict.cited, "reason": verdict.doubt},
        )
        if verdict.doubt != UNKNOWN_TICKET:
            system_note(
                session,
                verdict.cited,
                "unverified_mail",
                messages.MAIL_UNVERIFIED_ON_CITED.format(
                    why=messages.MAIL_UNVERIFIED_WHY[verdict.doubt], number=number
                ),
                data={"opened": number, "reason": verdict.doubt},
            )
    if mail.reply_address is not None:
        system_note(
            session,
            number,
            "answer_address",
            messages.MAIL_ANSWER_ADDRESS.format(reply=mail.reply_address, sender=mail.from_address),
        )
    if not acknowledged:
        system_note(
            session, number, "acknowledgement_withheld", messages.MAIL_ACKNOWLEDGEMENT_WITHHELD
        )
