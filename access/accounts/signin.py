"""Signing in with the reference e-mail and password, and resetting a forgotten password.

Nothing here tells a stranger whether an address has an account: failures, blocks and
reset requests are counted per typed address (whether it exists or not) and answered with
the same words. After `MAX_FAILURES` failures within `FAILURE_WINDOW` the address is
blocked for `BLOCK_DURATION`; a password reset (which proves the mailbox) lifts the block.
"""

from __future__ import annotations

import enum
import hashlib
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from access import audit
from access import messages as msg
from access.accounts import tokens
from access.accounts.models import LoginAttempt, email_key
from access.accounts.passwords import (
    hash_password,
    needs_rehash,
    new_password_problems,
    school_names,
    verify_password,
)
from access.accounts.throttle import client_key, count
from access.clock import as_utc, utcnow
from access.config import AccessSettings
from access.directory.models import Account, AccountStatus, Person
from access.emails import normalize_email, same_address
from access.mail import outbox
from access.mail import templates as mail
from access.persistence.database import Database

MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)
BLOCK_DURATION = timedelta(minutes=15)

# Failed sign-ins from one client, all accounts together, within FAILURE_WINDOW: beyond
# this the client is refused before any password is checked, so one machine cannot try a
# password on many accounts (nor keep the server busy hashing). A school's staff may share
# one public address, hence far above what one person mistypes.
CLIENT_MAX_FAILURES = 50
RESET_PER_ADDRESS = 3
RESET_PER_CLIENT = 10
RESET_WINDOW = timedelta(hours=1)
ATTEMPTS_KEPT = timedelta(days=2)
SIGNIN = "signin"
RESET = "reset"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SignInOutcome(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"
    BLOCKED = "blocked"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignInOutcome
    message: str | None = None
    person_id: int | None = None
    session_version: str | None = None


class ResetOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    TOO_MANY = "too_many"


@dataclass(frozen=True)
class ResetRequestResult:
    outcome: ResetOutcome
    message: str


@dataclass(frozen=True)
class ResetStart:
    sent: bool
    message: str


@dataclass(frozen=True)
class ResetForm:
    """What the reset page may show before the password is chosen."""

    person_id: int
    first_name: str


@dataclass(frozen=True)
class PasswordChangeResult:
    ok: bool
    problems: list[str]
    link_invalid: bool = False
    form: ResetForm | None = None


def session_version(password_hash: str | None) -> str:
    """Changes whenever the password does, so a reset signs out every other session."""
    return hashlib.sha256((password_hash or "").encode("utf-8")).hexdigest()[:16]


def account_by_reference_email(session: Session, email: str) -> Account | None:
    query = select(Account).where(func.lower(Account.reference_email) == email.casefold())
    return session.scalars(query).first()


def signed_in_person(session: Session, person_id: int, version: str) -> Person | None:
    """The person behind a session, as long as the account is active and the password unchanged."""
    person = session.get(Person, person_id)
    account = person.account if person is not None else None
    if account is None or account.status != AccountStatus.ACTIVE.value:
        return None
    if session_version(account.password_hash) != version:
        return None
    return person


def _latest_failures(session: Session, limit: int, *where: ColumnElement[bool]) -> list[datetime]:
    """Times of the latest failed sign-ins matching `where`, newest first."""
    query = (
        select(LoginAttempt.at)
        .where(LoginAttempt.kind == SIGNIN, LoginAttempt.success.is_(False), *where)
        .order_by(LoginAttempt.at.desc())
        .limit(limit)
    )
    return [moment for moment in (as_utc(at) for at in session.scalars(query)) if moment]


def _failures_since_success(session: Session, key: str, limit: int) -> list[datetime]:
    """Times of the latest failed sign-ins for `key` after its last success, newest first."""
    last_success = (
        select(func.max(LoginAttempt.at))
        .where(LoginAttempt.kind == SIGNIN, LoginAttempt.email_key == key, LoginAttempt.success)
        .scalar_subquery()
    )
    return _latest_failures(
        session,
        limit,
        LoginAttempt.email_key == key,
        LoginAttempt.at > func.coalesce(last_success, _EPOCH),
    )


def _blocked_until(session: Session, key: str, now: datetime) -> datetime | None:
    latest = _failures_since_success(session, key, MAX_FAILURES)
    if len(latest) < MAX_FAILURES or latest[0] - latest[-1] > FAILURE_WINDOW:
        return None
    until = latest[0] + BLOCK_DURATION
    return until if until > now else None


def _names_one_visitor(client: str) -> bool:
    """Whether a client address can be counted as one visitor: a public address. Behind a
    reverse proxy that uvicorn does not trust (FORWARDED_ALLOW_IPS), every visitor shows the
    proxy's private address; counting that one would let 50 typos lock everyone out."""
    try:
        return ipaddress.ip_address(client).is_global
    except ValueError:
        return False


def _client_blocked_until(session: Session, client: str, now: datetime) -> datetime | None:
    """When a client that failed too often may try again (None: it may now)."""
    if not _names_one_visitor(client):
        return None
    latest = _latest_failures(
        session,
        CLIENT_MAX_FAILURES,
        LoginAttempt.client == client_key(client),
        LoginAttempt.at >= now - FAILURE_WINDOW,
    )
    if len(latest) < CLIENT_MAX_FAILURES:
        return None
    # Free again when the oldest of those failures leaves the window.
    return latest[-1] + FAILURE_WINDOW


def _prune(session: Session, now: datetime) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - ATTEMPTS_KEPT))


def unblock(session: Session, address: str, *, now: datetime | None = None) -> None:
    """Lift a sign-in block: proving the mailbox (a password reset) counts as a success."""
    session.add(
        LoginAttempt(kind=SIGNIN, email_key=email_key(address), at=now or utcnow(), success=True)
    )


def _blocked(until: datetime, now: datetime, message: str = msg.ACCOUNT_BLOCKED) -> SignInResult:
    minutes = max(1, int((until - now).total_seconds() // 60) + 1)
    return SignInResult(SignInOutcome.BLOCKED, message.format(minutes=minutes))


def authenticate(
    db: Database,
    settings: AccessSettings,
    *,
    email: str,
    password: str,
    client: str = "",
    now: datetime | None = None,
) -> SignInResult:
    """Check a password. Owns its transactions (docs/architecture.md): the slow hash check
    runs between them, holding no lock."""
    now = now or utcnow()
    address = normalize_email(email) or email.strip()
    key = email_key(address)
    with db.transaction() as session:
        until = _client_blocked_until(session, client, now)
        if until is not None:
            return _blocked(until, now, msg.CLIENT_BLOCKED)
        until = _blocked_until(session, key, now)
        if until is not None:
            return _blocked(until, now)
        account = account_by_reference_email(session, address)
        usable = account is not None and account.status == AccountStatus.ACTIVE.value
        stored = account.password_hash if account is not None and usable else None
        account_id = account.id if account is not None else None
    # The hash check runs outside the transaction: it is slow by design and needs no lock.
    matches = verify_password(stored, password)
    with db.transaction() as session:
        session.add(
            LoginAttempt(
                kind=SIGNIN, email_key=key, client=client_key(client), at=now, success=matches
            )
        )
        if not matches:
            _prune(session, now)
            session.flush()
            until = _blocked_until(session, key, now)
            if until is None:
                return SignInResult(SignInOutcome.FAILED, msg.SIGNIN_FAILED)
            # Not blocked when this attempt began: this very failure starts the block.
            if account_id is not None:
                audit.record(
                    session,
                    actor=audit.SYSTEM,
                    action="account.blocked",
                    target_type="account",
                    target_id=account_id,
                    reason=f"{MAX_FAILURES} failed sign-ins within {FAILURE_WINDOW}",
                )
            return _blocked(until, now)
        fresh = session.get(Account, account_id)
        assert fresh is not None and stored is not None
        if needs_rehash(stored) and fresh.password_hash == stored:
            fresh.password_hash = hash_password(password)
        return SignInResult(
            SignInOutcome.OK,
            person_id=fresh.person_id,
            session_version=session_version(fresh.password_hash),
        )


def _send_reset(
    session: Session, settings: AccessSettings, account: Account, now: datetime
) -> None:
    person = account.person
    email = account.reference_email
    assert email is not None
    tokens.revoke_for_person(
        session, person.id, purposes=[tokens.RESET], reason="new reset link requested", now=now
    )
    ttl = timedelta(minutes=settings.reset_ttl_minutes)
    raw = tokens.issue(
        session, purpose=tokens.RESET, person_id=person.id, email=email, ttl=ttl, now=now
    )
    message = mail.render(
        settings,
        "password_reset",
        to=(person.display_name, email),
        context={
            "person_name": person.display_name,
            "link": mail.reset_link(settings, raw),
            "valid_minutes": settings.reset_ttl_minutes,
            "expires_at": now + ttl,
        },
    )
    outbox.enqueue(session, message, kind="password_reset", person_id=person.id)
    audit.record(
        session,
        actor=audit.actor_of(person),
        action="password.reset_requested",
        target_type="account",
        target_id=account.id,
    )


def request_password_reset(
    session: Session,
    settings: AccessSettings,
    email: str,
    client: str,
    *,
    now: datetime | None = None,
) -> ResetRequestResult:
    """Send a reset link if `email` is an active account's address; answer the same either way."""
    now = now or utcnow()
    accepted = ResetRequestResult(
        ResetOutcome.ACCEPTED, msg.RESET_REQUESTED.format(minutes=settings.reset_ttl_minutes)
    )
    address = normalize_email(email) or email.strip()
    key, by_client = email_key(address), client_key(client)
    since = now - RESET_WINDOW
    if count(session, RESET, since=since, client=by_client) >= RESET_PER_CLIENT:
        return ResetRequestResult(ResetOutcome.TOO_MANY, msg.RESET_TOO_MANY)
    over_address_limit = count(session, RESET, since=since, key=key) >= RESET_PER_ADDRESS
    session.add(LoginAttempt(kind=RESET, email_key=key, client=by_client, at=now))
    # Over the per-address limit the answer stays the same: only the mail is held back.
    if over_address_limit:
        return accepted
    account = account_by_reference_email(session, address)
    if account is not None and account.status == AccountStatus.ACTIVE.value:
        _send_reset(session, settings, account, now)
    return accepted


def start_password_reset_for(
    session: Session, settings: AccessSettings, person_id: int, *, now: datetime | None = None
) -> ResetStart:
    """Chat self-service: the person is already identified, so the answer may name the address."""
    now = now or utcnow()
    person = session.get(Person, person_id)
    account = person.account if person is not None else None
    if account is None or account.status != AccountStatus.ACTIVE.value:
        return ResetStart(False, msg.RESET_NOT_POSSIBLE)
    address = account.reference_email
    assert address is not None
    key = email_key(address)
    if count(session, RESET, since=now - RESET_WINDOW, key=key) >= RESET_PER_ADDRESS:
        return ResetStart(False, msg.RESET_TOO_MANY)
    session.add(LoginAttempt(kind=RESET, email_key=key, client=None, at=now))
    _send_reset(session, settings, account, now)
    return ResetStart(True, msg.RESET_LINK_SENT.format(email=address))


def _reset_person(session: Session, raw: str) -> Person | None:
    token = tokens.peek(session, purpose=tokens.RESET, raw=raw)
    person = session.get(Person, token.person_id) if token is not None else None
    if person is None or person.account is None:
        return None
    if not same_address(token.email if token else None, person.account.reference_email):
        return None  # the reference address changed since: the link went elsewhere
    return person if person.account.status == AccountStatus.ACTIVE.value else None


def peek_reset(session: Session, raw: str) -> ResetForm | None:
    person = _reset_person(session, raw)
    return ResetForm(person.id, person.first_name) if person is not None else None


def reset_password(
    db: Database,
    settings: AccessSettings,
    raw: str,
    *,
    password: str,
    confirmation: str,
) -> PasswordChangeResult:
    """Spend the reset link and set the password. Owns its transactions
    (docs/architecture.md): the slow password hash runs between them, holding no lock."""
    invalid = PasswordChangeResult(ok=False, problems=[msg.RESET_LINK_INVALID], link_invalid=True)
    with db.transaction() as session:
        person = _reset_person(session, raw)
        if person is None or person.account is None:
            return invalid
        form = ResetForm(person.id, person.first_name)
        names = [person.last_name, person.first_name]
        emails = [person.account.reference_email, person.proeco_email]
        schools = school_names(person)
    problems = new_password_problems(
        password, confirmation, names=names, emails=emails, schools=schools
    )
    if problems:
        return PasswordChangeResult(ok=False, problems=problems, form=form)
    new_hash = hash_password(password)
    with db.transaction() as session:
        token = tokens.consume(session, purpose=tokens.RESET, raw=raw)
        account = None
        if token is not None:
            account = session.scalars(
                select(Account).where(Account.person_id == token.person_id)
            ).first()
        if account is None or account.status != AccountStatus.ACTIVE.value:
            return invalid
        if token is None or not same_address(token.email, account.reference_email):
            return invalid
        account.password_hash = new_hash
        if account.reference_email:
            unblock(session, account.reference_email)
        audit.record(
            session,
            actor=audit.actor_of(account.person),
            action="password.reset",
            target_type="account",
            target_id=account.id,
        )
        notice = mail.render(
            settings,
            "password_changed",
            to=(account.person.display_name, account.reference_email),
            context={
                "person_name": account.person.display_name,
                "signin_link": mail.link(settings, "/connexion"),
            },
        )
        outbox.enqueue(session, notice, kind="password_changed", person_id=account.person_id)
    return PasswordChangeResult(ok=True, problems=[])
