"""`MAIL_BACKEND=file`: each message written as `<Message-ID>.eml` into MAIL_DIR."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from access.config import AccessSettings
from access.mail.outbox.store import Claimed

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class FileSender:
    """MAIL_BACKEND=file: `<Message-ID>.eml` files; rewriting a redelivered one is harmless."""

    def __init__(self, settings: AccessSettings) -> None:
        self.directory = Path(settings.mail_dir)

    def _write(self, item: Claimed) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = _UNSAFE_NAME.sub("_", item.message_id.strip("<>"))[:200] or str(item.id)
        target = self.directory / f"{name}.eml"
        temporary = self.directory / f".{name}.{os.getpid()}.tmp"
        temporary.write_bytes(item.raw)
        os.replace(temporary, target)

    async def send(self, item: Claimed) -> None:
        await asyncio.to_thread(self._write, item)

    async def close(self) -> None:
        return None
