"""The neutral reply model: what a handler says, independent of Slack or a terminal.

Every string in here is plain text written by us or echoed from a user; adapters escape it
(Slack mrkdwn) or print it (console). Nothing in this module knows Block Kit.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol, TypeAlias

# -- references to messages and recipients ------------------------------------------------


@dataclass(frozen=True)
class MessageRef:
    """Where a message lives in the transport (Slack: channel id + ts). Storable as two strings."""

    channel: str
    ts: str


@dataclass(frozen=True)
class Recipient:
    """Someone or somewhere to send a message to, outside the current conversation.

    Build with `Recipient.person(id)` (their direct messages; the adapter finds their chat
    account), `Recipient.user(transport_user_id)` or `Recipient.channel(channel_id)`.
    """

    kind: Literal["person", "user", "channel"]
    id: str

    @classmethod
    def person(cls, person_id: int) -> Recipient:
        return cls("person", str(person_id))

    @classmethod
    def user(cls, user_id: str) -> Recipient:
        return cls("user", user_id)

    @classmethod
    def channel(cls, channel_id: str) -> Recipient:
        return cls("channel", channel_id)


# -- blocks: the pieces a message is made of ----------------------------------------------


@dataclass(frozen=True)
class Text:
    """A paragraph. Long text is split by the adapters, never cut."""

    text: str


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Note:
    """Small print under a message (hints, counts, dates)."""

    text: str


@dataclass(frozen=True)
class Fields:
    """Label / value pairs (« Statut : Compte activé »)."""

    pairs: tuple[tuple[str, str], ...]

    def __init__(self, pairs: Sequence[tuple[str, str]] | Mapping[str, str]) -> None:
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        object.__setattr__(self, "pairs", tuple((str(k), str(v)) for k, v in items))


@dataclass(frozen=True)
class Table:
    """Rows of text under column titles. Adapters paginate within their limits."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str | None = None

    def __init__(
        self,
        columns: Sequence[str],
        rows: Sequence[Sequence[str]],
        title: str | None = None,
    ) -> None:
        object.__setattr__(self, "columns", tuple(columns))
        object.__setattr__(self, "rows", tuple(tuple(str(c) for c in row) for row in rows))
        object.__setattr__(self, "title", title)


@dataclass(frozen=True)
class Confirm:
    """A confirmation asked before a button's action runs."""

    title: str
    text: str
    confirm: str = "Confirmer"
    deny: str = "Annuler"


@dataclass(frozen=True)
class Button:
    """A button. `action_id` routes the press to `@action(action_id)`; `value` comes back.

    Several buttons of one message may share an action_id (one per row of a list): the Slack
    adapter makes them unique and the router routes them all to the same handler.
    """

    label: str
    action_id: str
    value: str = ""
    style: Literal["primary", "danger"] | None = None
    confirm: Confirm | None = None
    url: str | None = None


@dataclass(frozen=True)
class Choices:
    """A row of buttons (console: numbered choices)."""

    buttons: tuple[Button, ...]

    def __init__(self, buttons: Sequence[Button]) -> None:
        object.__setattr__(self, "buttons", tuple(buttons))


Block: TypeAlias = Text | Heading | Note | Fields | Table | Choices


# -- messages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """One message.

    private: only the speaker sees it (Slack: ephemeral in a channel, plain in a DM).
    replace: True replaces the message the turn came from (the one holding the pressed
      button); a MessageRef replaces that message.
    thread: post as a reply in that thread.
    """

    blocks: tuple[Block, ...]
    private: bool = True
    replace: bool | MessageRef = False
    thread: MessageRef | None = None

    def __init__(
        self,
        *blocks: Block | str,
        private: bool = True,
        replace: bool | MessageRef = False,
        thread: MessageRef | None = None,
    ) -> None:
        object.__setattr__(
            self, "blocks", tuple(Text(b) if isinstance(b, str) else b for b in blocks)
        )
        object.__setattr__(self, "private", private)
        object.__setattr__(self, "replace", replace)
        object.__setattr__(self, "thread", thread)

    @property
    def buttons(self) -> list[Button]:
        return [b for block in self.blocks if isinstance(block, Choices) for b in block.buttons]

    def plain_text(self) -> str:
        """A one-line summary (Slack notification text, logs of tests)."""
        for block in self.blocks:
            if isinstance(block, Text | Heading | Note):
                return block.text[:300]
            if isinstance(block, Table) and block.title:
                return block.title[:300]
        return ""


@dataclass(frozen=True)
class File:
    """A file for the speaker (a CSV of a team). Console: saved to disk, path printed."""

    filename: str
    content: bytes
    title: str
    comment: str | None = None


# -- forms -----------------------------------------------------------------------------


class FieldKind(enum.StrEnum):
    TEXT = "text"
    MULTILINE = "multiline"
    EMAIL = "email"
    PHONE = "phone"
    SELECT = "select"
    MULTI_SELECT = "multi_select"
    DATE = "date"


@dataclass(frozen=True)
class Option:
    value: str
    label: str


FieldValue: TypeAlias = str | list[str] | date | None


@dataclass(frozen=True)
class Field:
    """One input of a form. Values come back already checked for their kind (see forms.py)."""

    name: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    initial: FieldValue = None
    options: tuple[Option, ...] = ()
    hint: str | None = None
    placeholder: str | None = None
    max_length: int | None = None
    # DATE: the earliest day accepted, checked as soon as the day is picked (Slack: when the
    # date picker changes; console: when typed), not only when the form is sent.
    min_date: date | None = None


@dataclass(frozen=True)
class Form:
    """A form to fill (Slack: a modal; console: asked field by field).

    context is handed back untouched with the submission (keep it small: Slack allows 3,000
    characters of metadata); errors are shown next to the fields (name -> French message).
    """

    form_id: str
    title: str
    fields: tuple[Field, ...]
    submit_label: str = "Envoyer"
    intro: tuple[Block, ...] = ()
    context: Mapping[str, Any] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FormErrors:
    """Returned by a form handler: keep the form open, show these messages by the fields."""

    errors: Mapping[str, str]


# -- background work --------------------------------------------------------------------


class Progress(Protocol):
    def report(self, done: int, total: int) -> None:
        """Update the job's message (throttled by the adapter; the last call is always shown)."""

    def update(self, message: Message) -> None:
        """Replace the job's message with any content."""


@dataclass(frozen=True)
class Job:
    """Slow work: `start` is shown at once, then `run` executes in a worker thread.

    `run(progress)` calls `progress.report(done, total)` as it goes; the job's message then
    reads « {label} : done / total ». What `run` returns is delivered like a handler's
    replies; a Message with replace=True replaces the job's message (the final summary).
    """

    start: Message
    run: Callable[[Progress], Replies]
    label: str = "Envoi"

    def progress_message(self, done: int, total: int) -> Message:
        return Message(f"{self.label} : {done} / {total}", private=self.start.private)


@dataclass(frozen=True)
class FollowUp:
    """Work that comes after the answer: Slack runs it once the request is acknowledged (a
    modal must be answered within three seconds), other transports run it at once. What
    `run` returns is delivered like a handler's replies."""

    run: Callable[[], Replies]


Reply: TypeAlias = Message | Form | FormErrors | Job | File | FollowUp
Replies: TypeAlias = Reply | str | Sequence[Reply | str] | None


def as_replies(result: Replies) -> list[Reply]:
    """Normalize what a handler returned: None, a string, one reply or several."""
    if result is None:
        return []
    if isinstance(result, str):
        return [Message(result)]
    if isinstance(result, Message | Form | FormErrors | Job | File | FollowUp):
        return [result]
    return [Message(item) if isinstance(item, str) else item for item in result]
