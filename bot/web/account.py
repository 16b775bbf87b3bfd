"""« Mon accès » pages that change the account: the password and the reference e-mail.

Both are forms for a signed-in person that ask for the current password
(`access.accounts.changes`). A success goes back to « Mon accès » with a notice (the cookie
carries it once), so reloading the page never sends the form again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from access.accounts import changes
from access.accounts.activation import pending_email_change
from access.directory.models import Person
from access.persistence.database import Database
from bot.settings import Settings
from bot.web import messages as msg
from bot.web.clients import client_address
from bot.web.forms import read_form
from bot.web.pages import (
    EMAIL_PAGE,
    NOTICE,
    PASSWORD_PAGE,
    SIGNED_IN_HOME,
    form_expired,
    redirect_to,
    render,
    sign_in_first,
)
from bot.web.security import replace_session_secret, session_secret, signed_in_person_id


def _state(request: Request) -> tuple[Settings, Database]:
    return request.app.state.settings, request.app.state.db


def _shown(session: Session, person_id: int) -> dict[str, Any]:
    """What both pages show of the account: the reference e-mail and a change waiting."""
    person = session.get(Person, person_id)
    account = person.account if person is not None else None
    return {
        "reference_email": account.reference_email if account is not None else None,
        "pending": pending_email_change(session, person_id),
    }


async def _page(
    request: Request,
    template: str,
    title: str,
    submit: Callable[[int, dict[str, str]], changes.ChangeResult],
    done: Callable[[Request, changes.ChangeResult], str],
    *,
    keep: tuple[str, ...] = (),
) -> Response:
    """GET shows the form; POST (CSRF-checked) calls `submit`, then either shows the form
    again with its problems or goes back to « Mon accès » with the notice `done` names.
    `keep`: the fields shown again after a refusal (never a password)."""
    person_id = signed_in_person_id(request)
    if person_id is None:
        return sign_in_first(request)
    shown = await run_in_threadpool(_state(request)[1].call, _shown, person_id)
    if request.method == "GET":
        return render(request, template, title=title, **shown)
    form = await read_form(request)
    if not form.csrf_ok:
        return form_expired(request)
    again = {name: form.fields.get(name, "") for name in keep}
    if form.refused:
        problems = [msg.CONTROL_CHARACTERS]
        return render(
            request, template, status=400, title=title, problems=problems, **shown, **again
        )
    result = await run_in_threadpool(submit, person_id, form.fields)
    if not result.ok:
        status = 429 if result.blocked else 400
        return render(
            request,
            template,
            status=status,
            title=title,
            problems=result.problems,
            **shown,
            **again,
        )
    request.session[NOTICE] = done(request, result)
    return redirect_to(request, SIGNED_IN_HOME)


async def change_password_page(request: Request) -> Response:
    settings, db = _state(request)
    secret, client = session_secret(request), client_address(request)

    def submit(person_id: int, fields: dict[str, str]) -> changes.ChangeResult:
        return changes.change_password(
            db,
            settings,
            person_id,
            current=fields.get("current_password", ""),
            password=fields.get("password", ""),
            confirmation=fields.get("password_confirmation", ""),
            session_secret=secret,
            client=client,
        )

    def done(request: Request, result: changes.ChangeResult) -> str:
        # The new password ended the old session: this browser carries on under the new one.
        replace_session_secret(request, result.session_secret)
        if result.other_sessions_ended:
            return "password_changed_others_ended"
        return "password_changed"

    return await _page(request, "change_password.html", msg.TITLE_CHANGE_PASSWORD, submit, done)


async def change_email_page(request: Request) -> Response:
    settings, db = _state(request)
    client = client_address(request)

    def submit(person_id: int, fields: dict[str, str]) -> changes.ChangeResult:
        return changes.request_new_reference_email(
            db,
            settings,
            person_id,
            new_email=fields.get("new_email", ""),
            password=fields.get("current_password", ""),
            client=client,
        )

    return await _page(
        request,
        "change_email.html",
        msg.TITLE_CHANGE_EMAIL,
        submit,
        lambda _request, _result: "email_change_sent",
        keep=("new_email",),
    )


def routes() -> list[Route]:
    both = ["GET", "POST"]
    return [
        Route(PASSWORD_PAGE, change_password_page, methods=both),
        Route(EMAIL_PAGE, change_email_page, methods=both),
    ]
