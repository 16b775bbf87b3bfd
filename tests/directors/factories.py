"""Small builders of establishments and staff, written straight to the models so the tests
of the director features do not depend on a ProECO file."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.directory.models import (
    Account,
    AccountStatus,
    Assignment,
    Establishment,
    Function,
    Person,
)

_matricules = itertools.count(100000)

FUNCTION_LABELS = {
    "direction": ("Direction", True),
    "enseignant": ("Enseignant-e", False),
    "educateur": ("Éducateur-rice", False),
    "secretaire": ("Secrétaire de direction", False),
}


def function(session: Session, code: str) -> Function:
    found = session.get(Function, code)
    if found is None:
        label, is_direction = FUNCTION_LABELS.get(code, (code, False))
        found = Function(code=code, label=label, is_direction=is_direction, known=True)
        session.add(found)
        session.flush()
    return found


def establishment(session: Session, fase: str, name: str | None = None) -> Establishment:
    found = session.scalar(sa.select(Establishment).where(Establishment.fase == fase))
    if found is None:
        found = Establishment(fase=fase, name=name or f"École {fase}")
        session.add(found)
        session.flush()
    return found


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
    est = establishment(session, fase)
    function(session, function_code)
    if email == "auto":
        email = f"{first_name}.{last_name}@ecole{fase}.be".lower().replace(" ", "")
    who = Person(
        matricule=str(next(_matricules)),
        last_name=last_name,
        first_name=first_name,
        proeco_email=email,
        proeco_email_valid=bool(email) and email_valid,
    )
    session.add(who)
    session.flush()
    session.add(Assignment(person_id=who.id, establishment_id=est.id, function_code=function_code))
    if status is not None:
        session.add(
            Account(
                person_id=who.id,
                reference_email=email if email_valid else None,
                status=status.value,
            )
        )
    session.flush()
    return who


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
