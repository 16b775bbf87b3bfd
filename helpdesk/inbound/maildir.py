"""A Maildir's unseen messages, read without parsing, then marked seen or quarantined.

Files are only renamed, never rewritten: what the mail server delivered stays byte for byte.
A message that cannot be processed goes to the `.Quarantine` sub-folder (Maildir++, so a
mail client shows it as the folder « Quarantine »), unseen there, so the next run does not
try it again and an operator can read it.

A file name is `<unique>` in `new/` and `<unique>:2,<flags>` in `cur/`; "S" is the seen flag
(https://cr.yp.to/proto/maildir.html). The standard `mailbox` module would parse each message
to read its flags, and a message built to break the parser would then stop the whole run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from helpdesk.errors import MessageTooLarge

QUARANTINE = ".Quarantine"
INFO = ":2,"
SEEN = "S"


@dataclass(frozen=True)
class Entry:
    path: Path

    @property
    def unique(self) -> str:
        return self.path.name.split(":", 1)[0]

    @property
    def flags(self) -> str:
        name = self.path.name
        return name.split(INFO, 1)[1] if INFO in name else ""

    def read(self, limit: int) -> bytes:
        """The bytes of the message; `MessageTooLarge` past `limit`, without reading it all."""
        size = self.path.stat().st_size
        if size > limit:
            raise MessageTooLarge(size, limit)
        with self.path.open("rb") as file:
            data = file.read(limit + 1)
        if len(data) > limit:
            raise MessageTooLarge(None, limit)
        return data


def is_maildir(root: Path) -> bool:
    return all((root / sub).is_dir() for sub in ("new", "cur", "tmp"))


def unseen(root: Path) -> list[Entry]:
    """Messages not yet marked seen, oldest delivery first (names start with the time)."""
    entries = []
    for sub in ("new", "cur"):
        for path in (root / sub).iterdir():
            if path.name.startswith(".") or not path.is_file():
                continue
            entry = Entry(path)
            if SEEN not in entry.flags:
                entries.append(entry)
    return sorted(entries, key=lambda entry: entry.path.name)


def mark_seen(root: Path, entry: Entry) -> Path:
    flags = "".join(sorted(set(entry.flags) | {SEEN}))
    target = root / "cur" / f"{entry.unique}{INFO}{flags}"
    os.replace(entry.path, target)
    return target


def quarantine(root: Path, entry: Entry) -> Path:
    """Move the message, unchanged and unseen, into `<root>/.Quarantine/new/`."""
    folder = root / QUARANTINE
    for sub in ("tmp", "new", "cur"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    # Maildir++: this file tells mail servers the directory is a sub-folder.
    (folder / "maildirfolder").touch(exist_ok=True)
    target = folder / "new" / entry.unique
    os.replace(entry.path, target)
    return target
