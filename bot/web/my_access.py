"""What « Mon accès » shows: the person's establishments, functions and effective access,
and « Votre situation » (`access.diagnosis`) with the one action that fits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from access.accounts.activation import PendingEmail, pending_email_change
from access.config import AccessSettings
from access.diagnosis.explain import Explanation, Topic, explain
from access.diagnosis.model import Action, Diagnosis
from access.diagnosis.self_service import OwnAction, own_action
from access.diagnosis.service import diagnose
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
class SituationView:
    """« Votre situation »: the facts, the next step and the one action a button offers."""

    explanation: Explanation
    action: OwnAction | None


def signed_in_action(diagnosis: Diagnosis) -> OwnAction | None:
    """The action « Mon accès » offers: the person's own one, except a reset link when
    nothing blocks (they are signed in: « Changer mon mot de passe » is on the page)."""
    action = own_action(diagnosis)
    if action is OwnAction.RESET and diagnosis.next.action is not Action.RESET_PASSWORD:
        return None
    return action


def situation_of(diagnosis: Diagnosis) -> SituationView:
    # Only the owner is signed in here: the addresses are shown whole.
    told = explain(diagnosis, Topic.GENERAL, owner=True, show_addresses=True)
    return SituationView(told, signed_in_action(diagnosis))


@dataclass(frozen=True)
class MyAccessView:
    display_name: str
    reference_email: str | None
    establishments: list[EstablishmentView]
    # A new reference e-mail waiting for its confirmation link.
    pending_email: PendingEmail | None = None
    situation: SituationView | None = None


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
            situation=_situation(session, person_id),
        )


def _situation(session: Session, person_id: int) -> SituationView | None:
    diagnosis = diagnose(session, person_id)
    return situation_of(diagnosis) if diagnosis is not None else None
