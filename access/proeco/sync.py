"""The ProECO sync: the nightly export is the source of truth for staff.

The import is a sync, not an append: people are added, their changes applied, and whoever is
absent from the export is marked as having left (never deleted): account disabled, pending
links revoked, mission grants ended. Everything is audited with the actor `proeco-sync` and
runs in one transaction. Re-importing the same file writes nothing.

Speed matters (tens of thousands of rows every night): the whole stored state is loaded in a
few queries into dictionaries, the differences are computed in memory, and the changes are
written with bulk statements, never one ORM round trip per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, Unpack

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from access.accounts import tokens
from access.audit import PROECO_SYNC, Change, entry_values
from access.clock import as_utc, utcnow
from access.directory.functions import FunctionRef, function_of
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
from access.directory.profiles import Profiles, default_profiles
from access.emails import normalize_email, same_address
from access.errors import InvalidInput
from access.persistence.database import Database
from access.proeco.reader import ExportFile, ExportRow, RejectedRow, read_export

MASS_DEPARTURE_LIMIT = 0.20


class ImportRefused(InvalidInput):
    """The file is refused as a whole; nothing was written. `report` says what it would do."""

    default_user_message = "Le fichier ProECO a été refusé ; rien n'a été modifié."

    def __init__(self, code: str, *, detail: str, report: SyncReport | None = None) -> None:
        super().__init__(code, detail=detail)
        self.report = report


@dataclass(frozen=True)
class EmailToFix:
    line: int
    matricule: str
    email: str


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    email_changed: int = 0
    function_changed: int = 0
    left: int = 0
    unchanged: int = 0
    returned: int = 0
    assignments_ended: int = 0
    establishments_added: int = 0
    rows_read: int = 0
    rejected_rows: list[RejectedRow] = field(default_factory=list)
    emails_to_fix: list[EmailToFix] = field(default_factory=list)
    unknown_functions: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    applied: bool = False
    encoding: str = ""
    delimiter: str = ""

    @property
    def rejected(self) -> int:
        return len(self.rejected_rows)

    @property
    def changed(self) -> bool:
        return bool(
            self.added
            or self.updated
            or self.left
            or self.establishments_added
            or self.assignments_ended
        )

    def counts(self) -> dict[str, int]:
        return {
            "added": self.added,
            "updated": self.updated,
            "email_changed": self.email_changed,
            "function_changed": self.function_changed,
            "left": self.left,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.counts(),
            "returned": self.returned,
            "assignments_ended": self.assignments_ended,
            "establishments_added": self.establishments_added,
            "rows_read": self.rows_read,
            "changed": self.changed,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "rejected_rows": [asdict(row) for row in self.rejected_rows],
            "emails_to_fix": [asdict(item) for item in self.emails_to_fix],
            "unknown_functions": [
                {"code": code, "label": label} for code, label in self.unknown_functions.items()
            ],
        }


def import_export(
    target: Session | Database,
    source: Path | str | bytes,
    *,
    dry_run: bool = False,
    allow_mass_departure: bool = False,
    profiles: Profiles | None = None,
    now: datetime | None = None,
) -> SyncReport:
    """Sync the stored staff with a ProECO export; all or nothing.

    With a `Database` the import runs in its own transaction; with a `Session` it runs in the
    caller's, who commits. Raises `UnreadableExport` or `ImportRefused` (nothing written).
    """
    export = read_export(source)
    profiles = profiles if profiles is not None else default_profiles()
    moment = now or utcnow()
    if isinstance(target, Database):
        with target.transaction() as session:
            return _Sync(session, export, profiles, moment).run(dry_run, allow_mass_departure)
    return _Sync(target, export, profiles, moment).run(dry_run, allow_mass_departure)


class _PersonState(NamedTuple):
    id: int
    last_name: str
    first_name: str
    proeco_email: str | None
    proeco_email_valid: bool
    left_at: datetime | None


class _AssignmentState(NamedTuple):
    id: int
    function_code: str
    ended_at: datetime | None


class _AccountState(NamedTuple):
    id: int
    reference_email: str | None
    reference_email_chosen: bool
    status: str
    invited_at: datetime | None
    disabled_at: datetime | None
    status_before_disable: str | None


def _revoke_pending_tokens(session: Session, person_id: int, reason: str) -> None:
    """A link sent to an address that is no longer the person's, or to a person who left or
    whose assignment ended, stops working (invitation, reset, e-mail change, link code)."""
    tokens.revoke_for_person(session, person_id, reason=reason)


class _Sync:
    def __init__(
        self, session: Session, export: ExportFile, profiles: Profiles, now: datetime
    ) -> None:
        self.session = session
        self.export = export
        self.profiles = profiles
        self.now = now
        self.report = SyncReport(
            rows_read=len(export.rows) + len(export.rejected),
            rejected_rows=list(export.rejected),
            encoding=export.encoding,
            delimiter=export.delimiter,
        )
        self.audit: list[dict[str, Any]] = []
        self._email_cache: dict[str, tuple[str | None, bool]] = {}
        self._function_cache: dict[str, FunctionRef] = {}

    # -- loading -------------------------------------------------------------------------

    def _load(self) -> None:
        # Core selects on the tables: plain rows, no ORM bookkeeping for 100,000 objects.
        execute = self.session.connection().execute
        establishments, functions = Establishment.__table__.c, Function.__table__.c
        people, assignments, accounts = (
            Person.__table__.c,
            Assignment.__table__.c,
            Account.__table__.c,
        )
        self.establishments: dict[str, tuple[int, str]] = {
            fase: (id_, name)
            for id_, fase, name in execute(
                select(establishments.id, establishments.fase, establishments.name)
            )
        }
        self.fase_of: dict[int, str] = {id_: fase for fase, (id_, _) in self.establishments.items()}
        self.functions: dict[str, tuple[str, bool, bool]] = {
            code: (label, is_direction, known)
            for code, label, is_direction, known in execute(
                select(functions.code, functions.label, functions.is_direction, functions.known)
            )
        }
        self.people: dict[str, _PersonState] = {
            row[0]: _PersonState(row[1], row[2], row[3], row[4], row[5], as_utc(row[6]))
            for row in execute(
                select(
                    people.matricule,
                    people.id,
                    people.last_name,
                    people.first_name,
                    people.proeco_email,
                    people.proeco_email_valid,
                    people.left_at,
                )
            )
        }
        self.assignments: dict[int, dict[str, _AssignmentState]] = {}
        fase_of = self.fase_of
        for id_, person_id, establishment_id, code, ended_at in execute(
            select(
                assignments.id,
                assignments.person_id,
                assignments.establishment_id,
                assignments.function_code,
                assignments.ended_at,
            )
        ):
            self.assignments.setdefault(person_id, {})[fase_of[establishment_id]] = (
                _AssignmentState(id_, code, as_utc(ended_at))
            )
        self.accounts: dict[int, _AccountState] = {
            row[0]: _AccountState(*row[1:])
            for row in execute(
                select(
                    accounts.person_id,
                    accounts.id,
                    accounts.reference_email,
                    accounts.reference_email_chosen,
                    accounts.status,
                    accounts.invited_at,
                    accounts.disabled_at,
                    accounts.status_before_disable,
                )
            )
        }

    # -- helpers ---------------------------------------------------------------------------

    def _email(self, raw: str, stored: _PersonState | None) -> tuple[str | None, bool]:
        if not raw:
            return None, False
        if stored is not None and stored.proeco_email == raw:
            return raw, stored.proeco_email_valid
        cached = self._email_cache.get(raw)
        if cached is None:
            normalized = normalize_email(raw)
            cached = (normalized, True) if normalized is not None else (raw, False)
            self._email_cache[raw] = cached
        return cached

    def _function(self, raw: str) -> FunctionRef:
        ref = self._function_cache.get(raw)
        if ref is None:
            ref = function_of(raw, self.profiles)
            self._function_cache[raw] = ref
            if not ref.known:
                self.report.unknown_functions.setdefault(ref.code, ref.label)
        return ref

    def _audit(
        self, action: str, target_type: str, target_id: object, **change: Unpack[Change]
    ) -> None:
        entry = entry_values(
            actor=PROECO_SYNC,
            action=action,
            target_type=target_type,
            target_id=target_id,
            **change,
        )
        self.audit.append({**entry, "at": self.now})

    # -- the sync --------------------------------------------------------------------------

    def run(self, dry_run: bool, allow_mass_departure: bool) -> SyncReport:
        report = self.report
        report.dry_run = dry_run
        if not self.export.rows:
            raise ImportRefused(
                "no_valid_rows",
                detail=(
                    "the file has no valid data row"
                    + (f" ({report.rejected} rejected)" if report.rejected else "")
                ),
                report=report,
            )
        self._load()
        self._plan()
        known = sum(1 for person in self.people.values() if person.left_at is None)
        if known and report.left / known > MASS_DEPARTURE_LIMIT and not allow_mass_departure:
            raise ImportRefused(
                "mass_departure",
                detail=(
                    f"the file would mark {report.left} of the {known} known people "
                    f"({report.left / known:.0%}) as having left, more than "
                    f"{MASS_DEPARTURE_LIMIT:.0%}: a truncated export or the wrong file? "
                    "Nothing was changed; use --allow-mass-departure if it is expected"
                ),
                report=report,
            )
        if not dry_run and self._has_writes():
            self._apply()
            report.applied = True
        return report

    def _plan(self) -> None:
        self.new_functions: dict[str, dict[str, Any]] = {}
        self.changed_functions: list[dict[str, Any]] = []
        self.new_establishments: dict[str, str] = {}
        self.renamed_establishments: list[dict[str, Any]] = []
        self.new_people: list[tuple[dict[str, Any], dict[str, Any], list[tuple[str, str]]]] = []
        self.person_updates: list[dict[str, Any]] = []
        self.account_updates: list[dict[str, Any]] = []
        self.new_assignments: list[tuple[int, str, str]] = []
        self.assignment_updates: list[dict[str, Any]] = []
        self.reopened_assignments: list[dict[str, Any]] = []
        self.missing_accounts: list[dict[str, Any]] = []
        self.ended_pairs: list[tuple[int, str]] = []
        self.revocations: list[tuple[int, str]] = []

        self._plan_functions()
        self._plan_establishments()

        by_person: dict[str, list[ExportRow]] = {}
        for row in self.export.rows:
            by_person.setdefault(row.matricule, []).append(row)
        # A person named by a rejected row is left exactly as stored: the rejected row may be
        # their only assignment, which must not be read as a departure.
        protected = {row.matricule for row in self.export.rejected if row.matricule}

        for matricule, rows in by_person.items():
            stored = self.people.get(matricule)
            if stored is None:
                self._plan_new_person(matricule, rows)
            else:
                self._plan_known_person(stored, rows, protected=matricule in protected)
        for matricule, stored in self.people.items():
            if matricule not in by_person and matricule not in protected:
                self._plan_absent_person(stored)

    def _plan_functions(self) -> None:
        wanted: dict[str, tuple[str, bool, bool]] = {
            code: (profile.label, profile.is_direction, True)
            for code, profile in self.profiles.functions.items()
        }
        for raw in {row.function for row in self.export.rows}:
            ref = self._function(raw)
            wanted.setdefault(ref.code, (ref.label, ref.is_direction, ref.known))
        for code, (label, is_direction, known) in wanted.items():
            stored = self.functions.get(code)
            values = {"code": code, "label": label, "is_direction": is_direction, "known": known}
            if stored is None:
                self.new_functions[code] = values
            elif known and stored != (label, is_direction, known):
                self.changed_functions.append(values)

    def _plan_establishments(self) -> None:
        names: dict[str, str] = {}
        for row in self.export.rows:
            if not names.get(row.fase):
                names[row.fase] = row.establishment
        for fase, name in names.items():
            stored = self.establishments.get(fase)
            if stored is None:
                self.new_establishments[fase] = name or f"Établissement {fase}"
                self.report.establishments_added += 1
            elif name and name != stored[1]:
                self.renamed_establishments.append({"id": stored[0], "name": name})
                self._audit(
                    "establishment.renamed",
                    "establishment",
                    stored[0],
                    before={"name": stored[1]},
                    after={"name": name},
                )

    def _wanted_assignments(self, rows: list[ExportRow]) -> dict[str, str]:
        return {row.fase: self._function(row.function).code for row in rows}

    def _note_invalid_email(self, row: ExportRow, email: str | None, valid: bool) -> None:
        if not valid:
            self.report.emails_to_fix.append(EmailToFix(row.line, row.matricule, email or ""))

    def _plan_new_person(self, matricule: str, rows: list[ExportRow]) -> None:
        first = rows[0]
        email, valid = self._email(first.email, None)
        self._note_invalid_email(first, email, valid)
        person = {
            "matricule": matricule,
            "last_name": first.last_name,
            "first_name": first.first_name,
            "proeco_email": email,
            "proeco_email_valid": valid,
            "left_at": None,
            "created_at": self.now,
            "updated_at": self.now,
        }
        account = self._new_account(email, valid)
        self.new_people.append((person, account, list(self._wanted_assignments(rows).items())))
        self.report.added += 1

    def _new_account(self, email: str | None, valid: bool) -> dict[str, Any]:
        return {
            "reference_email": email if valid else None,
            "reference_email_chosen": False,
            "status": AccountStatus.NOT_INVITED.value,
            "created_at": self.now,
            "updated_at": self.now,
        }

    def _plan_known_person(
        self, stored: _PersonState, rows: list[ExportRow], *, protected: bool
    ) -> None:
        report = self.report
        first = rows[0]
        person_id = stored.id
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if first.last_name != stored.last_name:
            before["last_name"], after["last_name"] = stored.last_name, first.last_name
        if first.first_name != stored.first_name:
            before["first_name"], after["first_name"] = stored.first_name, first.first_name
        email, valid = self._email(first.email, stored)
        self._note_invalid_email(first, email, valid)
        email_changed = not (
            email == stored.proeco_email or same_address(email, stored.proeco_email)
        )
        if email_changed:
            before["proeco_email"], after["proeco_email"] = stored.proeco_email, email
        changed = bool(after)
        if after:
            self._audit("person.updated", "person", person_id, before=before, after=after)

        account = self.accounts.get(person_id)
        new_account = account
        returned = stored.left_at is not None
        if returned:
            self._audit(
                "person.returned",
                "person",
                person_id,
                before={"left_at": stored.left_at.isoformat()},
                reason="back in the ProECO export",
            )
            report.returned += 1
            changed = True
            if account is not None and account.status == AccountStatus.DISABLED.value:
                new_account = account._replace(
                    status=account.status_before_disable or AccountStatus.NOT_INVITED.value,
                    disabled_at=None,
                    status_before_disable=None,
                )
                self._audit(
                    "account.enabled",
                    "account",
                    account.id,
                    before={"status": account.status},
                    after={"status": new_account.status},
                    reason="back in the ProECO export",
                )
        if email_changed and new_account is not None and not new_account.reference_email_chosen:
            new_reference = email if valid else None
            if new_reference != new_account.reference_email:
                reset = new_account.status == AccountStatus.INVITED.value
                new_account = new_account._replace(
                    reference_email=new_reference,
                    status=AccountStatus.NOT_INVITED.value if reset else new_account.status,
                    invited_at=None if reset else new_account.invited_at,
                )
                self._audit(
                    "account.reference_email_changed",
                    "account",
                    new_account.id,
                    before={"reference_email": account.reference_email if account else None},
                    after={"reference_email": new_reference},
                    reason="ProECO e-mail changed"
                    + ("; the invitation sent to the old address is void" if reset else ""),
                )
                self.revocations.append((person_id, "ProECO e-mail changed"))
        if account is not None and new_account != account:
            self.account_updates.append(self._account_values(new_account))
        if account is None:
            # Someone recorded without an account (by hand, or before accounts existed).
            self.missing_accounts.append(
                {**self._new_account(email, valid), "person_id": person_id}
            )
            self._audit("account.created", "person", person_id, reason="person had no account")
            changed = True

        function_changed = self._plan_assignments(person_id, rows, protected=protected)
        changed = changed or function_changed[0]
        if changed or returned:
            self.person_updates.append(
                {
                    "id": person_id,
                    "last_name": first.last_name,
                    "first_name": first.first_name,
                    "proeco_email": email,
                    "proeco_email_valid": valid,
                    "left_at": None,
                    "updated_at": self.now,
                }
            )
        if changed:
            report.updated += 1
            report.email_changed += int(email_changed)
            report.function_changed += int(function_changed[1])
        else:
            report.unchanged += 1

    def _plan_assignments(
        self, person_id: int, rows: list[ExportRow], *, protected: bool
    ) -> tuple[bool, bool]:
        """Plan the person's assignment changes; returns (anything changed, function changed)."""
        stored = self.assignments.get(person_id, {})
        changed = function_changed = False
        for fase, code in self._wanted_assignments(rows).items():
            current = stored.get(fase)
            if current is None:
                self.new_assignments.append((person_id, fase, code))
                self._audit(
                    "assignment.added", "person", person_id, after={"fase": fase, "function": code}
                )
                changed = True
                continue
            if current.ended_at is None and current.function_code == code:
                continue
            changed = True
            if current.function_code != code:
                function_changed = True
                self._audit(
                    "assignment.function_changed",
                    "person",
                    person_id,
                    before={"fase": fase, "function": current.function_code},
                    after={"fase": fase, "function": code},
                )
            if current.ended_at is not None:
                self._audit(
                    "assignment.reopened",
                    "person",
                    person_id,
                    after={"fase": fase, "function": code},
                )
            if current.ended_at is not None:
                self.reopened_assignments.append(
                    {
                        "id": current.id,
                        "function_code": code,
                        "started_at": self.now,
                        "ended_at": None,
                    }
                )
            else:
                self.assignment_updates.append(
                    {"id": current.id, "function_code": code, "ended_at": None}
                )
        if not protected:
            wanted = {row.fase for row in rows}
            for fase, current in stored.items():
                if fase not in wanted and current.ended_at is None:
                    self._end_assignment(person_id, fase, current)
                    changed = True
        return changed, function_changed

    def _end_assignment(self, person_id: int, fase: str, current: _AssignmentState) -> None:
        self.assignment_updates.append(
            {
                "id": current.id,
                "function_code": current.function_code,
                "ended_at": self.now,
            }
        )
        self.ended_pairs.append((person_id, fase))
        self.report.assignments_ended += 1
        self.revocations.append((person_id, "assignment ended (ProECO export)"))
        self._audit(
            "assignment.ended",
            "person",
            person_id,
            before={"fase": fase, "function": current.function_code},
            reason="absent from the ProECO export",
        )

    def _plan_absent_person(self, stored: _PersonState) -> None:
        if stored.left_at is not None:
            return
        person_id = stored.id
        for fase, current in self.assignments.get(person_id, {}).items():
            if current.ended_at is None:
                self._end_assignment(person_id, fase, current)
        self.person_updates.append(
            {
                "id": person_id,
                "last_name": stored.last_name,
                "first_name": stored.first_name,
                "proeco_email": stored.proeco_email,
                "proeco_email_valid": stored.proeco_email_valid,
                "left_at": self.now,
                "updated_at": self.now,
            }
        )
        self._audit("person.left", "person", person_id, reason="absent from the ProECO export")
        self.report.left += 1
        account = self.accounts.get(person_id)
        if account is not None and account.status != AccountStatus.DISABLED.value:
            disabled = account._replace(
                status=AccountStatus.DISABLED.value,
                disabled_at=self.now,
                status_before_disable=account.status,
            )
            self.account_updates.append(self._account_values(disabled))
            self._audit(
                "account.disabled",
                "account",
                account.id,
                before={"status": account.status},
                after={"status": AccountStatus.DISABLED.value},
                reason="left every establishment (ProECO export)",
            )
        self.revocations.append((person_id, "left every establishment (ProECO export)"))

    def _account_values(self, account: _AccountState) -> dict[str, Any]:
        return {
            "id": account.id,
            "reference_email": account.reference_email,
            "status": account.status,
            "invited_at": account.invited_at,
            "disabled_at": account.disabled_at,
            "status_before_disable": account.status_before_disable,
            "updated_at": self.now,
        }

    # -- writing ---------------------------------------------------------------------------

    def _has_writes(self) -> bool:
        return bool(
            self.new_functions
            or self.changed_functions
            or self.new_establishments
            or self.renamed_establishments
            or self.new_people
            or self.person_updates
            or self.account_updates
            or self.new_assignments
            or self.assignment_updates
            or self.reopened_assignments
            or self.missing_accounts
            or self.audit
        )

    def _apply(self) -> None:
        session = self.session
        if self.new_functions:
            session.execute(insert(Function), list(self.new_functions.values()))
        if self.changed_functions:
            session.execute(update(Function), self.changed_functions)
        if self.new_establishments:
            created = session.execute(
                insert(Establishment).returning(
                    Establishment.id, Establishment.fase, sort_by_parameter_order=True
                ),
                [
                    {"fase": fase, "name": name, "created_at": self.now, "updated_at": self.now}
                    for fase, name in self.new_establishments.items()
                ],
            )
            for id_, fase in created:
                self.establishments[fase] = (id_, self.new_establishments[fase])
                self._audit("establishment.added", "establishment", id_, after={"fase": fase})
        if self.renamed_establishments:
            session.execute(
                update(Establishment),
                [{**values, "updated_at": self.now} for values in self.renamed_establishments],
            )
        establishment_id = {fase: id_ for fase, (id_, _) in self.establishments.items()}
        assignments: list[dict[str, Any]] = [
            {
                "person_id": person_id,
                "establishment_id": establishment_id[fase],
                "function_code": code,
                "started_at": self.now,
            }
            for person_id, fase, code in self.new_assignments
        ]
        if self.new_people:
            self._insert_people(establishment_id, assignments)
        if assignments:
            session.execute(insert(Assignment.__table__), assignments)
        if self.missing_accounts:
            session.execute(insert(Account.__table__), self.missing_accounts)
        if self.person_updates:
            session.execute(update(Person), self.person_updates)
        if self.account_updates:
            session.execute(update(Account), self.account_updates)
        if self.assignment_updates:
            session.execute(update(Assignment), self.assignment_updates)
        if self.reopened_assignments:
            session.execute(update(Assignment), self.reopened_assignments)
        if self.ended_pairs:
            self._end_grants({(p, establishment_id[fase]) for p, fase in self.ended_pairs})
        # One revocation per person; the last reason (e.g. "left") is the most telling.
        for person_id, reason in dict(self.revocations).items():
            _revoke_pending_tokens(session, person_id, reason)
        self._audit("proeco.imported", "import", None, after=self.report.counts())
        session.execute(insert(AuditEntry.__table__), self.audit)
        session.expire_all()

    def _insert_people(
        self, establishment_id: dict[str, int], assignments: list[dict[str, Any]]
    ) -> None:
        session = self.session
        # Core executemany, then one query for the new ids: several times faster than the
        # ORM's bulk insert with RETURNING on tens of thousands of rows.
        session.execute(insert(Person.__table__), [person for person, _, _ in self.new_people])
        id_of = dict(session.execute(select(Person.matricule, Person.id)).all())
        accounts = []
        for person, account, wanted in self.new_people:
            person_id = id_of[person["matricule"]]
            accounts.append({**account, "person_id": person_id})
            for fase, code in wanted:
                assignments.append(
                    {
                        "person_id": person_id,
                        "establishment_id": establishment_id[fase],
                        "function_code": code,
                        "started_at": self.now,
                    }
                )
            self._audit(
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

    def _end_grants(self, pairs: Iterable[tuple[int, int]]) -> None:
        ending = set(pairs)
        rows = self.session.execute(
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
            if ends_at is not None and ends_at <= self.now:
                continue
            ended.append({"id": grant_id, "revoked_at": self.now})
            self._audit(
                "grant.ended",
                "grant",
                grant_id,
                reason="the person left the establishment (ProECO export)",
            )
        if ended:
            self.session.execute(update(MissionGrant), ended)
