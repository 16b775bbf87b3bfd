"""Who in the directory is the person a request is about: by e-mail, else by name and FASE.

The helpdesk gets requests from people who typed their own name, school number and address;
the answer says how sure the match is, so an agent knows whether to check before acting.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import sqlalchemy as sa
from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from access.diagnosis.service import find_person_ids_by_email
from access.directory.models import Assignment, Establishment, Person
from access.text import fold

# A typo or a missing accent in a name is still that person; a different name is not.
NEAR_NAME = 88


class Confidence(enum.StrEnum):
    LINKED = "linked"  # the request came from a chat account linked to the person
    EMAIL = "email"  # the address is the person's reference or ProECO address
    NAME_FASE = "name_fase"  # same name, in the establishment named
    NEAR_NAME_FASE = "near_name_fase"  # a close name, in the establishment named
    AMBIGUOUS = "ambiguous"  # several people fit
    NONE = "none"


@dataclass(frozen=True)
class Match:
    person_id: int | None
    confidence: Confidence
    candidates: int = 0

    @property
    def found(self) -> bool:
        return self.person_id is not None


def match_person(
    session: Session,
    *,
    person_id: int | None = None,
    email: str | None = None,
    last_name: str = "",
    first_name: str = "",
    fase: str = "",
) -> Match:
    """The one person a request is about, and how that was decided."""
    if person_id is not None and session.get(Person, person_id) is not None:
        return Match(person_id, Confidence.LINKED, 1)
    if email and email.strip():
        ids = find_person_ids_by_email(session, email)
        if len(ids) == 1:
            return Match(ids[0], Confidence.EMAIL, 1)
        if len(ids) > 1:
            return Match(None, Confidence.AMBIGUOUS, len(ids))
    return match_by_name(session, last_name=last_name, first_name=first_name, fase=fase)


def match_by_name(session: Session, *, last_name: str, first_name: str, fase: str) -> Match:
    wanted = _name_key(last_name, first_name)
    fase = "".join(fase.split())
    if not wanted.strip() or not fase:
        return Match(None, Confidence.NONE)
    rows = session.execute(
        sa.select(Person.id, Person.last_name, Person.first_name)
        .join(Assignment, Assignment.person_id == Person.id)
        .join(Establishment, Establishment.id == Assignment.establishment_id)
        .where(Establishment.fase == fase)
    ).all()
    exact = sorted(
        {
            row.id
            for row in rows
            if wanted
            in (_name_key(row.last_name, row.first_name), _name_key(row.first_name, row.last_name))
        }
    )
    if len(exact) == 1:
        return Match(exact[0], Confidence.NAME_FASE, 1)
    if len(exact) > 1:
        return Match(None, Confidence.AMBIGUOUS, len(exact))
    near = sorted(
        {
            row.id
            for row in rows
            if max(
                fuzz.ratio(wanted, _name_key(row.last_name, row.first_name)),
                fuzz.ratio(wanted, _name_key(row.first_name, row.last_name)),
            )
            >= NEAR_NAME
        }
    )
    if len(near) == 1:
        return Match(near[0], Confidence.NEAR_NAME_FASE, 1)
    if len(near) > 1:
        return Match(None, Confidence.AMBIGUOUS, len(near))
    return Match(None, Confidence.NONE)


def _name_key(last_name: str, first_name: str) -> str:
    return " ".join(fold(f"{last_name} {first_name}").replace("-", " ").split())


def people_named_in(
    session: Session, text: str, fases: list[str], *, besides: int | None = None
) -> list[tuple[str, int]]:
    """The staff of these establishments whose first and last name (either order) appear
    in `text`, as (fase, person id): « Marie Dupont ne reçoit pas l'invitation »."""
    words = f" {_words(text)} "
    if not fases or not words.strip():
        return []
    rows = session.execute(
        sa.select(Establishment.fase, Person.id, Person.last_name, Person.first_name)
        .join(Assignment, Assignment.person_id == Person.id)
        .join(Establishment, Establishment.id == Assignment.establishment_id)
        .where(Establishment.fase.in_(fases))
        .order_by(Establishment.fase, Person.id)
    ).all()
    found: dict[int, str] = {}
    for fase, person_id, last_name, first_name in rows:
        if person_id == besides or person_id in found:
            continue
        first, last = _words(first_name), _words(last_name)
        if first and last and (f" {first} {last} " in words or f" {last} {first} " in words):
            found[person_id] = fase
    return [(fase, person_id) for person_id, fase in found.items()]


def _words(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in fold(text)).split())
