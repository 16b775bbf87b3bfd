"""When a job fires: crontab expressions read in Brussels time, and the slot a run belongs to.

A slot is the scheduled instant a run answers (UTC, to the second). Every scheduler process
computes the same slot for the same firing, whatever its own small delay, so the database can
let one of them have it (`scheduling.runs.claim`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

# The schools are in Belgium: schedules are read in their time, summer time included.
BRUSSELS = ZoneInfo("Europe/Brussels")
OFF = "off"
# A firing later than this (the process was down, the machine asleep) is skipped: the next
# one comes soon enough, and a digest at noon on Tuesday helps nobody.
MISFIRE_GRACE = timedelta(hours=1)


def check_crontab(value: str) -> str:
    """The expression, cleaned; raises ValueError with the reason when it is not one."""
    cleaned = " ".join(value.split())
    if cleaned.lower() == OFF or not cleaned:
        return OFF
    if len(cleaned.split()) != 5:
        raise ValueError(
            "expected five crontab fields (minute hour day month weekday) or 'off', "
            f"got {cleaned!r}"
        )
    try:
        CronTrigger.from_crontab(cleaned, timezone=BRUSSELS)
    except ValueError as error:
        raise ValueError(f"invalid crontab {cleaned!r}: {error}") from None
    return cleaned


def trigger_of(crontab: str) -> CronTrigger | None:
    """The trigger of a checked expression; None when the job is off."""
    if crontab == OFF:
        return None
    return CronTrigger.from_crontab(crontab, timezone=BRUSSELS)


def next_fire(trigger: BaseTrigger | None, now: datetime) -> datetime | None:
    if trigger is None:
        return None
    return trigger.get_next_fire_time(None, now)


def current_slot(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The latest firing of `trigger` at or before `now`, within the misfire grace."""
    slot = None
    moment = trigger.get_next_fire_time(None, now - MISFIRE_GRACE)
    while moment is not None and moment <= now:
        slot = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return slot
