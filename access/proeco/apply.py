"""Writing a sync's plan: bulk statements table by table, never one ORM round trip per row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Executable, insert, select, update
from sqlalchemy.orm import Session

from access.accounts import tokens
from access.clock import as_utc
from access.directory.models import (
    Account,
    Assignment,
    AuditEntry,
    Establishment,
    Function,
    MissionGrant,
    Person,
)
from access.proeco.plan import Plan


def apply_plan(session: Session, plan: Plan, establishment_ids: Mapping[str, int]) -> None:
    """Write the plan in the caller's transaction; `establishment_ids` are the stored ones."""
    _write_functions(session, plan)
    establishment_id = {**establishment_ids, **_write_establishments(session, plan)}
    assignments = [
        _assignment_row(plan, person_id, establishment_id[fase], code)
        for person_id, fase, code in plan.new_assignments
    ]
    if plan.new_people:
        _insert_people(session, plan, establishment_id, assignments)
    _write_rows(session, plan, assignments)
    if plan.ended_pairs:
        _end_grants(session, plan, {(p, establishment_id[fase]) for p, fase in plan.ended_pairs})
    # One revocation per person; the last reason (e.g. "left") is the most telling.
    for person_id, reason in dict(plan.revocations).items():
        _revoke_pending_tokens(session, person_id, reason)
    plan.note("proeco.imported", "import", None, after=plan.report.counts())
    session.execute(insert(AuditEntry.__table__), plan.audit)
    session.expire_all()


def _revoke_pending_tokens(session: Session, person_id: int, reason: str) -> None:
    """A link sent to an address that is no longer the person's, or to a person who left or
    whose assignment ended, stops working (invitation, reset, e-mail change, link code)."""
    tokens.revoke_for_person(session, person_id, reason=reason)


def _write_functions(session: Session, plan: Plan) -> None:
    if plan.new_functions:
        session.execute(insert(Function), list(plan.new_functions.values()))
    if plan.changed_functions:
        session.execute(update(Function), plan.changed_functions)


def _write_establishments(session: Session, plan: Plan) -> dict[str, int]:
    """Insert the new establishments and rename the others; returns the new ids by FASE."""
    added: dict[str, int] = {}
    if plan.new_establishments:
        created = session.execute(
            insert(Establishment).returning(
                Establishment.id, Establishment.fase, sort_by_parameter_order=True
            ),
            [
                {"fase": fase, "name": name, "created_at": plan.now, "updated_at": plan.now}
                for fase, name in plan.new_establishments.items()
            ],
        )
        for id_, fase in created:
            added[fase] = id_
            plan.note("establishment.added", "establishment", id_, after={"fase": fase})
    if plan.renamed_establishments:
        session.execute(
            update(Establishment),
            [{**values, "updated_at": plan.now} for values in plan.renamed_establishments],
        )
    return added


def _assignment_row(
    plan: Plan, person_id: int, establishment_id: int, function_code: str
) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "establishment_id": establishment_id,
        "function_code": function_code,
        "started_at": plan.now,
    }


def _insert_people(
    session: Session,
    plan: Plan,
    establishment_id: Mapping[str, int],
    assignments: list[dict[str, Any]],
) -> None:
    """Insert the new people and their accounts; their assignments join `assignments`."""
    # Core executemany, then one query for the new ids: several times faster than the
    # ORM's bulk insert with RETURNING on tens of thousands of rows.
    session.execute(insert(Person.__table__), [person for person, _, _ in plan.new_people])
    id_of = dict(session.execute(select(Person.matricule, Person.id)).all())
    accounts = []
    for person, account, wanted in plan.new_people:
        person_id = id_of[person["matricule"]]
        accounts.append({**account, "person_id": person_id})
        assignments.extend(
            _assignment_row(plan, person_id, establishment_id[fase], code) for fase, code in wanted
        )
        plan.note(
            "person.added",
            "person",
            person_id,
            after={
                "matricule": person["matricule"],
                "last_name": person["last_name"],
                "first_name": person["first_name"],
                "proeco_email": person["proeco_email"],
                "assignments": [{"fase": fase, "function": code} for fase, code in wanted],
            },
        )
    session.execute(insert(Account.__table__), accounts)


def _write_rows(session: Session, plan: Plan, assignments: list[dict[str, Any]]) -> None:
    """The remaining inserts and updates, in an order the foreign keys accept."""
    statements: list[tuple[Executable, list[dict[str, Any]]]] = [
        (insert(Assignment.__table__), assignments),
        (insert(Account.__table__), plan.missing_accounts),
        (update(Person), plan.person_updates),
        (update(Account), plan.account_updates),
        (update(Assignment), plan.assignment_updates),
        (update(Assignment), plan.reopened_assignments),
    ]
    for statement, rows in statements:
        if rows:
            session.execute(statement, rows)


def _end_grants(session: Session, plan: Plan, pairs: Iterable[tuple[int, int]]) -> None:
    """Mission grants of a person in an establishment they left end with the assignment."""
    ending = set(pairs)
    rows = session.execute(
        select(
            MissionGrant.id,
            MissionGrant.person_id,
            MissionGrant.establishment_id,
            MissionGrant.ends_at,
        ).where(MissionGrant.revoked_at.is_(None))
    ).all()
    ended = []
    for grant_id, person_id, establishment_id, ends_at in rows:
        ends_at = as_utc(ends_at)
        if (person_id, establishment_id) not in ending:
            continue
        if ends_at is not None and ends_at <= plan.now:
            continue
        ended.append({"id": grant_id, "revoked_at": plan.now})
        plan.note(
            "grant.ended",
            "grant",
            grant_id,
            reason="the person left the establishment (ProECO export)",
        )
    if ended:
        session.execute(update(MissionGrant), ended)
