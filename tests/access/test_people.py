"""Finding people by e-mail; effective access = function profile ∪ live mission grants."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from access.clock import utcnow
from access.directory.models import Account, Establishment, MissionGrant, Person
from access.directory.people import effective_access, find_person_by_email
from access.directory.profiles import DEFAULT_PROFILES_FILE, load_profiles
from access.persistence.database import Database
from access.proeco.sync import import_export
from tests.access.exports import export_csv, person

ROWS = [
    person("1", "Dubois", "Anne", "Directrice"),
    person("2", "Lambert", "Marc", "Enseignant"),
    person("2", "Lambert", "Marc", "Educateur", fase="05678", establishment="Institut"),
]
PROFILES = load_profiles(DEFAULT_PROFILES_FILE)


@pytest.fixture
def ids(db: Database) -> dict[str, int]:
    import_export(db, export_csv(ROWS))
    with db.session() as session:
        return dict(session.execute(sa.select(Person.matricule, Person.id)).all())


def _grant(db: Database, person_id: int, fase: str, resources: list[str], **values: object) -> None:
    with db.transaction() as session:
        establishment_id = session.scalar(
            sa.select(Establishment.id).where(Establishment.fase == fase)
        )
        session.add(
            MissionGrant(
                person_id=person_id,
                establishment_id=establishment_id,
                mission="Coordination",
                resources=resources,
                **values,
            )
        )


def test_find_by_email_ignores_case_and_prefers_the_reference_email(
    db: Database, ids: dict[str, int]
) -> None:
    with db.transaction() as session:
        session.execute(
            sa.update(Account)
            .where(Account.person_id == ids["2"])
            .values(reference_email="marc@perso.be", reference_email_chosen=True)
        )
    with db.session() as session:
        assert find_person_by_email(session, " MARC@Perso.be ").id == ids["2"]
        assert find_person_by_email(session, "Marc.Lambert@ecoles.be").id == ids["2"]
        assert find_person_by_email(session, "anne.dubois@ecoles.be").id == ids["1"]
        assert find_person_by_email(session, "personne@ecoles.be") is None
        assert find_person_by_email(session, "") is None


def test_access_follows_the_function_in_each_establishment(
    db: Database, ids: dict[str, int]
) -> None:
    with db.session() as session:
        access = effective_access(session, ids["2"], profiles=PROFILES)
    assert access.resources_in("01234") == PROFILES.resources_for("enseignant")
    assert access.resources_in("05678") == PROFILES.resources_for("educateur")
    assert access.resources == PROFILES.resources_for("enseignant") | PROFILES.resources_for(
        "educateur"
    )
    assert "gestion_acces" not in access.resources


def test_a_mission_grant_adds_resources_until_it_ends(db: Database, ids: dict[str, int]) -> None:
    ends = utcnow() + timedelta(days=10)
    _grant(db, ids["2"], "01234", ["comptabilite"], ends_at=ends)
    with db.session() as session:
        now = effective_access(session, ids["2"])
        later = effective_access(session, ids["2"], at=ends)
        before = effective_access(session, ids["2"], at=ends - timedelta(seconds=1))
    assert "comptabilite" in now.resources_in("01234")
    assert "comptabilite" not in now.resources_in("05678")
    assert "comptabilite" in before.resources_in("01234")
    # The moment the end date passes, the grant stops counting.
    assert "comptabilite" not in later.resources_in("01234")
    assert [g.mission for g in now.establishments["01234"].grants] == ["Coordination"]


def test_a_revoked_grant_does_not_count(db: Database, ids: dict[str, int]) -> None:
    _grant(db, ids["2"], "01234", ["comptabilite"], revoked_at=utcnow())
    with db.session() as session:
        assert "comptabilite" not in effective_access(session, ids["2"]).resources


def test_a_person_who_left_has_no_access(db: Database, ids: dict[str, int]) -> None:
    _grant(db, ids["2"], "01234", ["comptabilite"])
    import_export(db, export_csv(ROWS[:1]), allow_mass_departure=True)
    with db.session() as session:
        assert effective_access(session, ids["2"]).resources == frozenset()
