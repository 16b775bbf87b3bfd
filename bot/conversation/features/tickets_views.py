"""What tickets look like in chat: the ticket form, the triage card, notices, lists.

Pure builders of neutral replies (no Slack, no terminal): the handlers in `tickets.py` call
them, the adapters render them. Wording comes from `helpdesk.messages`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from access.clock import as_utc
from access.mail.templates import LOCAL_ZONE
from bot.conversation.replies import (
    Block,
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
from helpdesk.models import Category, Priority, Source, Status, Ticket, TicketEvent
from helpdesk.prefill import Prefill
from helpdesk.queries import RequesterTicket
from helpdesk.suggestions import FaqSuggestion
from helpdesk.tickets import Notice
from helpdesk.validation import MAX_LENGTHS

FORM_ID = "ticket"
# The same form with the FASE confirmation box: another id, so Slack replaces the modal
# (`response_action: update`) instead of only showing errors on it.
FASE_FORM_ID = "ticket_fase"
# The same form again with the FAQ answers that may settle the request, before it is sent.
FAQ_FORM_ID = "ticket_faq"
REPLY_FORM_ID = "ticket_reply"
CATEGORY_FORM_ID = "ticket_category"
NOTE_FORM_ID = "ticket_note"
OPEN = "tickets.open"
CLAIM = "tickets.claim"
PRIORITY = "tickets.priority"
STATUS = "tickets.status"
REPLY = "tickets.reply"
CATEGORY = "tickets.category"
NOTE = "tickets.note"
RESOLVED_YES = "tickets.resolved_yes"
RESOLVED_NO = "tickets.resolved_no"

# Slack allows 2,000 characters in a button value; the question must leave room for the rest.
QUESTION_LIMIT = 1500
TRIAGE_STATUSES = (Status.IN_PROGRESS, Status.WAITING, Status.RESOLVED)
# The FAQ answer copied into a ticket after the person's words: enough to know what they read.
SHOWN_ANSWER_LIMIT = 2000
# A shown FAQ id is short; anything else in a button value is not ours.
_FAQ_ID_LIMIT = 100


@dataclass(frozen=True)
class ContactRequest:
    """What « Contacter le helpdesk » carries to the form: the person's question, the FAQ
    answers proposed, the usage log's id, and the answer they said did not help."""

    question: str = ""
    faq_ids: tuple[str, ...] = ()
    usage: Any = None
    not_helpful: str | None = None


def contact_button(
    question: str = "",
    faq_ids: Sequence[str] = (),
    usage_id: int | str | None = None,
    *,
    not_helpful: str | None = None,
) -> Button:
    """« Contacter le helpdesk »: opens the ticket form with the question in the description;
    `not_helpful`: the FAQ answer the person was shown and said did not help."""
    data: dict[str, Any] = {"q": question[:QUESTION_LIMIT], "f": list(faq_ids)[:5], "u": usage_id}
    if not_helpful:
        data["s"] = not_helpful
    value = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Button(messages.CONTACT_BUTTON, OPEN, value, style="primary")


def parse_contact_value(value: str) -> ContactRequest:
    try:
        data = json.loads(value) if value else {}
    except ValueError:
        data = {"q": value}
    if not isinstance(data, dict):
        data = {}
    faq_ids = tuple(str(i)[:_FAQ_ID_LIMIT] for i in data.get("f") or [] if i)[:5]
    shown = data.get("s")
    return ContactRequest(
        question=str(data.get("q") or "")[:QUESTION_LIMIT],
        faq_ids=faq_ids,
        usage=data.get("u"),
        not_helpful=str(shown)[:_FAQ_ID_LIMIT] if shown else None,
    )


def pack(number: str, choice: str) -> str:
    return f"{number}|{choice}"


def unpack(value: str) -> tuple[str, str]:
    number, _, choice = value.partition("|")
    return number, choice


# --- the ticket form -------------------------------------------------------------------------


def subject_from(question: str) -> str:
    """A subject from the person's question: whole when it fits, else cut at a word."""
    text = " ".join(question.split())
    limit = MAX_LENGTHS["subject"]
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def ticket_form(
    *,
    prefill: Prefill | None,
    question: str = "",
    values: Mapping[str, FieldValue] | None = None,
    errors: Mapping[str, str] | None = None,
    confirm_fase: bool = False,
    context: Mapping[str, Any] | None = None,
    category: str | None = None,
    suggestions: Sequence[FaqSuggestion] = (),
) -> Form:
    """The form, prefilled from the directory; `values` (what was typed) win over the prefill.
    `category`: the one proposed; `suggestions`: FAQ answers shown above the fields before the
    request is sent (the form then comes back once with them)."""
    initial: dict[str, FieldValue] = dict(prefill.values()) if prefill else {}
    if question:
        initial["subject"] = subject_from(question)
        initial["description"] = messages.QUESTION_IN_DESCRIPTION.format(question=question) + "\n\n"
    if category and category != Category.OTHER.value:
        initial["category"] = category
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
                initial=initial.get("confirm_unknown_fase"),
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
            required=False,
            initial=initial.get("category"),
            options=tuple(Option(c.value, messages.category_label(c.value)) for c in Category),
            hint=messages.FIELD_HINTS["category"],
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
    intro: tuple[Block, ...] = (Text(messages.FORM_INTRO),)
    form_id = FORM_ID
    if confirm_fase:
        intro = (*intro, Text(messages.FASE_UNKNOWN))
        form_id = FASE_FORM_ID
    if suggestions:
        intro = faq_step_blocks(suggestions)
        form_id = FAQ_FORM_ID
        # The console asks again only what has an error: the subject, with the answers above.
        errors = {**(errors or {}), "subject": messages.FAQ_STEP_FIELD}
    return Form(
        form_id,
        messages.FORM_TITLE,
        tuple(fields),
        submit_label=messages.FORM_SUBMIT,
        intro=intro,
        context=form_context,
        errors=dict(errors or {}),
    )


def faq_step_blocks(suggestions: Sequence[FaqSuggestion]) -> tuple[Block, ...]:
    blocks: list[Block] = [Text(messages.FAQ_STEP_INTRO)]
    for suggestion in suggestions:
        blocks += [Heading(suggestion.question), Text(suggestion.answer)]
    blocks.append(Note(messages.FAQ_STEP_OUTRO))
    return tuple(blocks)


def with_shown_answer(description: str, shown: FaqSuggestion | None) -> str:
    """The ticket's description: the person's words, then the FAQ answer that did not help."""
    if shown is None:
        return description
    heading = messages.FAQ_NOT_HELPFUL_IN_DESCRIPTION.format(question=shown.question)
    answer = shown.answer
    if len(answer) > SHOWN_ANSWER_LIMIT:
        answer = answer[: SHOWN_ANSWER_LIMIT - 1] + "…"
    return f"{description.rstrip()}\n\n{heading}\n{answer}"


def category_form(number: str, current: str) -> Form:
    return Form(
        CATEGORY_FORM_ID,
        messages.CATEGORY_FORM_TITLE,
        (
            Field(
                "category",
                messages.FIELD_LABELS["category"],
                kind=FieldKind.SELECT,
                initial=current,
                options=tuple(Option(c.value, messages.category_label(c.value)) for c in Category),
            ),
        ),
        submit_label=messages.CATEGORY_FORM_SUBMIT,
        intro=(Text(number),),
        context={"number": number},
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
        if ticket.source == Source.EMAIL.value:
            return messages.TRIAGE_FASE_UNKNOWN_EMAIL.format(fase=ticket.fase)
        return messages.TRIAGE_FASE_UNKNOWN.format(fase=ticket.fase)
    return f"{ticket.fase} — {establishment}" if establishment else ticket.fase


def assignee_text(ticket: Ticket) -> str:
    if ticket.assignee_name:
        return ticket.assignee_name
    if ticket.assignee_ref:
        return ticket.assignee_ref.partition(":")[2] or ticket.assignee_ref
    return messages.UNASSIGNED


def triage_message(
    ticket: Ticket, *, establishment: str | None = None, account: Sequence[Any] = ()
) -> Message:
    """The card agents work from; rebuilt and updated in place after every change.
    `account`: the « Compte » section (`diagnosis_card.account_blocks`)."""
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
                Button(messages.BUTTON_CATEGORY, CATEGORY, ticket.number),
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
    # After the card's own buttons: their numbers in the console stay the same.
    blocks.extend(account)
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
    if event.kind in ("status", "priority", "category") and "to" in data:
        label = {
            "status": messages.status_label,
            "priority": messages.priority_label,
            "category": messages.category_label,
        }[event.kind]
        return f"{label(str(data.get('from', '')))} → {label(str(data['to']))}"
    text = (event.body or "").strip()
    if event.kind == "opened":
        return messages.SOURCE_LABELS.get(str(data.get("source", "")), "")
    return text


def history_message(
    ticket: Ticket,
    events: Sequence[TicketEvent],
    *,
    establishment: str | None,
    account: Sequence[Any] = (),
) -> Message:
    """The card and its history; its buttons act as the triage card's do (agents only)."""
    card = triage_message(ticket, establishment=establishment, account=account)
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


# --- what a requester sees of their own tickets -------------------------------------------------


def _excerpt(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def last_reply_text(row: RequesterTicket) -> str:
    if row.last_reply is None or not row.last_reply.body:
        return messages.NO_REPLY_YET
    return messages.LAST_REPLY.format(
        when=short_date(row.last_reply.at), text=_excerpt(row.last_reply.body)
    )


def my_tickets_message(rows: Sequence[RequesterTicket]) -> Message:
    """`/tickets` for a requester: their tickets, status and the helpdesk's last answer."""
    title = messages.MY_TICKETS_TITLE.format(count=len(rows))
    if not rows:
        return Message(Text(title), Text(messages.MY_TICKETS_EMPTY), Choices([contact_button()]))
    table = Table(
        messages.MY_TICKETS_COLUMNS,
        [
            (
                row.ticket.number,
                short_date(row.ticket.created_at),
                row.ticket.subject,
                messages.status_label(row.ticket.status),
                last_reply_text(row),
            )
            for row in rows
        ],
        title=title,
    )
    return Message(table, Note(messages.MY_TICKETS_HINT.format(number=rows[0].ticket.number)))


def conversation_author(event: TicketEvent) -> str:
    if event.kind in ("reply", "resolved"):
        return event.author_name or messages.THE_HELPDESK
    return messages.YOU


def conversation_text(event: TicketEvent, ticket: Ticket) -> str:
    if event.kind == "opened":
        return ticket.description
    return event.body or ""


def my_ticket_message(ticket: Ticket, events: Sequence[TicketEvent]) -> Message:
    """One of the requester's tickets: where it stands and the conversation, no internals."""
    rows = [
        (
            short_date(event.at),
            conversation_author(event),
            messages.CONVERSATION_LABELS.get(event.kind, event.kind),
            conversation_text(event, ticket),
        )
        for event in events
    ]
    return Message(
        Heading(messages.MY_TICKET_TITLE.format(number=ticket.number, subject=ticket.subject)),
        Fields(
            [
                (messages.TRIAGE_STATUS, messages.status_label(ticket.status)),
                (messages.OPENED_ON, short_date(ticket.created_at)),
            ]
        ),
        Table(messages.MY_TICKET_COLUMNS, rows, title=messages.HISTORY_TITLE),
        Note(messages.MY_TICKET_ANSWER_HINT),
    )
