"""Driving the director handlers in process, the way a transport does (no Slack, no terminal):
build a Turn, dispatch it, run any background Job to its end, and read the replies as text."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from access.persistence.database import Database
from bot.console import render_blocks
from bot.conversation import load_features
from bot.conversation.replies import (
    File,
    FollowUp,
    Form,
    FormErrors,
    Job,
    Message,
    MessageRef,
    Recipient,
    Reply,
    as_replies,
)
from bot.conversation.turn import Action, Place, Speaker, Submission, Turn
from bot.settings import Settings

_ts = itertools.count(1)


class NoServices:
    def send(self, to: Recipient, message: Message, *, thread: MessageRef | None = None) -> None:
        return None

    def update(self, ref: MessageRef, message: Message) -> None:
        return None

    def is_member(self, channel: str, user_id: str) -> bool:
        return False

    def person_of(self, user_id: str) -> int | None:
        return None

    def user_of(self, person_id: int) -> str | None:
        return None


@dataclass
class Progress:
    reports: list[tuple[int, int]] = field(default_factory=list)
    updates: list[Message] = field(default_factory=list)

    def report(self, done: int, total: int) -> None:
        self.reports.append((done, total))

    def update(self, message: Message) -> None:
        self.updates.append(message)


@dataclass
class Outcome:
    replies: list[Reply]
    progress: Progress

    @property
    def messages(self) -> list[Message]:
        return [r for r in self.replies if isinstance(r, Message)]

    @property
    def text(self) -> str:
        return "\n".join(render_blocks(m.blocks, None) for m in self.messages)

    @property
    def files(self) -> list[File]:
        return [r for r in self.replies if isinstance(r, File)]

    @property
    def forms(self) -> list[Form]:
        return [r for r in self.replies if isinstance(r, Form)]

    @property
    def form_errors(self) -> dict[str, str]:
        return {
            k: v for r in self.replies if isinstance(r, FormErrors) for k, v in r.errors.items()
        }

    def button(self, label_start: str) -> tuple[str, str]:
        for message in self.messages:
            for button in message.buttons:
                if button.label.startswith(label_start):
                    return button.action_id, button.value
        raise AssertionError(f"no button {label_start!r} in:\n{self.text}")


class DirectorChat:
    def __init__(self, db: Database, settings: Settings, person_id: int | None, user: str = "U1"):
        self.db, self.settings = db, settings
        self.router = load_features()
        self.speaker = Speaker(user, person_id, "slack")
        self.last_message = MessageRef("D1", "0")

    def _run(self, turn: Turn, *, run_jobs: bool = True) -> Outcome:
        replies = self.router.dispatch(turn)
        progress = Progress()
        done: list[Reply] = []
        while any(isinstance(reply, FollowUp) for reply in replies):
            replies = [
                later
                for reply in replies
                for later in (as_replies(reply.run()) if isinstance(reply, FollowUp) else [reply])
            ]
        for reply in replies:
            if isinstance(reply, Job) and run_jobs:
                done.append(reply.start)
                done.extend(as_replies(reply.run(progress)))
            else:
                done.append(reply)
        self.last_message = MessageRef("D1", f"{next(_ts)}.000")
        return Outcome(done, progress)

    def _turn(self, **kwargs: object) -> Turn:
        return Turn(
            speaker=self.speaker,
            db=self.db,
            settings=self.settings,
            services=NoServices(),
            place=Place("D1", is_direct=True),
            **kwargs,  # type: ignore[arg-type]
        )

    def command(self, name: str, text: str = "") -> Outcome:
        return self._run(self._turn(command=name, text=text))

    def press(
        self, action_id: str, value: str, *, on: MessageRef | None = None, run_jobs: bool = True
    ) -> Outcome:
        turn = self._turn(action=Action(action_id, value), message=on or self.last_message)
        return self._run(turn, run_jobs=run_jobs)

    def submit(self, form: Form, values: dict[str, object]) -> Outcome:
        submission = Submission(form.form_id, values, dict(form.context))  # type: ignore[arg-type]
        return self._run(self._turn(submission=submission))
