"""The nightly import from a drop folder: ProECO (or whoever exports it) drops files, the
scheduler imports the newest complete one with the same rules and valves as
`extranet-bot proeco import`, and files it away with its report.

- A file still being written is left alone: hidden or temporary names (`.x`, `*.part`,
  `*.tmp`, `*.crdownload`, `~$x`) and files modified less than `settle` ago.
- Of the complete files, the newest (by modification time, then name) is imported; older ones
  are superseded by it and filed away unread, so a later night never imports stale data.
- Imported: moved to `archive/` with `<name>.report.json` (the import's report).
- Refused (mass departure, mass e-mail change, a column missing or named twice, mixed
  encodings, no valid row): moved to `refused/` with its report and the reason; nothing in
  the database changed (the import is all or nothing), and the caller alerts the operators
  once — the file is not tried again every night.

File names get the import's time in front (`20260105T023000Z-export.csv`), so a file dropped
twice under the same name never overwrites the first one's archive.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from access.clock import as_utc, utcnow
from access.directory.profiles import Profiles
from access.errors import AccessError
from access.persistence.database import Database
from access.proeco.report import SyncReport
from access.proeco.sync import ImportRefused, import_export

log = logging.getLogger(__name__)

ARCHIVE = "archive"
REFUSED = "refused"
_TEMPORARY_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp")


@dataclass
class DropResult:
    """What one look at the drop folder did. `file` is None when nothing was complete."""

    file: str | None = None
    report: SyncReport | None = None
    refused_code: str | None = None
    refused_reason: str | None = None
    superseded: list[str] = field(default_factory=list)
    still_writing: list[str] = field(default_factory=list)

    @property
    def imported(self) -> bool:
        return self.file is not None and self.refused_code is None

    @property
    def refused(self) -> bool:
        return self.refused_code is not None

    def counts(self) -> dict[str, int]:
        counts = {
            "imported": int(self.imported),
            "refused": int(self.refused),
            "superseded": len(self.superseded),
            "still_writing": len(self.still_writing),
        }
        if self.report is not None and self.imported:
            counts.update(self.report.counts())
        return counts

    def summary(self) -> str:
        """One line for the run record and the logs (file names, counts; no person)."""
        if self.refused:
            return f"{self.file} refused: {self.refused_reason}"
        if self.file is None:
            writing = len(self.still_writing)
            return f"no new file ({writing} still being written)" if writing else "no new file"
        report = self.report
        assert report is not None
        counts = ", ".join(f"{value} {name}" for name, value in report.counts().items() if value)
        return f"{self.file} imported: {counts or 'no change'}"


def is_temporary(path: Path) -> bool:
    name = path.name
    return (
        name.startswith((".", "~$"))
        or name.lower().endswith(_TEMPORARY_SUFFIXES)
        or name.endswith(".report.json")
    )


def pending_files(
    drop_dir: Path, *, settle: timedelta, now: datetime
) -> tuple[list[Path], list[Path]]:
    """(complete files, newest first; files still being written)."""
    complete: list[tuple[float, str, Path]] = []
    writing: list[Path] = []
    for path in drop_dir.iterdir():
        if not path.is_file() or is_temporary(path):
            continue
        modified = path.stat().st_mtime
        if now.timestamp() - modified < settle.total_seconds():
            writing.append(path)
        else:
            complete.append((modified, path.name, path))
    complete.sort(reverse=True)
    return [path for _, _, path in complete], sorted(writing)


def import_from_drop(
    db: Database,
    drop_dir: Path,
    *,
    profiles: Profiles,
    settle: timedelta,
    now: datetime | None = None,
) -> DropResult:
    """Import the newest complete file of `drop_dir` and file it away (see the module)."""
    moment = as_utc(now) or utcnow()
    if not drop_dir.is_dir():
        raise FileNotFoundError(f"PROECO_DROP_DIR {drop_dir} is not a folder")
    complete, writing = pending_files(drop_dir, settle=settle, now=moment)
    result = DropResult(still_writing=[path.name for path in writing])
    if not complete:
        return result
    newest, older = complete[0], complete[1:]
    result.file = newest.name
    try:
        result.report = import_export(db, newest, profiles=profiles, now=moment)
    except AccessError as error:
        result.refused_code = error.code
        result.refused_reason = str(error)
        result.report = error.report if isinstance(error, ImportRefused) else None
        _file_away(newest, drop_dir / REFUSED, moment, _report_of(result))
        log.warning("ProECO drop: %s", result.summary())
    else:
        _file_away(newest, drop_dir / ARCHIVE, moment, _report_of(result))
        log.info("ProECO drop: %s", result.summary())
    for path in older:
        _file_away(path, drop_dir / ARCHIVE, moment, {"superseded_by": newest.name})
        result.superseded.append(path.name)
    return result


def _report_of(result: DropResult) -> dict[str, Any]:
    return {
        "file": result.file,
        "imported": result.imported,
        "refused": result.refused_code,
        "reason": result.refused_reason,
        "report": result.report.to_dict() if result.report is not None else None,
    }


def _file_away(path: Path, folder: Path, now: datetime, report: dict[str, Any]) -> Path:
    folder.mkdir(exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{stamp}-{path.name}"
    counter = 1
    while target.exists():
        counter += 1
        target = folder / f"{stamp}-{counter}-{path.name}"
    # The report first: a crash between the two leaves the file in the drop folder, to be
    # tried again, rather than archived without its report.
    report_path = target.with_name(target.name + ".report.json")
    report_path.write_text(
        json.dumps({**report, "at": now.isoformat()}, ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    shutil.move(str(path), target)
    return target
