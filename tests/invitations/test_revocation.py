"""A ProECO sync voids the links that no longer reach the right person."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from access.accounts import tokens
from access.accounts.tokens import pending_for_person
from access.directory.models import Person
from access.invitations import service as invitations
from access.persistence.database import Database
from access.proeco.sync import import_export
from bot.settings import Settings
from tests.access.exports import export_csv, person

FASE = "01234"
OTHER = {"fase": "05678", "establishment": "Institut Sainte-Marie"}
DIRECTOR = person("1001", "Dubois", "Anne", "Directrice")
STAY = person("1002", "Lambert", "Marc")
MOVE = person("1003", "Peeters", "Sophie")
LEAVE = person("1004", "Janssens", "Luc")
TWO_SCHOOLS = [person("1005", "Maes", "Julie"), person("1005", "Maes", "Julie", **OTHER)]
STAFF = [DIRECTOR, STAY, MOVE, LEAVE, *TWO_SCHOOLS]


def person_id(db: Database, matricule: str) -> int:
    with db.session() as session:
        return session.scalars(sa.select(Person.id).where(Person.matricule == matricule)).one()


@pytest.fixture
def invited(db: Database, settings: Settings) -> dict[str, int]:
    import_export(db, export_csv(STAFF))
    report = invitations.send_invitations(
        db,
        settings,
        actor_person_id=person_id(db, "1001"),
        fase=FASE,
        mode="new",
        idempotency_key=uuid.uuid4().hex,
    )
    assert len(report.sent) == 5  # the director too: her account is not active yet
    return {m: person_id(db, m) for m in ("1002", "1003", "1004", "1005")}


def pending(db: Database, pid: int) -> int:
    with db.session() as session:
        return len(pending_for_person(session, pid, purpose=tokens.INVITATION))


def test_a_proeco_sync_revokes_links_to_changed_addresses_and_people_who_left(
    db: Database, invited: dict[str, int]
) -> None:
    moved = person("1003", "Peeters", "Sophie", email="sophie.peeters@nouvelle.be")
    only_other = person("1005", "Maes", "Julie", **OTHER)
    import_export(db, export_csv([DIRECTOR, STAY, moved, only_other]), allow_mass_departure=True)
    assert pending(db, invited["1002"]) == 1, "nothing changed for Marc"
    assert pending(db, invited["1003"]) == 0, "e-mail changed in ProECO"
    assert pending(db, invited["1004"]) == 0, "left: account disabled"
    assert pending(db, invited["1005"]) == 0, "assignment ended in the inviting school"
