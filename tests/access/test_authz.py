"""Only the current direction of an establishment, with an enabled account, manages its team."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from access.directory.authz import can_manage, managed_establishments, require_manager
from access.directory.models import Account, AccountStatus, Person
from access.errors import NotAllowed, NotFound
from access.persistence.database import Database
from access.proeco.sync import import_export
from tests.access.exports import export_csv, person

ROWS = [
    person("1", "Dubois", "Anne", "Directrice", fase="01234"),
    person("2", "Lambert", "Marc", "Enseignant", fase="01234"),
    person("3", "Claes", "Paul", "Direction", fase="05678", establishment="Institut Sainte-Marie"),
    person("4", "Wouters", "Eva", "Direction", fase="09999", establishment="Athénée"),
    person("4", "Wouters", "Eva", "Direction", fase="01111", establishment="École du Parc"),
    person("5", "Maes", "Julie", "Secrétaire de direction", fase="01234"),
]


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    import_export(db, export_csv(ROWS))
    with db.session() as session:
        return dict(session.execute(sa.select(Person.matricule, Person.id)).all())


def test_director_may_manage_their_establishment(db: Database, world: dict[str, int]) -> None:
    with db.session() as session:
        assert can_manage(session, world["1"], "01234")
        assert require_manager(session, world["1"], " 01234 ").fase == "01234"


def test_teacher_and_secretary_may_not(db: Database, world: dict[str, int]) -> None:
    with db.session() as session:
        assert not can_manage(session, world["2"], "01234")
        assert not can_manage(session, world["5"], "01234")
        with pytest.raises(NotAllowed) as refused:
            require_manager(session, world["2"], "01234")
    assert refused.value.code == "not_director"
    assert "direction de l'établissement 01234" in refused.value.user_message


def test_director_of_another_school_may_not(db: Database, world: dict[str, int]) -> None:
    with db.session() as session:
        assert not can_manage(session, world["3"], "01234")
        assert can_manage(session, world["3"], "05678")


def test_director_who_left_may_not(db: Database, world: dict[str, int]) -> None:
    import_export(db, export_csv([r for r in ROWS if r[0] != "1"]))
    with db.session() as session:
        assert not can_manage(session, world["1"], "01234")
        with pytest.raises(NotAllowed) as refused:
            require_manager(session, world["1"], "01234")
        assert managed_establishments(session, world["1"]) == []
    assert refused.value.code == "left"


def test_director_with_a_disabled_account_may_not(db: Database, world: dict[str, int]) -> None:
    with db.transaction() as session:
        session.execute(
            sa.update(Account)
            .where(Account.person_id == world["1"])
            .values(status=AccountStatus.DISABLED.value)
        )
    with db.session() as session:
        with pytest.raises(NotAllowed) as refused:
            require_manager(session, world["1"], "01234")
        assert managed_establishments(session, world["1"]) == []
    assert refused.value.code == "account_disabled"


def test_unknown_requester_or_establishment(db: Database, world: dict[str, int]) -> None:
    with db.session() as session:
        with pytest.raises(NotAllowed) as unknown:
            require_manager(session, None, "01234")
        with pytest.raises(NotFound) as missing:
            require_manager(session, world["1"], "4321")
        assert not can_manage(session, 999_999, "01234")
        # Typed without its leading zero, the number still names 01234.
        assert require_manager(session, world["1"], "1234").fase == "01234"
    assert unknown.value.code == "not_identified"
    assert missing.value.code == "unknown_establishment"
    assert "4321" in missing.value.user_message


def test_a_person_directing_two_schools_manages_both(db: Database, world: dict[str, int]) -> None:
    with db.session() as session:
        managed = managed_establishments(session, world["4"])
        assert [e.fase for e in managed] == ["01111", "09999"]
        assert managed_establishments(session, world["2"]) == []
