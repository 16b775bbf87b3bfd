"""Fixtures of the scheduled jobs' tests: settings with a drop folder, notifiers that record
what they were given, and a job context at a chosen instant."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from access.directory.digest import DirectorDigest
from access.persistence.database import Database
from bot.settings import Settings
from helpdesk.followup import EmailRequesterNotifier
from helpdesk.tickets import Notice
from scheduling.jobs import JobContext
from scheduling.notify import EmailDigests


@dataclass
class RecordedAlerts:
    texts: list[str] = field(default_factory=list)

    def alert(self, text: str) -> None:
        self.texts.append(text)


@dataclass
class RecordedRequesters:
    notices: list[Notice] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def deliver(self, notice: Notice) -> None:
        self.notices.append(notice)

    def ticket_changed(self, number: str) -> None:
        self.changed.append(number)


@dataclass
class RecordedDigests:
    digests: list[DirectorDigest] = field(default_factory=list)

    def send(self, digest: DirectorDigest) -> str:
        self.digests.append(digest)
        return "recorded"


@pytest.fixture
def job_settings(settings: Settings, tmp_path: Path) -> Settings:
    drop = tmp_path / "drop"
    drop.mkdir()
    return settings.model_copy(update={"proeco_drop_dir": drop, "ops_email": "ops@segec.be"})


@pytest.fixture
def alerts() -> RecordedAlerts:
    return RecordedAlerts()


@pytest.fixture
def context_at(
    db: Database, job_settings: Settings, alerts: RecordedAlerts
) -> Callable[..., JobContext]:
    """A job context at `now`, its alerts recorded; e-mail for digests and requesters unless
    other notifiers are given."""

    def make(now: datetime, **notifiers: object) -> JobContext:
        return JobContext(
            db=db,
            settings=job_settings,
            now=now,
            alerts=notifiers.get("alerts", alerts),  # type: ignore[arg-type]
            digests=notifiers.get("digests", EmailDigests(job_settings, db)),  # type: ignore[arg-type]
            requesters=notifiers.get(  # type: ignore[arg-type]
                "requesters", EmailRequesterNotifier(job_settings, db)
            ),
        )

    return make
