"""Two drivers with one interface, so a table of cases runs in Slack and in the console.

`say(line)` types a line (a question or a slash command) and returns all the bot showed in
answer, as text; `press(label)` presses a button of the last answers.
"""

from __future__ import annotations

import codecs
import logging
import os
import re
import select
import threading
import time
from typing import Protocol

from bot.cli import cli
from bot.commands.context import AppContext
from bot.settings import Settings
from tests.conftest import console_streams
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack, Sent


class Driver(Protocol):
    def say(self, line: str) -> str: ...

    def press(self, label: str) -> str: ...


class SlackDriver:
    def __init__(self, client: SlackClient, fake: FakeSlack, user_id: str) -> None:
        self.client, self.fake, self.user_id = client, fake, user_id
        self.last: list[Sent] = []

    def say(self, line: str) -> str:
        mark = len(self.fake.sent())
        if line.startswith("/"):
            command, _, text = line.partition(" ")
            assert self.client.command(self.user_id, command, text).status_code == 200
        else:
            assert self.client.message(self.user_id, line).status_code == 200
        return self._collect(mark)

    def press(self, label: str) -> str:
        for sent in reversed(self.last):
            if any(b["text"]["text"] == label for b in sent.buttons()):
                mark = len(self.fake.sent())
                assert self.client.press(self.user_id, sent, label).status_code == 200
                return self._collect(mark)
        raise AssertionError(f"no button {label!r} in the last answer")

    def _collect(self, mark: int) -> str:
        deadline = time.monotonic() + 10
        while len(self.fake.sent()) <= mark and not self.fake.calls_to("views.open")[mark:]:
            if time.monotonic() > deadline:
                raise AssertionError("the bot did not answer")
            time.sleep(0.02)
        self.fake.wait_quiet(0.3)
        self.last = self.fake.sent()[mark:]
        return "\n".join(s.all_text() for s in self.last)


class ConsoleDriver:
    """`extranet-bot console` (the command and its read-answer loop) in a thread of this
    process, typed into through a pipe. `python -m bot console` itself runs in
    tests/tickets/test_console_ticket.py and, on a terminal, tests/chat/test_demo_console.py."""

    PROMPT = "\n> "

    def __init__(self, env: dict[str, str], as_email: str | None = None) -> None:
        fields = {k.lower(): v for k, v in env.items() if k.lower() in Settings.model_fields}
        self._app = AppContext(settings=Settings(_env_file=None, **fields))  # type: ignore[arg-type]
        console_in, self._typed = os.pipe()
        self._shown, console_out = os.pipe()
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._pending = ""
        self._error: BaseException | None = None
        root = logging.getLogger()
        self._levels = {None: root.level, "alembic": logging.getLogger("alembic").level}
        args = ["console", *(["--as", as_email] if as_email else [])]
        self._thread = threading.Thread(
            target=self._run,
            args=(args, console_in, console_out),
            daemon=True,
        )
        self._thread.start()
        self.banner = self._until_prompt()
        self.last = ""

    def _run(self, args: list[str], console_in: int, console_out: int) -> None:
        try:
            with (
                open(console_in, encoding="utf-8") as stdin,
                open(console_out, "w", encoding="utf-8") as stdout,
                console_streams(stdin, stdout),
            ):
                cli.main(args, prog_name="extranet-bot", standalone_mode=False, obj=self._app)
        except BaseException as error:
            self._error = error

    def _until_prompt(self, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while self.PROMPT not in self._pending:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._shown], [], [], max(0.0, left))
            if not ready:
                raise AssertionError(f"no prompt from the console; it showed:\n{self._pending}")
            chunk = os.read(self._shown, 65536)
            if not chunk:
                raise AssertionError(f"the console ended ({self._error!r}):\n{self._pending}")
            self._pending += self._decoder.decode(chunk)
        shown, _, self._pending = self._pending.partition(self.PROMPT)
        return shown

    def say(self, line: str) -> str:
        os.write(self._typed, f"{line}\n".encode())
        self.last = self._until_prompt()
        return self.last

    def press(self, label: str) -> str:
        found = re.search(r"\[(\d+)\] " + re.escape(label), self.last)
        assert found, f"no choice {label!r} in:\n{self.last}"
        out = self.say(found.group(1))
        if out.rstrip().endswith("(o/n)"):
            out = self.say("o")
        return out

    def close(self) -> None:
        try:
            os.write(self._typed, b"/quitter\n")
            self._thread.join(timeout=30)
            assert not self._thread.is_alive(), "the console did not end on /quitter"
            assert self._error is None, self._error
        finally:
            os.close(self._typed)
            os.close(self._shown)
            if self._app._database is not None:
                self._app._database.dispose()
            for name, level in self._levels.items():
                logging.getLogger(name).setLevel(level)
