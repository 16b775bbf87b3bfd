"""The ProECO import is a sync: adds, changes, departures, returns; all or nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from access.clock import as_utc, utcnow
from access.directory.models import (
    Account,
    AccountStatus,
    Assignment,
    AuditEntry,
    Establishment,
    Function,
    MissionGrant,
    Person,
)
from access.directory.team import TeamStatus, team_of
from access.persistence.database import Database
from access.proeco import apply as proeco_apply
from access.proeco.sync import ImportRefused, import_export
from tests.access.exports import export_csv, person

SCHOOL = ("01234", "École Saint-Joseph")
OTHER = ("05678", "Institut Sainte-Marie")

STAFF = [
    person("1001", "Dubois", "Anne", "Directrice"),
    person("1002", "Lambert", "Marc"),
    person("1003", "Peeters", "Sophie", "Éducatrice"),
    person("1004", "Janssens", "Luc", "Econome"),
    person("1005", "Maes", "Julie", "Secrétaire de direction"),
]


def _person(db: Database, matricule: str) -> Person:
    with db.session() as session:
        found = session.scalars(
            sa.select(Person)
            .where(Person.matricule == matricule)
            .options(sa.orm.selectinload(Person.assignments), sa.orm.selectinload(Person.account))
        ).one()
        session.expunge_all()
        return found


def _assignments(db: Database, matricule: str) -> dict[str, tuple[str, bool]]:
    """FASE -> (function code, still active)."""
    with db.session() as session:
        rows = session.execute(
            sa.select(Establishment.fase, Assignment.function_code, Assignment.ended_at)
            .join(Assignment, Assignment.establishment_id == Establishment.id)
            .join(Person, Person.id == Assignment.person_id)
            .where(Person.matricule == matricule)
        ).all()
    return {fase: (code, ended is None) for fase, code, ended in rows}


def _audit_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) or 0


def _set_account(db: Database, matricule: str, **values: object) -> None:
    with db.transaction() as session:
        person_id = session.scalar(sa.select(Person.id).where(Person.matricule == matricule))
        session.execute(sa.update(Account).where(Account.person_id == person_id).values(**values))


def test_first_import_adds_everyone_with_function_and_account(db: Database) -> None:
    report = import_export(db, export_csv(STAFF))

    assert report.counts() == {
        "added": 5,
        "updated": 0,
        "email_changed": 0,
        "function_changed": 0,
        "left": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    assert report.applied
    anne = _person(db, "1001")
    assert (anne.last_name, anne.first_name) == ("Dubois", "Anne")
    assert anne.proeco_email == "anne.dubois@ecoles.be"
    assert anne.account is not None
    assert anne.account.reference_email == "anne.dubois@ecoles.be"
    assert anne.account.status == AccountStatus.NOT_INVITED
    assert _assignments(db, "1001") == {"01234": ("direction", True)}
    assert _assignments(db, "1004") == {"01234": ("econome", True)}
    with db.session() as session:
        school = session.scalars(sa.select(Establishment)).one()
        assert (school.fase, school.name) == SCHOOL
        assert session.get(Function, "direction").is_direction


def test_reimporting_the_same_file_changes_nothing_and_says_so(db: Database) -> None:
    data = export_csv(STAFF)
    import_export(db, data)
    entries = _audit_count(db)

    report = import_export(db, data)

    assert not report.changed
    assert not report.applied
    assert report.unchanged == 5
    assert report.added == report.updated == report.left == 0
    assert _audit_count(db) == entries


def test_name_and_function_changes_are_applied_and_audited(db: Database) -> None:
    import_export(db, export_csv(STAFF))
    changed = [*STAFF]
    changed[1] = person(
        "1002", "Lambert-Dupont", "Marc", "Educateur", email="marc.lambert@ecoles.be"
    )

    report = import_export(db, export_csv(changed))

    assert (report.updated, report.function_changed, report.unchanged) == (1, 1, 4)
    marc = _person(db, "1002")
    assert marc.last_name == "Lambert-Dupont"
    assert _assignments(db, "1002") == {"01234": ("educateur", True)}
    with db.session() as session:
        actions = session.scalars(
            sa.select(AuditEntry.action).where(
                AuditEntry.target_type == "person", AuditEntry.target_id == str(marc.id)
            )
        ).all()
        renamed = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "person.updated")
        ).one()
    assert "assignment.function_changed" in actions
    assert renamed.actor == "proeco-sync"
    assert renamed.before == {"last_name": "Lambert"}
    assert renamed.after == {"last_name": "Lambert-Dupont"}


def test_corrected_email_voids_the_invitation_sent_to_the_wrong_address(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    revoked: list[int] = []
    monkeypatch.setattr(
        proeco_apply, "_revoke_pending_tokens", lambda s, pid, reason: revoked.append(pid)
    )
    import_export(db, export_csv(STAFF))
    _set_account(db, "1002", status=AccountStatus.INVITED.value, invited_at=utcnow())
    changed = [*STAFF]
    changed[1] = person("1002", "Lambert", "Marc", email="marc.lambert@ecole.be")

    report = import_export(db, export_csv(changed))

    assert (report.updated, report.email_changed) == (1, 1)
    marc = _person(db, "1002")
    assert marc.proeco_email == "marc.lambert@ecole.be"
    assert marc.account.reference_email == "marc.lambert@ecole.be"
    assert revoked == [marc.id]
    with db.session() as session:
        row = next(r for r in team_of(session, "01234").rows if r.person_id == marc.id)
    assert row.status == TeamStatus.WILL_BE_INVITED


def test_chosen_reference_email_is_left_alone_when_proeco_email_changes(db: Database) -> None:
    import_export(db, export_csv(STAFF))
    _set_account(
        db,
        "1002",
        status=AccountStatus.ACTIVE.value,
        reference_email="marc@perso.be",
        reference_email_chosen=True,
    )
    changed = [*STAFF]
    changed[1] = person("1002", "Lambert", "Marc", email="m.lambert@ecole.be")

    report = import_export(db, export_csv(changed))

    assert report.email_changed == 1
    marc = _person(db, "1002")
    assert marc.proeco_email == "m.lambert@ecole.be"
    assert marc.account.reference_email == "marc@perso.be"
    assert marc.account.status == AccountStatus.ACTIVE


def test_email_case_change_is_not_a_change(db: Database) -> None:
    import_export(db, export_csv(STAFF))
    changed = [*STAFF]
    changed[1] = person("1002", "Lambert", "Marc", email="MARC.LAMBERT@ECOLES.BE")

    report = import_export(db, export_csv(changed))

    assert not report.changed


def test_absent_person_is_marked_left_never_deleted(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    revoked: list[int] = []
    monkeypatch.setattr(
        proeco_apply, "_revoke_pending_tokens", lambda s, pid, reason: revoked.append(pid)
    )
    import_export(db, export_csv(STAFF))
    _set_account(db, "1003", status=AccountStatus.ACTIVE.value)
    sophie = _person(db, "1003")
    with db.transaction() as session:
        school_id = session.scalar(sa.select(Establishment.id))
        session.add(
            MissionGrant(
                person_id=sophie.id,
                establishment_id=school_id,
                mission="Coordination bien-être",
                resources=["sante_bien_etre"],
            )
        )

    report = import_export(db, export_csv([r for r in STAFF if r[0] != "1003"]))

    assert (report.left, report.unchanged) == (1, 4)
    sophie = _person(db, "1003")
    assert sophie.left_at is not None
    assert sophie.account.status == AccountStatus.DISABLED
    assert sophie.account.status_before_disable == AccountStatus.ACTIVE
    assert _assignments(db, "1003") == {"01234": ("educateur", False)}
    assert revoked == [sophie.id]
    with db.session() as session:
        grant = session.scalars(sa.select(MissionGrant)).one()
        assert grant.revoked_at is not None
        actions = set(session.scalars(sa.select(AuditEntry.action)))
        row = next(r for r in team_of(session, "01234").rows if r.person_id == sophie.id)
    assert {"person.left", "account.disabled", "grant.ended", "assignment.ended"} <= actions
    assert row.status == TeamStatus.LEFT
    assert row.status_label == "A quitté l'établissement"


def test_person_who_comes_back_gets_the_account_back_as_it_was(db: Database) -> None:
    import_export(db, export_csv(STAFF))
    _set_account(db, "1003", status=AccountStatus.ACTIVE.value)
    import_export(db, export_csv([r for r in STAFF if r[0] != "1003"]))

    report = import_export(db, export_csv(STAFF))

    assert report.returned == 1
    assert report.updated == 1
    sophie = _person(db, "1003")
    assert sophie.left_at is None
    assert sophie.account.status == AccountStatus.ACTIVE
    assert _assignments(db, "1003") == {"01234": ("educateur", True)}


def test_mass_departure_is_refused_unless_allowed(db: Database) -> None:
    import_export(db, export_csv(STAFF))
    truncated = export_csv(STAFF[:3])

    with pytest.raises(ImportRefused) as refused:
        import_export(db, truncated)

    assert refused.value.code == "mass_departure"
    assert "2 of the 5 known people" in str(refused.value)
    assert _person(db, "1005").left_at is None

    report = import_export(db, truncated, allow_mass_departure=True)

    assert report.left == 2
    assert _person(db, "1005").left_at is not None


def test_twenty_percent_departures_are_still_accepted(db: Database) -> None:
    import_export(db, export_csv(STAFF))

    report = import_export(db, export_csv(STAFF[:4]))

    assert report.left == 1


def test_rejected_row_never_changes_the_stored_person(db: Database) -> None:
    import_export(db, export_csv(STAFF))
    bad = [*STAFF]
    # Same person, new name, but a FASE that is not a number: the whole row is rejected,
    # and the person must not be read as absent either.
    bad[1] = person("1002", "Autre", "Nom", fase="12A34")

    report = import_export(db, export_csv(bad))

    assert report.rejected == 1
    assert report.rejected_rows[0].line == 3
    assert report.rejected_rows[0].code == "invalid_fase"
    assert report.left == 0
    marc = _person(db, "1002")
    assert (marc.last_name, marc.left_at) == ("Lambert", None)
    assert _assignments(db, "1002") == {"01234": ("enseignant", True)}


def test_bad_rows_are_rejected_with_line_and_reason(db: Database) -> None:
    rows = [
        *STAFF,
        person("", "Sans", "Matricule"),
        person("1010", "Sans", "Fase", fase=""),
        person("1001", "Dubois", "Anne", "Directrice"),
        person("1011", "Mauvais", "Courriel", email="pas-une-adresse"),
    ]

    report = import_export(db, export_csv(rows))

    assert [(r.line, r.code) for r in report.rejected_rows] == [
        (7, "missing_matricule"),
        (8, "missing_fase"),
        (9, "duplicate"),
    ]
    assert "line 2" in report.rejected_rows[2].reason
    # An invalid e-mail does not reject the row: the director sees it to fix in ProECO.
    assert report.added == 6
    assert [item.matricule for item in report.emails_to_fix] == ["1011"]
    with db.session() as session:
        statuses = {r.last_name: r.status for r in team_of(session, "01234").rows}
    assert statuses["Mauvais"] == TeamStatus.EMAIL_TO_FIX


def test_a_failure_midway_writes_nothing(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    import_export(db, export_csv(STAFF))
    entries = _audit_count(db)

    def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(proeco_apply, "_revoke_pending_tokens", broken)
    changed = [person("1002", "Lambert", "Marc", "Direction"), *STAFF[2:]]
    changed.append(person("2000", "Nouveau", "Paul"))
    with pytest.raises(RuntimeError):
        import_export(db, export_csv(changed), allow_mass_departure=True)

    assert _person(db, "1001").left_at is None
    assert _assignments(db, "1002") == {"01234": ("enseignant", True)}
    assert _audit_count(db) == entries
    with db.session() as session:
        assert session.scalar(sa.select(Person).where(Person.matricule == "2000")) is None


def test_dry_run_reports_without_writing(db: Database) -> None:
    import_export(db, export_csv(STAFF))
    entries = _audit_count(db)
    changed = [*STAFF[:4], person("2000", "Nouveau", "Paul")]

    report = import_export(db, export_csv(changed), dry_run=True)

    assert (report.added, report.left, report.unchanged) == (1, 1, 4)
    assert not report.applied
    assert _audit_count(db) == entries
    assert _person(db, "1005").left_at is None


def test_a_person_in_two_establishments_can_leave_one_and_keep_the_other(db: Database) -> None:
    both = [
        *STAFF,
        person("1002", "Lambert", "Marc", "Direction", fase=OTHER[0], establishment=OTHER[1]),
    ]
    import_export(db, export_csv(both))
    assert _assignments(db, "1002") == {"01234": ("enseignant", True), "05678": ("direction", True)}

    report = import_export(db, export_csv(STAFF))

    assert (report.updated, report.left) == (1, 0)
    assert report.assignments_ended == 1
    marc = _person(db, "1002")
    assert marc.left_at is None
    assert marc.account.status == AccountStatus.NOT_INVITED
    assert _assignments(db, "1002") == {
        "01234": ("enseignant", True),
        "05678": ("direction", False),
    }
    with db.session() as session:
        rows = {r.person_id: r.status for r in team_of(session, OTHER[0]).rows}
    assert rows == {marc.id: TeamStatus.LEFT}


def test_moving_to_another_establishment_is_an_update(db: Database) -> None:
    import_export(db, export_csv(STAFF))
    moved = [*STAFF]
    moved[1] = person("1002", "Lambert", "Marc", fase=OTHER[0], establishment=OTHER[1])

    report = import_export(db, export_csv(moved))

    assert (report.updated, report.left) == (1, 0)
    assert _assignments(db, "1002") == {
        "01234": ("enseignant", False),
        "05678": ("enseignant", True),
    }


def test_unknown_function_is_kept_and_named(db: Database) -> None:
    rows = [*STAFF, person("1020", "Wouters", "Eva", "Logopède")]

    report = import_export(db, export_csv(rows))

    assert report.unknown_functions == {"logopede": "Logopède"}
    with db.session() as session:
        function = session.get(Function, "logopede")
        assert function is not None
        assert (function.label, function.known, function.is_direction) == (
            "Logopède",
            False,
            False,
        )


def test_empty_or_all_rejected_file_is_refused(db: Database) -> None:
    with pytest.raises(ImportRefused) as refused:
        import_export(db, export_csv([person("", "Sans", "Matricule")]))
    assert refused.value.code == "no_valid_rows"


def test_the_import_commits_in_a_transaction_of_its_own(db: Database) -> None:
    report = import_export(db, export_csv(STAFF))
    assert report.added == 5
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 5


def test_ended_grants_stay_ended_and_future_end_dates_are_cut(db: Database) -> None:
    import_export(db, export_csv(STAFF))
    marc = _person(db, "1002")
    with db.transaction() as session:
        school_id = session.scalar(sa.select(Establishment.id))
        session.add(
            MissionGrant(
                person_id=marc.id,
                establishment_id=school_id,
                mission="Coordination",
                resources=["vie_scolaire"],
                ends_at=utcnow() + timedelta(days=30),
            )
        )
    import_export(db, export_csv([r for r in STAFF if r[0] != "1002"]))
    with db.session() as session:
        grant = session.scalars(sa.select(MissionGrant)).one()
        assert as_utc(grant.revoked_at) is not None


def test_a_person_recorded_without_an_account_gets_one(db: Database) -> None:
    with db.transaction() as session:
        session.add(Person(matricule="1002", last_name="Lambert", first_name="Marc"))

    report = import_export(db, export_csv(STAFF))

    assert (report.added, report.updated) == (4, 1)
    marc = _person(db, "1002")
    assert marc.account is not None
    assert marc.account.reference_email == "marc.lambert@ecoles.be"
    assert not import_export(db, export_csv(STAFF)).changed
