"""The record of every run of a scheduled job (migration 0016_job_runs).

One row per run: which job, which slot it answers, who ran it, when it started and ended,
how it went and what it counted. (job, slot) is unique: that is how two scheduler processes
firing the same job at the same time run it once. Monitoring reads it as it is: the last
success of each job, runs by outcome.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from access.directory.models import BigId
from access.persistence.database import Base


class Outcome(enum.StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    FAILURE = "failure"
    # Its process died before it ended (found still running long after it started).
    ABANDONED = "abandoned"


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "slot", name="uq_job_runs_job_slot"),
        Index("ix_job_runs_job_started_at", "job", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    # The scheduled instant (ISO 8601, UTC) for a scheduled run; "manual:<instant>" otherwise.
    slot: Mapped[str] = mapped_column(String(64))
    # "schedule" or "manual".
    trigger: Mapped[str] = mapped_column(String(16))
    # host:pid of the process that ran it.
    runner: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16), default=Outcome.RUNNING.value, index=True)
    # What the run counted: {"reminded": 3, "skipped": 1, ...}; names per job.
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # One line for operators: the reason of a failure, what was imported. No personal data.
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
