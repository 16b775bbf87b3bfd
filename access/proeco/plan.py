"""The change plan of a sync: every write, computed in memory from the stored state and the
export, before anything is written (so a refused or dry-run import writes nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Unpack

from access.audit import PROECO_SYNC, Change, entry_values
from access.directory.functions import FunctionRef, function_of
from access.directory.models import AccountStatus
from access.directory.profiles import Profiles
from access.emails import normalize_email, same_address
from access.proeco.reader import ExportFile, ExportRow
from access.proeco.report import EmailToFix, SyncReport
from access.proeco.stored import AccountState, AssignmentState, PersonState, StoredState

# A new person: their row, their account's row (person id filled in once known) and their
# (FASE, function code) assignments.
NewPerson = tuple[dict[str, Any], dict[str, Any], list[tuple[str, str]]]


@dataclass
class Plan:
    """The rows to insert and update, table by table, and the audit entries to add."""

    now: datetime
    report: SyncReport
    new_functions: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed_functions: list[dict[str, Any]] = field(default_factory=list)
    new_establishments: dict[str, str] = field(default_factory=dict)  # FASE -> name
    renamed_establishments: list[dict[str, Any]] = field(default_factory=list)
    new_people: list[NewPerson] = field(default_factory=list)
    person_updates: list[dict[str, Any]] = field(default_factory=list)
    account_updates: list[dict[str, Any]] = field(default_factory=list)
    new_assignments: list[tuple[int, str, str]] = field(default_factory=list)
    assignment_updates: list[dict[str, Any]] = field(default_factory=list)
    reopened_assignments: list[dict[str, Any]] = field(default_factory=list)
    missing_accounts: list[dict[str, Any]] = field(default_factory=list)
    ended_pairs: list[tuple[int, str]] = field(default_factory=list)  # (person id, FASE)
    revocations: list[tuple[int, str]] = field(default_factory=list)  # (person id, reason)
    audit: list[dict[str, Any]] = field(default_factory=list)

    def note(
        self, action: str, target_type: str, target_id: object, **change: Unpack[Change]
    ) -> None:
        """Add an audit entry by the actor `proeco-sync`."""
        entry = entry_values(
            actor=PROECO_SYNC,
            action=action,
            target_type=target_type,
            target_id=target_id,
            **change,
        )
        self.audit.append({**entry, "at": self.now})

    def has_writes(self) -> bool:
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


def plan_sync(
    stored: StoredState,
    export: ExportFile,
    profiles: Profiles,
    report: SyncReport,
    now: datetime,
) -> Plan:
    """The plan that makes the stored staff match the export; counts go into `report`."""
    return _Planner(stored, export, profiles, Plan(now, report)).plan()


class _Planner:
    def __init__(
        self, stored: StoredState, export: ExportFile, profiles: Profiles, plan: Plan
    ) -> None:
        self.stored = stored
        self.export = export
        self.profiles = profiles
        self.result = plan
        self.report = plan.report
        self.now = plan.now
        self._email_cache: dict[str, tuple[str | None, bool]] = {}
        self._function_cache: dict[str, FunctionRef] = {}

    def plan(self) -> Plan:
        self._plan_functions()
        self._plan_establishments()
        by_person: dict[str, list[ExportRow]] = {}
        for row in self.export.rows:
            by_person.setdefault(row.matricule, []).append(row)
        # A person named by a rejected row is left exactly as stored: the rejected row may be
        # their only assignment, which must not be read as a departure.
        protected = {row.matricule for row in self.export.rejected if row.matricule}
        for matricule, rows in by_person.items():
            stored = self.stored.people.get(matricule)
            if stored is None:
                self._plan_new_person(matricule, rows)
            else:
                self._plan_known_person(stored, rows, protected=matricule in protected)
        for matricule, stored in self.stored.people.items():
            if matricule not in by_person and matricule not in protected:
                self._plan_absent_person(stored)
        return self.result

    # -- reading the export ------------------------------------------------------------------

    def _email(self, raw: str, stored: PersonState | None) -> tuple[str | None, bool]:
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

    def _wanted_assignments(self, rows: list[ExportRow]) -> dict[str, str]:
        return {row.fase: self._function(row.function).code for row in rows}

    def _note_invalid_email(
        self, row: ExportRow, email: str | None, valid: bool, *, reference_kept: bool = False
    ) -> None:
        if not valid:
            self.report.emails_to_fix.append(
                EmailToFix(row.line, row.matricule, email or "", reference_kept)
            )

    # -- functions and establishments --------------------------------------------------------

    def _plan_functions(self) -> None:
        wanted: dict[str, tuple[str, bool, bool]] = {
            code: (profile.label, profile.is_direction, True)
            for code, profile in self.profiles.functions.items()
        }
        for raw in {row.function for row in self.export.rows}:
            ref = self._function(raw)
            wanted.setdefault(ref.code, (ref.label, ref.is_direction, ref.known))
        for code, (label, is_direction, known) in wanted.items():
            stored = self.stored.functions.get(code)
            values = {"code": code, "label": label, "is_direction": is_direction, "known": known}
            if stored is None:
                self.result.new_functions[code] = values
            elif known and stored != (label, is_direction, known):
                self.result.changed_functions.append(values)

    def _plan_establishments(self) -> None:
        names: dict[str, str] = {}
        for row in self.export.rows:
            if not names.get(row.fase):
                names[row.fase] = row.establishment
        for fase, name in names.items():
            stored = self.stored.establishments.get(fase)
            if stored is None:
                self.result.new_establishments[fase] = name or f"Établissement {fase}"
                self.report.establishments_added += 1
            elif name and name != stored[1]:
                self.result.renamed_establishments.append({"id": stored[0], "name": name})
                self.result.note(
                    "establishment.renamed",
                    "establishment",
                    stored[0],
                    before={"name": stored[1]},
                    after={"name": name},
                )

    # -- people ------------------------------------------------------------------------------

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
        self.result.new_people.append(
            (person, account, list(self._wanted_assignments(rows).items()))
        )
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
        self, stored: PersonState, rows: list[ExportRow], *, protected: bool
    ) -> None:
        first = rows[0]
        email, valid = self._email(first.email, stored)
        email_changed = not (
            email == stored.proeco_email or same_address(email, stored.proeco_email)
        )
        if email_changed and stored.proeco_email and stored.left_at is None:
            # The figure the mass e-mail change limit is checked against.
            self.report.email_changed_or_emptied += 1
            self.report.email_emptied += int(email is None)
        details_changed = self._plan_person_details(
            stored, first, email, email_changed=email_changed
        )
        returned = stored.left_at is not None
        if stored.left_at is not None:
            self._plan_return(stored.id, stored.left_at)
        account_created, reference_kept = self._plan_account(
            stored, email, valid, email_changed=email_changed
        )
        self._note_invalid_email(first, email, valid, reference_kept=reference_kept)
        assignments_changed, function_changed = self._plan_assignments(
            stored.id, rows, protected=protected
        )
        if not (details_changed or returned or account_created or assignments_changed):
            self.report.unchanged += 1
            return
        self.result.person_updates.append(
            {
                "id": stored.id,
                "last_name": first.last_name,
                "first_name": first.first_name,
                "proeco_email": email,
                "proeco_email_valid": valid,
                "left_at": None,
                "updated_at": self.now,
            }
        )
        self.report.updated += 1
        self.report.email_changed += int(email_changed)
        self.report.function_changed += int(function_changed)

    def _plan_person_details(
        self, stored: PersonState, first: ExportRow, email: str | None, *, email_changed: bool
    ) -> bool:
        """Audit a changed name or ProECO e-mail; returns whether there was one."""
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if first.last_name != stored.last_name:
            before["last_name"], after["last_name"] = stored.last_name, first.last_name
        if first.first_name != stored.first_name:
            before["first_name"], after["first_name"] = stored.first_name, first.first_name
        if email_changed:
            before["proeco_email"], after["proeco_email"] = stored.proeco_email, email
        if after:
            self.result.note("person.updated", "person", stored.id, before=before, after=after)
        return bool(after)

    def _plan_return(self, person_id: int, left_at: datetime) -> None:
        self.result.note(
            "person.returned",
            "person",
            person_id,
            before={"left_at": left_at.isoformat()},
            reason="back in the ProECO export",
        )
        self.report.returned += 1

    def _plan_account(
        self, stored: PersonState, email: str | None, valid: bool, *, email_changed: bool
    ) -> tuple[bool, bool]:
        """Plan the account's changes; returns (the person had none and gets one, the
        activated account signs in with a reference e-mail although ProECO's is empty or
        invalid)."""
        person_id = stored.id
        account = self.stored.accounts.get(person_id)
        if account is None:
            # Someone recorded without an account (by hand, or before accounts existed).
            self.result.missing_accounts.append(
                {**self._new_account(email, valid), "person_id": person_id}
            )
            self.result.note("account.created", "person", person_id, reason="person had no account")
            return True, False
        new_account = account
        if stored.left_at is not None:
            new_account = self._enabled_again(account)
        kept = not valid and _activated(new_account) and bool(new_account.reference_email)
        if email_changed and not new_account.reference_email_chosen:
            if kept:
                self._keep_reference_email(new_account, email)
            else:
                new_account = self._with_reference_email(
                    person_id, account, new_account, email if valid else None
                )
        if new_account != account:
            self.result.account_updates.append(self._account_values(new_account))
        return False, kept

    def _keep_reference_email(self, account: AccountState, email: str | None) -> None:
        """An activated account signs in with its reference e-mail: an empty or invalid cell
        in the export must not lock the person out (the address is listed to fix instead)."""
        self.result.note(
            "account.reference_email_kept",
            "account",
            account.id,
            before={"reference_email": account.reference_email},
            after={"proeco_email": email},
            reason="ProECO e-mail empty or invalid; the activated account keeps its address",
        )

    def _enabled_again(self, account: AccountState) -> AccountState:
        """A returning person's disabled account gets back the status it had."""
        if account.status != AccountStatus.DISABLED.value:
            return account
        enabled = account._replace(
            status=account.status_before_disable or AccountStatus.NOT_INVITED.value,
            disabled_at=None,
            status_before_disable=None,
        )
        self.result.note(
            "account.enabled",
            "account",
            account.id,
            before={"status": account.status},
            after={"status": enabled.status},
            reason="back in the ProECO export",
        )
        return enabled

    def _with_reference_email(
        self,
        person_id: int,
        account: AccountState,
        new_account: AccountState,
        new_reference: str | None,
    ) -> AccountState:
        """The reference e-mail follows ProECO's; an invitation sent to the old one is void."""
        if new_reference == new_account.reference_email:
            return new_account
        reset = new_account.status == AccountStatus.INVITED.value
        updated = new_account._replace(
            reference_email=new_reference,
            status=AccountStatus.NOT_INVITED.value if reset else new_account.status,
            invited_at=None if reset else new_account.invited_at,
        )
        self.result.note(
            "account.reference_email_changed",
            "account",
            updated.id,
            before={"reference_email": account.reference_email},
            after={"reference_email": new_reference},
            reason="ProECO e-mail changed"
            + ("; the invitation sent to the old address is void" if reset else ""),
        )
        self.result.revocations.append((person_id, "ProECO e-mail changed"))
        return updated

    def _plan_assignments(
        self, person_id: int, rows: list[ExportRow], *, protected: bool
    ) -> tuple[bool, bool]:
        """Plan the person's assignment changes; returns (anything changed, function changed)."""
        stored = self.stored.assignments.get(person_id, {})
        changed = function_changed = False
        for fase, code in self._wanted_assignments(rows).items():
            current = stored.get(fase)
            if current is None:
                self.result.new_assignments.append((person_id, fase, code))
                self.result.note(
                    "assignment.added", "person", person_id, after={"fase": fase, "function": code}
                )
                changed = True
                continue
            if current.ended_at is None and current.function_code == code:
                continue
            changed = True
            if current.function_code != code:
                function_changed = True
                self.result.note(
                    "assignment.function_changed",
                    "person",
                    person_id,
                    before={"fase": fase, "function": current.function_code},
                    after={"fase": fase, "function": code},
                )
            if current.ended_at is not None:
                self.result.note(
                    "assignment.reopened",
                    "person",
                    person_id,
                    after={"fase": fase, "function": code},
                )
            if current.ended_at is not None:
                self.result.reopened_assignments.append(
                    {
                        "id": current.id,
                        "function_code": code,
                        "started_at": self.now,
                        "ended_at": None,
                    }
                )
            else:
                self.result.assignment_updates.append(
                    {"id": current.id, "function_code": code, "ended_at": None}
                )
        if not protected:
            wanted = {row.fase for row in rows}
            for fase, current in stored.items():
                if fase not in wanted and current.ended_at is None:
                    self._end_assignment(person_id, fase, current)
                    changed = True
        return changed, function_changed

    def _end_assignment(self, person_id: int, fase: str, current: AssignmentState) -> None:
        self.result.assignment_updates.append(
            {
                "id": current.id,
                "function_code": current.function_code,
                "ended_at": self.now,
            }
        )
        self.result.ended_pairs.append((person_id, fase))
        self.report.assignments_ended += 1
        self.result.revocations.append((person_id, "assignment ended (ProECO export)"))
        self.result.note(
            "assignment.ended",
            "person",
            person_id,
            before={"fase": fase, "function": current.function_code},
            reason="absent from the ProECO export",
        )

    def _plan_absent_person(self, stored: PersonState) -> None:
        if stored.left_at is not None:
            return
        person_id = stored.id
        for fase, current in self.stored.assignments.get(person_id, {}).items():
            if current.ended_at is None:
                self._end_assignment(person_id, fase, current)
        self.result.person_updates.append(
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
        self.result.note("person.left", "person", person_id, reason="absent from the ProECO export")
        self.report.left += 1
        account = self.stored.accounts.get(person_id)
        if account is not None and account.status != AccountStatus.DISABLED.value:
            disabled = account._replace(
                status=AccountStatus.DISABLED.value,
                disabled_at=self.now,
                status_before_disable=account.status,
            )
            self.result.account_updates.append(self._account_values(disabled))
            self.result.note(
                "account.disabled",
                "account",
                account.id,
                before={"status": account.status},
                after={"status": AccountStatus.DISABLED.value},
                reason="left every establishment (ProECO export)",
            )
        self.result.revocations.append((person_id, "left every establishment (ProECO export)"))

    def _account_values(self, account: AccountState) -> dict[str, Any]:
        return {
            "id": account.id,
            "reference_email": account.reference_email,
            "status": account.status,
            "invited_at": account.invited_at,
            "disabled_at": account.disabled_at,
            "status_before_disable": account.status_before_disable,
            "updated_at": self.now,
        }


def _activated(account: AccountState) -> bool:
    """The person chose a password and signs in with the reference e-mail (a disabled account
    remembers whether it was)."""
    if account.status == AccountStatus.DISABLED.value:
        return account.status_before_disable == AccountStatus.ACTIVE.value
    return account.status == AccountStatus.ACTIVE.value
