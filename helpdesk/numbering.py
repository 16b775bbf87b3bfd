"""Human ticket numbers, `T-2026-00042`: one counter row per year.

The counter is incremented by one UPDATE inside the opening transaction: PostgreSQL holds the
row lock until commit and SQLite serialises writers (BEGIN IMMEDIATE), so two openers never get
the same number, and a rolled-back opening gives its number back (no gaps in normal operation).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.persistence.database import insert_unless_present
from helpdesk.models import TicketCounter

NUMBER_PATTERN = re.compile(r"\bT-(\d{4})-(\d{5,})\b", re.IGNORECASE)


def format_number(year: int, sequence: int) -> str:
    return f"T-{year}-{sequence:05d}"


def find_number(text: str | None) -> str | None:
    """The first ticket number in a text (an e-mail subject, a chat message), canonical form."""
    if not text:
        return None
    match = NUMBER_PATTERN.search(text)
    if match is None:
        return None
    return format_number(int(match.group(1)), int(match.group(2)))


def next_sequence(session: Session, year: int) -> int:
    table = TicketCounter.__table__
    insert_unless_present(session, table, year=year, last=0)
    result = session.execute(
        sa.update(table)
        .where(table.c.year == year)
        .values(last=table.c.last + 1)
        .returning(table.c.last)
    )
    return int(result.scalar_one())
