"""Operators read the command line in English, in every command and every report alike.

The domain's French labels (team statuses, reasons an invitation was not sent, the helpdesk's
measures) are for the people in chat and on the web; here is their English for operators,
keyed by the same stable codes. A code without an English label is shown as the code.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from access.directory.team_status import TeamStatus

if TYPE_CHECKING:
    from access.directory.team import TeamRow

TEAM_STATUSES = {
    TeamStatus.WILL_BE_INVITED: "to invite",
    TeamStatus.INVITED: "invited",
    TeamStatus.ACTIVE: "active",
    TeamStatus.EMAIL_TO_FIX: "e-mail to fix in ProECO",
    TeamStatus.LEFT: "left",
}

# Why an invitation was not sent (access.messages.SKIP_REASONS, by code).
SKIP_REASONS = {
    None: "sent",
    "email_to_fix": "e-mail missing or invalid: fix it in ProECO",
    "left": "left the establishment",
    "active": "account already active",
    "disabled": "account disabled",
    "already_invited": "already invited (use --resend)",
    "not_invited": "not invited yet (run without --resend)",
    "cooldown": "invited less than {minutes} minutes ago: wait before sending again",
    "bad_address": "the address refused the last invitation: fix it in ProECO",
    "not_in_establishment": "not on this establishment's staff",
}


# Ticket statuses are stored under French codes (helpdesk.models.Status).
TICKET_STATUSES = {
    "nouveau": "new",
    "en_cours": "in progress",
    "en_attente": "waiting",
    "resolu": "resolved",
}


def team_status(row: TeamRow) -> str:
    """The row's status, with the day it was invited or why the e-mail failed."""
    label = TEAM_STATUSES.get(row.status, row.status.value)
    if row.delivery_error:
        return f"delivery failed: {row.delivery_error}"
    if row.status is TeamStatus.INVITED and row.invited_at is not None:
        return f"{label} {row.invited_at:%Y-%m-%d}"
    return label


def skip_reason(reason: str | None, *, cooldown_seconds: int) -> str:
    text = SKIP_REASONS.get(reason, reason or "sent")
    return text.format(minutes=max(1, round(cooldown_seconds / 60)))


def measure_name(key: str) -> str:
    """« median_first_response_seconds » -> « median first response »; « en_cours » (a
    ticket status) -> « in progress »."""
    if key in TICKET_STATUSES:
        return TICKET_STATUSES[key]
    words = key.removesuffix("_seconds").replace("_", " ")
    return words.replace("faq", "FAQ")


def duration(seconds: float | None) -> str:
    """« 2 d 4 h », « 2 h 05 min », « 12 min »; « - » when there is none."""
    if seconds is None:
        return "-"
    minutes = round(timedelta(seconds=seconds).total_seconds() / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


def moment(value: datetime | None) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M}"
