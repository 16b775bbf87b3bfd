"""One turn of a conversation: who speaks, where, what they did, and what the handler may use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.conversation.replies import FieldValue, Message, MessageRef, Recipient

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from access.directory.models import Person
    from access.persistence.database import Database
    from bot.settings import Settings


@dataclass(frozen=True)
class Speaker:
    """The person behind the chat user, or an unknown user (person_id None).

    user_id is the transport's id ("U0123" in Slack, "console:<email>" in the console): use it
    for audit entries of unknown users (`turn.actor`) and to reach them again.
    """

    user_id: str
    person_id: int | None
    transport: str = "slack"

    @property
    def known(self) -> bool:
        return self.person_id is not None


@dataclass(frozen=True)
class Place:
    """Where the turn happened. is_direct: a one-to-one conversation with the bot."""

    channel: str
    is_direct: bool = True


@dataclass(frozen=True)
class Action:
    """A pressed button: its action_id (without the adapter's uniqueness suffix) and value."""

    action_id: str
    value: str


@dataclass(frozen=True)
class Submission:
    """A submitted form: values checked for their kind, and the form's context handed back."""

    form_id: str
    values: Mapping[str, FieldValue]
    context: Mapping[str, Any] = field(default_factory=dict)


class Services(Protocol):
    """Side effects outside the current conversation, offered by each transport.

    Methods are synchronous (handlers run in worker threads) and may raise
    `DeliveryFailed` when the transport refuses (Slack down, unknown channel).
    """

    def send(
        self, to: Recipient, message: Message, *, thread: MessageRef | None = None
    ) -> MessageRef | None:
        """Post a message to a person's DM, a user or a channel; None if the person has no
        chat account linked (send them an e-mail instead)."""

    def update(self, ref: MessageRef, message: Message) -> None:
        """Replace the content of a message posted earlier (a triage card)."""

    def is_member(self, channel: str, user_id: str) -> bool:
        """Whether a transport user is a member of a channel now (agents: the triage channel's
        members); raises `DeliveryFailed` when the transport cannot tell."""

    def person_of(self, user_id: str) -> int | None:
        """The person behind another transport user (None: unknown)."""

    def user_of(self, person_id: int) -> str | None:
        """The transport user id linked to a person, if any."""


class DeliveryFailed(Exception):
    """The transport could not deliver (an English reason for operators)."""


@dataclass
class Turn:
    speaker: Speaker
    db: Database
    settings: Settings
    services: Services
    place: Place
    text: str = ""
    command: str | None = None
    subcommand: str | None = None
    action: Action | None = None
    submission: Submission | None = None
    # The incoming message (free text), or the message holding the pressed button.
    message: MessageRef | None = None
    # Thread root of an incoming message posted in a thread.
    thread: MessageRef | None = None
    mentioned: bool = False

    def person(self, session: Session) -> Person | None:
        """The speaker as a Person, loaded in the caller's session."""
        from access.directory.models import Person

        if self.speaker.person_id is None:
            return None
        return session.get(Person, self.speaker.person_id)

    @property
    def actor(self) -> str:
        """Audit actor: "person:<id>", or "<transport>:<user id>" for an unknown user."""
        if self.speaker.person_id is not None:
            return f"person:{self.speaker.person_id}"
        return f"{self.speaker.transport}:{self.speaker.user_id}"[:64]
