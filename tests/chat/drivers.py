"""Two drivers with one interface, so a table of cases runs in Slack and in the console.

`say(line)` types a line (a question or a slash command) and returns all the bot showed in
answer, as text; `press(label)` presses a button of the last answers.
"""

from __future__ import annotations

import re
import sys
import time
from typing import Protocol

import pexpect

from tests.conftest import REPO_ROOT
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
    """`extranet-bot console` as a subprocess on a pseudo-terminal."""

    PROMPT = "\n> "

    def __init__(self, env: dict[str, str], as_email: str | None = None) -> None:
        args = ["-m", "bot", "console"] + (["--as", as_email] if as_email else [])
        self.child = pexpect.spawn(
            sys.executable, args, cwd=str(REPO_ROOT), env=env, encoding="utf-8", timeout=30
        )
        self.child.expect_exact(self.PROMPT)
        self.banner = self.child.before
        self.last = ""

    def say(self, line: str) -> str:
        self.child.sendline(line)
        self.child.expect_exact(self.PROMPT)
        # The terminal echoes the typed line first.
        out = self.child.before.replace("\r\n", "\n")
        self.last = out.split("\n", 1)[1] if "\n" in out else ""
        return self.last

    def press(self, label: str) -> str:
        found = re.search(r"\[(\d+)\] " + re.escape(label), self.last)
        assert found, f"no choice {label!r} in:\n{self.last}"
        out = self.say(found.group(1))
        if out.rstrip().endswith("(o/n)"):
            out = self.say("o")
        return out

    def close(self) -> None:
        self.child.sendline("/quitter")
        self.child.expect(pexpect.EOF)
        self.child.close()
