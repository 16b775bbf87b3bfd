"""The team of an establishment, as the director's screen shows it (procedure sheet, step 3):
status, name, role and the e-mail from ProECO the invitation will be sent to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from access import messages
from access.clock import as_utc
from access.directory.establishments import establishment_by_fase
from access.directory.models import (
    Account,
    AccountStatus,
    Assignment,
    Establishment,
    Function,
    Person,
)
from access.directory.team_status import TeamStatus
from access.text import fold


@dataclass(frozen=True)
class TeamRow:
    person_id: int
    last_name: str
    first_name: str
    function_code: str
    function_label: str
    proeco_email: str | None
    status: TeamStatus
    status_label: str
    invited_at: datetime | None
    delivery_error: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()


@dataclass
class Team:
    establishment: Establishment
    rows: list[TeamRow]
    # Over the whole team, whatever the filters: the director sees the totals at the top.
    counts: dict[TeamStatus, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def status_of(
    *,
    assignment_ended: bool,
    person_left: bool,
    account_status: str | None,
    status_before_disable: str | None,
    email_valid: bool,
) -> TeamStatus:
    # StrEnum members compare equal to their values, without `.value` (a descriptor call).
    if assignment_ended or person_left:
        return TeamStatus.LEFT
    status = account_status or AccountStatus.NOT_INVITED
    if status == AccountStatus.DISABLED:
        status = status_before_disable or AccountStatus.NOT_INVITED
    if status == AccountStatus.ACTIVE:
        return TeamStatus.ACTIVE
    if not email_valid:
        return TeamStatus.EMAIL_TO_FIX
    if status == AccountStatus.INVITED:
        return TeamStatus.INVITED
    return TeamStatus.WILL_BE_INVITED


def team_of(
    session: Session,
    fase: str,
    *,
    status: TeamStatus | str | None = None,
    function: str | None = None,
    name: str | None = None,
    delivery_errors: dict[int, str] | None = None,
    delivery_notes: dict[int, str] | None = None,
) -> Team:
    """The team of establishment `fase`, sorted by name; raises NotFound for an unknown FASE.

    `delivery_errors` (person id -> reason) comes from the mail outbox: the row then reads
    « Échec d'envoi : … » instead of its status. `delivery_notes` (person id -> label), from
    `access.diagnosis.delivery.team_notes`, says more for invited rows (refused, bounced,
    link expired) and wins over both.
    """
    fase = fase.strip()
    establishment = establishment_by_fase(session, fase)
    wanted_status = TeamStatus(status) if status else None
    wanted_function = function.strip() if function else None
    wanted_name = fold(name.strip()) if name and name.strip() else None
    errors = delivery_errors or {}
    notes = delivery_notes or {}

    query = (
        select(
            Person.id,
            Person.last_name,
            Person.first_name,
            Person.proeco_email,
            Person.proeco_email_valid,
            Person.left_at,
            Assignment.function_code,
            Function.label,
            Assignment.ended_at,
            Account.status,
            Account.status_before_disable,
            Account.invited_at,
        )
        .join(Assignment, Assignment.person_id == Person.id)
        .join(Function, Function.code == Assignment.function_code)
        .outerjoin(Account, Account.person_id == Person.id)
        .where(Assignment.establishment_id == establishment.id)
    )
    rows: list[TeamRow] = []
    counts = dict.fromkeys(TeamStatus, 0)
    for (
        person_id,
        last_name,
        first_name,
        proeco_email,
        email_valid,
        left_at,
        function_code,
        function_label,
        ended_at,
        account_status,
        status_before_disable,
        invited_at,
    ) in session.execute(query):
        row_status = status_of(
            assignment_ended=ended_at is not None,
            person_left=left_at is not None,
            account_status=account_status,
            status_before_disable=status_before_disable,
            email_valid=email_valid,
        )
        counts[row_status] += 1
        if wanted_status is not None and row_status != wanted_status:
            continue
        if wanted_function is not None and function_code != wanted_function:
            continue
        if wanted_name is not None and not _name_matches(wanted_name, last_name, first_name):
            continue
        invited = as_utc(invited_at)
        error = errors.get(person_id) if row_status != TeamStatus.LEFT else None
        rows.append(
            TeamRow(
                person_id=person_id,
                last_name=last_name,
                first_name=first_name,
                function_code=function_code,
                function_label=function_label,
                proeco_email=proeco_email,
                status=row_status,
                status_label=(notes.get(person_id) if row_status == TeamStatus.INVITED else None)
                or _label(row_status, invited, error),
                invited_at=invited,
                delivery_error=error,
            )
        )
    rows.sort(key=lambda row: (fold(row.last_name), fold(row.first_name), row.person_id))
    return Team(establishment=establishment, rows=rows, counts=counts)


def search_teams(session: Session, fases: Sequence[str], name: str) -> list[tuple[str, TeamRow]]:
    """The members of these teams whose name matches `name`, team by team, as (fase, row)."""
    return [(fase, row) for fase in fases for row in team_of(session, fase, name=name).rows]


@dataclass(frozen=True)
class TeamMember:
    """One person on an establishment's staff, now or formerly, as a director acts on them."""

    person_id: int
    name: str
    proeco_email: str | None
    function_label: str
    # Still works there: the assignment has not ended and the person has not left.
    current: bool


def team_member(session: Session, establishment_id: int, person_id: int) -> TeamMember | None:
    """`person_id` on the staff of the establishment (even after leaving); None if never."""
    assignment = session.scalar(
        select(Assignment).where(
            Assignment.person_id == person_id, Assignment.establishment_id == establishment_id
        )
    )
    if assignment is None:
        return None
    person = session.get_one(Person, person_id)
    return TeamMember(
        person_id=person_id,
        name=person.display_name,
        proeco_email=person.proeco_email,
        function_label=assignment.function.label,
        current=assignment.ended_at is None and person.left_at is None,
    )


def _name_matches(wanted: str, last_name: str, first_name: str) -> bool:
    return wanted in fold(f"{last_name} {first_name}") or wanted in fold(
        f"{first_name} {last_name}"
    )


def _label(status: TeamStatus, invited_at: datetime | None, delivery_error: str | None) -> str:
    if delivery_error and status in (TeamStatus.INVITED, TeamStatus.WILL_BE_INVITED):
        return messages.STATUS_DELIVERY_FAILED.format(reason=delivery_error)
    if status == TeamStatus.INVITED:
        if invited_at is None:
            return status.label
        return messages.STATUS_INVITED.format(date=messages.french_date(invited_at))
    return status.label
