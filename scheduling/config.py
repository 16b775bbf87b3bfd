"""Settings of the scheduled jobs (docs/configuration.md, « Scheduled jobs »)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationInfo, field_validator

from access.config import AccessSettings
from scheduling.schedules import check_crontab


class SchedulingSettings(AccessSettings):
    # Schedules: five-field crontab expressions in Brussels time, or "off".
    schedule_proeco_import: str = "30 2 * * *"
    schedule_invitation_reminders: str = "0 9 * * 1-5"
    schedule_directors_digest: str = "30 7 * * 1"
    schedule_ticket_followup: str = "0 8 * * *"
    schedule_housekeeping: str = "15 3 * * *"

    # The nightly ProECO import.
    proeco_drop_dir: Path | None = None
    # A file modified more recently than this may still be being written: left for later.
    proeco_drop_settle_seconds: int = Field(default=300, ge=0)

    # Operators' alerts (a refused file, a failed job): by e-mail here, Slack in bot.settings.
    ops_email: str | None = None

    reminder_after_days: int = Field(default=5, ge=1)
    reminders_max: int = Field(default=2, ge=0)

    ticket_remind_days: int = Field(default=3, ge=1)
    ticket_close_days: int = Field(default=7, ge=1)

    faq_log_retention_days: int = Field(default=180, ge=1)
    outbox_sent_retention_days: int = Field(default=90, ge=1)
    token_retention_days: int = Field(default=30, ge=1)

    @field_validator(
        "schedule_proeco_import",
        "schedule_invitation_reminders",
        "schedule_directors_digest",
        "schedule_ticket_followup",
        "schedule_housekeeping",
    )
    @classmethod
    def _crontab(cls, value: str) -> str:
        return check_crontab(value)

    @field_validator("ticket_close_days")
    @classmethod
    def _close_after_reminder(cls, value: int, info: ValidationInfo) -> int:
        remind = info.data.get("ticket_remind_days")
        if remind is not None and value <= remind:
            raise ValueError("must be greater than TICKET_REMIND_DAYS")
        return value
