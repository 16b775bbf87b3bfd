"""The append-only audit log. Call `record` inside the transaction that makes the change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from access.directory.models import AuditEntry, Person
from access.persistence.database import insert_many

PROECO_SYNC = "proeco-sync"
SYSTEM = "system"


def actor_of(person: Person | None) -> str:
    return f"person:{person.id}" if person is not None else SYSTEM


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: object | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        **entry_values(
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            before=before,
            after=after,
            reason=reason,
        )
    )
    session.add(entry)
    return entry


def entry_values(
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: object | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """One entry's columns, for `record_all`."""
    return {
        "actor": actor,
        "action": action,
        "target_type": target_type,
        "target_id": None if target_id is None else str(target_id),
        "before": before,
        "after": after,
        "reason": reason,
    }


def record_all(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    """Many entries (from `entry_values`) in one INSERT."""
    if entries:
        # The table, not the class: the ORM would handle each row again in Python.
        insert_many(session, AuditEntry.__table__, entries)
