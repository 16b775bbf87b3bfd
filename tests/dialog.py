"""Dialogue tests over the conversation layer, in process (the console's engine, no terminal).

    dialog = Dialog(db, settings, as_email="directeur@ecole.be")
    out = dialog.say("/extranet")          # everything printed for that line
    verify_dialog(dialog, [("/helpdesk", ["Extranet", "help.extranet@segec.be"]),
                           ("1", ["Envoi : 3 / 3"])])   # "1": press the first button

Buttons are numbered as in the console (an action keeps its number all along); forms are
answered line by line (Enter keeps a prefilled value); `/as EMAIL` switches speaker;
`agent=True` is `console --agent`. Slack scenarios use tests/slack_client.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from access.persistence.database import Database
from bot.console import ConsoleSession
from bot.conversation.router import Router
from bot.settings import Settings


class Dialog:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        as_email: str | None = None,
        router: Router | None = None,
        files_dir: Path | None = None,
        agent: bool = False,
    ) -> None:
        self.session = ConsoleSession(
            db, settings, as_email=as_email, router=router, files_dir=files_dir, agent=agent
        )
        self.transcript: list[tuple[str, str]] = []

    @property
    def speaker(self):
        return self.session.speaker

    def say(self, line: str) -> str:
        out = self.session.handle(line)
        self.transcript.append((line, out))
        return out

    def fill(self, *answers: str) -> str:
        """Answer the questions of a form in order; return the output of the last one."""
        out = ""
        for answer in answers:
            out = self.say(answer)
        return out


def verify_dialog(dialog: Dialog, steps: Sequence[tuple[str, Sequence[str]]]) -> None:
    """Each step: a typed line and texts its answer must contain (a "!" prefix: must not)."""
    for line, expected in steps:
        out = dialog.say(line)
        for text in expected:
            if text.startswith("!"):
                assert text[1:] not in out, f"{line!r} → unexpected {text[1:]!r} in:\n{out}"
            else:
                assert text in out, f"{line!r} → expected {text!r} in:\n{out}"
