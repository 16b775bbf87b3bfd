"""Mission grants: extra Extranet resources a director gives one person for a named mission.

The sheet: « vous avez la possibilité de personnaliser les accès de certains membres de votre
équipe selon les missions particulières que vous leur confiez ». A grant belongs to one person
in one establishment, names its mission, lists resources taken from the access profiles file,
and may end on a date. It is never deleted: removing it stamps `revoked_at`, and an end date
is an instant, so the grant stops counting the moment it passes (no job has to expire it).
Every change is audited with its reason; authorization is the director check of
`access.directory.authz`, asked again on every call.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from access import messages as msg
from access.audit import record
from access.clock import as_utc, utcnow
from access.directory.authz import require_manager
from access.directory.models import Assignment, Establishment, MissionGrant
from access.directory.profiles import Profiles
from access.errors import InvalidInput, NotAllowed, NotFound

# Directors think in calendar days of Belgian schools: "until 30 June" means through that day.
SCHOOL_TIMEZONE = ZoneInfo("Europe/Brussels")
MISSION_MAX_LENGTH = 120
REASON_MAX_LENGTH = 500

ACTION_ADDED = "mission_grant.added"
ACTION_REMOVED = "mission_grant.removed"
TARGET_TYPE = "mission_grant"


def end_of_day(day: date) -> datetime:
    """The instant (UTC) a grant "until `day`" stops counting: midnight after it, in Brussels."""
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=SCHOOL_TIMEZONE)
    return next_midnight.astimezone(ZoneInfo("UTC"))


def live_clause(at: datetime) -> sa.ColumnElement[bool]:
    """SQL condition of a grant that counts at `at`."""
    return sa.and_(
        MissionGrant.revoked_at.is_(None),
        MissionGrant.granted_at <= at,
        sa.or_(MissionGrant.ends_at.is_(None), MissionGrant.ends_at > at),
    )


def is_live(grant: MissionGrant, at: datetime | None = None) -> bool:
    moment = as_utc(at) or utcnow()
    if grant.revoked_at is not None or as_utc(grant.granted_at) > moment:
        return False
    ends_at = as_utc(grant.ends_at)
    return ends_at is None or ends_at > moment


def live_grants(
    session: Session,
    person_id: int,
    *,
    establishment_id: int | None = None,
    at: datetime | None = None,
) -> list[MissionGrant]:
    """The grants that count now (or at `at`), oldest first, with who granted them loaded."""
    query = (
        sa.select(MissionGrant)
        .where(MissionGrant.person_id == person_id, live_clause(as_utc(at) or utcnow()))
        .options(selectinload(MissionGrant.granted_by), selectinload(MissionGrant.establishment))
        .order_by(MissionGrant.granted_at, MissionGrant.id)
    )
    if establishment_id is not None:
        query = query.where(MissionGrant.establishment_id == establishment_id)
    return list(session.scalars(query))


def add_grant(
    session: Session,
    *,
    actor_person_id: int | None,
    fase: str,
    person_id: int,
    mission: str,
    resources: Iterable[str],
    profiles: Profiles,
    ends_on: date | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> MissionGrant:
    """Give `person_id` the `resources` in establishment `fase` for `mission`.

    Raises NotAllowed (not a director there, granting to oneself, a person outside the
    team) or InvalidInput (bad label, resources or date); nothing is written then.
    """
    moment = as_utc(now) or utcnow()
    establishment = require_manager(session, actor_person_id, fase)
    if actor_person_id == person_id:
        raise NotAllowed("self_grant", msg.SELF_GRANT)
    _require_team_member(session, establishment, person_id)
    label = _clean_mission(mission)
    codes = _clean_resources(resources, profiles)
    ends_at = None
    if ends_on is not None:
        ends_at = end_of_day(ends_on)
        if ends_at <= moment:
            raise InvalidInput("end_in_past", msg.END_IN_PAST, detail=f"end date {ends_on} is past")
    why = _clean_reason(reason) or msg.DEFAULT_ADD_REASON.format(mission=label)
    for existing in live_grants(session, person_id, establishment_id=establishment.id, at=moment):
        if existing.mission.casefold() == label.casefold():
            raise InvalidInput(
                "duplicate_mission", msg.MISSION_DUPLICATE.format(mission=existing.mission)
            )

    grant = MissionGrant(
        person_id=person_id,
        establishment_id=establishment.id,
        mission=label,
        resources=codes,
        granted_by_id=actor_person_id,
        granted_at=moment,
        ends_at=ends_at,
        reason=why,
    )
    session.add(grant)
    session.flush()
    record(
        session,
        actor=f"person:{actor_person_id}",
        action=ACTION_ADDED,
        target_type=TARGET_TYPE,
        target_id=grant.id,
        after={
            "person_id": person_id,
            "fase": establishment.fase,
            "mission": label,
            "resources": codes,
            "ends_at": ends_at.isoformat() if ends_at else None,
        },
        reason=why,
    )
    return grant


def remove_grant(
    session: Session,
    *,
    actor_person_id: int | None,
    grant_id: int,
    reason: str | None = None,
    now: datetime | None = None,
) -> MissionGrant:
    """End a live grant now. Only a director of the grant's establishment may."""
    moment = as_utc(now) or utcnow()
    grant = session.get(MissionGrant, grant_id)
    if grant is None:
        raise NotFound("grant_not_found", msg.GRANT_NOT_FOUND, detail=f"no grant {grant_id}")
    require_manager(session, actor_person_id, grant.establishment.fase)
    if not is_live(grant, moment):
        raise NotFound("grant_not_live", msg.GRANT_NOT_FOUND, detail=f"grant {grant_id} is over")
    why = _clean_reason(reason) or msg.DEFAULT_REMOVE_REASON
    before = {
        "person_id": grant.person_id,
        "fase": grant.establishment.fase,
        "mission": grant.mission,
        "resources": list(grant.resources),
        "ends_at": as_utc(grant.ends_at).isoformat() if grant.ends_at else None,
    }
    grant.revoked_at = moment
    grant.revoked_by_id = actor_person_id
    record(
        session,
        actor=f"person:{actor_person_id}",
        action=ACTION_REMOVED,
        target_type=TARGET_TYPE,
        target_id=grant.id,
        before=before,
        after={**before, "revoked_at": moment.isoformat()},
        reason=why,
    )
    return grant


def _require_team_member(session: Session, establishment: Establishment, person_id: int) -> None:
    current = session.scalar(
        sa.select(Assignment.id).where(
            Assignment.person_id == person_id,
            Assignment.establishment_id == establishment.id,
            Assignment.ended_at.is_(None),
        )
    )
    if current is None:
        raise NotAllowed("not_in_team", msg.NOT_IN_TEAM)


def _clean_mission(mission: str | None) -> str:
    label = " ".join((mission or "").split())
    if not label:
        raise InvalidInput("mission_required", msg.MISSION_REQUIRED)
    if len(label) > MISSION_MAX_LENGTH:
        raise InvalidInput(
            "mission_too_long", msg.MISSION_TOO_LONG.format(limit=MISSION_MAX_LENGTH)
        )
    if any(unicodedata.category(ch).startswith("C") for ch in label):
        raise InvalidInput("mission_invalid", msg.MISSION_INVALID)
    return label


def _clean_resources(resources: Iterable[str], profiles: Profiles) -> list[str]:
    chosen = sorted({code.strip() for code in resources if code and code.strip()})
    if not chosen:
        raise InvalidInput("resources_required", msg.RESOURCES_REQUIRED)
    known = {resource.code for resource in profiles.all_resources()}
    unknown = [code for code in chosen if code not in known]
    if unknown:
        raise InvalidInput(
            "unknown_resources",
            msg.RESOURCES_UNKNOWN.format(codes=", ".join(unknown)),
            detail=f"unknown resources: {', '.join(unknown)}",
        )
    return chosen


def _clean_reason(reason: str | None) -> str | None:
    text = (reason or "").strip()
    if len(text) > REASON_MAX_LENGTH:
        raise InvalidInput("reason_too_long", msg.REASON_TOO_LONG.format(limit=REASON_MAX_LENGTH))
    return text or None
