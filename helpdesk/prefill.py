"""What the directory already knows about a requester, to fill the ticket form for them."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.directory.models import Account, Assignment, Establishment, Person
from access.text import fold


@dataclass(frozen=True)
class Prefill:
    person_id: int
    last_name: str
    first_name: str
    email: str | None
    # (FASE, establishment name) of every current assignment: a choice when several.
    fase_choices: list[tuple[str, str]]

    def values(self) -> dict[str, str]:
        """Initial form values; the FASE only when there is no choice to make."""
        values = {"last_name": self.last_name, "first_name": self.first_name}
        if self.email:
            values["email"] = self.email
        if len(self.fase_choices) == 1:
            values["fase"] = self.fase_choices[0][0]
        return values


def prefill_for_person(
    session: Session, *, person_id: int | None = None, email: str | None = None
) -> Prefill | None:
    person: Person | None = None
    if person_id is not None:
        person = session.get(Person, person_id)
    elif email:
        from access.directory.people import find_person_by_email

        person = find_person_by_email(session, email)
    if person is None:
        return None
    account = session.scalars(sa.select(Account).where(Account.person_id == person.id)).first()
    contact = (account.reference_email if account else None) or (
        person.proeco_email if person.proeco_email_valid else None
    )
    rows = session.execute(
        sa.select(Establishment.fase, Establishment.name)
        .join(Assignment, Assignment.establishment_id == Establishment.id)
        .where(Assignment.person_id == person.id, Assignment.ended_at.is_(None))
    )
    # Sorted here, not by the database: collations differ between SQLite and PostgreSQL.
    choices = sorted(((fase, name) for fase, name in rows), key=lambda row: fold(row[1]))
    return Prefill(
        person_id=person.id,
        last_name=person.last_name,
        first_name=person.first_name,
        email=contact,
        fase_choices=choices,
    )
