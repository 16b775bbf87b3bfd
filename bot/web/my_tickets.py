"""« Mes demandes » `/mes-demandes`: a signed-in person's own tickets, each with its
conversation, and a form to add a message (it reaches the helpdesk as a chat reply does).

Only the person who opened a ticket sees it: someone else's number answers as an unknown page.
Adding a message is a POST with the session's CSRF token and a submission id, so a double
submit adds it once; the answer is a redirect back to the conversation (Post/Redirect/Get).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from access.mail.templates import date_fr
from access.persistence.database import Database
from bot.settings import Settings
from bot.web import messages as web_msg
from bot.web.forms import read_form
from bot.web.pages import SIGNIN, render
from bot.web.security import signed_in_person_id
from helpdesk import messages, tickets
from helpdesk.actors import Actor
from helpdesk.errors import TicketError, TicketNotFound
from helpdesk.models import TicketEvent
from helpdesk.numbering import find_number
from helpdesk.queries import (
    RequesterTicket,
    TicketHistory,
    person_name,
    requester_ticket,
    tickets_of_requester,
)
from helpdesk.triage import TriageNotifier

PATH = "/mes-demandes"
MESSAGE_FIELD = "message"
SUBMISSION_FIELD = "submission_id"
MESSAGE_MAX_LENGTH = 10_000
# The list shows the latest requests; older ones stay readable by their number.
LIST_LIMIT = 50
NOTICE_KEY = "my_tickets_notice"


EXCERPT_CHARS = 200


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


def _state(request: Request) -> tuple[Settings, Database]:
    return request.app.state.settings, request.app.state.db


def _redirect(settings: Settings, path: str) -> RedirectResponse:
    return RedirectResponse(settings.public_base_url.rstrip("/") + path, status_code=303)


@dataclass(frozen=True)
class Entry:
    """One message of the conversation, as the page shows it."""

    at: Any
    author: str
    label: str
    text: str
    from_helpdesk: bool


def _entries(history: TicketHistory) -> list[Entry]:
    def text(event: TicketEvent) -> str:
        return history.ticket.description if event.kind == "opened" else (event.body or "")

    return [
        Entry(
            at=event.at,
            author=(event.author_name or messages.THE_HELPDESK)
            if event.kind in ("reply", "resolved")
            else messages.YOU,
            label=messages.CONVERSATION_LABELS.get(event.kind, event.kind),
            text=text(event),
            from_helpdesk=event.kind in ("reply", "resolved"),
        )
        for event in history.events
    ]


def _list(db: Database, person_id: int) -> list[RequesterTicket]:
    # Read, then shown after the session closed: only loaded columns are used.
    with db.session() as session:
        return tickets_of_requester(session, person_id=person_id, limit=LIST_LIMIT)


async def my_tickets_page(request: Request) -> Response:
    settings, db = _state(request)
    person_id = signed_in_person_id(request)
    if person_id is None:
        return _redirect(settings, SIGNIN)
    rows = await run_in_threadpool(_list, db, person_id)
    return render(
        request,
        "my_tickets.html",
        title=messages.WEB_MY_TITLE,
        intro=messages.WEB_MY_INTRO,
        rows=rows,
        columns=messages.MY_TICKETS_COLUMNS,
        empty=messages.MY_TICKETS_EMPTY,
        new_ticket=messages.WEB_MY_NEW,
        status_label=messages.status_label,
        no_reply=messages.NO_REPLY_YET,
        date_fr=date_fr,
        excerpt=_excerpt,
    )


def _history(db: Database, number: str, person_id: int) -> tuple[TicketHistory, list[Entry]]:
    with db.session() as session:
        history = requester_ticket(session, number, person_id=person_id)
        return history, _entries(history)


def _ticket_number(request: Request) -> str:
    number = find_number(request.path_params["number"])
    if number is None:
        raise HTTPException(status_code=404)
    return number


async def my_ticket_page(request: Request) -> Response:
    settings, db = _state(request)
    person_id = signed_in_person_id(request)
    if person_id is None:
        return _redirect(settings, SIGNIN)
    number = _ticket_number(request)
    if request.method == "POST":
        return await _add_message(request, settings, db, number, person_id)
    notice = request.session.pop(NOTICE_KEY, None)
    return await _conversation(
        request, db, number, person_id, notice=notice if isinstance(notice, str) else None
    )


async def _conversation(
    request: Request,
    db: Database,
    number: str,
    person_id: int,
    *,
    notice: str | None = None,
    error: str | None = None,
    typed: str = "",
    status: int = 200,
) -> Response:
    try:
        history, entries = await run_in_threadpool(_history, db, number, person_id)
    except TicketNotFound:
        raise HTTPException(status_code=404) from None
    ticket = history.ticket
    return render(
        request,
        "my_ticket.html",
        status=status,
        title=messages.WEB_MY_TICKET_TITLE.format(number=ticket.number),
        ticket=ticket,
        status_label=messages.status_label(ticket.status),
        entries=entries,
        notice=notice,
        error=error,
        typed=typed,
        message_field=MESSAGE_FIELD,
        submission_field=SUBMISSION_FIELD,
        submission_id=uuid.uuid4().hex,
        max_length=MESSAGE_MAX_LENGTH,
        path=f"{PATH}/{ticket.number}",
        list_path=PATH,
        text=messages,
        date_fr=date_fr,
    )


@dataclass(frozen=True)
class _Added:
    # False: the same submission was already recorded (a double click); nothing new to say.
    new: bool
    reopened: bool
    # Post it in the ticket's triage thread (the ticket is handled in Slack).
    for_triage: bool
    text: str


def _record(
    db: Database, settings: Settings, number: str, person_id: int, body: str, key: str
) -> _Added:
    with db.transaction() as session:
        # Theirs, or it does not exist (raises TicketNotFound).
        ticket = requester_ticket(session, number, person_id=person_id).ticket
        actor = Actor.person(person_id, person_name(session, person_id) or ticket.requester_name)
        outcome = tickets.requester_message(
            session, settings, ticket.number, actor, body, source_ref=f"web:{key}"[:255]
        )
        return _Added(outcome.event is not None, outcome.reopened, outcome.for_triage_thread, body)


async def _add_message(
    request: Request, settings: Settings, db: Database, number: str, person_id: int
) -> Response:
    form = await read_form(request, multiline={MESSAGE_FIELD})
    body = form.fields.get(MESSAGE_FIELD, "").strip()
    if not form.csrf_ok:
        return await _conversation(
            request, db, number, person_id, error=web_msg.FORM_EXPIRED, typed=body, status=400
        )
    if form.refused:
        return await _conversation(
            request, db, number, person_id, error=web_msg.CONTROL_CHARACTERS, status=400
        )
    problem = None
    if not body:
        problem = messages.EMPTY_MESSAGE
    elif len(body) > MESSAGE_MAX_LENGTH:
        problem = messages.TOO_LONG.format(limit=MESSAGE_MAX_LENGTH)
    if problem is not None:
        return await _conversation(
            request, db, number, person_id, error=problem, typed=body, status=400
        )
    key = form.fields.get(SUBMISSION_FIELD) or uuid.uuid4().hex
    try:
        added = await run_in_threadpool(_record, db, settings, number, person_id, body, key)
    except TicketNotFound:
        raise HTTPException(status_code=404) from None
    except TicketError as error:
        return await _conversation(
            request, db, number, person_id, error=error.user_message, typed=body, status=400
        )
    if added.for_triage:
        triage: TriageNotifier = request.app.state.triage
        await run_in_threadpool(lambda: triage.relay(number, added.text, reopened=added.reopened))
    if added.new:
        request.session[NOTICE_KEY] = (
            messages.WEB_MY_REOPENED if added.reopened else messages.WEB_MY_ADDED
        )
    return _redirect(settings, f"{PATH}/{number}")


def routes() -> list[Route]:
    return [
        Route(PATH, my_tickets_page, methods=["GET"]),
        Route(PATH + "/{number}", my_ticket_page, methods=["GET", "POST"]),
    ]
