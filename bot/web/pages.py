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

from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from access import messages as account_msg
from access.accounts import activation, signin
from access.accounts.passwords import MAX_LENGTH, MIN_LENGTH, rules_text
from access.persistence.database import Database
from bot.settings import Settings
from bot.web import messages as msg
from bot.web.clients import client_address
from bot.web.my_access import my_access_view
from bot.web.security import CSRF_FIELD, csrf_token, csrf_valid, start_signed_in_session

SIGNED_IN_HOME = "/mon-acces"
SIGNIN = "/connexion"
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


def _redirect(request: Request, path: str) -> RedirectResponse:
    return RedirectResponse(_url(request, path), status_code=303)


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> Response:
    settings = _settings(request)
    values = {
        "base": settings.public_base_url.rstrip("/"),
        "helpdesk_email": settings.helpdesk_email,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "signed_in": bool(request.session.get("pid")),
        "password_rules": rules_text(),
        "password_min": MIN_LENGTH,
        "password_max": MAX_LENGTH,
        **context,
    }
    response: Response = request.app.state.templates.TemplateResponse(
        request, template, values, status_code=status
    )
    return response


async def _form(request: Request) -> tuple[dict[str, str], bool]:
    """The submitted fields as text, and whether the CSRF token matches the session."""
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    return fields, csrf_valid(request, fields.get(CSRF_FIELD))


def _form_expired(request: Request) -> Response:
    return render(
        request,
        "message.html",
        status=403,
        title=msg.TITLE_FORM_EXPIRED,
        message=msg.FORM_EXPIRED,
        retry_path=request.url.path,
    )


def _link_invalid(request: Request, message: str) -> Response:
    # One page, one status, one wording whatever the reason (unknown, expired, used, revoked):
    # the page must not help anyone probe tokens.
    return render(
        request, "message.html", status=404, title=msg.TITLE_LINK_INVALID, message=message
    )


async def home(request: Request) -> Response:
    return _redirect(request, SIGNED_IN_HOME if request.session.get("pid") else SIGNIN)


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

    def show(self, request: Request, found: object, *, status: int = 200, **more: Any) -> Response:
        return render(
            request, self.template, status=status, title=self.title, **{self.shows: found}, **more
        )


async def _link_page(
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
            return _link_invalid(request, page.invalid)
        return page.show(request, found)
    fields, csrf_ok = await _form(request)
    if not csrf_ok:
        return _form_expired(request)
    result = await run_in_threadpool(spend, db, settings, raw, fields)
    if result.link_invalid:
        return _link_invalid(request, page.invalid)
    return answer(request, result, fields)


ACTIVATE = LinkForm("activate.html", msg.TITLE_ACTIVATE, "invitee", account_msg.LINK_INVALID)
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
    return await _link_page(request, ACTIVATE, activation.peek_invitation, _activate, _activated)


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
    return await _link_page(
        request, CONFIRM_EMAIL, activation.peek_email_change, _confirm_email, _email_confirmed
    )


async def signin_page(request: Request) -> Response:
    settings, db = _settings(request), _db(request)
    if request.method == "GET":
        if request.session.get("pid"):
            return _redirect(request, SIGNED_IN_HOME)
        return render(request, "signin.html", title=msg.TITLE_SIGNIN)
    fields, csrf_ok = await _form(request)
    if not csrf_ok:
        return _form_expired(request)
    email = fields.get("username", "").strip()
    result = await run_in_threadpool(
        lambda: signin.authenticate(
            db,
            settings,
            email=email,
            password=fields.get("password", ""),
            client=client_address(request),
        )
    )
    if result.outcome is signin.SignInOutcome.OK:
        assert result.person_id is not None and result.session_version is not None
        start_signed_in_session(
            request,
            person_id=result.person_id,
            version=result.session_version,
            remember=fields.get("remember") == "on",
        )
        return _redirect(request, SIGNED_IN_HOME)
    status = 429 if result.outcome is signin.SignInOutcome.BLOCKED else 401
    return render(
        request,
        "signin.html",
        status=status,
        title=msg.TITLE_SIGNIN,
        error=result.message,
        username=email,
        blocked=result.outcome is signin.SignInOutcome.BLOCKED,
    )


async def my_access_page(request: Request) -> Response:
    person_id, version = request.session.get("pid"), request.session.get("ver")
    db = _db(request)
    view = None
    if isinstance(person_id, int) and isinstance(version, str):
        person = await run_in_threadpool(db.call, signin.signed_in_person, person_id, version)
        if person is not None:
            view = await run_in_threadpool(my_access_view, db, _settings(request), person_id)
    if view is None:
        # Signed out elsewhere (password changed, account disabled) or never signed in.
        request.session.clear()
        return _redirect(request, SIGNIN)
    return render(
        request,
        "my_access.html",
        title=msg.TITLE_MY_ACCESS,
        view=view,
        no_establishment=msg.NO_ESTABLISHMENT,
    )


async def signout_page(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "signout.html", title=msg.TITLE_SIGNOUT)
    _fields, csrf_ok = await _form(request)
    if not csrf_ok:
        return _form_expired(request)
    request.session.clear()
    return render(
        request, "message.html", title=msg.TITLE_SIGNOUT, message=msg.SIGNED_OUT, signin_link=True
    )


async def forgot_page(request: Request) -> Response:
    settings, db = _settings(request), _db(request)
    if request.method == "GET":
        return render(request, "forgot.html", title=msg.TITLE_FORGOT)
    fields, csrf_ok = await _form(request)
    if not csrf_ok:
        return _form_expired(request)
    email = fields.get("email", "").strip()
    if not email:
        return render(
            request, "forgot.html", status=400, title=msg.TITLE_FORGOT, error=msg.EMAIL_REQUIRED
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
    answer = render(request, "message.html", title=msg.TITLE_FORGOT, message=result.message)
    if result.pending is not None:
        # After the answer, whether the address has an account or not: same time for both.
        answer.background = BackgroundTask(_carry_out_later, db, settings, result.pending)
    return answer


async def _carry_out_later(db: Database, settings: Settings, pending: signin.PendingReset) -> None:
    # At a random moment: the link takes more work than no link, and a request sent right
    # after the answer must not be able to time it.
    await asyncio.sleep(_jitter.uniform(0, RESET_JITTER_SECONDS))
    await run_in_threadpool(db.call, signin.carry_out_reset_request, settings, pending)


def _reset(
    db: Database, settings: Settings, raw: str, fields: dict[str, str]
) -> signin.PasswordChangeResult:
    return signin.reset_password(db, settings, raw, **_new_password(fields))


def _password_changed(
    request: Request, result: signin.PasswordChangeResult, _fields: dict[str, str]
) -> Response:
    if not result.ok:
        return RESET.show(request, result.form, status=400, problems=result.problems)
    request.session.pop("pid", None)
    request.session.pop("ver", None)
    return render(
        request,
        "message.html",
        title=msg.TITLE_PASSWORD_CHANGED,
        message=account_msg.PASSWORD_CHANGED,
        signin_link=True,
    )


async def reset_page(request: Request) -> Response:
    return await _link_page(request, RESET, signin.peek_reset, _reset, _password_changed)


def _faq_entries() -> list[Any]:
    # Imported here: the matcher and NumPy load with the first visit, not with every start.
    from faq import load_default

    return list(load_default().kb.entries)


async def faq_page(request: Request) -> Response:
    entries = await run_in_threadpool(_faq_entries)
    return render(
        request,
        "faq.html",
        title=msg.TITLE_FAQ,
        entries=entries,
        unavailable=msg.FAQ_UNAVAILABLE.format(helpdesk_email=_settings(request).helpdesk_email),
    )


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
        Route("/faq", faq_page, methods=["GET"]),
    ]
