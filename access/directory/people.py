"""Finding people and what they may open on the Extranet."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.clock import as_utc, utcnow
from access.directory.grants import live_grants
from access.directory.models import Account, Assignment, Establishment, MissionGrant, Person
from access.directory.profiles import Profiles, default_profiles
from access.directory.team import TeamMember, team_member


def find_person_by_email(session: Session, email: str | None) -> Person | None:
    """The person whose reference e-mail, or else ProECO e-mail, is `email` (any case).

    A person still in the staff is preferred over one who left, in case an address moved.
    """
    if not email or not email.strip():
        return None
    wanted = email.strip().lower()
    by_reference = session.scalars(
        select(Person)
        .join(Account, Account.person_id == Person.id)
        .where(func.lower(Account.reference_email) == wanted)
        .order_by(Person.left_at.is_not(None), Person.id)
    ).first()
    if by_reference is not None:
        return by_reference
    return session.scalars(
        select(Person)
        .where(func.lower(Person.proeco_email) == wanted)
        .order_by(Person.left_at.is_not(None), Person.id)
    ).first()


@dataclass(frozen=True)
class LiveGrant:
    grant_id: int
    mission: str
    resources: frozenset[str]
    ends_at: datetime | None


@dataclass(frozen=True)
class EstablishmentAccess:
    establishment_id: int
    fase: str
    name: str
    function_code: str | None
    function_resources: frozenset[str]
    grants: tuple[LiveGrant, ...] = ()

    @property
    def resources(self) -> frozenset[str]:
        granted = frozenset().union(*(grant.resources for grant in self.grants))
        return self.function_resources | granted


@dataclass(frozen=True)
class EffectiveAccess:
    person_id: int
    at: datetime
    establishments: dict[str, EstablishmentAccess] = field(default_factory=dict)

    @property
    def resources(self) -> frozenset[str]:
        return frozenset().union(*(access.resources for access in self.establishments.values()))

    def resources_in(self, fase: str) -> frozenset[str]:
        access = self.establishments.get(fase)
        return access.resources if access is not None else frozenset()


def effective_access(
    session: Session,
    person_id: int,
    at: datetime | None = None,
    *,
    profiles: Profiles | None = None,
) -> EffectiveAccess:
    """Per establishment: the resources of the person's current function there, plus the
    mission grants live at `at` (given, not revoked, not yet ended: a grant stops counting
    the moment its end date passes, with no job needed to expire it)."""
    moment = as_utc(at) or utcnow()
    profiles = profiles or default_profiles()
    result: dict[str, EstablishmentAccess] = {}
    for establishment, function_code in session.execute(
        select(Establishment, Assignment.function_code)
        .join(Assignment, Assignment.establishment_id == Establishment.id)
        .where(Assignment.person_id == person_id, Assignment.ended_at.is_(None))
    ):
        result[establishment.fase] = EstablishmentAccess(
            establishment_id=establishment.id,
            fase=establishment.fase,
            name=establishment.name,
            function_code=function_code,
            function_resources=profiles.resources_for(function_code),
        )
    grants = session.execute(
        select(MissionGrant, Establishment)
        .join(Establishment, Establishment.id == MissionGrant.establishment_id)
        .where(MissionGrant.person_id == person_id, MissionGrant.revoked_at.is_(None))
        .order_by(MissionGrant.id)
    )
    for grant, establishment in grants:
        granted_at, ends_at = as_utc(grant.granted_at), as_utc(grant.ends_at)
        if granted_at is not None and granted_at > moment:
            continue
        if ends_at is not None and ends_at <= moment:
            continue
        live = LiveGrant(grant.id, grant.mission, frozenset(grant.resources), ends_at)
        current = result.get(establishment.fase) or EstablishmentAccess(
            establishment_id=establishment.id,
            fase=establishment.fase,
            name=establishment.name,
            function_code=None,
            function_resources=frozenset(),
        )
        result[establishment.fase] = EstablishmentAccess(
            establishment_id=current.establishment_id,
            fase=current.fase,
            name=current.name,
            function_code=current.function_code,
            function_resources=current.function_resources,
            grants=(*current.grants, live),
        )
    return EffectiveAccess(person_id=person_id, at=moment, establishments=result)


@dataclass(frozen=True)
class GrantLine:
    """A live mission grant as a director reads it: who gave it (None if unknown), until when."""

    grant_id: int
    mission: str
    resources: tuple[str, ...]
    granted_by: str | None
    granted_at: datetime
    ends_at: datetime | None
    reason: str | None = None


@dataclass(frozen=True)
class MemberAccess:
    """What one member of a team may open in that establishment, and the grants behind it."""

    member: TeamMember
    fase: str
    establishment_name: str
    # None once the member left: nothing counts there any more.
    access: EstablishmentAccess | None
    grants: tuple[GrantLine, ...]


def member_access(
    session: Session, establishment: Establishment, person_id: int, *, profiles: Profiles
) -> MemberAccess | None:
    """The access of `person_id` in `establishment`; None when not on its staff."""
    member = team_member(session, establishment.id, person_id)
    if member is None:
        return None
    everything = effective_access(session, person_id, profiles=profiles)
    grants = tuple(
        GrantLine(
            grant_id=grant.id,
            mission=grant.mission,
            resources=tuple(grant.resources),
            granted_by=grant.granted_by.display_name if grant.granted_by else None,
            granted_at=grant.granted_at,
            ends_at=grant.ends_at,
            reason=grant.reason,
        )
        for grant in live_grants(session, person_id, establishment_id=establishment.id)
    )
    return MemberAccess(
        member=member,
        fase=establishment.fase,
        establishment_name=establishment.name,
        access=everything.establishments.get(establishment.fase) if member.current else None,
        grants=grants,
    )
