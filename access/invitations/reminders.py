"""Invitation reminders: who was invited and has not activated gets a fresh link by itself.

Rules (issue 19):
- a person invited `after` ago (the last invitation or reminder) and still not activated gets
  a reminder: the same kind of e-mail with a fresh link, the earlier link revoked;
- at most `max_reminders` since the last invitation a person sent (a director, or the person
  asking again in chat): a new invitation by hand starts the count again;
- never to someone who left, whose account is active or disabled, whose ProECO address is
  missing or invalid, or whose last invitation bounced (an address to fix in ProECO).

A process (docs/architecture.md): one transaction per person, under that person's lock, with
everything checked again there, so a director's send at the same moment never makes two.
The reminder is recorded like an invitation (token, outbox, account, audit entry
`invitation.sent`), its actor `REMINDER_ACTOR`: the team list shows the new date, and the
count of reminders is read back from the audit log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.accounts import tokens
from access.clock import as_utc, utcnow
from access.config import AccessSettings
from access.directory.models import (
    Account,
    AccountStatus,
    Assignment,
    AuditEntry,
    Establishment,
    Person,
)
from access.invitations.delivery import last_failure_for
from access.invitations.service import (
    ONE,
    _lock_people,
    _Member,
    _members,
    _Prepared,
    _record_all,
    _skip_reason,
)
from access.mail import outbox
from access.mail import templates as mail
from access.persistence.database import Database

REMINDER_ACTOR = "scheduler:invitation-reminders"
TEMPLATE = "invitation_reminder"
_BATCH = 500


@dataclass
class ReminderReport:
    reminded: int = 0
    # Why someone due was not reminded after all, by reason (checked again under the lock).
    skipped: Counter[str] = field(default_factory=Counter)
    # People still invited but past the number of reminders: their director's digest lists them.
    exhausted: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "reminded": self.reminded,
            "max_reached": self.exhausted,
            **{f"skipped_{reason}": count for reason, count in sorted(self.skipped.items())},
        }


def send_reminders(
    db: Database,
    settings: AccessSettings,
    *,
    after: timedelta,
    max_reminders: int,
    now: datetime | None = None,
) -> ReminderReport:
    """Remind everyone due (see the module); commits one person at a time."""
    moment = as_utc(now) or utcnow()
    report = ReminderReport()
    if max_reminders <= 0:
        return report
    with db.session() as session:
        waiting = _invited_before(session, moment - after)
        sent = reminders_sent(session, [person_id for person_id, _ in waiting])
    for person_id, establishment_id in waiting:
        if sent.get(person_id, 0) >= max_reminders:
            report.exhausted += 1
            continue
        with db.transaction() as session:
            reason = _remind(
                session,
                settings,
                person_id,
                establishment_id,
                due_before=moment - after,
                max_reminders=max_reminders,
                now=moment,
            )
        if reason is None:
            report.reminded += 1
        else:
            report.skipped[reason] += 1
    return report


def _invited_before(session: Session, cutoff: datetime) -> list[tuple[int, int]]:
    """(person id, establishment id) of people invited before `cutoff`, still invited, who
    still work somewhere: the establishment is the first of theirs by FASE number."""
    rows = session.execute(
        sa.select(Person.id, Establishment.id, Establishment.fase)
        .join(Account, Account.person_id == Person.id)
        .join(Assignment, Assignment.person_id == Person.id)
        .join(Establishment, Establishment.id == Assignment.establishment_id)
        .where(
            Account.status == AccountStatus.INVITED.value,
            Account.invited_at <= cutoff,
            Person.left_at.is_(None),
            Assignment.ended_at.is_(None),
        )
        .order_by(Person.id, Establishment.fase)
    ).all()
    chosen: dict[int, int] = {}
    for person_id, establishment_id, _ in rows:
        chosen.setdefault(person_id, establishment_id)
    return list(chosen.items())


def reminders_sent(session: Session, person_ids: Sequence[int]) -> dict[int, int]:
    """Reminders each person got since the last invitation sent by someone (not by us)."""
    counts: dict[int, int] = {}
    for start in range(0, len(person_ids), _BATCH):
        ids = [str(person_id) for person_id in person_ids[start : start + _BATCH]]
        rows = session.execute(
            sa.select(AuditEntry.target_id, AuditEntry.actor)
            .where(
                AuditEntry.action == "invitation.sent",
                AuditEntry.target_type == "person",
                AuditEntry.target_id.in_(ids),
            )
            .order_by(AuditEntry.at, AuditEntry.id)
        ).all()
        for target_id, actor in rows:
            person_id = int(target_id)
            counts[person_id] = counts.get(person_id, 0) + 1 if actor == REMINDER_ACTOR else 0
    return counts


def _remind(
    session: Session,
    settings: AccessSettings,
    person_id: int,
    establishment_id: int,
    *,
    due_before: datetime,
    max_reminders: int,
    now: datetime,
) -> str | None:
    """Send one reminder under the person's lock; None when sent, else why not."""
    _lock_people(session, [person_id])
    members = _members(session, establishment_id, [person_id])
    if not members:
        return "left"
    member = members[0]
    reason = _skip_reason(member, ONE)
    if reason is not None:
        return reason
    invited_at = as_utc(member.account.invited_at) if member.account else None
    if invited_at is None or invited_at > due_before:
        return "invited_lately"
    if reminders_sent(session, [person_id]).get(person_id, 0) >= max_reminders:
        return "max_reached"
    if last_failure_for(session, [person_id]):
        return "email_to_fix"
    establishment = session.get_one(Establishment, establishment_id)
    ready = _prepare(settings, member, establishment, now)
    revoked = tokens.revoke_for_person(
        session, person_id, purposes=[tokens.INVITATION], reason="reminder", now=now
    )
    _record_all(
        session,
        settings,
        chosen=[(member, ready)],
        establishment=establishment,
        actor=REMINDER_ACTOR,
        ref="invitation-reminder",
        resent={person_id} if revoked else set(),
        now=now,
    )
    return None


def _prepare(
    settings: AccessSettings, member: _Member, establishment: Establishment, now: datetime
) -> _Prepared:
    email = member.email
    assert email is not None, "only members with a valid e-mail are reminded"
    raw = tokens.new_raw()
    letter = mail.render(
        settings,
        TEMPLATE,
        to=(member.person.display_name, email),
        context={
            "person_name": member.person.display_name,
            "link": mail.activation_link(settings, raw),
            "school_name": establishment.name,
            "fase": establishment.fase,
            "invited_at": as_utc(member.account.invited_at) if member.account else None,
            "valid_days": settings.invitation_ttl_days,
            "expires_at": now + timedelta(days=settings.invitation_ttl_days),
        },
    )
    return _Prepared(email=email, raw_token=raw, sealed=outbox.seal(letter, now=now))
