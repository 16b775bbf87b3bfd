"""The directors' weekly digest: what waits for each director, school by school.

Four lists, each with what to do about it: newcomers from ProECO to invite, addresses to fix
in ProECO (missing, invalid, or an invitation that bounced), people invited who have not
activated, and mission grants ending in the next `GRANTS_ENDING_WITHIN`. A director whose
schools have nothing in any list gets no digest; a director who turned it off
(`set_digest`) gets none either.

This module only says what the digest holds; the scheduler's notifier delivers it (a Slack
DM when the director is in Slack, an e-mail otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import DateTime, ForeignKey
from sqlalchemy.orm import Mapped, Session, mapped_column

from access import audit
from access.clock import as_utc, utcnow
from access.directory.authz import managed_establishments
from access.directory.models import (
    Account,
    AccountStatus,
    Assignment,
    Establishment,
    Function,
    MissionGrant,
    Person,
)
from access.directory.team import TeamRow, TeamStatus
from access.emails import normalize_email
from access.invitations.service import team_list
from access.persistence.database import Base

GRANTS_ENDING_WITHIN = timedelta(days=14)


class DigestOptOut(Base):
    """A director who turned the weekly digest off (migration 0016)."""

    __tablename__ = "digest_opt_outs"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@dataclass(frozen=True)
class GrantEnding:
    person_id: int
    name: str
    mission: str
    ends_at: datetime


@dataclass
class SchoolDigest:
    fase: str
    name: str
    to_invite: list[TeamRow] = field(default_factory=list)
    to_fix: list[TeamRow] = field(default_factory=list)
    not_activated: list[TeamRow] = field(default_factory=list)
    grants_ending: list[GrantEnding] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.to_invite or self.to_fix or self.not_activated or self.grants_ending)


@dataclass
class DirectorDigest:
    person_id: int
    name: str
    # Where the e-mail goes when the director is not in Slack; None when there is none.
    email: str | None
    schools: list[SchoolDigest]

    def counts(self) -> dict[str, int]:
        return {
            "to_invite": sum(len(s.to_invite) for s in self.schools),
            "to_fix": sum(len(s.to_fix) for s in self.schools),
            "not_activated": sum(len(s.not_activated) for s in self.schools),
            "grants_ending": sum(len(s.grants_ending) for s in self.schools),
        }


def digest_enabled(session: Session, person_id: int) -> bool:
    return session.get(DigestOptOut, person_id) is None


def set_digest(
    session: Session, person_id: int, *, enabled: bool, now: datetime | None = None
) -> bool:
    """Turn the weekly digest on or off for a director; True when that changed something."""
    current = session.get(DigestOptOut, person_id)
    if enabled == (current is None):
        return False
    if enabled:
        session.delete(current)
    else:
        session.add(DigestOptOut(person_id=person_id, at=now or utcnow()))
    audit.record(
        session,
        actor=f"person:{person_id}",
        action="digest.enabled" if enabled else "digest.disabled",
        target_type="person",
        target_id=person_id,
    )
    return True


def directors(session: Session) -> list[int]:
    """Everyone who directs an establishment now and has not turned the digest off."""
    query = (
        sa.select(Person.id)
        .join(Assignment, Assignment.person_id == Person.id)
        .join(Function, Function.code == Assignment.function_code)
        .outerjoin(Account, Account.person_id == Person.id)
        .outerjoin(DigestOptOut, DigestOptOut.person_id == Person.id)
        .where(
            Function.is_direction.is_(True),
            Assignment.ended_at.is_(None),
            Person.left_at.is_(None),
            (Account.status.is_(None)) | (Account.status != AccountStatus.DISABLED.value),
            DigestOptOut.person_id.is_(None),
        )
        .distinct()
        .order_by(Person.id)
    )
    return list(session.scalars(query))


class DigestBuilder:
    """Builds the digests of many directors, each school's lists read once."""

    def __init__(self, session: Session, now: datetime | None = None) -> None:
        self._session = session
        self._now = as_utc(now) or utcnow()
        self._schools: dict[str, SchoolDigest] = {}

    def for_director(self, person_id: int) -> DirectorDigest | None:
        """The digest of one director; None when there is nothing to say."""
        session = self._session
        person = session.get(Person, person_id)
        if person is None:
            return None
        schools = [
            self._school(establishment)
            for establishment in managed_establishments(session, person_id)
        ]
        schools = [school for school in schools if not school.is_empty]
        if not schools:
            return None
        return DirectorDigest(
            person_id=person_id,
            name=person.display_name,
            email=_address_of(person),
            schools=schools,
        )

    def _school(self, establishment: Establishment) -> SchoolDigest:
        known = self._schools.get(establishment.fase)
        if known is not None:
            return known
        school = SchoolDigest(fase=establishment.fase, name=establishment.name)
        for row in team_list(self._session, establishment.fase).rows:
            if row.status == TeamStatus.LEFT or row.status == TeamStatus.ACTIVE:
                continue
            if row.status == TeamStatus.EMAIL_TO_FIX or row.delivery_error:
                school.to_fix.append(row)
            elif row.status == TeamStatus.WILL_BE_INVITED:
                school.to_invite.append(row)
            elif row.status == TeamStatus.INVITED:
                school.not_activated.append(row)
        school.grants_ending = self._grants_ending(establishment.id)
        self._schools[establishment.fase] = school
        return school

    def _grants_ending(self, establishment_id: int) -> list[GrantEnding]:
        now = self._now
        rows = self._session.execute(
            sa.select(MissionGrant, Person)
            .join(Person, Person.id == MissionGrant.person_id)
            .join(
                Assignment,
                (Assignment.person_id == MissionGrant.person_id)
                & (Assignment.establishment_id == MissionGrant.establishment_id),
            )
            .where(
                MissionGrant.establishment_id == establishment_id,
                MissionGrant.revoked_at.is_(None),
                MissionGrant.ends_at > now,
                MissionGrant.ends_at <= now + GRANTS_ENDING_WITHIN,
                Assignment.ended_at.is_(None),
                Person.left_at.is_(None),
            )
            .order_by(MissionGrant.ends_at, Person.last_name, Person.first_name)
        ).all()
        return [
            GrantEnding(
                person_id=person.id,
                name=person.full_name,
                mission=grant.mission,
                ends_at=as_utc(grant.ends_at),  # type: ignore[arg-type]
            )
            for grant, person in rows
        ]


def _address_of(person: Person) -> str | None:
    """The director's own address: the account's reference e-mail once active, else ProECO's."""
    account = person.account
    if account is not None and account.status == AccountStatus.ACTIVE.value:
        chosen = normalize_email(account.reference_email)
        if chosen:
            return chosen
    return normalize_email(person.proeco_email) if person.proeco_email_valid else None
