"""Staff on file for the chat scenarios, and the Slack users who stand for them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from access.directory.models import AccountStatus
from access.persistence.database import Database
from tests.people import establishment, person
from tests.slack_fake import FakeSlack
from tests.smtp_server import smtp_server  # noqa: F401


@dataclass(frozen=True)
class Staff:
    """E-mail of each kind of speaker (unknown: an address nobody has on file)."""

    director: str = "claire.directrice@ecole.be"
    active: str = "marie.active@ecole.be"
    invited: str = "paul.invite@ecole.be"
    unknown: str = "inconnu@ailleurs.be"
    fase: str = "1234"


SLACK_USERS = {"director": "U0DIR", "active": "U0ACT", "invited": "U0INV", "unknown": "U0UNK"}


@pytest.fixture
def staff(db: Database) -> Staff:
    people = Staff()
    with db.transaction() as session:
        school = establishment(session, people.fase, "École Saint-Joseph")
        person(
            session,
            school,
            last_name="Directrice",
            first_name="Claire",
            email=people.director,
            function_code="DIR",
            status=AccountStatus.ACTIVE,
        )
        person(
            session,
            school,
            last_name="Active",
            first_name="Marie",
            email=people.active,
            status=AccountStatus.ACTIVE,
        )
        person(
            session,
            school,
            last_name="Invité",
            first_name="Paul",
            email=people.invited,
            status=AccountStatus.INVITED,
        )
    return people


@pytest.fixture
def fake(staff: Staff) -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        for role, user_id in SLACK_USERS.items():
            slack.add_user(user_id, email=getattr(staff, role), name=f"{role.title()} Test")
        yield slack
