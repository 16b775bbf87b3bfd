"""Small builders of staff data for tests that need a few people and an establishment."""

from __future__ import annotations

from sqlalchemy.orm import Session

from access.directory.models import (
    Account,
    AccountStatus,
    Assignment,
    Establishment,
    Function,
    Person,
)


def establishment(
    session: Session, fase: str = "1234", name: str = "École Saint-Joseph"
) -> Establishment:
    school = Establishment(fase=fase, name=name)
    session.add(school)
    session.flush()
    return school


def function(session: Session, code: str, label: str, *, direction: bool = False) -> Function:
    found = session.get(Function, code)
    if found is None:
        found = Function(code=code, label=label, is_direction=direction, known=True)
        session.add(found)
        session.flush()
    return found


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
    count = session.query(Person).count()
    someone = Person(
        matricule=matricule or f"M{count + 1:05d}",
        last_name=last_name,
        first_name=first_name,
        proeco_email=email,
        proeco_email_valid=(email is not None) if email_valid is None else email_valid,
    )
    session.add(someone)
    session.flush()
    if school is not None:
        if function_code == "DIR":
            function(session, "DIR", "Direction", direction=True)
        else:
            function(session, function_code, "Enseignant·e")
        session.add(
            Assignment(
                person_id=someone.id, establishment_id=school.id, function_code=function_code
            )
        )
    if status is not None:
        session.add(Account(person_id=someone.id, reference_email=email, status=status.value))
    session.flush()
    return someone
