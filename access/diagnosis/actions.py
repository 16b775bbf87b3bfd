"""What can be done about a diagnosis, by the person, a director or a helpdesk agent.

Each action goes through the access module's own rules (the invitations service and its
cooldown, the reset link's limits, the sign-in block) and leaves an audit entry naming who
acted and why (an agent's entry names the ticket). The caller's transaction holds it all:
the e-mail (through the outbox), the audit entry and the change commit together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from access import messages as msg
from access.accounts.signin import ResetStart, blocked_until, start_password_reset_for, unblock
from access.clock import utcnow
from access.config import AccessSettings
from access.diagnosis.explain import day, explain
from access.diagnosis.model import Action
from access.diagnosis.service import (
    DIRECTION_REMINDED,
    REMINDER_INTERVAL,
    diagnose,
    last_reminder,
)
from access.directory.models import (
    Account,
    AccountStatus,
    Assignment,
    Establishment,
    Function,
    Person,
)
from access.emails import normalize_email
from access.errors import NotFound
from access.mail import outbox
from access.mail import templates as mail

# The steps for which telling the direction helps: it sends invitations and hears of wrong
# addresses first.
REMINDABLE = frozenset({Action.REMIND_DIRECTION, Action.FIX_EMAIL_IN_PROECO})


@dataclass(frozen=True)
class Outcome:
    """What an action did: `done` or not, and the French sentence for whoever pressed."""

    done: bool
    message: str


def _person(session: Session, person_id: int) -> Person:
    # Row lock on PostgreSQL (SQLite's BEGIN IMMEDIATE already runs alone): two presses at
    # once see each other's audit entry, so the directors get one reminder, not two.
    session.execute(sa.select(Person.id).where(Person.id == person_id).with_for_update()).all()
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("unknown_person", msg.UNKNOWN_PERSON, detail=f"no person {person_id}")
    return person


# --- « Prévenir ma direction » -----------------------------------------------------------


@dataclass(frozen=True)
class Director:
    person_id: int
    name: str
    email: str
    fase: str
    school: str


def directors_of(session: Session, fases: list[str], *, besides: int) -> list[Director]:
    """The current directors of these establishments who can be reached by e-mail, once each."""
    rows = session.execute(
        sa.select(Person, Establishment.fase, Establishment.name)
        .join(Assignment, Assignment.person_id == Person.id)
        .join(Establishment, Establishment.id == Assignment.establishment_id)
        .join(Function, Function.code == Assignment.function_code)
        .outerjoin(Account, Account.person_id == Person.id)
        .where(
            Establishment.fase.in_(fases),
            Function.is_direction.is_(True),
            Assignment.ended_at.is_(None),
            Person.left_at.is_(None),
            Person.id != besides,
            (Account.status.is_(None)) | (Account.status != AccountStatus.DISABLED.value),
        )
        .order_by(Establishment.fase, Person.id)
    ).all()
    found: dict[int, Director] = {}
    for person, fase, school in rows:
        account = person.account
        reference = account.reference_email if account is not None else None
        active = account is not None and account.status == AccountStatus.ACTIVE
        email = reference if active and reference else None
        if email is None and person.proeco_email_valid:
            email = normalize_email(person.proeco_email)
        if email and person.id not in found:
            found[person.id] = Director(person.id, person.display_name, email, fase, school)
    return list(found.values())


def remind_direction(
    session: Session,
    settings: AccessSettings,
    person_id: int,
    *,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> Outcome:
    """One e-mail to each director of the person's schools: this person waits for their
    invitation (or for their address to be corrected). At most once a week per person,
    whoever asks (the person, an agent)."""
    now = now or utcnow()
    _person(session, person_id)
    diagnosis = diagnose(session, person_id, now=now)
    assert diagnosis is not None
    if diagnosis.next.action not in REMINDABLE:
        sentence = explain(diagnosis, owner=True, show_addresses=False, now=now).next_step
        return Outcome(False, msg.REMINDER_NOT_NEEDED.format(reason=sentence))
    last = last_reminder(session, person_id)
    if last is not None and now - last < REMINDER_INTERVAL:
        return Outcome(
            False,
            msg.REMINDER_ALREADY.format(
                date=day(last, now), next=day(last + REMINDER_INTERVAL, now)
            ),
        )
    fases = [place.fase for place in diagnosis.current_places]
    directors = directors_of(session, fases, besides=person_id)
    if not directors:
        return Outcome(False, msg.REMINDER_NOBODY)
    about = explain(diagnosis, owner=False, show_addresses=False, now=now)
    situation = " ".join((*about.facts, about.next_step))
    to_fix = diagnosis.next.action == Action.FIX_EMAIL_IN_PROECO
    for director in directors:
        letter = mail.render(
            settings,
            "direction_reminder",
            to=(director.name, director.email),
            context={
                "director_name": director.name,
                "person_name": diagnosis.name,
                "school_name": director.school,
                "fase": director.fase,
                "situation": situation,
                "email_to_fix": to_fix,
            },
        )
        outbox.enqueue(
            session, letter, kind="direction_reminder", person_id=director.person_id, now=now
        )
    audit.record(
        session,
        actor=actor,
        action=DIRECTION_REMINDED,
        target_type="person",
        target_id=person_id,
        after={"directors": [d.person_id for d in directors], "fases": fases},
        reason=reason,
    )
    schools = ", ".join(sorted({d.school for d in directors}))
    return Outcome(True, msg.REMINDER_SENT.format(count=len(directors), schools=schools))


# --- the password, the sign-in block (a resend: invitations.service) ---------------------


def send_reset_link(
    session: Session,
    settings: AccessSettings,
    person_id: int,
    *,
    actor: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> ResetStart:
    """A reset link to the person's reference address (active accounts only, with the
    reset limits). An agent's request is audited in their name as well."""
    started = start_password_reset_for(session, settings, person_id, now=now)
    if started.sent and actor is not None and actor != f"person:{person_id}":
        audit.record(
            session,
            actor=actor,
            action="password.reset_sent_for",
            target_type="person",
            target_id=person_id,
            reason=reason,
        )
    return started


def lift_lockout(
    session: Session,
    person_id: int,
    *,
    actor: str,
    reason: str | None = None,
    now: datetime | None = None,
) -> Outcome:
    """End the sign-in block of the person's reference address (an agent's decision, once
    they know who they are talking to)."""
    now = now or utcnow()
    person = _person(session, person_id)
    account = person.account
    address = account.reference_email if account is not None else None
    if account is None or account.status != AccountStatus.ACTIVE or not address:
        return Outcome(False, msg.NO_SIGN_IN_ADDRESS.format(name=person.display_name))
    until = blocked_until(session, address, now=now)
    if until is None:
        return Outcome(False, msg.NOT_BLOCKED.format(name=person.display_name))
    unblock(session, address, now=now)
    audit.record(
        session,
        actor=actor,
        action="account.unblocked",
        target_type="account",
        target_id=account.id,
        before={"blocked_until": until.isoformat()},
        reason=reason,
    )
    return Outcome(True, msg.UNBLOCKED.format(name=person.display_name))
