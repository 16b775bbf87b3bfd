"""Counting requests per client and per address, to slow down abuse of public forms.

Uses the sign-in attempts table: the client and the address are stored only as keys.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.clock import utcnow
from access.models_auth import LoginAttempt, email_key


def client_key(client: str) -> str:
    return email_key(f"client:{client}")


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

    def count(**where: str) -> int:
        query = select(func.count(LoginAttempt.id)).where(
            LoginAttempt.kind == kind, LoginAttempt.at >= since
        )
        if "client" in where:
            query = query.where(LoginAttempt.client == where["client"])
        if "key" in where:
            query = query.where(LoginAttempt.email_key == where["key"])
        return int(session.scalar(query) or 0)

    within = count(client=by_client) < per_client and (
        address is None or count(key=by_address) < per_address
    )
    session.add(LoginAttempt(kind=kind, email_key=by_address, client=by_client, at=now))
    return within
