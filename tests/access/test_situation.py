"""A person's own situation, as every channel shows it: status, address, places, missions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from access.clock import utcnow
from access.directory.models import Account, AccountStatus, Assignment, MissionGrant
from access.directory.situation import MissionAccess, PlaceAccess, read_situation
from access.persistence.database import Database
from tests import people

TEACHER = (
    "Actualités du réseau",
    "Annuaire des établissements et des services",
    "Circulaires et communications officielles",
    "Formations en cours de carrière",
    "Programmes et référentiels",
    "Ressources pédagogiques",
    "Questions fréquentes et support",
)


def test_a_teacher_with_a_mission_elsewhere_sees_both_places_and_the_mission(
    db: Database,
) -> None:
    ends = datetime(2031, 6, 30, 21, 59, tzinfo=UTC)
    with db.transaction() as session:
        school = people.establishment(session, "1234", "École Saint-Joseph")
        other = people.establishment(session, "5678", "Institut Sainte-Marie")
        teacher = people.person(session, school, function_code="enseignant", email="t@ecole.be")
        session.add(
            MissionGrant(
                person_id=teacher.id,
                establishment_id=other.id,
                mission="Coordination lecture",
                resources=["statistiques"],
                ends_at=ends,
            )
        )
        person_id = teacher.id
    with db.session() as session:
        situation = read_situation(session, person_id)
    assert situation is not None
    assert (situation.name, situation.status, situation.left) == (
        "Jean Dupont",
        AccountStatus.NOT_INVITED,
        False,
    )
    assert (situation.email, situation.email_is_reference) == ("t@ecole.be", False)
    assert situation.places == (
        PlaceAccess("École Saint-Joseph", "1234", "Enseignant-e", TEACHER),
        PlaceAccess("Institut Sainte-Marie", "5678", None, ()),
    )
    assert situation.missions == (
        MissionAccess(
            "Coordination lecture", "5678", ("Comptages et statistiques des élèves",), ends.date()
        ),
    )
    # The direction decides who is invited: nobody asks for a first invitation themself.
    assert situation.invited_on is None and not situation.can_resend_invitation


def test_an_active_account_shows_its_reference_address_and_offers_no_invitation(
    db: Database,
) -> None:
    with db.transaction() as session:
        someone = people.person(
            session, people.establishment(session), email="ref@ecole.be", email_valid=False
        )
        session.add(
            Account(
                person_id=someone.id,
                reference_email="ref@ecole.be",
                status=AccountStatus.ACTIVE.value,
                invited_at=datetime(2030, 9, 1, 8, tzinfo=UTC),
            )
        )
        person_id = someone.id
    with db.session() as session:
        situation = read_situation(session, person_id)
    assert situation is not None
    assert (situation.email, situation.email_is_reference) == ("ref@ecole.be", True)
    assert situation.invited_on == date(2030, 9, 1)
    assert not situation.can_resend_invitation


def test_someone_who_left_has_no_place_and_no_invitation_to_ask_for(db: Database) -> None:
    with db.transaction() as session:
        someone = people.person(session, people.establishment(session), email_valid=False)
        someone.left_at = utcnow() - timedelta(days=3)
        for assignment in session.query(Assignment).filter_by(person_id=someone.id):
            assignment.ended_at = someone.left_at
        person_id = someone.id
    with db.session() as session:
        situation = read_situation(session, person_id)
        assert read_situation(session, person_id + 1000) is None
    assert situation is not None
    assert situation.left and situation.places == () and situation.email is None
    assert not situation.can_resend_invitation
