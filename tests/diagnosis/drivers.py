"""The person's side of the diagnosis scenarios, typed in Slack (the real app over signed
HTTP) or at the console (its engine, in process): `say` a line, `press` a button."""

from __future__ import annotations

import json
import re
import time

from access.persistence.database import Database
from bot.settings import Settings
from tests.chat.drivers import SlackDriver
from tests.dialog import Dialog
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack


class SlackPerson(SlackDriver):
    def __init__(self, client: SlackClient, fake: FakeSlack, user_id: str) -> None:
        super().__init__(client, fake, user_id)

    def press(self, label: str) -> str:
        for sent in reversed(self.last):
            if any(b["text"]["text"] == label for b in sent.buttons()):
                break
        else:
            raise AssertionError(f"no button {label!r} in the last answer")
        mark, opened = len(self.fake.sent()), len(self.fake.calls_to("views.open"))
        assert self.client.press(self.user_id, sent, label).status_code == 200
        deadline = time.monotonic() + 10
        while len(self.fake.sent()) <= mark and len(self.fake.calls_to("views.open")) <= opened:
            if time.monotonic() > deadline:
                raise AssertionError("the bot did not answer")
            time.sleep(0.02)
        self.fake.wait_quiet(0.3)
        self.last = self.fake.sent()[mark:]
        # A button may open a form (a modal): its text counts as what the person sees.
        views = self.fake.calls_to("views.open")[opened:]
        return "\n".join(
            [s.all_text() for s in self.last]
            + [json.dumps(call.params["view"], ensure_ascii=False) for call in views]
        )


class ConsolePerson:
    def __init__(self, db: Database, settings: Settings, email: str) -> None:
        self.dialog = Dialog(db, settings, as_email=email)
        self.last = ""

    def say(self, line: str) -> str:
        self.last = self.dialog.say(line)
        return self.last

    def press(self, label: str) -> str:
        found = re.search(r"\[(\d+)\] " + re.escape(label), self.last)
        assert found, f"no choice {label!r} in:\n{self.last}"
        out = self.say(found.group(1))
        if out.rstrip().endswith("(o/n)"):
            out = self.say("o")
        return out
