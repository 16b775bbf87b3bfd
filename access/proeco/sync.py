"""The ProECO sync: the nightly export is the source of truth for staff.

The import is a sync, not an append: people are added, their changes applied, and whoever is
absent from the export is marked as having left (never deleted): account disabled, pending
links revoked, mission grants ended. Everything is audited with the actor `proeco-sync` and
runs in one transaction. Re-importing the same file writes nothing.

Speed matters (tens of thousands of rows every night): the whole stored state is loaded in a
few queries into dictionaries (`stored`), the differences are computed in memory (`plan`), and
the changes are written with bulk statements, never one ORM round trip per row (`apply`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from access.clock import utcnow
from access.directory.profiles import Profiles, default_profiles
from access.errors import InvalidInput
from access.persistence.database import Database
from access.proeco.apply import apply_plan
from access.proeco.plan import plan_sync
from access.proeco.reader import ExportFile, read_export
from access.proeco.report import SyncReport
from access.proeco.stored import StoredState, load_stored

# SyncReport is re-exported: callers of `import_export` read its result.
__all__ = [
    "MASS_DEPARTURE_LIMIT",
    "MASS_EMAIL_CHANGE_LIMIT",
    "ImportRefused",
    "SyncReport",
    "import_export",
]

MASS_DEPARTURE_LIMIT = 0.20
MASS_EMAIL_CHANGE_LIMIT = 0.20


class ImportRefused(InvalidInput):
    """The file is refused as a whole; nothing was written. `report` says what it would do."""

    default_user_message = "Le fichier ProECO a été refusé ; rien n'a été modifié."

    def __init__(self, code: str, *, detail: str, report: SyncReport | None = None) -> None:
        super().__init__(code, detail=detail)
        self.report = report


def import_export(
    db: Database,
    source: Path | str | bytes,
    *,
    dry_run: bool = False,
    allow_mass_departure: bool = False,
    allow_mass_email_change: bool = False,
    profiles: Profiles | None = None,
    now: datetime | None = None,
) -> SyncReport:
    """Sync the stored staff with a ProECO export, in one transaction of its own: all or
    nothing (a process, docs/architecture.md). Raises `UnreadableExport` or `ImportRefused`
    (nothing written)."""
    export = read_export(source)
    profiles = profiles if profiles is not None else default_profiles()
    moment = now or utcnow()
    with db.transaction() as session:
        return _sync(
            session,
            export,
            profiles,
            moment,
            dry_run=dry_run,
            allow_mass_departure=allow_mass_departure,
            allow_mass_email_change=allow_mass_email_change,
        )


def _sync(
    session: Session,
    export: ExportFile,
    profiles: Profiles,
    now: datetime,
    *,
    dry_run: bool,
    allow_mass_departure: bool,
    allow_mass_email_change: bool,
) -> SyncReport:
    report = SyncReport(
        rows_read=len(export.rows) + len(export.rejected),
        rejected_rows=list(export.rejected),
        encoding=export.encoding,
        delimiter=export.delimiter,
        dry_run=dry_run,
    )
    if not export.rows:
        raise ImportRefused(
            "no_valid_rows",
            detail=(
                "the file has no valid data row"
                + (f" ({report.rejected} rejected)" if report.rejected else "")
            ),
            report=report,
        )
    stored = load_stored(session)
    plan = plan_sync(stored, export, profiles, report, now)
    if not allow_mass_departure:
        _refuse_a_mass_departure(stored, report)
    if not allow_mass_email_change:
        _refuse_a_mass_email_change(stored, report)
    if not dry_run and plan.has_writes():
        establishment_ids = {fase: id_ for fase, (id_, _) in stored.establishments.items()}
        apply_plan(session, plan, establishment_ids)
        report.applied = True
    return report


def _refuse_a_mass_departure(stored: StoredState, report: SyncReport) -> None:
    """A truncated export or the wrong file would mark most of the staff as having left."""
    known = sum(1 for person in stored.people.values() if person.left_at is None)
    if known and report.left / known > MASS_DEPARTURE_LIMIT:
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


def _refuse_a_mass_email_change(stored: StoredState, report: SyncReport) -> None:
    """A shifted or wrong e-mail column would send every invitation and reset link to the
    wrong address, or to none."""
    known = sum(1 for p in stored.people.values() if p.left_at is None and p.proeco_email)
    changed = report.email_changed_or_emptied
    if known and changed / known > MASS_EMAIL_CHANGE_LIMIT:
        emptied = f", {report.email_emptied} of them emptied" if report.email_emptied else ""
        raise ImportRefused(
            "mass_email_change",
            detail=(
                f"the file would change the e-mail of {changed} of the {known} people who have "
                f"one ({changed / known:.0%}{emptied}), more than "
                f"{MASS_EMAIL_CHANGE_LIMIT:.0%}: a shifted or wrong e-mail column? "
                "Nothing was changed; use --allow-mass-email-change if it is expected"
            ),
            report=report,
        )
