"""The Slack side of `helpdesk.triage.TriageNotifier`, for tickets opened outside a Slack turn
(web form, mail ingest, the worker's sweep), and the choice of notifier for the settings.

Posts with the bot token through the chat's Slack services; when Slack refuses, the ticket goes
to the help address by e-mail (`publish_triage` does the fallback).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helpdesk.triage import EmailTriage, TriageNotifier

if TYPE_CHECKING:
    from access.persistence.database import Database
    from bot.settings import Settings
    from bot.slack.transport import SlackServices

# The conversation and the Slack client are imported when a ticket is posted, not with this
# module: `worker --once` and `mail ingest` without a triage channel never load them.


class SlackTriage:
    """Posts the ticket's card to TRIAGE_CHANNEL; the help address gets it if that fails."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self._settings = settings
        self._db = db

    def _services(self) -> SlackServices:
        from bot.conversation import load_features
        from bot.slack.transport import SlackServices, SlackTransport

        return SlackServices(SlackTransport(self._settings, self._db, load_features()))

    def publish(self, number: str) -> bool:
        from bot.conversation.features.tickets import publish_triage

        return publish_triage(self._services(), self._db, self._settings, number)

    def relay(self, number: str, text: str, *, reopened: bool) -> None:
        from bot.conversation.features.tickets import relay_to_triage

        relay_to_triage(self._services(), self._db, self._settings, number, text, reopened=reopened)


def triage_notifier(settings: Settings, db: Database) -> TriageNotifier:
    """Slack when it can post; else the help address, with the reason in the ticket's history."""
    if settings.triage_channel and settings.slack_bot_token is not None:
        return SlackTriage(settings, db)
    if settings.triage_channel:
        return EmailTriage(settings, db, reason="no Slack bot token")
    # Tickets opened without a channel are e-mailed at once: only the sweep's, left
    # unannounced by a crash or saved before the channel was removed, come here.
    return EmailTriage(settings, db, reason="not announced")
