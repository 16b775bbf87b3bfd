"""Changing one's password and reference e-mail from « Mon accès », signed in.

Both ask for the current password, as Keycloak's account console does: a session left open
on a shared computer must not be enough to take the account over. That check is a sign-in
attempt (`signin.authenticate`) with the account's reference e-mail, so it shares the
hashing slots and the lockout: ten wrong current passwords block the address as ten wrong
sign-ins would. Both own their transactions (docs/architecture.md): the password hashes run
between short transactions, holding no lock.

A new password keeps the browser that chose it signed in, under a new session secret, and
ends every other session (`sessions.keep_only`); the reference address is told. A new
reference e-mail waits for its confirmation link (`activation.request_email_change`: the
link to the new address, a notice to the current one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from access import audit
from access import messages as msg
from access.accounts import activation, sessions, signin, tokens
from access.accounts.passwords import hash_password, new_password_problems, school_names
from access.config import AccessSettings
from access.directory.models import Account, AccountStatus, Person
from access.emails import normalize_email, same_address
from access.persistence.database import Database


@dataclass(frozen=True)
class ChangeResult:
    ok: bool
    problems: list[str] = field(default_factory=list)
    # The current password was refused once too often: the address is blocked for a while.
    blocked: bool = False
    # A new password: the secret that carries this browser's session on (None: sign in again)
    # and how many other sessions ended.
    session_secret: str | None = None
    other_sessions_ended: int = 0
    # A new reference e-mail: the address that received the confirmation link.
    pending_email: str | None = None


def _active_account(session: Session, person_id: int) -> Account | None:
    person = session.get(Person, person_id)
    account = person.account if person is not None else None
    if account is None or account.status != AccountStatus.ACTIVE.value:
        return None
    return account if account.reference_email else None


NOT_ACTIVE = ChangeResult(ok=False, problems=[msg.ACCOUNT_NOT_ACTIVE])


def _check_current(
    db: Database, settings: AccessSettings, address: str, current: str, client: str
) -> signin.SignInResult | str:
    """The sign-in attempt that proves the current password, or the French reason it did not."""
    if not current:
        return msg.CURRENT_PASSWORD_REQUIRED
    checked = signin.authenticate(db, settings, email=address, password=current, client=client)
    if checked.outcome is signin.SignInOutcome.FAILED:
        return msg.CURRENT_PASSWORD_WRONG
    return checked


def _is_blocked(checked: signin.SignInResult | str) -> bool:
    return isinstance(checked, signin.SignInResult) and (
        checked.outcome is signin.SignInOutcome.BLOCKED
    )


def _blocked(checked: signin.SignInResult | str) -> ChangeResult:
    message = checked.message if isinstance(checked, signin.SignInResult) else None
    return ChangeResult(ok=False, problems=[message or msg.ACCOUNT_BLOCKED], blocked=True)


def change_password(
    db: Database,
    settings: AccessSettings,
    person_id: int,
    *,
    current: str,
    password: str,
    confirmation: str,
    session_secret: str | None,
    client: str = "",
) -> ChangeResult:
    """Check the current password, then set the new one: `session_secret` (this browser's
    session) goes on under the secret returned, every other session ends, pending reset links
    die, the change is audited and the reference address told."""
    with db.transaction() as session:
        account = _active_account(session, person_id)
        if account is None:
            return NOT_ACTIVE
        address = account.reference_email
        person = account.person
        names = [person.last_name, person.first_name]
        emails = [address, person.proeco_email]
        schools = school_names(person)
    assert address is not None
    checked = _check_current(db, settings, address, current, client)
    if _is_blocked(checked):
        return _blocked(checked)
    problems = [checked] if isinstance(checked, str) else []
    if not problems and password == current:
        problems.append(msg.PASSWORD_UNCHANGED)
    else:
        problems += new_password_problems(
            password, confirmation, names=names, emails=emails, schools=schools
        )
    if problems or not isinstance(checked, signin.SignInResult):
        return ChangeResult(ok=False, problems=problems)
    new_hash = hash_password(password)
    with db.transaction() as session:
        account = _active_account(session, person_id)
        if account is None:
            return NOT_ACTIVE
        if signin.session_version(account.password_hash) != checked.session_version:
            return ChangeResult(ok=False, problems=[msg.PASSWORD_CHANGED_MEANWHILE])
        account.password_hash = new_hash
        secret, ended = sessions.keep_only(
            session, person_id, session_secret, credential_version=signin.session_version(new_hash)
        )
        tokens.revoke_for_person(
            session, person_id, purposes=[tokens.RESET], reason="password changed"
        )
        audit.record(
            session,
            actor=audit.actor_of(account.person),
            action="password.changed",
            target_type="account",
            target_id=account.id,
            after={"other_sessions_ended": ended},
            reason="changed from « Mon accès »",
        )
        signin.tell_password_changed(session, settings, account)
    return ChangeResult(ok=True, session_secret=secret, other_sessions_ended=ended)


def _new_address_problem(wanted: str, current: str | None) -> tuple[str | None, str | None]:
    """(normalized address, None) when it may be asked for, (None, French reason) otherwise."""
    if not wanted:
        return None, msg.NEW_EMAIL_REQUIRED
    email = normalize_email(wanted)
    if email is None:
        return None, msg.EMAIL_INVALID
    if same_address(email, current):
        return None, msg.EMAIL_ALREADY_REFERENCE
    return email, None


def request_new_reference_email(
    db: Database,
    settings: AccessSettings,
    person_id: int,
    *,
    new_email: str,
    password: str,
    client: str = "",
) -> ChangeResult:
    """Check the current password, then send the confirmation link to `new_email` and a
    notice to the current address; the reference e-mail changes only once the link is
    followed. Whether an address belongs to someone else is told only after the password,
    and counts against the addresses a person may try in an hour."""
    with db.transaction() as session:
        account = _active_account(session, person_id)
        if account is None:
            return NOT_ACTIVE
        address = account.reference_email
    assert address is not None
    email, problem = _new_address_problem(new_email.strip(), address)
    checked = _check_current(db, settings, address, password, client)
    if _is_blocked(checked):
        return _blocked(checked)
    problems = [found for found in (problem, checked) if isinstance(found, str)]
    if problems or email is None:
        return ChangeResult(ok=False, problems=problems)
    with db.transaction() as session:
        account = _active_account(session, person_id)
        if account is None:
            return NOT_ACTIVE
        if not activation.may_try_another_address(session, person_id):
            return ChangeResult(ok=False, problems=[msg.EMAIL_CHANGES_TOO_MANY])
        usable, taken = activation.check_new_email(session, email, person_id)
        if usable is None:
            return ChangeResult(ok=False, problems=[taken or msg.EMAIL_TAKEN])
        activation.request_email_change(session, settings, account, usable)
    return ChangeResult(ok=True, pending_email=usable)
