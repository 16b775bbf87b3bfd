"""The Slack side of the scheduled jobs' notifiers (`scheduling.notify`,
`helpdesk.followup.RequesterNotifier`), and the choice of notifiers for the settings.

Slack when a bot token is set: operators' alerts in OPS_CHANNEL, digests by DM to directors
linked to Slack, requesters' notices in their ticket's DM thread. E-mail otherwise, and as
the fallback of each: a director not in Slack gets the digest by e-mail, a DM Slack refuses
leaves by e-mail, OPS_EMAIL gets the alerts too when it is set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from access.directory.digest import DirectorDigest
from access.persistence.database import Database
from bot.conversation import load_features
from bot.conversation.features.digest_views import digest_message
from bot.conversation.features.tickets import deliver_notice, refresh_triage
from bot.conversation.replies import Message, Recipient, Text
from bot.conversation.turn import DeliveryFailed
from bot.settings import Settings
from bot.slack.transport import SlackServices, SlackTransport
from helpdesk.followup import EmailRequesterNotifier, RequesterNotifier
from helpdesk.tickets import Notice
from scheduling.notify import (
    SLACK,
    AllAlerts,
    DigestSender,
    EmailDigests,
    EmailOpsAlerts,
    OpsAlerts,
)

log = logging.getLogger(__name__)


def _services(settings: Settings, db: Database) -> SlackServices:
    return SlackServices(SlackTransport(settings, db, load_features()))


class SlackOpsAlerts:
    def __init__(self, settings: Settings, db: Database, channel: str) -> None:
        self._services = _services(settings, db)
        self._channel = channel

    def alert(self, text: str) -> None:
        self._services.send(Recipient.channel(self._channel), Message(Text(text), private=False))


class SlackDigests:
    """A DM to a director linked to Slack; the e-mail for the others, or when Slack refuses."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self._services = _services(settings, db)
        self._email = EmailDigests(settings, db)

    def send(self, digest: DirectorDigest) -> str:
        try:
            sent = self._services.send(Recipient.person(digest.person_id), digest_message(digest))
        except DeliveryFailed as error:
            log.warning("digest DM to person %s failed (%s): e-mailed", digest.person_id, error)
            sent = None
        if sent is not None:
            return SLACK
        return self._email.send(digest)


class SlackRequesters:
    def __init__(self, settings: Settings, db: Database) -> None:
        self._settings = settings
        self._db = db
        self._services = _services(settings, db)

    def deliver(self, notice: Notice) -> None:
        deliver_notice(self._services, self._db, self._settings, notice)

    def ticket_changed(self, number: str) -> None:
        refresh_triage(self._services, self._db, number)


@dataclass(frozen=True)
class Notifiers:
    alerts: OpsAlerts
    digests: DigestSender
    requesters: RequesterNotifier


def scheduler_notifiers(settings: Settings, db: Database) -> Notifiers:
    """Slack where it can post, e-mail elsewhere (see the module)."""
    slack = settings.slack_bot_token is not None
    alerts: list[OpsAlerts] = []
    if slack and settings.ops_channel:
        alerts.append(SlackOpsAlerts(settings, db, settings.ops_channel))
    if settings.ops_email:
        alerts.append(EmailOpsAlerts(settings, db))
    if not alerts:
        log.warning("operators' alerts go to the log only: set OPS_CHANNEL or OPS_EMAIL")
    return Notifiers(
        alerts=AllAlerts(alerts),
        digests=SlackDigests(settings, db) if slack else EmailDigests(settings, db),
        requesters=SlackRequesters(settings, db) if slack else EmailRequesterNotifier(settings, db),
    )
