"""`serialize`: one step per key, its turn taken when it returns."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from access.accounts import throttle
from access.accounts.models import email_key
from access.persistence.database import Database


def test_the_turn_is_taken_when_serialize_returns(db: Database) -> None:
    """What the caller reads after `serialize` (a sign-in attempt's time) comes after its
    turn: from that moment, before any statement of the caller, no other writer of the same
    key gets in (sign-in attempts dated before an attempt written ahead of them let an
    eleventh failure follow a success)."""
    key = email_key("marie.curie@example.org")
    with db.transaction() as session:
        throttle.serialize(session, key)
        if db.is_sqlite:
            other = sqlite3.connect(make_url(db.url).database or "", timeout=0)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
        else:
            with db.engine.connect() as other:
                taken = other.scalar(
                    text("SELECT pg_try_advisory_xact_lock(:space, :id)"),
                    {"space": throttle._LOCK_SPACE, "id": throttle.lock_id_of(key)},
                )
            assert taken is False
