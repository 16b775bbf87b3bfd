"""Signing in with the reference e-mail and password, and resetting a forgotten password.

Nothing here tells a stranger whether an address has an account: failures, blocks and
reset requests are counted per typed address (whether it exists or not) and answered with
the same words after the same work (a reset link is written once the answer is given).
After `MAX_FAILURES` failures within `FAILURE_WINDOW` the address is blocked for
`BLOCK_DURATION`; a password reset (which proves the mailbox) lifts the block. An attempt is
written before its password is checked, so concurrent attempts cannot outrun the limits.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from access import audit
from access import messages as msg
from access.accounts import tokens
from access.accounts.models import LoginAttempt, email_key
from access.accounts.passwords import (
    HashingBusy,
    hash_password,
    needs_rehash,
    new_password_problems,
    school_names,
    verify_password,
)
from access.accounts.throttle import (
    PendingRequest,
    accept_request,
    count,
    counted_client,
    mark_done,
    serialize,
)
from access.clock import as_utc, utcnow
from access.config import AccessSettings
from access.directory.models import Account, AccountStatus, Person
from access.emails import normalize_email, same_address
from access.mail import outbox
from access.mail import templates as mail
from access.persistence.database import Database
from common import metrics

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
    pending: PendingRequest | None = None


@dataclass(frozen=True)
class ResetStart:
    sent: bool
    message: str


@dataclass(frozen=True)
class ResetForm:
    """What the reset page may show before the password is chosen: the link's holder
    proved the reference mailbox, so the page greets them as the activation page does."""

    person_id: int
    first_name: str
    last_name: str
    email: str


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


@dataclass(frozen=True)
class _Failure:
    id: int
    at: datetime


def _latest_failures(session: Session, limit: int, *where: ColumnElement[bool]) -> list[_Failure]:
    """The latest failed sign-ins matching `where` (attempts still being checked count as
    failures), newest first."""
    query = (
        select(LoginAttempt.id, LoginAttempt.at)
        .where(LoginAttempt.kind == SIGNIN, LoginAttempt.success.is_(False), *where)
        .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc())
        .limit(limit)
    )
    failures = (_Failure(row.id, as_utc(row.at)) for row in session.execute(query))
    return [failure for failure in failures if failure.at]


def _failures_since_success(session: Session, key: str, limit: int) -> list[_Failure]:
    """The latest failed sign-ins for `key` after its last success, newest first."""
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


def _block(session: Session, key: str, now: datetime) -> tuple[datetime, int] | None:
    """When the address's block ends and the attempt that started it; None: not blocked."""
    latest = _failures_since_success(session, key, MAX_FAILURES)
    if len(latest) < MAX_FAILURES or latest[0].at - latest[-1].at > FAILURE_WINDOW:
        return None
    until = latest[0].at + BLOCK_DURATION
    return (until, latest[0].id) if until > now else None


def blocked_until(
    session: Session, address: str, *, now: datetime | None = None
) -> datetime | None:
    """When the sign-in block of `address` ends; None when it is not blocked (the diagnosis
    tells the person and the helpdesk until when)."""
    block = _block(session, email_key(address), now or utcnow())
    return block[0] if block is not None else None


def _client_blocked_until(
    session: Session, by_client: str | None, now: datetime
) -> datetime | None:
    """When a client that failed too often may try again (None: it may now)."""
    if by_client is None:
        return None
    latest = _latest_failures(
        session,
        CLIENT_MAX_FAILURES,
        LoginAttempt.client == by_client,
        LoginAttempt.at >= now - FAILURE_WINDOW,
    )
    if len(latest) < CLIENT_MAX_FAILURES:
        return None
    # Free again when the oldest of those failures leaves the window.
    return latest[-1].at + FAILURE_WINDOW


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


@dataclass(frozen=True)
class _Reserved:
    """A sign-in attempt written as a failure before its password is checked."""

    attempt_id: int
    key: str
    at: datetime
    stored_hash: str | None
    account_id: int | None


def _reserve(
    session: Session, address: str, by_client: str | None, now: datetime | None
) -> _Reserved | SignInResult:
    """Check the blocks and write the attempt as a failure, as one step per address and per
    client: concurrent attempts each see those before them, so no more than MAX_FAILURES
    passwords are checked per address since its last success (CLIENT_MAX_FAILURES per client)
    in a window."""
    key = email_key(address)
    serialize(session, by_client, key)
    # Read once the turn has come, so attempts are dated in the order they were written.
    now = now or utcnow()
    until = _client_blocked_until(session, by_client, now)
    if until is not None:
        return _blocked(until, now, msg.CLIENT_BLOCKED)
    block = _block(session, key, now)
    if block is not None:
        return _blocked(block[0], now)
    account = account_by_reference_email(session, address)
    usable = account is not None and account.status == AccountStatus.ACTIVE.value
    attempt = LoginAttempt(kind=SIGNIN, email_key=key, client=by_client, at=now, success=False)
    session.add(attempt)
    _prune(session, now)
    session.flush()
    return _Reserved(
        attempt_id=attempt.id,
        key=key,
        at=now,
        stored_hash=account.password_hash if account is not None and usable else None,
        account_id=account.id if account is not None else None,
    )


def _settle_failure(session: Session, reserved: _Reserved) -> SignInResult:
    """The reserved failure stands; when it completes a block, say so (and audit it once)."""
    now = reserved.at
    block = _block(session, reserved.key, now)
    if block is None:
        return SignInResult(SignInOutcome.FAILED, msg.SIGNIN_FAILED)
    until, started_by = block
    if started_by == reserved.attempt_id:
        metrics.on_commit(session, metrics.LOCKOUTS.inc)
    # Concurrent failures may all see the block: the newest of them records it.
    if started_by == reserved.attempt_id and reserved.account_id is not None:
        audit.record(
            session,
            actor=audit.SYSTEM,
            action="account.blocked",
            target_type="account",
            target_id=reserved.account_id,
            reason=f"{MAX_FAILURES} failed sign-ins within {FAILURE_WINDOW}",
        )
    return _blocked(until, now)


def _settle_success(session: Session, reserved: _Reserved, new_hash: str | None) -> SignInResult:
    fresh = session.get(Account, reserved.account_id)
    if (
        fresh is None
        or fresh.status != AccountStatus.ACTIVE.value
        or fresh.password_hash != reserved.stored_hash
    ):
        # Reset or disabled while the password was checked: it is no longer the account's.
        return _settle_failure(session, reserved)
    session.execute(
        update(LoginAttempt).where(LoginAttempt.id == reserved.attempt_id).values(success=True)
    )
    if new_hash is not None:
        fresh.password_hash = new_hash
    return SignInResult(
        SignInOutcome.OK,
        person_id=fresh.person_id,
        session_version=session_version(fresh.password_hash),
    )


def _check(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """Whether the password matches, and its hash with today's parameters when the stored
    one is older (None: keep it). A busy server skips the rehash, never the sign-in."""
    matches = verify_password(stored_hash, password)
    if not matches or stored_hash is None or not needs_rehash(stored_hash):
        return matches, None
    try:
        return True, hash_password(password)
    except HashingBusy:
        return True, None


def authenticate(
    db: Database,
    settings: AccessSettings,
    *,
    email: str,
    password: str,
    client: str = "",
    now: datetime | None = None,
) -> SignInResult:
    """Check a password. Owns its transactions (docs/architecture.md): the attempt is written
    as a failure first (`_reserve`), the slow hash check runs outside any transaction, and a
    match then turns the attempt into a success. Raises `HashingBusy` (the attempt undone)
    when the server has no hashing slot free."""
    result = _authenticate(db, email=email, password=password, client=client, now=now)
    metrics.SIGN_INS.labels(outcome=result.outcome.value).inc()
    return result


def _authenticate(
    db: Database, *, email: str, password: str, client: str, now: datetime | None
) -> SignInResult:
    address = normalize_email(email) or email.strip()
    with db.transaction() as session:
        reserved = _reserve(session, address, counted_client(client), now)
    if isinstance(reserved, SignInResult):
        return reserved
    try:
        matches, new_hash = _check(reserved.stored_hash, password)
    except HashingBusy:
        with db.transaction() as session:
            session.execute(delete(LoginAttempt).where(LoginAttempt.id == reserved.attempt_id))
        raise
    with db.transaction() as session:
        if matches:
            return _settle_success(session, reserved, new_hash)
        return _settle_failure(session, reserved)


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
    """Record a reset request and answer it the same way whether `email` has an account or
    not: nothing here looks the address up, so both take the same time. The link itself is
    `carry_out_reset_request`'s, which the caller runs once it has answered (`pending`)."""
    accepted, pending = accept_request(
        session,
        RESET,
        email,
        client,
        window=RESET_WINDOW,
        per_client=RESET_PER_CLIENT,
        per_address=RESET_PER_ADDRESS,
        now=now or utcnow(),
    )
    if not accepted:
        return ResetRequestResult(ResetOutcome.TOO_MANY, msg.RESET_TOO_MANY)
    message = msg.RESET_REQUESTED.format(minutes=settings.reset_ttl_minutes)
    return ResetRequestResult(ResetOutcome.ACCEPTED, message, pending)


def carry_out_reset_request(
    session: Session, settings: AccessSettings, pending: PendingRequest
) -> bool:
    """Send the reset link of an accepted request if its address is an active account's;
    either way mark the request done. True when a link was written to the outbox."""
    account = account_by_reference_email(session, pending.address)
    sent = False
    if account is not None and account.status == AccountStatus.ACTIVE.value:
        _send_reset(session, settings, account, pending.at)
        sent = True
    mark_done(session, pending)
    return sent


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
    serialize(session, key)
    if count(session, RESET, since=now - RESET_WINDOW, key=key) >= RESET_PER_ADDRESS:
        return ResetStart(False, msg.RESET_TOO_MANY)
    session.add(LoginAttempt(kind=RESET, email_key=key, client=None, at=now, success=True))
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


def _reset_form(person: Person) -> ResetForm:
    assert person.account is not None and person.account.reference_email is not None
    return ResetForm(person.id, person.first_name, person.last_name, person.account.reference_email)


def peek_reset(session: Session, raw: str) -> ResetForm | None:
    person = _reset_person(session, raw)
    return _reset_form(person) if person is not None else None


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
        form = _reset_form(person)
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
        tell_password_changed(session, settings, account)
    return PasswordChangeResult(ok=True, problems=[])


def tell_password_changed(session: Session, settings: AccessSettings, account: Account) -> None:
    """« Votre mot de passe a été changé », to the reference address, however it changed: the
    owner learns of a change they did not make, and how to take the account back."""
    notice = mail.render(
        settings,
        "password_changed",
        to=(account.person.display_name, account.reference_email),
        context={
            "person_name": account.person.display_name,
            "changed_at": utcnow(),
            "signin_link": mail.link(settings, "/connexion"),
            "forgot_link": mail.link(settings, "/mot-de-passe-oublie"),
        },
    )
    outbox.enqueue(session, notice, kind="password_changed", person_id=account.person_id)
