"""What every command receives: the settings built once at the edge, and the database."""

from __future__ import annotations

from dataclasses import dataclass, field

import click

from access.persistence.database import Database
from bot.settings import Settings
from migrations import upgrade_database


@dataclass
class AppContext:
    settings: Settings
    _database: Database | None = field(default=None, repr=False)

    def database(self) -> Database:
        if self._database is None:
            self._database = Database(self.settings.database_url)
        return self._database

    def migrated_database(self) -> Database:
        """The database, its schema brought up to date first (safe to run again)."""
        database = self.database()
        upgrade_database(database)
        return database


pass_app = click.make_pass_decorator(AppContext)
