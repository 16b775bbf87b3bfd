"""May this person manage Extranet access for this establishment?

Yes for a person whose current function there is a direction function and whose account is
not disabled. Every command that acts on a team goes through `require_manager`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from access import messages
from access.directory.establishments import establishment_by_fase
from access.directory.models import (
    Account,
    AccountStatus,
    Assignment,
    Establishment,
    Function,
    Person,
)
from access.errors import NotAllowed, NotFound


def require_manager(session: Session, person_id: int | None, fase: str) -> Establishment:
    """The establishment, when `person_id` may manage it; raises NotAllowed or NotFound."""
    fase = fase.strip()
    if person_id is None:
        raise NotAllowed("not_identified", messages.NOT_IDENTIFIED, detail="unknown requester")
    establishment = establishment_by_fase(session, fase)
    person = session.get(Person, person_id)
    if person is None:
        raise NotAllowed("not_identified", messages.NOT_IDENTIFIED, detail="unknown person id")
    found = session.execute(
        select(Assignment.ended_at, Function.is_direction)
        .join(Function, Function.code == Assignment.function_code)
        .where(Assignment.person_id == person_id, Assignment.establishment_id == establishment.id)
    ).first()
    if found is None or not found.is_direction:
        raise NotAllowed(
            "not_director",
            messages.NOT_DIRECTOR.format(fase=fase),
            detail=f"person {person_id} is not a director of FASE {fase}",
        )
    if found.ended_at is not None or person.left_at is not None:
        raise NotAllowed(
            "left",
            messages.PERSON_LEFT.format(fase=fase),
            detail=f"person {person_id} no longer works at FASE {fase}",
        )
    status = session.scalar(select(Account.status).where(Account.person_id == person_id))
    if status == AccountStatus.DISABLED.value:
        raise NotAllowed(
            "account_disabled",
            messages.ACCOUNT_DISABLED,
            detail=f"the account of person {person_id} is disabled",
        )
    return establishment


def can_manage(session: Session, person_id: int | None, fase: str) -> bool:
    try:
        require_manager(session, person_id, fase)
    except (NotAllowed, NotFound):
        return False
    return True


def managed_establishments(session: Session, person_id: int | None) -> list[Establishment]:
    """The establishments this person directs now, by FASE number; empty when none."""
    if person_id is None:
        return []
    query = (
        select(Establishment)
        .join(Assignment, Assignment.establishment_id == Establishment.id)
        .join(Function, Function.code == Assignment.function_code)
        .join(Person, Person.id == Assignment.person_id)
        .outerjoin(Account, Account.person_id == Person.id)
        .where(
            Assignment.person_id == person_id,
            Assignment.ended_at.is_(None),
            Function.is_direction.is_(True),
            Person.left_at.is_(None),
            (Account.status.is_(None)) | (Account.status != AccountStatus.DISABLED.value),
        )
        .order_by(Establishment.fase)
    )
    return list(session.scalars(query))


def establishments_to_manage(session: Session, person_id: int) -> list[Establishment]:
    """The establishments this person directs now; empty when they direct none.

    A director who may no longer manage (left, account disabled) gets that refusal raised
    instead of an empty list, so they read why rather than « not a director ».
    """
    managed = managed_establishments(session, person_id)
    if managed:
        return managed
    directed = session.scalars(
        select(Establishment.fase)
        .join(Assignment, Assignment.establishment_id == Establishment.id)
        .join(Function, Function.code == Assignment.function_code)
        .where(Assignment.person_id == person_id, Function.is_direction.is_(True))
    ).all()
    for fase in directed:
        require_manager(session, person_id, fase)
    return []
