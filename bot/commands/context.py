"""What every command receives: the settings built once at the edge, and the database."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from access.db import Database
from bot.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    _database: Database | None = field(default=None, repr=False)

    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.settings.database_url)
        return self._database


pass_app = click.make_pass_decorator(AppContext)
