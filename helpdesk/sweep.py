"""Announce tickets that a crash left unannounced (see `helpdesk.tickets.unannounced`)."""

from __future__ import annotations

import logging
from datetime import timedelta

from access.persistence.database import Database
from helpdesk import tickets
from helpdesk.triage import TriageNotifier

log = logging.getLogger(__name__)

# Longer than any normal opening takes to reach the channel, so the sweep never races it.
GRACE = timedelta(minutes=5)


def announce_forgotten_tickets(db: Database, notifier: TriageNotifier) -> int:
    """Announce again every ticket saved but neither posted nor e-mailed; how many there were."""
    with db.session() as session:
        numbers = tickets.unannounced(session, older_than=GRACE)
    for number in numbers:
        notifier.publish(number)
        log.info("ticket %s announced again after an interrupted opening", number)
    return len(numbers)
