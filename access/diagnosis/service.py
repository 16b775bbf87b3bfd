"""The diagnosis of one person's access, computed once for every surface.

Everything the access module knows about why someone cannot get in — account, schools,
ProECO address, last invitation and what became of it, link, sign-in block, pending address
change, reminders already sent — and the one step that would unblock them, with who must
take it. No wording here (`access.diagnosis.explain`), no transport.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.accounts import tokens
from access.accounts.models import InvitationRequest
from access.accounts.signin import blocked_until
from access.clock import as_utc, utcnow
from access.diagnosis.delivery import (
    last_invitation_message,
    last_invitation_token,
    link_state,
    mail_state,
)
from access.diagnosis.model import (
    Action,
    Delivery,
    Diagnosis,
    Invitation,
    LinkState,
    NextStep,
    Place,
    Who,
)
from access.directory.models import (
    Account,
    AccountStatus,
    Assignment,
    AuditEntry,
    Establishment,
    Person,
)

INVITATION_SENT = "invitation.sent"
# « Prévenir ma direction »: at most one message to the directors per person and per week.
REMINDER_INTERVAL = timedelta(days=7)
DIRECTION_REMINDED = "direction.reminded"
# Agents' actions are audited as "helpdesk:<agent>", so the person reads « par le helpdesk ».
HELPDESK_ACTOR_PREFIX = "helpdesk:"


def diagnose(
    session: Session, person_id: int, *, fase: str | None = None, now: datetime | None = None
) -> Diagnosis | None:
    """The person's diagnosis now; None when there is no such person. `fase` focuses the
    next step on one of their establishments (the others are still listed)."""
    now = now or utcnow()
    person = session.get(Person, person_id)
    if person is None:
        return None
    account = person.account
    status = account.status if account is not None else AccountStatus.NOT_INVITED.value
    places = _places(session, person_id)
    left = person.left_at is not None or not any(place.current for place in places)
    invitation = _invitation(session, person, now)
    reference = account.reference_email if account is not None else None
    locked = None
    if status == AccountStatus.ACTIVE and reference:
        locked = blocked_until(session, reference, now=now)
    change_to, change_until = _email_change(session, person_id, now)
    focus = fase.strip() if fase and any(p.fase == fase.strip() for p in places) else None
    diagnosis = Diagnosis(
        person_id=person.id,
        name=person.display_name,
        status=status,
        places=places,
        proeco_email=person.proeco_email,
        proeco_email_valid=bool(person.proeco_email and person.proeco_email_valid),
        reference_email=reference,
        left=left,
        invitation=invitation,
        activated_at=as_utc(account.activated_at) if account is not None else None,
        locked_until=locked,
        email_change_to=change_to,
        email_change_until=change_until,
        direction_reminded_at=last_reminder(session, person_id),
        next=NextStep(Action.CONTACT_HELPDESK, Who.HELPDESK),
        focus=focus,
    )
    return _with_next_step(diagnosis)


def _places(session: Session, person_id: int) -> tuple[Place, ...]:
    rows = session.scalars(
        sa.select(Assignment)
        .join(Establishment, Establishment.id == Assignment.establishment_id)
        .where(Assignment.person_id == person_id)
        .order_by(Assignment.ended_at.is_not(None), Establishment.fase)
    ).all()
    fases = [row.establishment.fase for row in rows]
    sent = dict(
        session.execute(
            sa.select(InvitationRequest.fase, sa.func.min(InvitationRequest.created_at))
            .where(InvitationRequest.fase.in_(fases))
            .group_by(InvitationRequest.fase)
        ).all()
    )
    return tuple(
        Place(
            fase=row.establishment.fase,
            name=row.establishment.name,
            function=row.function.label,
            is_direction=row.function.is_direction,
            ended_at=as_utc(row.ended_at),
            direction_sent_at=as_utc(sent.get(row.establishment.fase)),
        )
        for row in rows
    )


def _invitation(session: Session, person: Person, now: datetime) -> Invitation | None:
    token = last_invitation_token(session, person.id)
    message = last_invitation_message(session, person.id)
    account = person.account
    if token is None and message is None:
        return None
    mail = mail_state(message)
    sent_at = as_utc(token.created_at if token is not None else message.created_at)  # type: ignore[union-attr]
    if sent_at is None and account is not None:
        sent_at = as_utc(account.invited_at)
    actor = session.scalars(
        sa.select(AuditEntry.actor)
        .where(
            AuditEntry.action == INVITATION_SENT,
            AuditEntry.target_type == "person",
            AuditEntry.target_id == str(person.id),
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    sender = _sender_name(session, actor) if actor and actor != f"person:{person.id}" else None
    payload = (token.payload or {}) if token is not None else {}
    return Invitation(
        sent_at=sent_at or now,
        address=(token.email if token is not None else mail.address) or "",
        sent_by=sender,
        sent_by_self=actor == f"person:{person.id}",
        sent_by_helpdesk=bool(actor and actor.startswith(HELPDESK_ACTOR_PREFIX)),
        fase=payload.get("fase") if isinstance(payload.get("fase"), str) else None,
        delivery=mail.delivery,
        delivery_at=mail.at,
        server_reply=mail.server_reply,
        failure=mail.failure,
        next_attempt_at=mail.next_attempt_at,
        link=link_state(token, now),
        link_expires_at=as_utc(token.expires_at) if token is not None else None,
        link_used_at=as_utc(token.consumed_at) if token is not None else None,
    )


def _sender_name(session: Session, actor: str) -> str | None:
    kind, _, value = actor.partition(":")
    if kind != "person" or not value.isdigit():
        return None
    sender = session.get(Person, int(value))
    return sender.display_name if sender is not None else None


def _email_change(
    session: Session, person_id: int, now: datetime
) -> tuple[str | None, datetime | None]:
    pending = tokens.pending_for_person(session, person_id, purpose=tokens.EMAIL_CHANGE, now=now)
    if not pending:
        return None, None
    latest = pending[-1]
    return latest.email, as_utc(latest.expires_at)


def last_reminder(session: Session, person_id: int) -> datetime | None:
    """When the person last had their direction reminded (« Prévenir ma direction »)."""
    return as_utc(
        session.scalars(
            sa.select(AuditEntry.at)
            .where(
                AuditEntry.action == DIRECTION_REMINDED,
                AuditEntry.target_type == "person",
                AuditEntry.target_id == str(person_id),
            )
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).first()
    )


# --- the next step ----------------------------------------------------------------------


def _with_next_step(diagnosis: Diagnosis) -> Diagnosis:
    return replace(diagnosis, next=next_step(diagnosis))


def _school(diagnosis: Diagnosis) -> str | None:
    """The establishment a step is about: the one asked about, else that of the last
    invitation while the person still works there, else the first current one."""
    current = [place.fase for place in diagnosis.current_places]
    if diagnosis.focus in current:
        return diagnosis.focus
    invited_from = diagnosis.invitation.fase if diagnosis.invitation else None
    if invited_from in current:
        return invited_from
    return current[0] if current else None


def next_step(diagnosis: Diagnosis) -> NextStep:
    """The one action that would unblock the person, and who must take it."""
    school = _school(diagnosis)
    if diagnosis.left:
        return NextStep(Action.LEFT, Who.SECRETARIAT)
    if diagnosis.status == AccountStatus.DISABLED:
        return NextStep(Action.CONTACT_HELPDESK, Who.HELPDESK, school)
    if diagnosis.status == AccountStatus.ACTIVE:
        if diagnosis.locked_until is not None:
            return NextStep(Action.RESET_PASSWORD, Who.PERSON, school)
        if diagnosis.email_change_to is not None:
            return NextStep(Action.CONFIRM_EMAIL_CHANGE, Who.PERSON, school)
        return NextStep(Action.SIGN_IN, Who.PERSON, school)
    return _before_activation(diagnosis, school)


def _before_activation(diagnosis: Diagnosis, school: str | None) -> NextStep:
    if not diagnosis.proeco_email_valid:
        return NextStep(Action.FIX_EMAIL_IN_PROECO, Who.SECRETARIAT, school)
    invitation = diagnosis.invitation
    if diagnosis.status == AccountStatus.NOT_INVITED or invitation is None:
        if diagnosis.status == AccountStatus.INVITED:
            # Invited before the outbox kept its rows: nothing to read, a new link helps.
            return NextStep(Action.RESEND_INVITATION, Who.PERSON, school)
        return NextStep(Action.REMIND_DIRECTION, Who.DIRECTION, school)
    sent_to_current = _same(invitation.address, diagnosis.proeco_email)
    if invitation.delivery in (Delivery.REFUSED, Delivery.BOUNCED):
        wrong = invitation.failure is not None and invitation.failure.address_is_wrong
        if wrong and sent_to_current:
            return NextStep(Action.FIX_EMAIL_IN_PROECO, Who.SECRETARIAT, school)
        # Corrected since, or a passing refusal (a full mailbox): a new send may arrive.
        return NextStep(Action.RESEND_INVITATION, Who.PERSON, school)
    if invitation.delivery in (Delivery.QUEUED, Delivery.RETRYING):
        return NextStep(Action.WAIT_DELIVERY, Who.NOBODY, school)
    if invitation.link == LinkState.VALID and sent_to_current:
        return NextStep(Action.ACTIVATE, Who.PERSON, school)
    return NextStep(Action.RESEND_INVITATION, Who.PERSON, school)


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().casefold() == b.strip().casefold())


def find_person_ids_by_email(session: Session, email: str) -> list[int]:
    """Everyone whose reference or ProECO address is `email` (any case), staff first."""
    wanted = email.strip().lower()
    by_reference = sa.select(Account.person_id).where(
        sa.func.lower(Account.reference_email) == wanted
    )
    query = (
        sa.select(Person.id)
        .where((Person.id.in_(by_reference)) | (sa.func.lower(Person.proeco_email) == wanted))
        .order_by(Person.left_at.is_not(None), Person.id)
    )
    return list(session.scalars(query))
