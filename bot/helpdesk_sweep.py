"""Announce tickets that a crash left unannounced (see `helpdesk.tickets.unannounced`)."""

from __future__ import annotations

import logging
from datetime import timedelta

from access.persistence.database import Database
from bot.settings import Settings
from helpdesk import tickets

log = logging.getLogger(__name__)

# Longer than any normal opening takes to reach the channel, so the sweep never races it.
GRACE = timedelta(minutes=5)


def announce_forgotten_tickets(settings: Settings, db: Database) -> int:
    with db.session() as session:
        numbers = tickets.unannounced(session, older_than=GRACE)
    for number in numbers:
        if settings.triage_channel:
            from bot.slack.triage import publish_new_ticket

            publish_new_ticket(settings, db, number)
        else:
            with db.transaction() as session:
                tickets.fall_back_to_email(session, settings, number, reason="not announced")
        log.info("ticket %s announced again after an interrupted opening", number)
    return len(numbers)
