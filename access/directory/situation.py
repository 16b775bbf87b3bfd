"""A person's own situation: account status, address, establishments, access and missions.

What `/extranet` and the App Home show a person about themselves, read in one place so every
channel tells the same story; the wording is the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from access.clock import as_utc
from access.directory.models import AccountStatus, Person
from access.directory.people import effective_access
from access.directory.profiles import default_profiles


@dataclass(frozen=True)
class PlaceAccess:
    """One establishment: the person's function there (None: a mission only) and the labels
    of the resources that function opens."""

    name: str
    fase: str
    function: str | None
    resources: tuple[str, ...]


@dataclass(frozen=True)
class MissionAccess:
    """A live mission grant: extra resources (labels) at one establishment, maybe until a day."""

    mission: str
    fase: str
    resources: tuple[str, ...]
    ends_on: date | None


@dataclass(frozen=True)
class Situation:
    name: str
    status: str  # an AccountStatus value
    left: bool  # gone from ProECO: no establishment any more
    invited_on: date | None
    # The reference address of an active account, else the ProECO address when it is valid.
    email: str | None
    email_is_reference: bool
    places: tuple[PlaceAccess, ...]
    missions: tuple[MissionAccess, ...]
    # Invited by the direction, not active yet, and an invitation could reach them (see
    # `resend_own_invitation`): the direction decides who is invited first.
    can_resend_invitation: bool


def read_situation(session: Session, person_id: int) -> Situation | None:
    """The person's situation now; None when the person no longer exists."""
    person = session.get(Person, person_id)
    if person is None:
        return None
    account = person.account
    status = account.status if account is not None else AccountStatus.NOT_INVITED.value
    if account is not None and account.reference_email and status == AccountStatus.ACTIVE:
        email, is_reference = account.reference_email, True
    else:
        email, is_reference = (person.proeco_email if person.proeco_email_valid else None), False
    invited = as_utc(account.invited_at) if account is not None else None
    places, missions = _places_and_missions(session, person)
    return Situation(
        name=person.display_name,
        status=status,
        left=person.left_at is not None and not any(a.is_active for a in person.assignments),
        invited_on=invited.date() if invited is not None else None,
        email=email,
        email_is_reference=is_reference,
        places=places,
        missions=missions,
        can_resend_invitation=status == AccountStatus.INVITED
        and bool(person.proeco_email_valid and person.left_at is None and places),
    )


def _places_and_missions(
    session: Session, person: Person
) -> tuple[tuple[PlaceAccess, ...], tuple[MissionAccess, ...]]:
    access = effective_access(session, person.id)
    profiles = default_profiles()
    functions = {a.establishment.fase: a.function.label for a in person.assignments if a.is_active}
    places = []
    missions = []
    for fase, place in sorted(access.establishments.items()):
        labels = tuple(
            profiles.label_of_resource(code) for code in sorted(place.function_resources)
        )
        places.append(PlaceAccess(place.name, fase, functions.get(fase), labels))
        for grant in place.grants:
            resources = tuple(profiles.label_of_resource(c) for c in sorted(grant.resources))
            ends_on = grant.ends_at.date() if grant.ends_at else None
            missions.append(MissionAccess(grant.mission, fase, resources, ends_on))
    return tuple(places), tuple(missions)
