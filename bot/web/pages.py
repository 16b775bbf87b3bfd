"""The pages: thin handlers that read a form, call the access services and render a template.

Every state change is a POST carrying the session's CSRF token; opening a link (GET) never
spends a token. Links and redirects are built from PUBLIC_BASE_URL, never from the request.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from access import messages as account_msg
from access.accounts import activation, sessions, signin
from access.accounts.passwords import MAX_LENGTH, MIN_LENGTH, rules_text
from access.accounts.sessions import Ended
from access.persistence.database import Database
from bot.settings import Settings
from bot.web import messages as msg
from bot.web.clients import client_address
from bot.web.forms import Submitted, read_form
from bot.web.my_access import my_access_view
from bot.web.security import (
    CSRF_FIELD,
    SIGNED_OUT,
    csrf_token,
    forget_signed_in,
    session_secret,
    signed_in_person_id,
    signed_out,
    start_signed_in_session,
    why_signed_out,
)

SIGNED_IN_HOME = "/mon-acces"
PASSWORD_PAGE = "/mon-acces/mot-de-passe"
EMAIL_PAGE = "/mon-acces/adresse-email"
SIGNIN = "/connexion"
# « Votre situation » on « Mon accès »: its button's form, and the outcome the cookie
# carries once back to the page (bot.web.situation).
SITUATION_ACTION = "/mon-acces/situation"
SITUATION_FIELD = "action"
SITUATION_OUTCOME = "situation_outcome"
# Where the sign-in form may send the person back to (`suite`): our own pages only.
RETURN_PATHS = frozenset({SIGNED_IN_HOME, PASSWORD_PAGE, EMAIL_PAGE})
RETURN_FIELD = "suite"
REASON_FIELD = "motif"
# Why the sign-in page is shown: the `motif` a signed-in page sends, and what the page says.
SIGNIN_REASONS = {
    "connexion-requise": msg.SIGNIN_NEEDED,
    "deconnexion": msg.SIGNIN_AFTER_SIGN_OUT,
    "inactivite": msg.SIGNIN_AFTER_IDLE,
    "duree-maximale": msg.SIGNIN_AFTER_MAXIMUM,
    "session-fermee": msg.SIGNIN_AFTER_CLOSED,
}
_REASON_OF_ENDING = {
    SIGNED_OUT: "deconnexion",
    Ended.IDLE.value: "inactivite",
    Ended.EXPIRED.value: "duree-maximale",
    Ended.CLOSED.value: "session-fermee",
}
# The cookie's one-time notice for « Mon accès », after a change made from its pages.
NOTICE = "notice"
NOTICES = {
    "password_changed": msg.PASSWORD_CHANGED_HERE,
    "password_changed_others_ended": msg.PASSWORD_CHANGED_HERE_OTHERS_ENDED,
    "email_change_sent": msg.EMAIL_CHANGE_SENT,
}
# A saturated server's queue of hashes drains within a few seconds.
BUSY_RETRY_AFTER_SECONDS = 5
RESET_JITTER_SECONDS = 0.5
_jitter = secrets.SystemRandom()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def _url(request: Request, path: str) -> str:
    return _settings(request).public_base_url.rstrip("/") + path


def redirect_to(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(_url(request, path), status_code=303)


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> Response:
    settings = _settings(request)
    values = {
        "base": settings.public_base_url.rstrip("/"),
        "helpdesk_email": settings.helpdesk_email,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "signed_in": signed_in_person_id(request) is not None,
        "password_rules": rules_text(),
        "password_min": MIN_LENGTH,
        "password_max": MAX_LENGTH,
        **context,
    }
    response: Response = request.app.state.templates.TemplateResponse(
        request, template, values, status_code=status
    )
    return response


async def _form(request: Request) -> Submitted:
    """The submitted fields as text (bot.web.forms), and whether the CSRF token matches."""
    return await read_form(request)


def form_expired(request: Request) -> Response:
    return render(
        request,
        "message.html",
        status=403,
        title=msg.TITLE_FORM_EXPIRED,
        message=msg.FORM_EXPIRED,
        retry_path=request.url.path,
    )


def _refused(request: Request) -> Response:
    """A form that only carries its token, holding a control character: nothing to show back."""
    return render(
        request,
        "message.html",
        status=400,
        title=msg.TITLE_FORM_REFUSED,
        message=msg.CONTROL_CHARACTERS,
        retry_path=request.url.path,
    )


def sign_in_first(request: Request) -> Response:
    """A signed-in page asked without a live session: to the sign-in page, which says why
    (signed out, session over, never signed in) and comes back here afterwards."""
    reason = _REASON_OF_ENDING.get(why_signed_out(request) or "", "connexion-requise")
    query = {REASON_FIELD: reason}
    if request.url.path != SIGNED_IN_HOME and request.url.path in RETURN_PATHS:
        query[RETURN_FIELD] = request.url.path
    return redirect_to(request, f"{SIGNIN}?{urlencode(query)}")


def _return_path(value: object) -> str | None:
    return value if isinstance(value, str) and value in RETURN_PATHS else None


def _link_invalid(request: Request, message: str) -> Response:
    # One page, one status, one wording whatever the reason (unknown, expired, used, revoked):
    # the page must not help anyone probe tokens.
    return render(
        request, "message.html", status=404, title=msg.TITLE_LINK_INVALID, message=message
    )


async def home(request: Request) -> Response:
    signed_in = signed_in_person_id(request) is not None
    return redirect_to(request, SIGNED_IN_HOME if signed_in else SIGNIN)


Found = TypeVar("Found")
Answer = TypeVar("Answer", bound="_LinkAnswer")


class _LinkAnswer(Protocol):
    """A service's answer to a link's form: it says when the link was dead."""

    @property
    def link_invalid(self) -> bool: ...


@dataclass(frozen=True)
class LinkForm:
    """The form behind an e-mailed link, and the one wording for a link that no longer works."""

    template: str
    title: str
    shows: str  # the template's name for what the link is about
    invalid: str
    # A dead link whose work is done (an invitation of an account now active): the page
    # says so, with a link to sign in, rather than the wording for any dead link.
    done: Callable[[Session, str], bool] | None = None
    done_title: str = ""
    done_message: str = ""

    def show(self, request: Request, found: object, *, status: int = 200, **more: Any) -> Response:
        return render(
            request, self.template, status=status, title=self.title, **{self.shows: found}, **more
        )


async def _dead_link(request: Request, page: LinkForm, raw: str) -> Response:
    if page.done is not None and await run_in_threadpool(_db(request).call, page.done, raw):
        return render(
            request,
            "message.html",
            title=page.done_title,
            message=page.done_message,
            signin_link=True,
        )
    return _link_invalid(request, page.invalid)


async def link_page(
    request: Request,
    page: LinkForm,
    peek: Callable[[Session, str], Found | None],
    spend: Callable[[Database, Settings, str, dict[str, str]], Answer],
    answer: Callable[[Request, Answer, dict[str, str]], Response],
) -> Response:
    """A page opened from an e-mailed link: GET shows the form and spends nothing (mail
    scanners open every link); the POST, CSRF-checked, spends the token."""
    raw = request.path_params["token"]
    settings, db = _settings(request), _db(request)
    if request.method == "GET":
        found = await run_in_threadpool(db.call, peek, raw)
        if found is None:
            return await _dead_link(request, page, raw)
        return page.show(request, found)
    form = await _form(request)
    if not form.csrf_ok:
        return form_expired(request)
    if form.refused:
        found = await run_in_threadpool(db.call, peek, raw)
        if found is None:
            return await _dead_link(request, page, raw)
        return page.show(
            request,
            found,
            status=400,
            problems=[msg.CONTROL_CHARACTERS],
            new_email=form.fields.get("new_email", ""),
        )
    result = await run_in_threadpool(spend, db, settings, raw, form.fields)
    if result.link_invalid:
        return await _dead_link(request, page, raw)
    return answer(request, result, form.fields)


ACTIVATE = LinkForm(
    "activate.html",
    msg.TITLE_ACTIVATE,
    "invitee",
    account_msg.LINK_INVALID,
    done=activation.invitation_already_used,
    done_title=msg.TITLE_ALREADY_ACTIVE,
    done_message=account_msg.ACCOUNT_ALREADY_ACTIVE,
)
CONFIRM_EMAIL = LinkForm(
    "confirm_email.html", msg.TITLE_EMAIL_CONFIRM, "pending", account_msg.EMAIL_LINK_INVALID
)
RESET = LinkForm("reset.html", msg.TITLE_RESET, "person", account_msg.RESET_LINK_INVALID)


def _new_password(fields: dict[str, str]) -> dict[str, str]:
    """The two password boxes of the activation and reset forms, as the services name them."""
    return {
        "password": fields.get("password", ""),
        "confirmation": fields.get("password_confirmation", ""),
    }


def _activate(
    db: Database, settings: Settings, raw: str, fields: dict[str, str]
) -> activation.ActivationResult:
    new_email = fields.get("new_email") or None
    return activation.activate(db, settings, raw, **_new_password(fields), new_email=new_email)


def _activated(
    request: Request, result: activation.ActivationResult, fields: dict[str, str]
) -> Response:
    if not result.ok:
        return ACTIVATE.show(
            request,
            result.form,
            status=400,
            problems=result.problems,
            new_email=fields.get("new_email", ""),
        )
    return render(
        request,
        "activated.html",
        title=msg.TITLE_ACTIVATED,
        message=account_msg.ACCOUNT_ACTIVATED,
        pending=account_msg.EMAIL_CHANGE_PENDING.format(
            email=result.pending_email, current=result.current_email
        )
        if result.pending_email
        else None,
    )


async def activate_page(request: Request) -> Response:
    return await link_page(request, ACTIVATE, activation.peek_invitation, _activate, _activated)


def _confirm_email(
    db: Database, settings: Settings, raw: str, _fields: dict[str, str]
) -> activation.EmailChangeResult:
    return db.call(activation.confirm_email_change, settings, raw)


def _email_confirmed(
    request: Request, result: activation.EmailChangeResult, _fields: dict[str, str]
) -> Response:
    title = msg.TITLE_EMAIL_CONFIRMED if result.ok else msg.TITLE_EMAIL_CONFIRM
    return render(
        request,
        "message.html",
        status=200 if result.ok else 409,
        title=title,
        message=result.message,
        signin_link=True,
    )


async def confirm_email_page(request: Request) -> Response:
    return await link_page(
        request, CONFIRM_EMAIL, activation.peek_email_change, _confirm_email, _email_confirmed
    )


async def signin_page(request: Request) -> Response:
    settings, db = _settings(request), _db(request)
    if request.method == "GET":
        back_to = _return_path(request.query_params.get(RETURN_FIELD))
        if signed_in_person_id(request) is not None:
            return redirect_to(request, back_to or SIGNED_IN_HOME)
        return render(
            request,
            "signin.html",
            title=msg.TITLE_SIGNIN,
            notice=SIGNIN_REASONS.get(request.query_params.get(REASON_FIELD, "")),
            back_to=back_to,
            return_field=RETURN_FIELD,
        )
    form = await _form(request)
    if not form.csrf_ok:
        return form_expired(request)
    email = form.fields.get("username", "").strip()
    back_to = _return_path(form.fields.get(RETURN_FIELD))
    if form.refused:
        return render(
            request,
            "signin.html",
            status=400,
            title=msg.TITLE_SIGNIN,
            error=msg.CONTROL_CHARACTERS,
            username=email,
            back_to=back_to,
            return_field=RETURN_FIELD,
        )
    result = await run_in_threadpool(
        lambda: signin.authenticate(
            db,
            settings,
            email=email,
            password=form.fields.get("password", ""),
            client=client_address(request),
        )
    )
    if result.outcome is signin.SignInOutcome.OK:
        assert result.person_id is not None and result.session_version is not None
        remember = form.fields.get("remember") == "on"
        secret = await run_in_threadpool(
            db.call,
            sessions.start_session,
            result.person_id,
            credential_version=result.session_version,
            remember=remember,
            replacing=session_secret(request),
        )
        start_signed_in_session(request, secret=secret, remember=remember)
        return redirect_to(request, back_to or SIGNED_IN_HOME)
    status = 429 if result.outcome is signin.SignInOutcome.BLOCKED else 401
    return render(
        request,
        "signin.html",
        status=status,
        title=msg.TITLE_SIGNIN,
        error=result.message,
        username=email,
        blocked=result.outcome is signin.SignInOutcome.BLOCKED,
        back_to=back_to,
        return_field=RETURN_FIELD,
    )


async def my_access_page(request: Request) -> Response:
    person_id = signed_in_person_id(request)
    if person_id is None:
        # Signed out (here or elsewhere), session over, password changed, or never signed in.
        return sign_in_first(request)
    view = await run_in_threadpool(my_access_view, _db(request), _settings(request), person_id)
    if view is None:
        request.session.clear()
        return sign_in_first(request)
    return render(
        request,
        "my_access.html",
        title=msg.TITLE_MY_ACCESS,
        view=view,
        notice=NOTICES.get(request.session.pop(NOTICE, None) or ""),
        outcome=_situation_outcome(request),
        situation_action=SITUATION_ACTION,
        situation_field=SITUATION_FIELD,
        next_label=account_msg.DIAGNOSIS_NEXT_LABEL,
        no_establishment=msg.NO_ESTABLISHMENT,
        everywhere_field=EVERYWHERE,
        password_page=PASSWORD_PAGE,
        email_page=EMAIL_PAGE,
    )


def _situation_outcome(request: Request) -> dict[str, Any] | None:
    """What the last button of « Votre situation » did, once."""
    found = request.session.pop(SITUATION_OUTCOME, None)
    return found if isinstance(found, dict) and isinstance(found.get("text"), str) else None


# The sign-out form's field asking to end every session of the person, not only this one.
EVERYWHERE = "partout"


async def signout_page(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "signout.html", title=msg.TITLE_SIGNOUT, everywhere_field=EVERYWHERE)
    form = await _form(request)
    if not form.csrf_ok:
        return form_expired(request)
    if form.refused:
        return _refused(request)
    db, person_id, secret = _db(request), signed_in_person_id(request), session_secret(request)
    message = msg.SIGNED_OUT
    if form.fields.get(EVERYWHERE):
        if person_id is None:
            message = msg.SIGN_OUT_EVERYWHERE_EXPIRED
        else:
            await run_in_threadpool(db.call, sessions.end_all_sessions, person_id)
            message = msg.SIGNED_OUT_EVERYWHERE
    elif secret is not None:
        await run_in_threadpool(db.call, sessions.end_session, secret)
    signed_out(request)
    return render(
        request, "message.html", title=msg.TITLE_SIGNOUT, message=message, signin_link=True
    )


async def forgot_page(request: Request) -> Response:
    settings, db = _settings(request), _db(request)
    if request.method == "GET":
        return render(request, "forgot.html", title=msg.TITLE_FORGOT)
    form = await _form(request)
    if not form.csrf_ok:
        return form_expired(request)
    email = form.fields.get("email", "").strip()
    if form.refused or not email:
        return render(
            request,
            "forgot.html",
            status=400,
            title=msg.TITLE_FORGOT,
            error=msg.CONTROL_CHARACTERS if form.refused else msg.EMAIL_REQUIRED,
            email=email,
        )
    result = await run_in_threadpool(
        db.call, signin.request_password_reset, settings, email, client_address(request)
    )
    if result.outcome is signin.ResetOutcome.TOO_MANY:
        return render(
            request,
            "forgot.html",
            status=429,
            title=msg.TITLE_FORGOT,
            error=result.message,
            email=email,
        )
    answer = render(
        request, "message.html", title=msg.TITLE_FORGOT, message=result.message, back_link=True
    )
    if result.pending is not None:
        # After the answer, whether the address has an account or not: same time for both.
        answer.background = after_answer(
            db, signin.carry_out_reset_request, settings, result.pending
        )
    return answer


def after_answer(db: Database, carry_out: Callable[..., object], *args: Any) -> BackgroundTask:
    """`carry_out(session, *args)` in one transaction once the answer is sent, whatever the
    address typed: a public form's answer then takes the same time for everyone."""
    return BackgroundTask(_carry_out_later, db, carry_out, *args)


async def _carry_out_later(db: Database, carry_out: Callable[..., object], *args: Any) -> None:
    # At a random moment: the mail takes more work than no mail, and a request sent right
    # after the answer must not be able to time it.
    await asyncio.sleep(_jitter.uniform(0, RESET_JITTER_SECONDS))
    await run_in_threadpool(db.call, carry_out, *args)


def _reset(
    db: Database, settings: Settings, raw: str, fields: dict[str, str]
) -> signin.PasswordChangeResult:
    return signin.reset_password(db, settings, raw, **_new_password(fields))


def _password_changed(
    request: Request, result: signin.PasswordChangeResult, _fields: dict[str, str]
) -> Response:
    if not result.ok:
        return RESET.show(request, result.form, status=400, problems=result.problems)
    # The new password already ended every session (access.accounts.sessions).
    forget_signed_in(request.session)
    return render(
        request,
        "message.html",
        title=msg.TITLE_PASSWORD_CHANGED,
        message=account_msg.PASSWORD_CHANGED,
        signin_link=True,
    )


async def reset_page(request: Request) -> Response:
    return await link_page(request, RESET, signin.peek_reset, _reset, _password_changed)


async def favicon(request: Request) -> Response:
    # Browsers and bookmarks ask for /favicon.ico whatever the page names.
    return RedirectResponse(_url(request, "/static/favicon.svg"), status_code=301)


async def busy(request: Request, _exc: Exception) -> Response:
    """Every password hashing slot is taken: the request may be tried again in a moment."""
    answer = render(
        request,
        "message.html",
        status=503,
        title=msg.TITLE_BUSY,
        message=account_msg.HASHING_BUSY,
    )
    answer.headers["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
    return answer


async def not_found(request: Request, _exc: HTTPException) -> Response:
    return render(
        request, "message.html", status=404, title=msg.TITLE_NOT_FOUND, message=msg.NOT_FOUND
    )


def routes() -> list[Route]:
    both = ["GET", "POST"]
    return [
        Route("/", home, methods=["GET"]),
        Route("/activer/{token}", activate_page, methods=both),
        Route("/email/confirmer/{token}", confirm_email_page, methods=both),
        Route(SIGNIN, signin_page, methods=both),
        Route(SIGNED_IN_HOME, my_access_page, methods=["GET"]),
        Route("/deconnexion", signout_page, methods=both),
        Route("/mot-de-passe-oublie", forgot_page, methods=both),
        Route("/reinitialiser/{token}", reset_page, methods=both),
        Route("/favicon.ico", favicon, methods=["GET"]),
    ]
