"""The nightly ProECO import from the drop folder: the newest complete file, imported with the
CLI's rules and valves, archived with its report; a refused file alerts and changes nothing."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from access.directory.models import Person
from access.persistence.database import Database
from bot.settings import Settings
from scheduling import runs
from scheduling.jobs import JOBS, JobContext
from scheduling.models import JobRun
from scheduling.runner import run_job
from tests.access.exports import export_csv, person
from tests.scheduler.conftest import RecordedAlerts

NOW = datetime(2026, 3, 3, 1, 30, tzinfo=UTC)
STAFF = [person(f"{1000 + n}", f"Nom{n}", f"Prénom{n}") for n in range(10)]


def _drop(folder: Path, name: str, data: bytes, *, age: timedelta) -> Path:
    path = folder / name
    path.write_bytes(data)
    moment = (NOW - age).timestamp()
    os.utime(path, (moment, moment))
    return path


def _people(db: Database) -> dict[str, str | None]:
    with db.session() as session:
        return {p.matricule: p.proeco_email for p in session.scalars(sa.select(Person))}


def _run(ctx: JobContext) -> JobRun:
    run_job(ctx, JOBS["proeco-import"], slot=runs.slot_key(ctx.now), trigger=runs.SCHEDULE)
    with ctx.db.session() as session:
        record = session.scalars(sa.select(JobRun).order_by(JobRun.id.desc())).first()
        assert record is not None
        session.expunge(record)
        return record


def test_the_newest_complete_file_is_imported_then_archived_with_its_report(
    db: Database, job_settings: Settings, context_at: Callable[..., JobContext]
) -> None:
    drop = job_settings.proeco_drop_dir
    assert drop is not None
    _drop(drop, "export-lundi.csv", export_csv(STAFF[:3]), age=timedelta(days=1))
    _drop(drop, "export-mardi.csv", export_csv(STAFF), age=timedelta(hours=1))
    record = _run(context_at(NOW))
    assert record.outcome == "success"
    assert record.detail == "export-mardi.csv imported: 10 added"
    assert record.counts["added"] == 10 and record.counts["superseded"] == 1
    assert len(_people(db)) == 10
    assert sorted(p.name for p in drop.iterdir()) == ["archive"]
    archived = sorted(p.name for p in (drop / "archive").iterdir())
    assert archived == [
        "20260303T013000Z-export-lundi.csv",
        "20260303T013000Z-export-lundi.csv.report.json",
        "20260303T013000Z-export-mardi.csv",
        "20260303T013000Z-export-mardi.csv.report.json",
    ]
    report = json.loads((drop / "archive" / archived[3]).read_text(encoding="utf-8"))
    assert report["imported"] is True and report["report"]["added"] == 10
    superseded = json.loads((drop / "archive" / archived[1]).read_text(encoding="utf-8"))
    assert superseded["superseded_by"] == "export-mardi.csv"
    # The next night, nothing new: nothing imported, and that is a success.
    later = _run(context_at(NOW + timedelta(days=1)))
    assert (later.outcome, later.detail) == ("success", "no new file")


def test_a_file_still_being_written_is_not_imported(
    db: Database, job_settings: Settings, context_at: Callable[..., JobContext]
) -> None:
    drop = job_settings.proeco_drop_dir
    assert drop is not None
    _drop(drop, "export.csv", export_csv(STAFF), age=timedelta(seconds=20))
    _drop(drop, "export-2.csv.part", export_csv(STAFF), age=timedelta(hours=2))
    _drop(drop, ".export-3.csv", export_csv(STAFF), age=timedelta(hours=2))
    record = _run(context_at(NOW))
    assert (record.outcome, record.detail) == ("success", "no new file (1 still being written)")
    assert _people(db) == {}
    assert sorted(p.name for p in drop.iterdir()) == [
        ".export-3.csv",
        "export-2.csv.part",
        "export.csv",
    ]
    # Once it has stopped changing for PROECO_DROP_SETTLE_SECONDS, it is imported.
    record = _run(context_at(NOW + timedelta(minutes=10)))
    assert record.detail == "export.csv imported: 10 added"


def test_a_refused_file_alerts_the_operators_and_changes_nothing(
    db: Database,
    job_settings: Settings,
    context_at: Callable[..., JobContext],
    alerts: RecordedAlerts,
) -> None:
    drop = job_settings.proeco_drop_dir
    assert drop is not None
    _drop(drop, "complet.csv", export_csv(STAFF), age=timedelta(hours=1))
    assert _run(context_at(NOW)).outcome == "success"
    before = _people(db)
    # A truncated export: 8 of the 10 people would leave.
    _drop(drop, "tronque.csv", export_csv(STAFF[:2]), age=timedelta(hours=1))
    record = _run(context_at(NOW + timedelta(days=1)))
    assert record.outcome == "failure"
    assert record.detail is not None and record.detail.startswith(
        "tronque.csv refused: the file would mark 8 of the 10 known people"
    )
    assert _people(db) == before
    (alert,) = alerts.texts
    assert alert.startswith("ProECO import refused: tronque.csv: the file would mark 8 of the 10")
    assert alert.endswith(
        f"The previous data stays; the file and its report are in {drop / 'refused'}."
    )
    assert "\n" not in alert
    refused = sorted(p.name for p in (drop / "refused").iterdir())
    assert refused == ["20260304T013000Z-tronque.csv", "20260304T013000Z-tronque.csv.report.json"]
    report = json.loads((drop / "refused" / refused[1]).read_text(encoding="utf-8"))
    assert report["refused"] == "mass_departure" and report["report"]["left"] == 8
    # Filed away: the next night does not refuse (and alert) again.
    assert _run(context_at(NOW + timedelta(days=2))).detail == "no new file"
    assert len(alerts.texts) == 1


def test_a_file_with_a_duplicated_column_is_refused_with_its_reason(
    db: Database,
    job_settings: Settings,
    context_at: Callable[..., JobContext],
    alerts: RecordedAlerts,
) -> None:
    drop = job_settings.proeco_drop_dir
    assert drop is not None
    header = ("matricule", "nom", "prenom", "fonction", "email", "fase", "etablissement", "Nom")
    rows = [(*row, "x") for row in STAFF]
    _drop(drop, "double.csv", export_csv(rows, header=header), age=timedelta(hours=1))
    record = _run(context_at(NOW))
    assert record.outcome == "failure"
    assert _people(db) == {}
    (alert,) = alerts.texts
    assert alert.startswith("ProECO import refused: double.csv: ")
    assert "twice" in alert or "duplicate" in alert
