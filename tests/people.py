"""The one builder of staff rows for tests: establishments, functions, people, their
assignments and accounts, written straight to the models (no ProECO file needed)."""

from __future__ import annotations

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

# Label and « is a direction » of the function codes tests use: ProECO-like codes, and the
# words the director tests read in their team lists.
FUNCTIONS = {
    "DIR": ("Direction", True),
    "ENS": ("Enseignant·e", False),
    "EDU": ("Éducateur·rice", False),
    "direction": ("Direction", True),
    "enseignant": ("Enseignant-e", False),
    "educateur": ("Éducateur-rice", False),
    "secretaire": ("Secrétaire de direction", False),
}


def establishment(
    session: Session, fase: str = "1234", name: str = "École Saint-Joseph"
) -> Establishment:
    """The establishment `fase`, made with `name` unless it is already there."""
    found = session.scalar(sa.select(Establishment).where(Establishment.fase == fase))
    if found is None:
        found = Establishment(fase=fase, name=name)
        session.add(found)
        session.flush()
    return found


def function(session: Session, code: str) -> Function:
    found = session.get(Function, code)
    if found is None:
        label, is_direction = FUNCTIONS.get(code, (code, False))
        found = Function(code=code, label=label, is_direction=is_direction, known=True)
        session.add(found)
        session.flush()
    return found


def assign(
    session: Session, person_id: int, school: Establishment, function_code: str
) -> Assignment:
    function(session, function_code)
    assignment = Assignment(
        person_id=person_id, establishment_id=school.id, function_code=function_code
    )
    session.add(assignment)
    return assignment


def person(
    session: Session,
    school: Establishment | None,
    *,
    last_name: str = "Dupont",
    first_name: str = "Jean",
    email: str | None = "jean.dupont@example.org",
    email_valid: bool | None = None,
    function_code: str = "ENS",
    status: AccountStatus | None = None,
    matricule: str | None = None,
) -> Person:
    """Someone working at `school` (nowhere when None), with an account when `status` is given.

    The ProECO address counts as valid when there is one, unless `email_valid` says otherwise;
    the account's reference address is the ProECO one when valid, else none.
    """
    if matricule is None:
        matricule = f"M{session.query(Person).count() + 1:05d}"
    valid = (email is not None) if email_valid is None else email_valid
    someone = Person(
        matricule=matricule,
        last_name=last_name,
        first_name=first_name,
        proeco_email=email,
        proeco_email_valid=valid,
    )
    session.add(someone)
    session.flush()
    if school is not None:
        assign(session, someone.id, school, function_code)
    if status is not None:
        reference = email if valid else None
        session.add(Account(person_id=someone.id, reference_email=reference, status=status.value))
    session.flush()
    return someone
