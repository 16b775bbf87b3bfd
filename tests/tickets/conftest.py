"""Fixtures for the helpdesk tests: a directory with two schools and one linked person."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from access.directory.models import AccountStatus
from access.persistence.database import Database
from bot.settings import Settings
from helpdesk.validation import TicketForm
from tests import people
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401


@dataclass(frozen=True)
class Directory:
    school_fase: str
    other_fase: str
    person_id: int
    person_email: str


@pytest.fixture
def directory(db: Database) -> Directory:
    with db.transaction() as session:
        school = people.establishment(session, "5432", "Institut Saint-Joseph")
        other = people.establishment(session, "1010", "École fondamentale Sainte-Marie")
        person = people.person(
            session,
            school,
            matricule="M-001",
            last_name="Dupont",
            first_name="Émilie",
            email="emilie.dupont@ecole.be",
            status=AccountStatus.NOT_INVITED,
        )
        people.assign(session, person.id, other, "ENS")
        session.flush()
        return Directory("5432", "1010", person.id, "emilie.dupont@ecole.be")


def make_form(**overrides: object) -> TicketForm:
    values: dict[str, object] = {
        "last_name": "Dupont",
        "first_name": "Émilie",
        "fase": "5432",
        "email": "emilie.dupont@ecole.be",
        "category": "password",
        "subject": "Mot de passe refusé",
        "description": "Mon mot de passe est refusé depuis ce matin.",
        "phone": None,
        "fase_unknown": False,
    }
    values.update(overrides)
    return TicketForm(**values)  # type: ignore[arg-type]


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as opened:
        yield opened


@pytest.fixture
def mail_settings(settings: Settings, smtp_server: SmtpServer) -> Settings:  # noqa: F811
    """Settings that deliver the outbox to the real test SMTP server."""
    return settings.model_copy(update=smtp_server.settings_update())
