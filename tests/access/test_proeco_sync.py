"""The ProECO import is a sync: adds, changes, departures, returns; all or nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from access.accounts import tokens
from access.accounts.passwords import hash_password
from access.accounts.signin import SignInOutcome, authenticate
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
from access.proeco.reader import UnreadableExport
from access.proeco.sync import ImportRefused, import_export
from bot.settings import Settings
from tests.access.exports import HEADER, export_csv, person

SCHOOL = ("01234", "École Saint-Joseph")
OTHER = ("05678", "Institut Sainte-Marie")
PASSWORD = "cartable bleu sur la table"

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


# -- a header naming a column twice (issue 16, item 15) ------------------------------------

# The file that was applied: the seven columns, then a second « E-mail » column holding the
# addresses while the first one is blank.
DOUBLED_EMAIL_HEADER = (
    "Matricule",
    "Nom",
    "Prénom",
    "Fonction",
    "E-mail",
    "N° FASE",
    "Établissement",
    "E-mail",
)


def _with_doubled_email(rows: list[tuple[str, ...]]) -> bytes:
    moved = [
        (m, nom, prenom, fonction, "", fase, etab, email)
        for m, nom, prenom, fonction, email, fase, etab in rows
    ]
    return export_csv(moved, header=DOUBLED_EMAIL_HEADER, encoding="cp1252")


def _invite(db: Database, matricule: str) -> int:
    """A live invitation link sent to the person's reference e-mail; returns the person id."""
    with db.transaction() as session:
        person_id, email = session.execute(
            sa.select(Person.id, Account.reference_email)
            .join(Account, Account.person_id == Person.id)
            .where(Person.matricule == matricule)
        ).one()
        tokens.issue(
            session,
            purpose=tokens.INVITATION,
            person_id=person_id,
            email=email,
            ttl=timedelta(days=7),
        )
        session.execute(
            sa.update(Account)
            .where(Account.person_id == person_id)
            .values(status=AccountStatus.INVITED.value, invited_at=utcnow())
        )
    return int(person_id)


def _live_invitations(db: Database, person_id: int) -> int:
    with db.session() as session:
        return len(tokens.pending_for_person(session, person_id, purpose=tokens.INVITATION))


def _reference_emails(db: Database) -> dict[str, str | None]:
    with db.session() as session:
        return dict(
            session.execute(
                sa.select(Person.matricule, Account.reference_email).join(
                    Account, Account.person_id == Person.id
                )
            ).all()
        )


def test_a_header_naming_a_column_twice_is_refused_and_writes_nothing(db: Database) -> None:
    import_export(db, export_csv(STAFF))
    _set_account(db, "1001", status=AccountStatus.ACTIVE.value)
    invited = _invite(db, "1002")
    emails, entries = _reference_emails(db), _audit_count(db)

    with pytest.raises(UnreadableExport) as refused:
        import_export(db, _with_doubled_email(STAFF))

    assert refused.value.code == "duplicate_columns"
    assert str(refused.value) == (
        "the header names the same column more than once: "
        'email: "E-mail" in column 5 (E) and "E-mail" in column 8 (H); '
        "keep one of each and export again"
    )
    assert _reference_emails(db) == emails
    assert _person(db, "1001").proeco_email == "anne.dubois@ecoles.be"
    assert _live_invitations(db, invited) == 1
    assert _audit_count(db) == entries


@pytest.mark.parametrize(
    ("first", "second"),
    [("E-mail", "Courriel"), ("email", "EMAIL"), ("Adresse e-mail", "email ProECO")],
)
def test_every_spelling_of_one_column_counts_as_the_same_column(
    db: Database, first: str, second: str
) -> None:
    header = (*HEADER[:4], first, *HEADER[5:], second)
    rows = [(*row, row[4]) for row in STAFF]

    with pytest.raises(UnreadableExport) as refused:
        import_export(db, export_csv(rows, header=header))

    assert refused.value.code == "duplicate_columns"
    assert f'"{first}" in column 5 (E) and "{second}" in column 8 (H)' in str(refused.value)
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


# -- a mass e-mail change (issue 16, item 16) ----------------------------------------------


def _with_email(row: tuple[str, ...], email: str) -> tuple[str, ...]:
    return (*row[:4], email, *row[5:])


def test_a_mass_email_change_is_refused_unless_allowed(db: Database) -> None:
    import_export(db, export_csv(STAFF))
    entries = _audit_count(db)
    changed = [_with_email(row, f"{row[0]}@ailleurs.be") for row in STAFF[:2]] + STAFF[2:]

    with pytest.raises(ImportRefused) as refused:
        import_export(db, export_csv(changed))

    assert refused.value.code == "mass_email_change"
    assert "the e-mail of 2 of the 5 people who have one (40%)" in str(refused.value)
    assert "--allow-mass-email-change" in str(refused.value)
    assert refused.value.report is not None
    assert refused.value.report.email_changed_or_emptied == 2
    assert _person(db, "1001").proeco_email == "anne.dubois@ecoles.be"
    assert _audit_count(db) == entries
    with pytest.raises(ImportRefused):
        import_export(db, export_csv(changed), dry_run=True)

    report = import_export(db, export_csv(changed), allow_mass_email_change=True)

    assert (report.email_changed, report.email_changed_or_emptied) == (2, 2)
    anne = _person(db, "1001")
    assert anne.proeco_email == anne.account.reference_email == "1001@ailleurs.be"


def test_a_file_emptying_the_emails_is_a_mass_email_change(db: Database) -> None:
    import_export(db, export_csv(STAFF))

    with pytest.raises(ImportRefused) as refused:
        import_export(db, export_csv([_with_email(row, "") for row in STAFF]))

    assert refused.value.code == "mass_email_change"
    assert "5 of the 5 people who have one (100%, 5 of them emptied)" in str(refused.value)
    assert _reference_emails(db)["1003"] == "sophie.peeters@ecoles.be"


def test_twenty_percent_email_changes_are_still_accepted(db: Database) -> None:
    import_export(db, export_csv(STAFF))

    report = import_export(db, export_csv([_with_email(STAFF[0], "anne@ailleurs.be"), *STAFF[1:]]))

    assert report.email_changed_or_emptied == 1
    assert _person(db, "1001").proeco_email == "anne@ailleurs.be"


def test_first_emails_do_not_count_as_email_changes(db: Database) -> None:
    newcomer = person("2000", "Nouveau", "Paul")
    import_export(db, export_csv([*[_with_email(row, "") for row in STAFF], newcomer]))

    report = import_export(db, export_csv([*STAFF, newcomer]))

    assert (report.email_changed, report.email_changed_or_emptied) == (5, 0)
    assert _person(db, "1001").account.reference_email == "anne.dubois@ecoles.be"


def test_people_who_left_are_not_counted_among_those_with_an_email(db: Database) -> None:
    others = [person(f"20{n:02}", "Autre", f"Personne{n}") for n in range(6)]
    import_export(db, export_csv([*STAFF, *others]))
    import_export(db, export_csv(STAFF), allow_mass_departure=True)
    changed = [_with_email(row, f"{row[0]}@ailleurs.be") for row in STAFF[:2]] + STAFF[2:]

    # 2 of the 5 people still there, not 2 of 11.
    with pytest.raises(ImportRefused) as refused:
        import_export(db, export_csv(changed))

    assert "2 of the 5 people who have one" in str(refused.value)


def test_an_emptied_email_never_removes_the_reference_email_of_an_active_account(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    revoked: list[int] = []
    monkeypatch.setattr(
        proeco_apply, "_revoke_pending_tokens", lambda s, pid, reason: revoked.append(pid)
    )
    import_export(db, export_csv(STAFF))
    _set_account(
        db, "1002", status=AccountStatus.ACTIVE.value, password_hash=hash_password(PASSWORD)
    )
    emptied = [*STAFF]
    emptied[1] = _with_email(STAFF[1], "")

    report = import_export(db, export_csv(emptied))

    marc = _person(db, "1002")
    assert marc.proeco_email is None
    assert marc.account.reference_email == "marc.lambert@ecoles.be"
    assert marc.account.status == AccountStatus.ACTIVE
    assert revoked == []
    assert [(item.matricule, item.reference_email_kept) for item in report.emails_to_fix] == [
        ("1002", True)
    ]
    assert (report.email_changed, report.email_emptied) == (1, 1)
    signed_in = authenticate(db, settings, email="marc.lambert@ecoles.be", password=PASSWORD)
    assert signed_in.outcome == SignInOutcome.OK
    with db.session() as session:
        kept = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "account.reference_email_kept")
        ).one()
    assert kept.actor == "proeco-sync"
    assert kept.before == {"reference_email": "marc.lambert@ecoles.be"}

    again = import_export(db, export_csv(emptied))

    assert not again.changed
    assert [(item.matricule, item.reference_email_kept) for item in again.emails_to_fix] == [
        ("1002", True)
    ]
    back = import_export(db, export_csv(STAFF))
    assert back.email_changed == 1
    assert _person(db, "1002").account.reference_email == "marc.lambert@ecoles.be"
    assert revoked == []


def test_an_invalid_email_never_removes_the_reference_email_of_an_active_account(
    db: Database,
) -> None:
    import_export(db, export_csv(STAFF))
    _set_account(db, "1002", status=AccountStatus.ACTIVE.value)
    invalid = [*STAFF]
    invalid[1] = _with_email(STAFF[1], "marc.lambert@")

    report = import_export(db, export_csv(invalid))

    marc = _person(db, "1002")
    assert (marc.proeco_email, marc.proeco_email_valid) == ("marc.lambert@", False)
    assert marc.account.reference_email == "marc.lambert@ecoles.be"
    assert [item.reference_email_kept for item in report.emails_to_fix] == [True]


def test_an_emptied_email_voids_an_invitation_not_yet_accepted(db: Database) -> None:
    import_export(db, export_csv(STAFF))
    invited = _invite(db, "1002")
    emptied = [*STAFF]
    emptied[1] = _with_email(STAFF[1], "")

    report = import_export(db, export_csv(emptied))

    marc = _person(db, "1002")
    assert marc.account.reference_email is None
    assert marc.account.status == AccountStatus.NOT_INVITED
    assert _live_invitations(db, invited) == 0
    assert [(item.matricule, item.reference_email_kept) for item in report.emails_to_fix] == [
        ("1002", False)
    ]


def test_a_returning_person_who_had_activated_keeps_the_reference_email(db: Database) -> None:
    import_export(db, export_csv(STAFF))
    _set_account(db, "1003", status=AccountStatus.ACTIVE.value)
    import_export(db, export_csv([r for r in STAFF if r[0] != "1003"]))
    back = [*STAFF]
    back[2] = _with_email(STAFF[2], "")

    report = import_export(db, export_csv(back))

    assert report.returned == 1
    sophie = _person(db, "1003")
    assert sophie.account.status == AccountStatus.ACTIVE
    assert sophie.account.reference_email == "sophie.peeters@ecoles.be"


# -- a file in two encodings (issue 16, item 17) --------------------------------------------


def test_a_file_mixing_encodings_is_refused_and_writes_nothing(db: Database) -> None:
    import_export(db, export_csv(STAFF))
    entries = _audit_count(db)
    renamed = [person("1002", "Lambert", "Benoît"), person("1003", "Peeters", "Sophie-Hélène")]
    data = (
        export_csv([STAFF[0], renamed[0]])
        + export_csv([renamed[1], *STAFF[3:]], encoding="cp1252").split(b"\r\n", 1)[1]
    )

    with pytest.raises(UnreadableExport) as refused:
        import_export(db, data)

    assert refused.value.code == "mixed_encodings"
    assert "lines 2-3 are UTF-8, lines 4-6 are not" in str(refused.value)
    assert _person(db, "1002").first_name == "Marc"
    assert _audit_count(db) == entries
