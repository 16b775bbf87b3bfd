"""Posting a ticket to the triage channel from outside a Slack turn (web form, mail ingest).

Uses the chat's Slack services with the bot token; without a token, or when Slack refuses,
the ticket goes to the help address by e-mail (`publish_triage` does the fallback).
"""

from __future__ import annotations

from access.persistence.database import Database
from bot.conversation import load_features
from bot.conversation.features.tickets import publish_triage
from bot.settings import Settings
from bot.slack.transport import SlackServices, SlackTransport
from helpdesk import tickets


def publish_new_ticket(settings: Settings, db: Database, number: str) -> bool:
    """True when the ticket is in the triage channel; False when it went by e-mail instead."""
    if not settings.triage_channel:
        return False
    if settings.slack_bot_token is None:
        with db.transaction() as session:
            tickets.fall_back_to_email(session, settings, number, reason="no Slack bot token")
        return False
    services = SlackServices(SlackTransport(settings, db, load_features()))
    return publish_triage(services, db, settings, number)
