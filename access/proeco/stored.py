"""What the directory holds before a sync, loaded in a few queries into dictionaries.

Core selects on the tables: plain rows, no ORM bookkeeping for 100,000 objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.clock import as_utc
from access.directory.models import Account, Assignment, Establishment, Function, Person


class PersonState(NamedTuple):
    id: int
    last_name: str
    first_name: str
    proeco_email: str | None
    proeco_email_valid: bool
    left_at: datetime | None


class AssignmentState(NamedTuple):
    id: int
    function_code: str
    ended_at: datetime | None


class AccountState(NamedTuple):
    id: int
    reference_email: str | None
    reference_email_chosen: bool
    status: str
    invited_at: datetime | None
    disabled_at: datetime | None
    status_before_disable: str | None


@dataclass
class StoredState:
    establishments: dict[str, tuple[int, str]]  # FASE -> (id, name)
    functions: dict[str, tuple[str, bool, bool]]  # code -> (label, is_direction, known)
    people: dict[str, PersonState]  # by matricule
    assignments: dict[int, dict[str, AssignmentState]]  # person id -> FASE -> assignment
    accounts: dict[int, AccountState]  # by person id


def load_stored(session: Session) -> StoredState:
    establishments = _establishments(session)
    fase_of = {id_: fase for fase, (id_, _) in establishments.items()}
    return StoredState(
        establishments=establishments,
        functions=_functions(session),
        people=_people(session),
        assignments=_assignments(session, fase_of),
        accounts=_accounts(session),
    )


def _establishments(session: Session) -> dict[str, tuple[int, str]]:
    columns = Establishment.__table__.c
    rows = session.connection().execute(select(columns.id, columns.fase, columns.name))
    return {fase: (id_, name) for id_, fase, name in rows}


def _functions(session: Session) -> dict[str, tuple[str, bool, bool]]:
    columns = Function.__table__.c
    rows = session.connection().execute(
        select(columns.code, columns.label, columns.is_direction, columns.known)
    )
    return {code: (label, is_direction, known) for code, label, is_direction, known in rows}


def _people(session: Session) -> dict[str, PersonState]:
    people = Person.__table__.c
    rows = session.connection().execute(
        select(
            people.matricule,
            people.id,
            people.last_name,
            people.first_name,
            people.proeco_email,
            people.proeco_email_valid,
            people.left_at,
        )
    )
    return {
        row[0]: PersonState(row[1], row[2], row[3], row[4], row[5], as_utc(row[6])) for row in rows
    }


def _assignments(
    session: Session, fase_of: dict[int, str]
) -> dict[int, dict[str, AssignmentState]]:
    assignments = Assignment.__table__.c
    rows = session.connection().execute(
        select(
            assignments.id,
            assignments.person_id,
            assignments.establishment_id,
            assignments.function_code,
            assignments.ended_at,
        )
    )
    by_person: dict[int, dict[str, AssignmentState]] = {}
    for id_, person_id, establishment_id, code, ended_at in rows:
        by_person.setdefault(person_id, {})[fase_of[establishment_id]] = AssignmentState(
            id_, code, as_utc(ended_at)
        )
    return by_person


def _accounts(session: Session) -> dict[int, AccountState]:
    accounts = Account.__table__.c
    rows = session.connection().execute(
        select(
            accounts.person_id,
            accounts.id,
            accounts.reference_email,
            accounts.reference_email_chosen,
            accounts.status,
            accounts.invited_at,
            accounts.disabled_at,
            accounts.status_before_disable,
        )
    )
    return {row[0]: AccountState(*row[1:]) for row in rows}
