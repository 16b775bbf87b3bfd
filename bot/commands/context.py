"""What every command receives: the settings built once at the edge, and the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from access.persistence.database import Database
    from bot.settings import Settings

LOAD_SOMETHING = (
    "`extranet-bot demo` loads the demo data into it; "
    "`extranet-bot proeco import FILE` loads a ProECO export"
)


@dataclass
class AppContext:
    settings: Settings
    _database: Database | None = field(default=None, repr=False)

    def database(self) -> Database:
        if self._database is None:
            # Here, not at the top: `bot.cli` imports this module for every command, and
            # the database layer (SQLAlchemy, the models) is most of a command's start.
            from access.persistence.database import Database

            self._database = Database(self.settings.database_url)
        return self._database

    def migrated_database(self) -> Database:
        """The database, its schema brought up to date first (safe to run again)."""
        from migrations import upgrade_database

        database = self.database()
        upgrade_database(database)
        return database

    def database_name(self) -> str:
        return database_name(self.settings.database_url)

    def checked_database(self) -> Database:
        """The database, checked to be there and migrated: a command run on the wrong one
        says so instead of answering with zeros, and leaves no empty SQLite file behind."""
        from migrations import is_at_head

        where = self.database_name()
        sqlite_file = sqlite_path(self.settings.database_url)
        if sqlite_file is not None and not sqlite_file.is_file():
            raise click.ClickException(
                f"no database at {where}: `extranet-bot demo` creates it with the demo data; "
                "`extranet-bot db upgrade` creates it empty, for `extranet-bot proeco import "
                "FILE`."
            )
        database = self.database()
        if not is_at_head(database.engine):
            raise click.ClickException(
                f"the database {where} is not migrated; run `extranet-bot db upgrade` "
                "(`extranet-bot demo` migrates it and loads the demo data)."
            )
        return database

    def database_with_data(self) -> Database:
        """`checked_database`, and not empty: a directory to read."""
        database = self.checked_database()
        if self.holds_no_directory(database):
            raise click.ClickException(
                f"the database {self.database_name()} holds no establishment and no person; "
                f"{LOAD_SOMETHING}."
            )
        return database

    def holds_no_directory(self, database: Database) -> bool:
        from access.demo import Contents, database_contents

        with database.session() as session:
            return database_contents(session).kind is Contents.EMPTY

    def empty_hint(self, database: Database) -> str:
        """What to add where a command found nothing: the database it read, and whether it
        is empty altogether."""
        where = self.database_name()
        if self.holds_no_directory(database):
            return f"The database {where} holds no establishment and no person; {LOAD_SOMETHING}."
        return f"(Database: {where}.)"


def sqlite_path(url: str) -> Path | None:
    """The file of an SQLite URL (absolute), None for another server or an in-memory one."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


def database_name(url: str) -> str:
    """The database as an operator recognises it: the SQLite file, else the URL without its
    password."""
    from sqlalchemy.engine import make_url

    path = sqlite_path(url)
    if path is not None:
        return str(path)
    return make_url(url).render_as_string(hide_password=True)


pass_app = click.make_pass_decorator(AppContext)
