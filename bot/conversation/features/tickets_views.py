"""What tickets look like in chat: the ticket form, the triage card, notices, lists.

Pure builders of neutral replies (no Slack, no terminal): the handlers in `tickets.py` call
them, the adapters render them. Wording comes from `helpdesk.messages`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from access.clock import as_utc
from access.mail.templates import LOCAL_ZONE
from bot.conversation.replies import (
    Button,
    Choices,
    Field,
    FieldKind,
    Fields,
    FieldValue,
    Form,
    Heading,
    Message,
    Note,
    Option,
    Table,
    Text,
)
from helpdesk import messages
from helpdesk.models import Category, Priority, Status, Ticket, TicketEvent
from helpdesk.prefill import Prefill
from helpdesk.tickets import Notice
from helpdesk.validation import MAX_LENGTHS

FORM_ID = "ticket"
# The same form with the FASE confirmation box: another id, so Slack replaces the modal
# (`response_action: update`) instead of only showing errors on it.
FASE_FORM_ID = "ticket_fase"
REPLY_FORM_ID = "ticket_reply"
NOTE_FORM_ID = "ticket_note"
OPEN = "tickets.open"
CLAIM = "tickets.claim"
PRIORITY = "tickets.priority"
STATUS = "tickets.status"
REPLY = "tickets.reply"
NOTE = "tickets.note"
RESOLVED_YES = "tickets.resolved_yes"
RESOLVED_NO = "tickets.resolved_no"

# Slack allows 2,000 characters in a button value; the question must leave room for the rest.
QUESTION_LIMIT = 1500
TRIAGE_STATUSES = (Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED)


def contact_button(
    question: str = "", faq_ids: Sequence[str] = (), usage_id: int | str | None = None
) -> Button:
    """« Contacter le helpdesk »: opens the ticket form with the question in the description."""
    value = json.dumps(
        {"q": question[:QUESTION_LIMIT], "f": list(faq_ids)[:5], "u": usage_id},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return Button(messages.CONTACT_BUTTON, OPEN, value, style="primary")


def parse_contact_value(value: str) -> tuple[str, list[str], Any]:
    try:
        data = json.loads(value) if value else {}
    except ValueError:
        data = {"q": value}
    if not isinstance(data, dict):
        data = {}
    faq_ids = [str(i) for i in data.get("f") or [] if i]
    return str(data.get("q") or ""), faq_ids, data.get("u")


def pack(number: str, choice: str) -> str:
    return f"{number}|{choice}"


def unpack(value: str) -> tuple[str, str]:
    number, _, choice = value.partition("|")
    return number, choice


# --- the ticket form -------------------------------------------------------------------------


def ticket_form(
    *,
    prefill: Prefill | None,
    question: str = "",
    values: Mapping[str, FieldValue] | None = None,
    errors: Mapping[str, str] | None = None,
    confirm_fase: bool = False,
    context: Mapping[str, Any] | None = None,
) -> Form:
    """The form, prefilled from the directory; `values` (what was typed) win over the prefill."""
    initial: dict[str, FieldValue] = dict(prefill.values()) if prefill else {}
    if question:
        initial["description"] = messages.QUESTION_IN_DESCRIPTION.format(question=question) + "\n\n"
    initial.update({k: v for k, v in (values or {}).items() if v not in (None, "", [])})
    choices = prefill.fase_choices if prefill else []

    fields: list[Field] = [
        Field(
            "last_name",
            messages.FIELD_LABELS["last_name"],
            initial=initial.get("last_name"),
            max_length=MAX_LENGTHS["last_name"],
        ),
        Field(
            "first_name",
            messages.FIELD_LABELS["first_name"],
            initial=initial.get("first_name"),
            max_length=MAX_LENGTHS["first_name"],
        ),
    ]
    if len(choices) > 1:
        fields.append(
            Field(
                "fase",
                messages.FIELD_FASE_CHOICE,
                kind=FieldKind.SELECT,
                required=False,
                initial=initial.get("fase") if initial.get("fase") in dict(choices) else None,
                options=tuple(Option(fase, f"{fase} — {name}") for fase, name in choices),
            )
        )
        fields.append(
            Field(
                "fase_other",
                messages.FIELD_FASE_OTHER,
                required=False,
                initial=initial.get("fase_other"),
                max_length=MAX_LENGTHS["fase"],
            )
        )
    else:
        fields.append(
            Field(
                "fase",
                messages.FIELD_LABELS["fase"],
                initial=initial.get("fase"),
                hint=messages.FIELD_HINTS["fase"],
                max_length=MAX_LENGTHS["fase"],
            )
        )
    if confirm_fase:
        fields.append(
            Field(
                "confirm_unknown_fase",
                messages.FIELD_LABELS["confirm_unknown_fase"],
                kind=FieldKind.MULTI_SELECT,
                required=False,
                options=(Option("yes", messages.CONFIRM_FASE_OPTION),),
                hint=messages.CONFIRM_FASE_NEEDED,
            )
        )
    fields += [
        Field(
            "email",
            messages.FIELD_LABELS["email"],
            kind=FieldKind.EMAIL,
            initial=initial.get("email"),
            max_length=MAX_LENGTHS["email"],
        ),
        Field(
            "phone",
            "Téléphone",
            kind=FieldKind.PHONE,
            required=False,
            initial=initial.get("phone"),
            hint=messages.FIELD_HINTS["phone"],
        ),
        Field(
            "category",
            messages.FIELD_LABELS["category"],
            kind=FieldKind.SELECT,
            initial=initial.get("category"),
            options=tuple(Option(c.value, messages.category_label(c.value)) for c in Category),
        ),
        Field(
            "subject",
            messages.FIELD_LABELS["subject"],
            initial=initial.get("subject"),
            max_length=MAX_LENGTHS["subject"],
        ),
        Field(
            "description",
            messages.FIELD_LABELS["description"],
            kind=FieldKind.MULTILINE,
            initial=initial.get("description"),
            hint=messages.FIELD_HINTS["description"],
            max_length=MAX_LENGTHS["description"],
        ),
    ]
    form_context = dict(context or {})
    # One key per form shown: a double submit or a retried delivery finds the same ticket.
    form_context.setdefault("key", uuid.uuid4().hex)
    intro: tuple[Text, ...] = (Text(messages.FORM_INTRO),)
    if confirm_fase:
        intro = (*intro, Text(messages.FASE_UNKNOWN))
    return Form(
        FASE_FORM_ID if confirm_fase else FORM_ID,
        messages.FORM_TITLE,
        tuple(fields),
        submit_label=messages.FORM_SUBMIT,
        intro=intro,
        context=form_context,
        errors=dict(errors or {}),
    )


def reply_form(number: str) -> Form:
    return Form(
        REPLY_FORM_ID,
        messages.REPLY_FORM_TITLE,
        (Field("body", messages.REPLY_FORM_FIELD, kind=FieldKind.MULTILINE, max_length=3000),),
        submit_label=messages.REPLY_FORM_SUBMIT,
        intro=(Text(number),),
        context={"number": number, "key": uuid.uuid4().hex},
    )


def note_form(number: str) -> Form:
    return Form(
        NOTE_FORM_ID,
        messages.NOTE_FORM_TITLE,
        (Field("body", messages.NOTE_FORM_FIELD, kind=FieldKind.MULTILINE, max_length=3000),),
        submit_label=messages.NOTE_FORM_SUBMIT,
        intro=(Text(number),),
        context={"number": number, "key": uuid.uuid4().hex},
    )


# --- the triage card -------------------------------------------------------------------------


def _fase_text(ticket: Ticket, establishment: str | None) -> str:
    if not ticket.fase:
        return messages.NOT_PROVIDED
    if ticket.fase_unknown:
        return messages.TRIAGE_FASE_UNKNOWN.format(fase=ticket.fase)
    return f"{ticket.fase} — {establishment}" if establishment else ticket.fase


def assignee_text(ticket: Ticket) -> str:
    if ticket.assignee_name:
        return ticket.assignee_name
    if ticket.assignee_ref:
        return ticket.assignee_ref.partition(":")[2] or ticket.assignee_ref
    return messages.UNASSIGNED


def triage_message(ticket: Ticket, *, establishment: str | None = None) -> Message:
    """The card agents work from; rebuilt and updated in place after every change."""
    requester = ticket.requester_name or messages.NOT_PROVIDED
    blocks: list[Any] = [
        Heading(f"{ticket.number} · {ticket.subject}"),
        Fields(
            [
                (messages.TRIAGE_REQUESTER, requester),
                (messages.TRIAGE_FASE, _fase_text(ticket, establishment)),
                (messages.TRIAGE_EMAIL, ticket.contact_email),
                (messages.TRIAGE_PHONE, ticket.phone or messages.NOT_PROVIDED),
                (messages.TRIAGE_CATEGORY, messages.category_label(ticket.category)),
                (messages.TRIAGE_SOURCE, messages.SOURCE_LABELS.get(ticket.source, ticket.source)),
                (messages.TRIAGE_STATUS, messages.status_label(ticket.status)),
                (messages.TRIAGE_PRIORITY, messages.priority_label(ticket.priority)),
                (messages.TRIAGE_ASSIGNEE, assignee_text(ticket)),
            ]
        ),
        Text(ticket.description),
    ]
    if ticket.proposed_faq_ids:
        ids = ", ".join(ticket.proposed_faq_ids)
        blocks.append(Note(messages.TRIAGE_PROPOSED_FAQ.format(ids=ids)))
    if ticket.identification_missing:
        missing = ", ".join(messages.FIELD_LABELS[f] for f in ticket.identification_missing)
        blocks.append(Note(messages.TRIAGE_MISSING.format(fields=missing)))
    blocks.append(
        Choices(
            [
                Button(messages.BUTTON_CLAIM, CLAIM, ticket.number, style="primary"),
                Button(messages.BUTTON_REPLY, REPLY, ticket.number),
                Button(messages.BUTTON_NOTE, NOTE, ticket.number),
            ]
        )
    )
    blocks.append(
        Choices(
            [
                Button(
                    messages.BUTTON_PRIORITY.format(label=messages.priority_label(p.value)),
                    PRIORITY,
                    pack(ticket.number, p.value),
                )
                for p in Priority
                if p.value != ticket.priority
            ]
        )
    )
    blocks.append(
        Choices(
            [
                Button(messages.BUTTON_STATUS[s.value], STATUS, pack(ticket.number, s.value))
                for s in TRIAGE_STATUSES
                if s.value != ticket.status
            ]
        )
    )
    blocks.append(Note(messages.TRIAGE_HELP))
    return Message(*blocks, private=False)


# --- what the requester reads ----------------------------------------------------------------


def notice_message(notice: Notice) -> Message:
    if notice.kind == "resolved":
        return Message(
            Text(messages.NOTICE_RESOLVED.format(number=notice.number)),
            Text(notice.body),
            Choices(
                [
                    Button(messages.RESOLUTION_YES, RESOLVED_YES, notice.number, style="primary"),
                    Button(messages.RESOLUTION_NO, RESOLVED_NO, notice.number),
                ]
            ),
            private=False,
        )
    heading = NOTICE_HEADINGS.get(notice.kind, messages.NOTICE_REPLY)
    return Message(Text(heading.format(number=notice.number)), Text(notice.body), private=False)


# What the requester reads above a notice, by its kind (a reply when not listed).
NOTICE_HEADINGS = {
    "waiting_reminder": messages.NOTICE_WAITING_REMINDER,
    "closed": messages.NOTICE_CLOSED,
}


# --- lists and history -----------------------------------------------------------------------


def short_date(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = as_utc(moment).astimezone(LOCAL_ZONE)  # type: ignore[union-attr]
    return local.strftime("%d/%m/%Y %H:%M")


def tickets_table(tickets: Sequence[Ticket], title: str) -> Message:
    if not tickets:
        return Message(Text(title), Text(messages.LIST_EMPTY))
    rows = [
        (
            t.number,
            short_date(t.created_at),
            messages.status_label(t.status),
            messages.priority_label(t.priority),
            t.fase or "—",
            t.requester_name or t.contact_email,
            t.subject,
        )
        for t in tickets
    ]
    return Message(Table(messages.LIST_COLUMNS, rows, title=title))


def _event_detail(event: TicketEvent) -> str:
    data = event.data or {}
    if event.kind in ("status", "priority") and "to" in data:
        label = messages.status_label if event.kind == "status" else messages.priority_label
        return f"{label(str(data.get('from', '')))} → {label(str(data['to']))}"
    text = (event.body or "").strip()
    if event.kind == "opened":
        return messages.SOURCE_LABELS.get(str(data.get("source", "")), "")
    return text


def history_message(
    ticket: Ticket, events: Sequence[TicketEvent], *, establishment: str | None
) -> Message:
    """The card and its history; its buttons act as the triage card's do (agents only)."""
    card = triage_message(ticket, establishment=establishment)
    info = [b for b in card.blocks if not isinstance(b, Choices) and not isinstance(b, Note)]
    actions = [b for b in card.blocks if isinstance(b, Choices)]
    rows = []
    for event in events:
        what = messages.EVENT_LABELS.get(event.kind, event.kind)
        if event.internal:
            what = f"{what} {messages.INTERNAL_MARK}"
        rows.append(
            (
                short_date(event.at),
                event.author_name or event.author_ref,
                what,
                _event_detail(event),
            )
        )
    return Message(
        *info, Table(messages.HISTORY_COLUMNS, rows, title=messages.HISTORY_TITLE), *actions
    )
