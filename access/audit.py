"""The append-only audit log. Call `record` inside the transaction that makes the change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict, Unpack

from sqlalchemy.orm import Session

from access.directory.models import AuditEntry, Person
from access.persistence.database import insert_many

PROECO_SYNC = "proeco-sync"
SYSTEM = "system"


def actor_of(person: Person | None) -> str:
    return f"person:{person.id}" if person is not None else SYSTEM


class Change(TypedDict, total=False):
    """What an entry may add to who did what: the values before and after, and why."""

    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


class Fields(Change):
    """The keywords of one entry, for `record` and `entry_values`."""

    actor: str
    action: str
    target_type: str
    target_id: NotRequired[object | None]


def record(session: Session, **fields: Unpack[Fields]) -> AuditEntry:
    entry = AuditEntry(**entry_values(**fields))
    session.add(entry)
    return entry


def entry_values(**fields: Unpack[Fields]) -> dict[str, Any]:
    """One entry's columns, for `record_all`; what is not given is None."""
    unknown = fields.keys() - Fields.__required_keys__ - Fields.__optional_keys__
    if unknown:
        raise TypeError(f"not an audit entry field: {', '.join(sorted(unknown))}")
    target_id = fields.get("target_id")
    return {
        "actor": fields["actor"],
        "action": fields["action"],
        "target_type": fields["target_type"],
        "target_id": None if target_id is None else str(target_id),
        "before": fields.get("before"),
        "after": fields.get("after"),
        "reason": fields.get("reason"),
    }


def record_all(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    """Many entries (from `entry_values`) in one INSERT."""
    if entries:
        # The table, not the class: the ORM would handle each row again in Python.
        insert_many(session, AuditEntry.__table__, entries)
