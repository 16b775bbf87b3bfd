"""Property test of the sync: whatever sequence of exports arrives, nobody is ever deleted,
the stored staff mirrors the last export, and importing it again changes nothing."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access.directory.models import Account, AccountStatus, Assignment, Establishment, Person
from access.persistence.database import Database
from access.proeco.sync import import_export
from tests.access.exports import export_csv

MATRICULES = [str(n) for n in range(1, 13)]
SCHOOLS = ["00123", "4567", "890"]
FUNCTIONS = ["Enseignant", "Direction", "Éducatrice", "Logopède"]
NAMES = ["Dubois", "Lambert", "Peeters", "Élias"]
EMAILS = ["", "pas-une-adresse", "a@ecole.be", "b@ecole.be", "B@Ecole.be"]

ROW = st.tuples(
    st.sampled_from(MATRICULES),
    st.sampled_from(NAMES),
    st.sampled_from(NAMES),
    st.sampled_from(FUNCTIONS),
    st.sampled_from(EMAILS),
    st.sampled_from([*SCHOOLS, "", "12x"]),
    st.just("École"),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.lists(ROW, min_size=1, max_size=15), min_size=1, max_size=3))
def test_any_sequence_of_exports(db: Database, exports: list[list[tuple[str, ...]]]) -> None:
    # The database persists across examples: each example continues the same history.
    with db.session() as session:
        ever_seen = set(session.scalars(sa.select(Person.matricule)))
    for rows in exports:
        data = export_csv(rows)
        with db.session() as session:
            left_before = {
                matricule: left_at is not None
                for matricule, left_at in session.execute(
                    sa.select(Person.matricule, Person.left_at)
                )
            }
        try:
            report = import_export(
                db, data, allow_mass_departure=True, allow_mass_email_change=True
            )
        except Exception as refused:  # a file with no valid row at all
            assert getattr(refused, "code", None) == "no_valid_rows"
            continue
        rejected = {r.matricule for r in report.rejected_rows if r.matricule}
        accepted: dict[tuple[str, str], str] = {}
        seen_keys: set[tuple[str, str]] = set()
        for matricule, _, _, function, _, fase, _ in rows:
            if fase.isdigit() and (matricule, fase) not in seen_keys:
                accepted[(matricule, fase)] = function
            seen_keys.add((matricule, fase))
        ever_seen |= {matricule for matricule, _ in accepted}

        with db.session() as session:
            stored = dict(session.execute(sa.select(Person.matricule, Person.left_at)).all())
            active = {
                (matricule, fase)
                for matricule, fase in session.execute(
                    sa.select(Person.matricule, Establishment.fase)
                    .join(Assignment, Assignment.person_id == Person.id)
                    .join(Establishment, Establishment.id == Assignment.establishment_id)
                    .where(Assignment.ended_at.is_(None))
                )
            }
        assert set(stored) == ever_seen  # never deleted, nobody invented
        for matricule, left_at in stored.items():
            present = any(m == matricule for m, _ in accepted)
            if present:
                assert left_at is None
            elif matricule not in rejected:
                assert left_at is not None
            else:  # named only by rejected rows: left exactly as it was
                assert (left_at is not None) == left_before.get(matricule, False)
        assert set(accepted) <= active
        for matricule, _fase in active - set(accepted):
            assert matricule in rejected  # only a rejected row can keep an absent assignment

        again = import_export(db, data, allow_mass_departure=True, allow_mass_email_change=True)
        assert not again.changed
        assert again.unchanged == len({m for m, _ in accepted})


def _signing_in(db: Database) -> dict[str, str]:
    """Matricule -> reference e-mail of the accounts a person activated (even if disabled)."""
    with db.session() as session:
        rows = session.execute(
            sa.select(
                Person.matricule,
                Account.reference_email,
                Account.status,
                Account.status_before_disable,
            ).join(Account, Account.person_id == Person.id)
        ).all()
    active = AccountStatus.ACTIVE.value
    return {
        matricule: email
        for matricule, email, status, before in rows
        if email
        and (status == active or (status == AccountStatus.DISABLED.value and before == active))
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(st.lists(ROW, min_size=1, max_size=15), min_size=1, max_size=3),
    st.sets(st.sampled_from(MATRICULES)),
)
def test_an_activated_account_never_loses_its_reference_email(
    db: Database, exports: list[list[tuple[str, ...]]], activating: set[str]
) -> None:
    for rows in exports:
        with db.transaction() as session:
            session.execute(
                sa.update(Account)
                .where(
                    Account.person_id.in_(
                        sa.select(Person.id).where(Person.matricule.in_(activating))
                    ),
                    Account.reference_email.is_not(None),
                    Account.status != AccountStatus.DISABLED.value,
                )
                .values(status=AccountStatus.ACTIVE.value)
            )
        before = _signing_in(db)
        try:
            import_export(
                db, export_csv(rows), allow_mass_departure=True, allow_mass_email_change=True
            )
        except Exception as refused:  # a file with no valid row at all
            assert getattr(refused, "code", None) == "no_valid_rows"
            continue
        after = _signing_in(db)
        # Still activated, still an address to sign in with: the same one, or ProECO's new
        # valid one.
        assert before.keys() <= after.keys()
