"""Counting requests per client and per address, to slow down abuse of public forms.

Uses the sign-in attempts table: the client and the address are stored only as keys.
Sign-in and password reset (`access.accounts.signin`) and the support form share these counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.accounts.models import LoginAttempt, email_key
from access.clock import utcnow


def client_key(client: str) -> str:
    # The client's address is personal data: kept only as a key for counting.
    return email_key(f"client:{client}")


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
    by_client, by_address = client_key(client), email_key(address or "")
    within = count(session, kind, since=since, client=by_client) < per_client and (
        address is None or count(session, kind, since=since, key=by_address) < per_address
    )
    session.add(LoginAttempt(kind=kind, email_key=by_address, client=by_client, at=now))
    return within
