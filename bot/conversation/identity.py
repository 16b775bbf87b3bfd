"""Who is speaking: a chat user resolved to a Person of the access module, or nobody."""

from __future__ import annotations

import sqlalchemy as sa

from access.demo import DEMO_DIRECTOR_EMAIL
from access.directory.models import Assignment, Function, Person
from access.directory.people import find_person_by_email
from access.persistence.database import Database


def find_person_id(db: Database, email: str | None) -> int | None:
    """The person whose reference or ProECO e-mail is this address (case-insensitive)."""
    if not email:
        return None
    with db.session() as session:
        person = find_person_by_email(session, email)
        return person.id if person is not None else None


def default_console_email(db: Database) -> str | None:
    """The demo director when the demo data is loaded, else the first director on file."""
    if find_person_id(db, DEMO_DIRECTOR_EMAIL) is not None:
        return DEMO_DIRECTOR_EMAIL
    with db.session() as session:
        return session.scalars(
            sa.select(Person.proeco_email)
            .join(Assignment, Assignment.person_id == Person.id)
            .join(Function, Function.code == Assignment.function_code)
            .where(
                Function.is_direction.is_(True),
                Assignment.ended_at.is_(None),
                Person.proeco_email.is_not(None),
            )
            .order_by(Person.id)
            .limit(1)
        ).first()


def describe_person(db: Database, person_id: int) -> str:
    with db.session() as session:
        person = session.get(Person, person_id)
        if person is None:
            return "une personne supprimée"
        functions = [
            f"{a.function.label} ({a.establishment.fase})"
            for a in person.assignments
            if a.ended_at is None
        ]
        suffix = f" — {', '.join(functions)}" if functions else ""
        return f"{person.display_name}{suffix}"
