"""The team screen: statuses as on the procedure sheet, filters, counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from access.directory.models import Account, AccountStatus, Person
from access.directory.team import TeamStatus, team_of
from access.errors import NotFound
from access.persistence.database import Database
from access.proeco.sync import import_export
from tests.access.exports import export_csv, person

ROWS = [
    person("1", "Dubois", "Anne", "Directrice"),
    person("2", "Lambert", "Marc"),
    person("3", "Peeters", "Sophie", "Éducatrice"),
    person("4", "Janssens", "Luc", email="pas-une-adresse"),
    person("5", "Maes", "Julie", "Econome", email=""),
    person("6", "Élias", "Chloé"),
    person("7", "Claes", "Paul", fase="05678", establishment="Institut Sainte-Marie"),
]


@pytest.fixture
def ids(db: Database) -> dict[str, int]:
    import_export(db, export_csv(ROWS))
    with db.transaction() as session:
        ids = dict(session.execute(sa.select(Person.matricule, Person.id)).all())
        session.execute(
            sa.update(Account)
            .where(Account.person_id == ids["2"])
            .values(
                status=AccountStatus.INVITED.value,
                invited_at=datetime(2026, 9, 1, 22, 30, tzinfo=UTC),
            )
        )
        session.execute(
            sa.update(Account)
            .where(Account.person_id == ids["3"])
            .values(status=AccountStatus.ACTIVE.value)
        )
    import_export(db, export_csv([r for r in ROWS if r[0] != "6"]))
    return ids


def test_each_member_shows_the_status_of_the_sheet(db: Database, ids: dict[str, int]) -> None:
    with db.session() as session:
        team = team_of(session, "01234")
    labels = {row.person_id: row.status_label for row in team.rows}
    assert labels == {
        ids["1"]: "Recevra un email d'invitation",
        # Invited late in the evening UTC: the date is the Belgian one.
        ids["2"]: "Invitation envoyée le 02/09/2026",
        ids["3"]: "Compte activé",
        ids["4"]: "Adresse e-mail manquante ou invalide : à corriger dans ProECO",
        ids["5"]: "Adresse e-mail manquante ou invalide : à corriger dans ProECO",
        ids["6"]: "A quitté l'établissement",
    }
    assert team.establishment.name == "École Saint-Joseph"


def test_rows_are_sorted_by_name_ignoring_accents(db: Database, ids: dict[str, int]) -> None:
    with db.session() as session:
        names = [row.last_name for row in team_of(session, "01234").rows]
    assert names == ["Dubois", "Élias", "Janssens", "Lambert", "Maes", "Peeters"]


def test_row_shows_role_and_proeco_email(db: Database, ids: dict[str, int]) -> None:
    with db.session() as session:
        rows = {row.person_id: row for row in team_of(session, "01234").rows}
    assert rows[ids["1"]].function_label == "Direction"
    assert rows[ids["2"]].function_label == "Enseignant-e"
    assert rows[ids["2"]].proeco_email == "marc.lambert@ecoles.be"
    assert rows[ids["4"]].proeco_email == "pas-une-adresse"
    assert rows[ids["5"]].proeco_email is None
    assert rows[ids["2"]].invited_at == datetime(2026, 9, 1, 22, 30, tzinfo=UTC)


def test_counts_cover_the_whole_team_and_filters_narrow_the_rows(
    db: Database, ids: dict[str, int]
) -> None:
    with db.session() as session:
        to_fix = team_of(session, "01234", status=TeamStatus.EMAIL_TO_FIX)
        teachers = team_of(session, "01234", function="enseignant")
        by_name = team_of(session, "01234", name="chloe")
        by_value = team_of(session, "01234", status="active")
    assert [row.person_id for row in to_fix.rows] == [ids["4"], ids["5"]]
    assert to_fix.counts == {
        TeamStatus.WILL_BE_INVITED: 1,
        TeamStatus.INVITED: 1,
        TeamStatus.ACTIVE: 1,
        TeamStatus.EMAIL_TO_FIX: 2,
        TeamStatus.LEFT: 1,
    }
    assert to_fix.total == 6
    assert {row.person_id for row in teachers.rows} == {ids["2"], ids["4"], ids["6"]}
    assert [row.person_id for row in by_name.rows] == [ids["6"]]
    assert [row.person_id for row in by_value.rows] == [ids["3"]]


def test_delivery_failure_replaces_the_status_label(db: Database, ids: dict[str, int]) -> None:
    with db.session() as session:
        team = team_of(session, "01234", delivery_errors={ids["2"]: "boîte pleine"})
    row = next(r for r in team.rows if r.person_id == ids["2"])
    assert row.status == TeamStatus.INVITED
    assert row.status_label == "Échec d'envoi : boîte pleine"
    assert row.delivery_error == "boîte pleine"


def test_other_establishments_are_not_shown(db: Database, ids: dict[str, int]) -> None:
    with db.session() as session:
        assert [row.person_id for row in team_of(session, "05678").rows] == [ids["7"]]
        # Either spelling of a FASE names the same school; an unknown number none.
        assert team_of(session, "5678").establishment.fase == "05678"
        with pytest.raises(NotFound):
            team_of(session, "4321")
