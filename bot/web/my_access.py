"""What « Mon accès » shows: the person's establishments, functions and effective access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from access.accounts.activation import PendingEmail, pending_email_change
from access.config import AccessSettings
from access.directory.models import Function, Person
from access.directory.people import effective_access
from access.directory.profiles import default_profiles
from access.persistence.database import Database


@dataclass(frozen=True)
class MissionView:
    mission: str
    resources: list[str]
    ends_at: datetime | None


@dataclass(frozen=True)
class EstablishmentView:
    name: str
    fase: str
    function: str | None
    resources: list[str]
    missions: list[MissionView]


@dataclass(frozen=True)
class MyAccessView:
    display_name: str
    reference_email: str | None
    establishments: list[EstablishmentView]
    # A new reference e-mail waiting for its confirmation link.
    pending_email: PendingEmail | None = None


def my_access_view(db: Database, settings: AccessSettings, person_id: int) -> MyAccessView | None:
    profiles = default_profiles(settings.profiles_file)
    with db.transaction() as session:
        person = session.get(Person, person_id)
        if person is None:
            return None
        access = effective_access(session, person_id, profiles=profiles)
        establishments = []
        for item in sorted(access.establishments.values(), key=lambda one: one.name):
            function = session.get(Function, item.function_code) if item.function_code else None
            establishments.append(
                EstablishmentView(
                    name=item.name,
                    fase=item.fase,
                    function=function.label if function is not None else item.function_code,
                    resources=sorted(profiles.label_of_resource(code) for code in item.resources),
                    missions=[
                        MissionView(
                            mission=grant.mission,
                            resources=sorted(
                                profiles.label_of_resource(c) for c in grant.resources
                            ),
                            ends_at=grant.ends_at,
                        )
                        for grant in item.grants
                    ],
                )
            )
        return MyAccessView(
            display_name=person.display_name,
            reference_email=person.account.reference_email if person.account else None,
            establishments=establishments,
            pending_email=pending_email_change(session, person_id),
        )
