"""« Votre situation » on the web: the button of « Mon accès », the public page « Ma
situation » for someone who cannot sign in, and the page behind the e-mail's action link.

The rules, the wording of the diagnosis and the actions are the domain's
(`access.diagnosis`): these handlers read a form, call one use case and render.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from access import messages as account_msg
from access.diagnosis import by_mail
from access.diagnosis.self_service import OwnAction, act_if_it_fits
from access.persistence.database import Database
from bot.settings import Settings
from bot.web import messages as msg
from bot.web.clients import client_address
from bot.web.forms import read_form
from bot.web.my_access import signed_in_action
from bot.web.pages import (
    SIGNED_IN_HOME,
    SITUATION_ACTION,
    SITUATION_FIELD,
    SITUATION_OUTCOME,
    LinkForm,
    after_answer,
    form_expired,
    link_page,
    redirect_to,
    render,
    sign_in_first,
)
from bot.web.security import signed_in_person_id

PUBLIC_PAGE = by_mail.PAGE
ACTION_PAGE = by_mail.ACTION_PAGE + "{token}"


def _state(request: Request) -> tuple[Settings, Database]:
    return request.app.state.settings, request.app.state.db


# --- « Mon accès »: the button under « Votre situation » --------------------------------


async def my_situation_action(request: Request) -> Response:
    """POST (CSRF-checked) of the one button; the server decides again whether it fits."""
    person_id = signed_in_person_id(request)
    if person_id is None:
        return sign_in_first(request)
    form = await read_form(request)
    if not form.csrf_ok:
        return form_expired(request)
    settings, db = _state(request)
    try:
        requested = OwnAction(form.fields.get(SITUATION_FIELD, ""))
    except ValueError:
        requested = OwnAction.HELPDESK  # refused below: nothing a button offers
    outcome = await run_in_threadpool(
        lambda: db.call(
            act_if_it_fits,
            settings,
            person_id,
            requested,
            offered=signed_in_action,
            reason="mon-acces",
        )
    )
    request.session[SITUATION_OUTCOME] = {"ok": outcome.done, "text": outcome.message}
    return redirect_to(request, SIGNED_IN_HOME)


# --- the public page « Ma situation » ----------------------------------------------------


def _public(request: Request, *, status: int = 200, **context: object) -> Response:
    return render(request, "situation.html", status=status, title=msg.TITLE_SITUATION, **context)


async def situation_page(request: Request) -> Response:
    if request.method == "GET":
        return _public(request)
    form = await read_form(request)
    if not form.csrf_ok:
        return form_expired(request)
    email = form.fields.get("email", "").strip()
    if form.refused or not email:
        error = msg.CONTROL_CHARACTERS if form.refused else msg.EMAIL_REQUIRED
        return _public(request, status=400, error=error, email=email)
    settings, db = _state(request)
    asked = await run_in_threadpool(
        db.call, by_mail.request_situation, settings, email, client_address(request)
    )
    if not asked.accepted:
        return _public(request, status=429, error=asked.message, email=email)
    answer = render(
        request,
        "message.html",
        title=msg.TITLE_SITUATION,
        message=asked.message,
        back_link=True,
    )
    if asked.pending is not None:
        # Known address or not, the lookup and the e-mail come after the answer.
        answer.background = after_answer(
            db, by_mail.carry_out_situation_request, settings, asked.pending
        )
    return answer


# --- the e-mail's action link --------------------------------------------------------------

ACTION_LINK = LinkForm(
    "situation_action.html", msg.TITLE_SITUATION, "linked", account_msg.SITUATION_LINK_INVALID
)


def _use(
    db: Database, settings: Settings, raw: str, _fields: dict[str, str]
) -> by_mail.LinkOutcome:
    return db.call(by_mail.use_action_link, settings, raw)


def _used(request: Request, result: by_mail.LinkOutcome, _fields: dict[str, str]) -> Response:
    assert result.outcome is not None
    return render(
        request,
        "message.html",
        status=200 if result.outcome.done else 409,
        title=msg.TITLE_SITUATION,
        message=result.outcome.message,
    )


async def situation_action_page(request: Request) -> Response:
    return await link_page(request, ACTION_LINK, by_mail.peek_action, _use, _used)


def routes() -> list[Route]:
    both = ["GET", "POST"]
    return [
        Route(PUBLIC_PAGE, situation_page, methods=both),
        Route(ACTION_PAGE, situation_action_page, methods=both),
        Route(SITUATION_ACTION, my_situation_action, methods=["POST"]),
    ]
