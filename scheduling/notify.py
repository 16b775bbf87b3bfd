"""How scheduled jobs reach people, as interfaces the jobs call and the e-mail versions.

The `scheduler` command (and `jobs run`) builds the implementations: Slack ones when a bot
token is set (`bot.slack.scheduled`), these e-mail ones otherwise and as their fallback. The
requesters' notifier is the helpdesk's (`helpdesk.followup.RequesterNotifier`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from access.directory.digest import DirectorDigest
from access.mail import outbox
from access.mail import templates as mail
from access.messages import french_date
from access.persistence.database import Database
from scheduling.config import SchedulingSettings

log = logging.getLogger(__name__)

SLACK = "slack"
EMAIL = "email"
# Neither in Slack nor with a usable address: the digest cannot reach this director.
UNREACHABLE = "unreachable"


class OpsAlerts(Protocol):
    def alert(self, text: str) -> None:
        """Tell the operators, in one line of English, what needs them."""
        ...


class DigestSender(Protocol):
    def send(self, digest: DirectorDigest) -> str:
        """Deliver a director's digest; says how (`SLACK`, `EMAIL` or `UNREACHABLE`)."""
        ...


class EmailOpsAlerts:
    """An e-mail to OPS_EMAIL, through the outbox."""

    def __init__(self, settings: SchedulingSettings, db: Database) -> None:
        self._settings = settings
        self._db = db

    def alert(self, text: str) -> None:
        address = self._settings.ops_email
        if not address:
            return
        letter = mail.render(
            self._settings, "ops_alert", to=address, context={"text": text, "summary": text[:120]}
        )
        with self._db.transaction() as session:
            outbox.enqueue(session, letter, kind="ops_alert", ref="scheduler")


class AllAlerts:
    """Every configured channel; one failing does not keep the others from being told."""

    def __init__(self, channels: Sequence[OpsAlerts]) -> None:
        self._channels = list(channels)

    def alert(self, text: str) -> None:
        log.warning("operators alerted: %s", text)
        for channel in self._channels:
            try:
                channel.alert(text)
            except Exception:
                log.exception("an operators' alert could not be sent (%s)", type(channel).__name__)


class EmailDigests:
    """The digest as an e-mail to the director's own address, through the outbox."""

    def __init__(self, settings: SchedulingSettings, db: Database) -> None:
        self._settings = settings
        self._db = db

    def send(self, digest: DirectorDigest) -> str:
        if digest.email is None:
            return UNREACHABLE
        letter = mail.render(
            self._settings,
            "directors_digest",
            to=(digest.name, digest.email),
            context=digest_context(digest),
        )
        with self._db.transaction() as session:
            outbox.enqueue(
                session, letter, kind="directors_digest", person_id=digest.person_id, ref="digest"
            )
        return EMAIL


def digest_context(digest: DirectorDigest) -> dict[str, object]:
    """What the e-mail template prints: names, addresses and dates as the director reads them."""
    return {
        "director_name": digest.name,
        "schools": [
            {
                "fase": school.fase,
                "name": school.name,
                "to_invite": [
                    {"name": row.full_name, "function": row.function_label}
                    for row in school.to_invite
                ],
                "to_fix": [
                    {
                        "name": row.full_name,
                        "email": row.proeco_email or "",
                        "reason": row.delivery_error or "",
                    }
                    for row in school.to_fix
                ],
                "not_activated": [
                    {
                        "name": row.full_name,
                        "since": french_date(row.invited_at) if row.invited_at else "",
                    }
                    for row in school.not_activated
                ],
                "grants_ending": [
                    {
                        "name": grant.name,
                        "mission": grant.mission,
                        "last_day": last_day(grant.ends_at),
                    }
                    for grant in school.grants_ending
                ],
            }
            for school in digest.schools
        ],
    }


def last_day(ends_at: datetime) -> str:
    """A grant ends at midnight after its last day (access.directory.grants.end_of_day)."""
    return french_date(ends_at - timedelta(microseconds=1))
