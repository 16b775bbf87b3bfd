"""Mission grants: a director customises one person's access for a mission."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from access.directory.grants import add_grant, end_of_day, is_live, live_grants, remove_grant
from access.directory.models import AuditEntry, MissionGrant
from access.directory.profiles import Profiles, load_profiles
from access.errors import InvalidInput, NotAllowed, NotFound
from access.persistence.database import Database
from bot.settings import Settings
from tests.directors import factories


@pytest.fixture
def profiles(settings: Settings) -> Profiles:
    return load_profiles(settings.profiles_file)


def _codes(profiles: Profiles, n: int = 2) -> list[str]:
    return [resource.code for resource in profiles.all_resources()[:n]]


def _grant_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(MissionGrant)) or 0


def test_director_grants_a_mission_and_it_counts_with_who_and_why(
    db: Database, profiles: Profiles
) -> None:
    with db.transaction() as session:
        school = factories.school(session, "01234")
        teacher = school.staff_ids[0]
        grant = add_grant(
            session,
            actor_person_id=school.director_id,
            fase="01234",
            person_id=teacher,
            mission="  Coordination   pédagogique ",
            resources=_codes(profiles),
            profiles=profiles,
            reason="Coordonne le projet lecture",
        )
        grant_id = grant.id
    with db.session() as session:
        (live,) = live_grants(session, teacher)
        assert live.id == grant_id
        assert live.mission == "Coordination pédagogique"
        assert live.resources == sorted(_codes(profiles))
        assert live.granted_by_id == school.director_id
        entry = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "mission_grant.added")
        ).one()
        assert entry.actor == f"person:{school.director_id}"
        assert entry.target_id == str(grant_id)
        assert entry.reason == "Coordonne le projet lecture"
        assert entry.after["mission"] == "Coordination pédagogique"


@pytest.mark.parametrize(
    ("mission", "resources", "ends_on", "expected"),
    [
        ("", None, None, "intitulé de la mission"),
        ("   ", None, None, "intitulé de la mission"),
        ("x" * 121, None, None, "trop long"),
        ("Mission\u0007", None, None, "caractères non autorisés"),
        ("Coordination", [], None, "au moins une ressource"),
        ("Coordination", ["pas-une-ressource"], None, "Ressource inconnue"),
        ("Coordination", None, date(2020, 1, 1), "date de fin"),
    ],
)
def test_invalid_grant_is_refused_in_french_and_nothing_is_written(
    db: Database,
    profiles: Profiles,
    mission: str,
    resources: list[str] | None,
    ends_on: date | None,
    expected: str,
) -> None:
    with db.transaction() as session:
        school = factories.school(session, "01234")
    with pytest.raises(InvalidInput) as raised, db.transaction() as session:
        add_grant(
            session,
            actor_person_id=school.director_id,
            fase="01234",
            person_id=school.staff_ids[0],
            mission=mission,
            resources=_codes(profiles) if resources is None else resources,
            profiles=profiles,
            ends_on=ends_on,
        )
    assert expected in raised.value.user_message
    assert _grant_count(db) == 0


def test_director_may_not_grant_to_themselves(db: Database, profiles: Profiles) -> None:
    with db.transaction() as session:
        school = factories.school(session, "01234")
    with pytest.raises(NotAllowed) as raised, db.transaction() as session:
        add_grant(
            session,
            actor_person_id=school.director_id,
            fase="01234",
            person_id=school.director_id,
            mission="Coordination",
            resources=_codes(profiles),
            profiles=profiles,
        )
    assert "vous-même" in raised.value.user_message
    assert _grant_count(db) == 0


def test_director_may_not_grant_in_a_school_they_do_not_direct(
    db: Database, profiles: Profiles
) -> None:
    with db.transaction() as session:
        mine = factories.school(session, "01234")
        other = factories.school(session, "05678", director_last_name="Martin")
    for fase, person_id in (("05678", other.staff_ids[0]), ("01234", other.staff_ids[0])):
        with pytest.raises(NotAllowed), db.transaction() as session:
            add_grant(
                session,
                actor_person_id=mine.director_id,
                fase=fase,
                person_id=person_id,
                mission="Coordination",
                resources=_codes(profiles),
                profiles=profiles,
            )
    assert _grant_count(db) == 0


def test_a_teacher_may_not_grant(db: Database, profiles: Profiles) -> None:
    with db.transaction() as session:
        school = factories.school(session, "01234")
    with pytest.raises(NotAllowed), db.transaction() as session:
        add_grant(
            session,
            actor_person_id=school.staff_ids[0],
            fase="01234",
            person_id=school.staff_ids[1],
            mission="Coordination",
            resources=_codes(profiles),
            profiles=profiles,
        )
    assert _grant_count(db) == 0


def test_expired_grant_stops_counting_the_moment_it_expires(
    db: Database, profiles: Profiles
) -> None:
    granted = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    with db.transaction() as session:
        school = factories.school(session, "01234")
        add_grant(
            session,
            actor_person_id=school.director_id,
            fase="01234",
            person_id=school.staff_ids[0],
            mission="Jury",
            resources=_codes(profiles, 1),
            profiles=profiles,
            ends_on=date(2026, 6, 30),
            now=granted,
        )
    # Through 30 June in Brussels (UTC+2 in summer): until 22:00 UTC that day.
    expiry = datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    assert end_of_day(date(2026, 6, 30)) == expiry
    with db.session() as session:
        assert len(live_grants(session, school.staff_ids[0], at=expiry - timedelta(seconds=1))) == 1
        assert live_grants(session, school.staff_ids[0], at=expiry) == []
        grant = session.scalars(sa.select(MissionGrant)).one()
        assert is_live(grant, expiry - timedelta(microseconds=1))
        assert not is_live(grant, expiry)


def test_winter_end_date_follows_brussels_time() -> None:
    assert end_of_day(date(2026, 12, 18)) == datetime(2026, 12, 18, 23, 0, tzinfo=UTC)


def test_same_mission_twice_is_refused_so_a_double_submit_adds_one_grant(
    db: Database, profiles: Profiles
) -> None:
    with db.transaction() as session:
        school = factories.school(session, "01234")
    kwargs = dict(
        actor_person_id=school.director_id,
        fase="01234",
        person_id=school.staff_ids[0],
        mission="Coordination",
        resources=_codes(profiles),
        profiles=profiles,
    )
    with db.transaction() as session:
        add_grant(session, **kwargs)
    with pytest.raises(InvalidInput) as raised, db.transaction() as session:
        add_grant(session, **{**kwargs, "mission": "coordination"})
    assert "déjà une mission en cours" in raised.value.user_message
    assert _grant_count(db) == 1


def test_removed_grant_stops_counting_and_the_removal_is_audited_with_reason(
    db: Database, profiles: Profiles
) -> None:
    with db.transaction() as session:
        school = factories.school(session, "01234")
        grant_id = add_grant(
            session,
            actor_person_id=school.director_id,
            fase="01234",
            person_id=school.staff_ids[0],
            mission="Coordination",
            resources=_codes(profiles),
            profiles=profiles,
        ).id
    with db.transaction() as session:
        remove_grant(
            session,
            actor_person_id=school.director_id,
            grant_id=grant_id,
            reason="Fin du projet",
        )
    with db.session() as session:
        assert live_grants(session, school.staff_ids[0]) == []
        grant = session.get(MissionGrant, grant_id)
        assert grant is not None and grant.revoked_by_id == school.director_id
        entry = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "mission_grant.removed")
        ).one()
        assert entry.reason == "Fin du projet"
        assert entry.before["mission"] == "Coordination"
    with pytest.raises(NotFound), db.transaction() as session:
        remove_grant(session, actor_person_id=school.director_id, grant_id=grant_id)


def test_director_of_another_school_may_not_remove_a_grant(
    db: Database, profiles: Profiles
) -> None:
    with db.transaction() as session:
        school = factories.school(session, "01234")
        other = factories.school(session, "05678", director_last_name="Martin")
        grant_id = add_grant(
            session,
            actor_person_id=school.director_id,
            fase="01234",
            person_id=school.staff_ids[0],
            mission="Coordination",
            resources=_codes(profiles),
            profiles=profiles,
        ).id
    with pytest.raises(NotAllowed), db.transaction() as session:
        remove_grant(session, actor_person_id=other.director_id, grant_id=grant_id)
    with db.session() as session:
        assert len(live_grants(session, school.staff_ids[0])) == 1
        removals = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "mission_grant.removed")
        ).all()
        assert removals == []
