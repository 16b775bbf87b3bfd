"""The helpdesk's e-mails, all through the outbox (same transaction as the ticket change).

Subjects carry the ticket number in brackets, so the help address can sort its mailbox by
ticket. Each side sees one thread per ticket (In-Reply-To and References): the requester's
starts with the e-mail that opened the ticket, or else with our acknowledgement; the help
address's with the copy of the ticket it received, and the requester's later messages follow
it there when the ticket is handled by e-mail.

What the requester receives answers to a reply address of its own (`helpdesk.reply_keys`):
only a reply to that address joins the ticket through `mail ingest`.
Answers go to the address the requester asked for (Reply-To of the first e-mail), if any.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from access.config import AccessSettings
from helpdesk import messages, reply_keys
from helpdesk.models import Source, Ticket

KIND_PREFIX = "ticket"


def identification_rows(ticket: Ticket) -> list[tuple[str, str]]:
    """Every identification field, labelled as on the form; missing ones say so."""
    fase = ticket.fase or messages.NOT_PROVIDED
    if ticket.fase_unknown:
        flag = (
            messages.FASE_UNKNOWN_FLAG_EMAIL
            if ticket.source == Source.EMAIL.value
            else messages.FASE_UNKNOWN_FLAG
        )
        fase = f"{fase} ({flag})"
    answers = [(messages.REPLY_EMAIL_LABEL, ticket.reply_email)] if ticket.reply_email else []
    return [
        (messages.FIELD_LABELS["last_name"], ticket.last_name or messages.NOT_PROVIDED),
        (messages.FIELD_LABELS["first_name"], ticket.first_name or messages.NOT_PROVIDED),
        (messages.FIELD_LABELS["fase"], fase),
        (messages.FIELD_LABELS["email"], ticket.contact_email),
        *answers,
        ("Téléphone", ticket.phone or messages.NOT_PROVIDED),
        (messages.FIELD_LABELS["category"], messages.category_label(ticket.category)),
        ("Source", messages.SOURCE_LABELS.get(ticket.source, ticket.source)),
    ]


def _context(settings: AccessSettings, ticket: Ticket, **extra: Any) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "ticket_subject": ticket.subject,
        "description": ticket.description,
        "requester_name": ticket.requester_name,
        "identification": identification_rows(ticket),
        "proposed_faq_ids": list(ticket.proposed_faq_ids or []),
        "helpdesk_email": settings.helpdesk_email,
        "extranet_url": settings.extranet_url,
        **extra,
    }


def _send(
    session: Session,
    settings: AccessSettings,
    template: str,
    *,
    to: str,
    ticket: Ticket,
    kind: str,
    reply_to: str | None,
    context: dict[str, Any],
    auto_submitted: str = "auto-generated",
    thread_root: str | None = None,
    thread: Sequence[str | None] = (),
) -> str:
    """Enqueue the e-mail; its Message-ID. `thread_root`: the Message-ID it answers;
    `thread`: the earlier ones of its thread, oldest first."""
    from access.mail.outbox import enqueue
    from access.mail.templates import render

    message = render(
        settings,
        template,
        to=to,
        context=context,
        reply_to=reply_to,
        auto_submitted=auto_submitted,
        in_reply_to=thread_root,
        references=[ref for ref in (*thread, thread_root) if ref],
    )
    row = enqueue(
        session,
        message,
        kind=f"{KIND_PREFIX}_{kind}",
        person_id=ticket.requester_person_id,
        ref=ticket.number,
    )
    return row.message_id


def send_to_helpdesk(session: Session, settings: AccessSettings, ticket: Ticket) -> None:
    """The ticket, to the help address. For a ticket opened by e-mail it answers that e-mail,
    which the help address received too: the mailbox shows them together."""
    context = _context(
        settings,
        ticket,
        subject=messages.SUBJECT_TO_HELPDESK.format(number=ticket.number, subject=ticket.subject),
        reply_to_address=ticket.answer_address,
    )
    origin = ticket.requester_mail_root if ticket.source == Source.EMAIL.value else None
    message_id = _send(
        session,
        settings,
        "tickets_helpdesk",
        to=settings.helpdesk_email,
        ticket=ticket,
        kind="helpdesk",
        reply_to=ticket.answer_address,
        context=context,
        thread_root=origin,
    )
    ticket.helpdesk_mail_root = ticket.helpdesk_mail_root or message_id


def _acknowledgement_subject(ticket: Ticket, missing: bool) -> str:
    if ticket.source == Source.EMAIL.value and ticket.requester_mail_root:
        # An answer to their e-mail: « Re: » and their subject, so it joins their thread.
        subject = messages.SUBJECT_ACKNOWLEDGED_REPLY.format(
            number=ticket.number, subject=ticket.subject
        )
        return f"{subject} {messages.SUBJECT_IDENTIFICATION_SUFFIX}" if missing else subject
    template = messages.SUBJECT_IDENTIFICATION if missing else messages.SUBJECT_ACKNOWLEDGED
    return template.format(number=ticket.number)


def send_acknowledgement(session: Session, settings: AccessSettings, ticket: Ticket) -> None:
    """Tells the number. It answers the requester's e-mail when the ticket came from one;
    otherwise it starts the requester's thread about the ticket."""
    missing = [messages.FIELD_LABELS[name] for name in ticket.identification_missing or []]
    message_id = _send(
        session,
        settings,
        "tickets_acknowledged",
        to=ticket.answer_address,
        ticket=ticket,
        kind="acknowledged",
        reply_to=reply_keys.issue(session, settings.helpdesk_email, ticket),
        context=_context(
            settings,
            ticket,
            subject=_acknowledgement_subject(ticket, bool(missing)),
            missing_fields=missing,
        ),
        auto_submitted="auto-replied",
        thread_root=ticket.requester_mail_root,
    )
    ticket.requester_mail_root = ticket.requester_mail_root or message_id


def send_to_requester(
    session: Session,
    settings: AccessSettings,
    ticket: Ticket,
    kind: str,
    body: str,
    *,
    author_name: str,
) -> None:
    template = {
        "reply": ("tickets_reply", messages.SUBJECT_REPLY),
        "resolved": ("tickets_resolved", messages.SUBJECT_RESOLVED),
        "waiting_reminder": ("tickets_notice", messages.SUBJECT_WAITING_REMINDER),
        "closed": ("tickets_notice", messages.SUBJECT_CLOSED),
    }
    name, subject = template.get(kind, template["reply"])
    _send(
        session,
        settings,
        name,
        to=ticket.answer_address,
        ticket=ticket,
        kind=kind,
        reply_to=reply_keys.issue(session, settings.helpdesk_email, ticket),
        context=_context(
            settings,
            ticket,
            subject=subject.format(number=ticket.number, subject=ticket.subject),
            body=body,
            author_name=author_name,
        ),
        thread_root=ticket.requester_mail_root,
    )


def send_followup_to_helpdesk(
    session: Session, settings: AccessSettings, ticket: Ticket, body: str
) -> None:
    """A requester's later message, in the help address's thread of the ticket."""
    origin = ticket.requester_mail_root if ticket.source == Source.EMAIL.value else None
    context = _context(
        settings,
        ticket,
        subject=messages.SUBJECT_FOLLOWUP.format(number=ticket.number, subject=ticket.subject),
        body=body,
        reply_to_address=ticket.answer_address,
    )
    _send(
        session,
        settings,
        "tickets_followup",
        to=settings.helpdesk_email,
        ticket=ticket,
        kind="followup",
        reply_to=ticket.answer_address,
        context=context,
        thread_root=ticket.helpdesk_mail_root,
        thread=(origin,),
    )
