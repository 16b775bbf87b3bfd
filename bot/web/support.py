"""The public support form `/support`, for people who are not in Slack.

Same checks as the chat form (`helpdesk.validation`); the page re-renders with each
message next to its field and everything typed kept. A hidden submission id makes a double
submit open one ticket; the answer is a redirect (Post/Redirect/Get) to the ticket number.

The FAQ's answers nearest to the subject show under it as the person types (a small script
asks `/support/faq`); without the script, the first valid submit shows them on the page
once and the next one sends. A category left empty is proposed from the subject.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from access.accounts import throttle
from access.persistence.database import Database
from bot.faq_facts import faq_facts
from bot.settings import Settings
from bot.web import messages as web_msg
from bot.web.forms import Submitted, read_form
from bot.web.mrkdwn import to_html
from bot.web.pages import client_address, render
from bot.web.security import signed_in_person_id
from helpdesk import messages
from helpdesk.actors import Requester
from helpdesk.models import Category, Source
from helpdesk.prefill import prefill_for_person
from helpdesk.suggestions import FaqSuggestion, suggestions_for, topics_of
from helpdesk.tickets import get_ticket, open_ticket
from helpdesk.triage import TriageNotifier
from helpdesk.validation import FIELDS, MAX_LENGTHS, check_ticket_form

PATH = "/support"
DONE_PATH = "/support/envoye"
FAQ_PATH = "/support/faq"
SUBMISSION_FIELD = "submission_id"
# The subject whose FAQ answers the person has seen (by the script, or on the page once).
FAQ_CHECKED_FIELD = "faq_checked"
# Fields typed on several lines: tab and line breaks are kept there.
MULTILINE = frozenset({"description"})
# A whole school may sit behind one address: the client limit is generous, the per-address
# one is what stops the form from mailing a stranger over and over.
SUPPORT_PER_CLIENT = 30
SUPPORT_PER_ADDRESS = 5
SUPPORT_WINDOW = timedelta(hours=1)


def _state(request: Request) -> tuple[Settings, Database]:
    return request.app.state.settings, request.app.state.db


def _page(
    request: Request,
    *,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    confirm_fase: bool = False,
    notice: str | None = None,
    status: int = 200,
    suggestions: list[FaqSuggestion] | None = None,
) -> Response:
    return render(
        request,
        "support.html",
        status=status,
        title=messages.WEB_TITLE,
        intro=messages.WEB_INTRO,
        values=values,
        errors=errors or {},
        problems_title=messages.WEB_PROBLEMS,
        notice=notice,
        confirm_fase=confirm_fase,
        labels=messages.FIELD_LABELS,
        hints=messages.FIELD_HINTS,
        categories=[(c.value, messages.category_label(c.value)) for c in Category],
        choose=messages.WEB_CHOOSE,
        submit=messages.WEB_SUBMIT,
        max_lengths=MAX_LENGTHS,
        submission_field=SUBMISSION_FIELD,
        faq_checked_field=FAQ_CHECKED_FIELD,
        faq_path=FAQ_PATH,
        suggestions=[_shown(found) for found in suggestions or []],
        faq_title=messages.WEB_FAQ_TITLE,
        faq_then=messages.WEB_FAQ_THEN,
        faq_step=messages.WEB_FAQ_STEP,
    )


def _signed_in_values(db: Database, person_id: int | None) -> dict[str, str]:
    if person_id is None:
        return {}
    with db.session() as session:
        prefill = prefill_for_person(session, person_id=person_id)
    return prefill.values() if prefill else {}


async def support_page(request: Request) -> Response:
    settings, db = _state(request)
    if request.method == "GET":
        values = await run_in_threadpool(_signed_in_values, db, signed_in_person_id(request))
        values[SUBMISSION_FIELD] = uuid.uuid4().hex
        return _page(request, values=values)
    form = await read_form(request, multiline=MULTILINE)
    values = _typed_values(form.fields)
    refusal = _refused_form(request, form, values)
    if refusal is not None:
        return refusal
    requester = Requester(person_id=signed_in_person_id(request))
    submitted = await run_in_threadpool(
        _submit, db, settings, values, requester, client_address(request)
    )
    return await _answer(request, settings, values, submitted)


def _typed_values(fields: dict[str, str]) -> dict[str, str]:
    values = {name: fields.get(name, "") for name in FIELDS}
    values[SUBMISSION_FIELD] = fields.get(SUBMISSION_FIELD) or uuid.uuid4().hex
    values[FAQ_CHECKED_FIELD] = fields.get(FAQ_CHECKED_FIELD, "")[: MAX_LENGTHS["subject"] + 50]
    if fields.get("confirm_unknown_fase"):
        values["confirm_unknown_fase"] = "on"
    return values


def _refused_form(request: Request, form: Submitted, values: dict[str, str]) -> Response | None:
    """The page again when the form itself cannot be taken (expired, control characters)."""
    if not form.csrf_ok:
        # The page comes back with a fresh token and every value typed: nothing is lost.
        return _page(request, values=values, notice=messages.WEB_EXPIRED, status=400)
    if form.refused:
        # Shown back without the control characters: sending again is enough.
        return _page(
            request,
            values=values,
            errors={
                name: web_msg.FIELD_CONTROL_CHARACTERS for name in FIELDS if name in form.refused
            },
            notice=None if form.refused <= set(FIELDS) else web_msg.CONTROL_CHARACTERS,
            status=400,
        )
    return None


@dataclass(frozen=True)
class _Submitted:
    number: str | None = None
    created: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    needs_confirmation: bool = False
    # FAQ answers to show before sending (the person has not seen those for this subject),
    # with the category proposed meanwhile.
    suggestions: list[FaqSuggestion] = field(default_factory=list)
    category: str = ""


def _submit(
    db: Database, settings: Settings, values: dict[str, str], requester: Requester, client: str
) -> _Submitted:
    subject = " ".join(values.get("subject", "").split())
    found = suggestions_for(subject, values.get("description", ""), facts=faq_facts(settings))
    with db.transaction() as session:
        check = check_ticket_form(values, session, faq_topics=topics_of([f.id for f in found]))
        if check.form is None:
            return _Submitted(errors=check.errors, needs_confirmation=check.fase_needs_confirmation)
    if found and " ".join(values[FAQ_CHECKED_FIELD].split()) != subject:
        return _Submitted(suggestions=found, category=check.form.category)
    # A public form that sends an acknowledgement to the address typed could be used to spam
    # third parties: a few tickets per client and per contact address per hour.
    with db.transaction() as session:
        if not throttle.allow(
            session,
            "support",
            client=client,
            address=check.form.email,
            per_client=SUPPORT_PER_CLIENT,
            per_address=SUPPORT_PER_ADDRESS,
            window=SUPPORT_WINDOW,
        ):
            return _Submitted()
    with db.transaction() as session:
        opened = open_ticket(
            session,
            settings,
            check.form,
            source=Source.WEB,
            requester=requester,
            idempotency_key=f"web:{values[SUBMISSION_FIELD]}"[:128],
            proposed_faq_ids=[f.id for f in found],
            triage_enabled=bool(settings.triage_channel),
        )
        return _Submitted(opened.ticket.number, opened.created)


async def _answer(
    request: Request, settings: Settings, values: dict[str, str], submitted: _Submitted
) -> Response:
    if submitted.suggestions:
        # Shown once on the page; the next submit sends, whatever the person decides.
        values = {
            **values,
            FAQ_CHECKED_FIELD: " ".join(values.get("subject", "").split()),
            # The proposal preselected, for the person to see (never « Autre »: say nothing).
            "category": values.get("category")
            or ("" if submitted.category == Category.OTHER.value else submitted.category),
        }
        return _page(
            request,
            values=values,
            suggestions=submitted.suggestions,
            confirm_fase=bool(values.get("confirm_unknown_fase")),
        )
    if submitted.number is None and not submitted.errors and not submitted.needs_confirmation:
        return _page(request, values=values, notice=messages.WEB_TOO_MANY, status=429)
    if submitted.number is None:
        # The summary lists the problems in the order of the fields on the page.
        errors = {
            name: submitted.errors[name]
            for name in (*FIELDS, "confirm_unknown_fase")
            if name in submitted.errors
        }
        return _page(
            request,
            values=values,
            errors=errors,
            confirm_fase=submitted.needs_confirmation,
            status=400,
        )
    if submitted.created and settings.triage_channel:
        triage: TriageNotifier = request.app.state.triage
        await run_in_threadpool(triage.publish, submitted.number)
    request.session["support_ticket"] = submitted.number
    return RedirectResponse(settings.public_base_url.rstrip("/") + DONE_PATH, status_code=303)


async def support_done(request: Request) -> Response:
    settings, db = _state(request)
    number = request.session.get("support_ticket")
    if not isinstance(number, str):
        return RedirectResponse(settings.public_base_url.rstrip("/") + PATH, status_code=303)

    def contact() -> str:
        with db.session() as session:
            return get_ticket(session, number).contact_email

    email = await run_in_threadpool(contact)
    return render(
        request,
        "message.html",
        title=messages.WEB_DONE_TITLE,
        message=messages.WEB_DONE.format(number=number, email=email),
    )


# A subject is at most this long; more is not a subject, and is not looked up.
FAQ_QUERY_LIMIT = MAX_LENGTHS["subject"]


async def faq_suggestions(request: Request) -> Response:
    """The FAQ answers for the subject typed so far (the support page's script asks)."""
    query = request.query_params.get("objet", "")[:FAQ_QUERY_LIMIT]
    facts = faq_facts(request.app.state.settings)
    found = await run_in_threadpool(lambda: suggestions_for(query, facts=facts))
    return JSONResponse({"suggestions": [_shown(f) for f in found]})


def _shown(suggestion: FaqSuggestion) -> dict[str, str]:
    """A suggestion as the page shows it; `answer_html` is escaped, then marked up
    (bot.web.mrkdwn), as on the FAQ page."""
    return {
        "id": suggestion.id,
        "question": suggestion.question,
        "answer": suggestion.answer,
        "answer_html": str(to_html(suggestion.answer)),
    }


def routes() -> list[Route]:
    return [
        Route(PATH, support_page, methods=["GET", "POST"]),
        Route(DONE_PATH, support_done, methods=["GET"]),
        Route(FAQ_PATH, faq_suggestions, methods=["GET"]),
    ]
