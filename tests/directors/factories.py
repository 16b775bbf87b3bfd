"""The director tests' shorthand over `tests.people`: people named by their school's FASE,
with an e-mail made from their name and numbered matricules, and a whole school at once."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlalchemy.orm import Session

from access.directory.models import AccountStatus, Establishment, Person
from tests import people

_matricules = itertools.count(100000)


def establishment(session: Session, fase: str, name: str | None = None) -> Establishment:
    return people.establishment(session, fase, name or f"École {fase}")


def person(
    session: Session,
    fase: str,
    *,
    last_name: str,
    first_name: str = "Alex",
    function_code: str = "enseignant",
    email: str | None = "auto",
    email_valid: bool = True,
    status: AccountStatus | None = None,
) -> Person:
    if email == "auto":
        email = f"{first_name}.{last_name}@ecole{fase}.be".lower().replace(" ", "")
    return people.person(
        session,
        establishment(session, fase),
        last_name=last_name,
        first_name=first_name,
        email=email,
        email_valid=bool(email) and email_valid,
        function_code=function_code,
        status=status,
        matricule=str(next(_matricules)),
    )


@dataclass
class School:
    fase: str
    director_id: int
    staff_ids: list[int]


def school(
    session: Session, fase: str, *, staff: int = 3, director_last_name: str = "Dupont"
) -> School:
    director = person(
        session,
        fase,
        last_name=director_last_name,
        first_name="Claire",
        function_code="direction",
        status=AccountStatus.ACTIVE,
    )
    ids = [
        person(session, fase, last_name=f"Prof{fase}x{i:03d}", first_name="Sam").id
        for i in range(staff)
    ]
    return School(fase=fase, director_id=director.id, staff_ids=ids)
