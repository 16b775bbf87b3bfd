"""Activating an account from the invitation link, and changing the reference e-mail.

Opening a link changes nothing (`peek_*`): mail scanners open every link they see. Only the
form's submission consumes the token. A new reference e-mail replaces the old one only once
it is confirmed from the new mailbox; the old address is told of the request at once.

An address already used by someone else is refused in so many words (the person must know
why), as Keycloak does when one updates one's e-mail: the link holder has proven an invited
staff mailbox. A form sent back does not spend the link, so the answers are limited per
invitation (`EMAIL_CHOICES_PER_PERSON`): a link cannot be used to probe the directory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access import audit
from access import messages as msg
from access.accounts import throttle, tokens
from access.accounts.passwords import hash_password, new_password_problems, school_names
from access.clock import utcnow
from access.config import AccessSettings
from access.directory.models import Account, AccountStatus, Person
from access.directory.people import find_person_by_email
from access.emails import normalize_email, same_address
from access.mail import outbox
from access.mail import templates as mail
from access.persistence.database import Database
from common import metrics

INVITATION_PURPOSE = tokens.INVITATION
EMAIL_CHANGE_PURPOSE = tokens.EMAIL_CHANGE
EMAIL_CHANGE_TTL = timedelta(days=2)
# Other addresses a person may try at activation within EMAIL_CHOICE_WINDOW: a typo or two
# is normal, more is someone asking which addresses have an account.
EMAIL_CHOICES_PER_PERSON = 5
EMAIL_CHOICE_WINDOW = timedelta(hours=1)
EMAIL_CHOICE = "email_choice"

Found = TypeVar("Found")
Shown = TypeVar("Shown")


@dataclass(frozen=True)
class ActivationForm:
    """What the activation page shows before anything is submitted."""

    first_name: str
    last_name: str
    email: str


@dataclass(frozen=True)
class ActivationResult:
    ok: bool
    problems: list[str] = field(default_factory=list)
    link_invalid: bool = False
    # Set when another reference e-mail was asked for: it waits for confirmation there.
    pending_email: str | None = None
    current_email: str | None = None
    # What the form shows again when it must be corrected.
    form: ActivationForm | None = None


@dataclass(frozen=True)
class EmailChangeForm:
    new_email: str
    current_email: str | None


@dataclass(frozen=True)
class EmailChangeResult:
    ok: bool
    message: str
    link_invalid: bool = False


def mask_email(email: str) -> str:
    """« m…@example.org »: enough for the owner to recognise, little for anyone else."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


def _invited_person(session: Session, raw: str) -> tuple[Person, str] | None:
    token = tokens.peek(session, purpose=INVITATION_PURPOSE, raw=raw)
    if token is None:
        return None
    person = session.get(Person, token.person_id)
    if person is None or person.account is None or person.left_at is not None:
        return None
    if person.account.status != AccountStatus.INVITED.value:
        return None
    if not _still_the_persons_address(person, token.email):
        return None
    return person, token.email


def _still_the_persons_address(person: Person, sent_to: str | None) -> bool:
    """A link sent to an address that is no longer the person's must not activate the account.

    A ProECO correction revokes pending links already; this second check means a missed
    revocation can never turn a wrong address into the reference e-mail.
    """
    account = person.account
    current = (account.reference_email if account is not None else None, person.proeco_email)
    return any(same_address(sent_to, address) for address in current)


def _peek(
    session: Session,
    raw: str,
    find: Callable[[Session, str], tuple[Found, str] | None],
    form: Callable[[Found, str], Shown],
) -> Shown | None:
    """What a link's page shows, read without spending the token; None for a dead link."""
    found = find(session, raw)
    return None if found is None else form(*found)


def invitation_already_used(session: Session, raw: str) -> bool:
    """True when `raw` is an invitation link, whatever its state, of an account now active,
    sent to an address that is still the person's. Its page may then say the account is
    active and point to sign-in: the holder learns nothing the link did not already tell
    (a link sent to a wrong address gets the page of any dead link)."""
    token = tokens.lookup(session, purpose=INVITATION_PURPOSE, raw=raw)
    person = session.get(Person, token.person_id) if token is not None else None
    if token is None or person is None or person.account is None or person.left_at is not None:
        return False
    if person.account.status != AccountStatus.ACTIVE.value:
        return False
    return _still_the_persons_address(person, token.email)


def _activation_form(person: Person, sent_to: str) -> ActivationForm:
    return ActivationForm(first_name=person.first_name, last_name=person.last_name, email=sent_to)


def peek_invitation(session: Session, raw: str) -> ActivationForm | None:
    return _peek(session, raw, _invited_person, _activation_form)


def address_used_by_other(session: Session, email: str, person_id: int) -> bool:
    """True when another person owns `email` as reference or ProECO address."""
    query = select(Account.person_id).where(
        func.lower(Account.reference_email) == email.casefold(), Account.person_id != person_id
    )
    if session.scalars(query).first() is not None:
        return True
    other = find_person_by_email(session, email)
    return other is not None and other.id != person_id


def check_new_email(
    session: Session, raw_email: str, person_id: int
) -> tuple[str | None, str | None]:
    """(normalized address, None) when usable, (None, French reason) otherwise."""
    email = normalize_email(raw_email)
    if email is None:
        return None, msg.EMAIL_INVALID
    if address_used_by_other(session, email, person_id):
        return None, msg.EMAIL_TAKEN
    return email, None


def may_try_another_address(session: Session, person_id: int) -> bool:
    """Count one more address tried by this person (at activation or from « Mon accès »);
    False beyond the limit."""
    return throttle.allow(
        session,
        EMAIL_CHOICE,
        client="",
        address=f"person:{person_id}",
        per_client=0,
        per_address=EMAIL_CHOICES_PER_PERSON,
        window=EMAIL_CHOICE_WINDOW,
    )


def activate(
    db: Database,
    settings: AccessSettings,
    raw: str,
    *,
    password: str,
    confirmation: str,
    new_email: str | None = None,
) -> ActivationResult:
    """Spend the invitation link and set the password. Owns its transactions
    (docs/architecture.md): the slow password hash runs between them, holding no lock."""
    invalid = ActivationResult(ok=False, problems=[msg.LINK_INVALID], link_invalid=True)
    wanted = (new_email or "").strip()
    with db.transaction() as session:
        found = _invited_person(session, raw)
        if found is None:
            return invalid
        person, sent_to = found
        names = [person.last_name, person.first_name]
        emails = [sent_to, person.proeco_email, wanted or None]
        schools = school_names(person)
        form = _activation_form(person, sent_to)
        change_to: str | None = None
        email_problem: str | None = None
        if wanted and not same_address(wanted, sent_to):
            if may_try_another_address(session, person.id):
                change_to, email_problem = check_new_email(session, wanted, person.id)
            else:
                change_to, email_problem = None, msg.EMAIL_CHOICES_TOO_MANY
    # The strength estimate and the hashing take time: keep them outside the write transaction.
    problems = new_password_problems(
        password, confirmation, names=names, emails=emails, schools=schools
    )
    if email_problem:
        problems.append(email_problem)
    if problems:
        return ActivationResult(ok=False, problems=problems, form=form)
    new_hash = hash_password(password)
    with db.transaction() as session:
        token = tokens.consume(session, purpose=INVITATION_PURPOSE, raw=raw)
        person = session.get(Person, token.person_id) if token is not None else None
        account = person.account if person is not None else None
        if token is None or account is None or account.status != AccountStatus.INVITED.value:
            return invalid
        if person is None or not _still_the_persons_address(person, token.email):
            return invalid  # the stale link is spent with it, which is what we want
        before = {"status": account.status, "reference_email": account.reference_email}
        account.password_hash = new_hash
        account.status = AccountStatus.ACTIVE.value
        account.activated_at = utcnow()
        account.reference_email = token.email
        audit.record(
            session,
            actor=audit.actor_of(person),
            action="account.activated",
            target_type="account",
            target_id=account.id,
            before=before,
            after={"status": account.status, "reference_email": account.reference_email},
        )
        welcome = mail.render(
            settings,
            "activation_confirmation",
            to=(person.display_name, token.email),
            context={
                "person_name": person.display_name,
                "reference_email": token.email,
                "signin_link": mail.link(settings, "/connexion"),
            },
        )
        outbox.enqueue(session, welcome, kind="activation_confirmation", person_id=person.id)
        metrics.on_commit(session, metrics.ACTIVATIONS.inc)
        if change_to is not None:
            request_email_change(session, settings, account, change_to)
    return ActivationResult(ok=True, pending_email=change_to, current_email=token.email)


def request_email_change(
    session: Session, settings: AccessSettings, account: Account, new_email: str
) -> None:
    """Send the confirmation link to the new address; nothing changes until it is followed."""
    person = account.person
    tokens.revoke_for_person(
        session, person.id, purposes=[EMAIL_CHANGE_PURPOSE], reason="new e-mail change requested"
    )
    now = utcnow()
    raw = tokens.issue(
        session,
        purpose=EMAIL_CHANGE_PURPOSE,
        person_id=person.id,
        email=new_email,
        ttl=EMAIL_CHANGE_TTL,
        now=now,
    )
    confirmation = mail.render(
        settings,
        "email_change_confirmation",
        to=(person.display_name, new_email),
        context={
            "person_name": person.display_name,
            "new_email": new_email,
            "link": mail.email_change_link(settings, raw),
            "valid_hours": int(EMAIL_CHANGE_TTL.total_seconds() // 3600),
            "expires_at": now + EMAIL_CHANGE_TTL,
        },
    )
    outbox.enqueue(session, confirmation, kind="email_change_confirmation", person_id=person.id)
    if account.reference_email:
        notice = mail.render(
            settings,
            "email_change_notice",
            to=(person.display_name, account.reference_email),
            context={"person_name": person.display_name, "new_email_hint": mask_email(new_email)},
        )
        outbox.enqueue(session, notice, kind="email_change_notice", person_id=person.id)
    audit.record(
        session,
        actor=audit.actor_of(person),
        action="email_change.requested",
        target_type="account",
        target_id=account.id,
    )


@dataclass(frozen=True)
class PendingEmail:
    """A new reference e-mail waiting for its confirmation, as « Mon accès » shows it."""

    new_email: str
    expires_at: datetime


def pending_email_change(session: Session, person_id: int) -> PendingEmail | None:
    """The latest e-mail change still waiting for its link (a new request revokes the older)."""
    pending = tokens.pending_for_person(session, person_id, purpose=EMAIL_CHANGE_PURPOSE)
    if not pending:
        return None
    latest = pending[-1]
    return PendingEmail(new_email=latest.email, expires_at=latest.expires_at)


def _pending_change(session: Session, raw: str) -> tuple[Account, str] | None:
    token = tokens.peek(session, purpose=EMAIL_CHANGE_PURPOSE, raw=raw)
    person = session.get(Person, token.person_id) if token is not None else None
    account = person.account if person is not None else None
    if token is None or account is None or account.status != AccountStatus.ACTIVE.value:
        return None
    return account, token.email


def _email_change_form(account: Account, new_email: str) -> EmailChangeForm:
    return EmailChangeForm(new_email=new_email, current_email=account.reference_email)


def peek_email_change(session: Session, raw: str) -> EmailChangeForm | None:
    return _peek(session, raw, _pending_change, _email_change_form)


def confirm_email_change(session: Session, settings: AccessSettings, raw: str) -> EmailChangeResult:
    invalid = EmailChangeResult(ok=False, message=msg.EMAIL_LINK_INVALID, link_invalid=True)
    if _pending_change(session, raw) is None:
        return invalid
    token = tokens.consume(session, purpose=EMAIL_CHANGE_PURPOSE, raw=raw)
    person = session.get(Person, token.person_id) if token is not None else None
    account = person.account if person is not None else None
    if token is None or account is None:
        return invalid
    # Checked again: the address may have been taken since the link was sent.
    if address_used_by_other(session, token.email, account.person_id):
        return EmailChangeResult(ok=False, message=msg.EMAIL_TAKEN)
    old = account.reference_email
    account.reference_email = token.email
    account.reference_email_chosen = True
    # Reset links went to the old address: they must not outlive the change.
    tokens.revoke_for_person(
        session, account.person_id, purposes=[tokens.RESET], reason="reference e-mail changed"
    )
    audit.record(
        session,
        actor=audit.actor_of(person),
        action="email_change.confirmed",
        target_type="account",
        target_id=account.id,
        before={"reference_email": old},
        after={"reference_email": token.email},
    )
    return EmailChangeResult(ok=True, message=msg.EMAIL_CHANGED.format(email=token.email))
