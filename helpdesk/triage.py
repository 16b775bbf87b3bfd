"""Announcing a new ticket to the helpdesk: the triage channel, or else the help address.

A ticket opened while a triage channel is configured waits to be announced. The web form, the
mail ingest and the sweep know only `TriageNotifier`; the command that starts them builds the
implementation (`bot.slack.triage`: the Slack one, or `EmailTriage` when Slack cannot post).
"""

from __future__ import annotations

from typing import Protocol

from access.config import AccessSettings
from access.persistence.database import Database
from helpdesk import tickets


class TriageNotifier(Protocol):
    def publish(self, number: str) -> bool:
        """True when the ticket is in the triage channel; False when it went by e-mail instead
        (the help address gets a ticket once, however often this is called)."""
        ...

    def relay(self, number: str, text: str, *, reopened: bool) -> None:
        """Show agents a requester's message (web, e-mail) in the ticket's triage thread;
        called only for a ticket in the channel (`RequesterMessage.for_triage_thread`)."""
        ...


class EmailTriage:
    """No chat can take the ticket: the help address receives it by e-mail.

    `reason` is kept in the ticket's history (internal) to say why the channel was skipped.
    """

    def __init__(self, settings: AccessSettings, db: Database, *, reason: str) -> None:
        self._settings = settings
        self._db = db
        self._reason = reason

    def publish(self, number: str) -> bool:
        with self._db.transaction() as session:
            tickets.fall_back_to_email(session, self._settings, number, reason=self._reason)
        return False

    def relay(self, number: str, text: str, *, reopened: bool) -> None:
        # The thread cannot be reached from here: the help address gets the message.
        with self._db.transaction() as session:
            tickets.forward_to_helpdesk(session, self._settings, number, text)
