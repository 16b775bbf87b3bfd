"""Measures for the helpdesk: the open queue, response and resolution times, FAQ deflection."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.clock import as_utc, utcnow
from faq.usage import deflection
from helpdesk import messages
from helpdesk.account_action_stats import AccountActionStats, account_action_stats
from helpdesk.faq_followup import ticket_traces
from helpdesk.models import OPEN_STATUSES, Category, Status, Ticket

WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Deflection:
    """Share of FAQ questions answered and marked helpful or not followed by a ticket."""

    questions: int
    deflected: int

    @property
    def rate(self) -> float | None:
        return self.deflected / self.questions if self.questions else None


@dataclass(frozen=True)
class TicketStats:
    since: datetime
    open_by_status: dict[str, int]
    open_by_category: dict[str, int]
    opened: int
    resolved: int
    median_first_response: timedelta | None
    median_resolution: timedelta | None
    deflection: Deflection | None = field(default=None)
    # Tickets resolved after an agent acted on the requester's account from the card.
    account_actions: AccountActionStats | None = field(default=None)

    @property
    def open_total(self) -> int:
        return sum(self.open_by_status.values())

    def as_dict(self) -> dict[str, Any]:
        def seconds(value: timedelta | None) -> float | None:
            return None if value is None else round(value.total_seconds(), 1)

        deflection = None
        if self.deflection is not None:
            deflection = {
                "questions": self.deflection.questions,
                "deflected": self.deflection.deflected,
                "rate": self.deflection.rate,
            }
        return {
            "since": self.since.isoformat(),
            "open_total": self.open_total,
            "open_by_status": self.open_by_status,
            "open_by_category": self.open_by_category,
            "opened": self.opened,
            "resolved": self.resolved,
            "median_first_response_seconds": seconds(self.median_first_response),
            "median_resolution_seconds": seconds(self.median_resolution),
            "faq_deflection": deflection,
            "resolved_by_account_action": (
                None
                if self.account_actions is None
                else {
                    "resolved": self.account_actions.resolved,
                    "median_resolution_seconds": seconds(self.account_actions.median_resolution),
                }
            ),
        }


def stats_rows(result: TicketStats) -> list[tuple[str, str]]:
    """The measures as (French label, value) rows, for a table in any transport."""
    rows = [(messages.STATS_OPEN_TOTAL, str(result.open_total))]
    for status, count in result.open_by_status.items():
        label = messages.status_label(status)
        rows.append((messages.STATS_OPEN_STATUS.format(label=label), str(count)))
    for category, count in result.open_by_category.items():
        label = messages.category_label(category)
        rows.append((messages.STATS_OPEN_CATEGORY.format(label=label), str(count)))
    rows.append((messages.STATS_OPENED, str(result.opened)))
    rows.append((messages.STATS_RESOLVED, str(result.resolved)))

    def seconds(value: timedelta | None) -> float | None:
        return None if value is None else value.total_seconds()

    rows.append(
        (messages.STATS_FIRST_RESPONSE, messages.duration_fr(seconds(result.median_first_response)))
    )
    rows.append(
        (messages.STATS_RESOLUTION, messages.duration_fr(seconds(result.median_resolution)))
    )
    if result.account_actions is not None:
        rows.append((messages.STATS_ACCOUNT_RESOLVED, str(result.account_actions.resolved)))
        rows.append(
            (
                messages.STATS_ACCOUNT_RESOLUTION,
                messages.duration_fr(seconds(result.account_actions.median_resolution)),
            )
        )
    deflection = result.deflection
    if deflection is not None and deflection.rate is not None:
        value = messages.STATS_DEFLECTION_VALUE.format(
            rate=round(deflection.rate * 100),
            deflected=deflection.deflected,
            questions=deflection.questions,
        )
    else:
        value = messages.STATS_NONE
    rows.append((messages.STATS_DEFLECTION, value))
    return rows


def _median(durations: list[timedelta]) -> timedelta | None:
    if not durations:
        return None
    return timedelta(seconds=statistics.median(d.total_seconds() for d in durations))


def open_by_status(session: Session) -> dict[str, int]:
    """How many tickets are open, by status (every open status, zero included)."""
    open_values = [s.value for s in OPEN_STATUSES]
    by_status = dict.fromkeys(open_values, 0)
    rows = session.execute(
        sa.select(Ticket.status, sa.func.count())
        .where(Ticket.status.in_(open_values))
        .group_by(Ticket.status)
    )
    for status, count in rows:
        by_status[status] = int(count)
    return by_status


def stats(
    session: Session, *, now: datetime | None = None, window: timedelta = WINDOW
) -> TicketStats:
    now = now or utcnow()
    since = now - window
    open_values = [s.value for s in OPEN_STATUSES]
    by_status = open_by_status(session)

    by_category = {c.value: 0 for c in Category}
    rows = session.execute(
        sa.select(Ticket.category, sa.func.count())
        .where(Ticket.status.in_(open_values))
        .group_by(Ticket.category)
    )
    for category, count in rows:
        by_category[category] = int(count)

    opened = session.scalar(sa.select(sa.func.count()).where(Ticket.created_at >= since)) or 0

    # Times are measured on what happened in the window: responses given and tickets
    # resolved during the last 30 days.
    responded = session.execute(
        sa.select(Ticket.created_at, Ticket.first_response_at).where(
            Ticket.first_response_at >= since
        )
    )
    first_responses = [
        as_utc(answered) - as_utc(created)  # type: ignore[operator]
        for created, answered in responded
    ]
    resolved_rows = list(
        session.execute(
            sa.select(Ticket.created_at, Ticket.resolved_at).where(
                Ticket.status == Status.RESOLVED.value, Ticket.resolved_at >= since
            )
        )
    )
    resolutions = [
        as_utc(resolved) - as_utc(created)  # type: ignore[operator]
        for created, resolved in resolved_rows
    ]
    return TicketStats(
        since=since,
        open_by_status=by_status,
        open_by_category=by_category,
        opened=int(opened),
        resolved=len(resolved_rows),
        median_first_response=_median(first_responses),
        median_resolution=_median(resolutions),
        deflection=faq_deflection(session, since, now),
        account_actions=account_action_stats(session, since),
    )


def faq_deflection(
    session: Session, since: datetime, now: datetime | None = None
) -> Deflection | None:
    """From the FAQ's usage log; None when it has no log yet."""
    try:
        # In the caller's session (a second connection would wait on SQLite's write lock),
        # inside a savepoint so a missing table cannot spoil the caller's transaction.
        with session.begin_nested():
            counts = deflection(
                session, since=since, now=now, tickets=ticket_traces(session, since)
            )
    except sa.exc.SQLAlchemyError:
        return None
    return Deflection(questions=int(counts["asked"]), deflected=int(counts["deflected"]))
