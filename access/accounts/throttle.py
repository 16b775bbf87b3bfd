"""Counting requests per client and per address, to slow down abuse of public forms.

Uses the sign-in attempts table: the client and the address are stored only as keys.
Sign-in and password reset (`access.accounts.signin`) and the support form share these counts.

A client is the address the web edge names (`bot.web.clients`): the peer, or the visitor a
trusted proxy forwarded, private or public alike. The edge passes "" when the address names
no one visitor (no address, or an untrusted proxy's); such a request is counted per address
only. A count followed by a write is one step per key (`serialize`), so concurrent requests
cannot all pass a check that only one of them should.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from access.accounts.models import LoginAttempt, email_key
from access.clock import utcnow
from access.emails import normalize_email

# Unrelated addresses sharing a lock only wait for each other: 32 bits of the key suffice.
_LOCK_SPACE = 0x45585452  # the first argument of pg_advisory_xact_lock(int, int): "EXTR"
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:space, :id)")
_NO_VISITOR = frozenset({"", "unknown"})


def client_key(client: str) -> str:
    # The client's address is personal data: kept only as a key for counting.
    return email_key(f"client:{client}")


def counted_client(client: str | None) -> str | None:
    """The key `client` is counted under, or None when it names no one visitor."""
    if client is None or client.strip() in _NO_VISITOR:
        return None
    return client_key(client.strip())


def serialize(session: Session, *keys: str | None) -> None:
    """Until the caller's transaction ends, no other transaction gets past this call for the
    same keys. On SQLite the write transaction (BEGIN IMMEDIATE) runs alone: it is begun here,
    since a session begins it only at its first statement and what the caller reads after
    this call (the time, say) must come after the turn; on PostgreSQL each key takes an
    advisory lock, in one order for every caller so that two transactions locking the same
    keys never deadlock."""
    if session.get_bind().dialect.name != "postgresql":
        session.connection()
        return
    for lock_id in sorted({lock_id_of(key) for key in keys if key}):
        session.execute(_ADVISORY_LOCK, {"space": _LOCK_SPACE, "id": lock_id})


def lock_id_of(key: str) -> int:
    """The PostgreSQL advisory lock (second argument, in `_LOCK_SPACE`) that `key` takes."""
    return int(key[:8], 16) - 2**31


def count(
    session: Session,
    kind: str,
    *,
    since: datetime,
    key: str | None = None,
    client: str | None = None,
) -> int:
    """Attempts of `kind` since `since`, for one address key and/or one client key."""
    query = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.kind == kind, LoginAttempt.at >= since
    )
    if key is not None:
        query = query.where(LoginAttempt.email_key == key)
    if client is not None:
        query = query.where(LoginAttempt.client == client)
    return int(session.scalar(query) or 0)


def allow(
    session: Session,
    kind: str,
    *,
    client: str,
    address: str | None,
    per_client: int,
    per_address: int,
    window: timedelta,
    now: datetime | None = None,
) -> bool:
    """Record one request of `kind` and say whether it stays within both limits.

    Refused requests are recorded too, so hammering the form does not reset the count.
    """
    now = now or utcnow()
    since = now - window
    by_client, by_address = counted_client(client), email_key(address or "")
    serialize(session, by_client, by_address if address is not None else None)
    within = (
        by_client is None or count(session, kind, since=since, client=by_client) < per_client
    ) and (address is None or count(session, kind, since=since, key=by_address) < per_address)
    session.add(LoginAttempt(kind=kind, email_key=by_address, client=by_client, at=now))
    return within


@dataclass(frozen=True)
class PendingRequest:
    """A request by address accepted before any lookup (a reset link, a situation mail), to
    carry out after the answer so that known and unknown addresses look the same."""

    address: str
    attempt_id: int
    at: datetime


def accept_request(
    session: Session,
    kind: str,
    email: str,
    client: str,
    *,
    window: timedelta,
    per_client: int,
    per_address: int,
    now: datetime,
) -> tuple[bool, PendingRequest | None]:
    """Record a request of `kind` for `email` without looking the address up: (False, None)
    when the client asked too often; over the per-address limit the request is accepted all
    the same, only with nothing to carry out (the answer must not change)."""
    address = normalize_email(email) or email.strip()
    key, by_client = email_key(address), counted_client(client)
    serialize(session, by_client, key)
    since = now - window
    if by_client is not None and count(session, kind, since=since, client=by_client) >= (
        per_client
    ):
        return False, None
    over_address_limit = count(session, kind, since=since, key=key) >= per_address
    attempt = LoginAttempt(
        kind=kind, email_key=key, client=by_client, at=now, success=over_address_limit
    )
    session.add(attempt)
    session.flush()
    return True, None if over_address_limit else PendingRequest(address, attempt.id, now)


def mark_done(session: Session, pending: PendingRequest) -> None:
    """The request has been carried out (or found to concern no one)."""
    session.execute(
        update(LoginAttempt).where(LoginAttempt.id == pending.attempt_id).values(success=True)
    )
