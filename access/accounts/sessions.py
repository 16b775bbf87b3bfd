"""Web sessions kept on the server, so that signing out ends a session for good.

The browser's cookie holds a random secret; the table `web_sessions` keeps only its SHA-256,
with the person and the session's times. Every request asks `session_person`, which answers
only while the session is alive. A session ends:

- at sign-out (`end_session`), or on « Se déconnecter de tous les appareils »
  (`end_all_sessions`);
- when the password changes: the credential version taken at sign-in no longer matches, so a
  reset ends every session whatever changed the password; a change from « Mon accès » keeps
  the browser that made it, under a new secret (`keep_only`);
- when the account is no longer active;
- after an idle time and at an absolute lifetime, as Keycloak's « SSO Session Idle » and
  « SSO Session Max », longer for « Se souvenir de moi » (`BROWSER`, `REMEMBERED`).

Sessions that ended are deleted at the next sign-in of anyone (`prune`), as old sign-in
attempts are.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.orm import Session

from access import audit
from access.accounts.models import WebSession
from access.accounts.signin import signed_in_person
from access.clock import as_utc, utcnow


@dataclass(frozen=True)
class Lifetime:
    """How long a session lives without a request (`idle`), and at most (`maximum`)."""

    idle: timedelta
    maximum: timedelta


BROWSER = Lifetime(idle=timedelta(minutes=30), maximum=timedelta(hours=12))
REMEMBERED = Lifetime(idle=timedelta(days=7), maximum=timedelta(days=30))
# A request writes the session's last activity at most this often, not on every page.
TOUCH_EVERY = timedelta(minutes=1)


def lifetime(remember: bool) -> Lifetime:
    return REMEMBERED if remember else BROWSER


def _key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _alive(row: WebSession, now: datetime) -> bool:
    last_seen, expires = as_utc(row.last_seen_at), as_utc(row.expires_at)
    assert last_seen is not None and expires is not None
    return (
        row.revoked_at is None and now < expires and now - last_seen < lifetime(row.remember).idle
    )


def start_session(
    session: Session,
    person_id: int,
    *,
    credential_version: str,
    remember: bool,
    replacing: str | None = None,
    now: datetime | None = None,
) -> str:
    """A new session for a person who just proved their password; returns the secret for the
    cookie. `credential_version` is `SignInResult.session_version`; `replacing`, the secret
    of the session this browser held before, which ends (nothing survives a sign-in)."""
    now = now or utcnow()
    prune(session, now)
    if replacing is not None:
        end_session(session, replacing, now=now)
    secret = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id=_key(secret),
            person_id=person_id,
            remember=remember,
            credential_version=credential_version,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime(remember).maximum,
        )
    )
    return secret


class Ended(enum.StrEnum):
    """Why a cookie's session signs nobody in, as the sign-in page explains it."""

    IDLE = "idle"  # no request for longer than its idle time
    EXPIRED = "expired"  # past its absolute lifetime
    CLOSED = "closed"  # signed out elsewhere, new password, account no longer active, unknown


@dataclass(frozen=True)
class Check:
    """A cookie's session: the person it signs in, or why it ended."""

    person_id: int | None
    ended: Ended | None = None


def _why_ended(row: WebSession, now: datetime) -> Ended:
    last_seen, expires = as_utc(row.last_seen_at), as_utc(row.expires_at)
    assert last_seen is not None and expires is not None
    if row.revoked_at is not None:
        return Ended.CLOSED
    if now >= expires:
        return Ended.EXPIRED
    return Ended.IDLE if now - last_seen >= lifetime(row.remember).idle else Ended.CLOSED


def check_session(session: Session, secret: str, *, now: datetime | None = None) -> Check:
    """The person signed in by `secret`, or why nobody is (the session is then ended for good)."""
    now = now or utcnow()
    row = session.get(WebSession, _key(secret))
    if row is None:
        return Check(None, Ended.CLOSED)
    if (
        not _alive(row, now)
        or signed_in_person(session, row.person_id, row.credential_version) is None
    ):
        ended = _why_ended(row, now)
        if row.revoked_at is None:
            row.revoked_at = now
        return Check(None, ended)
    last_seen = as_utc(row.last_seen_at)
    assert last_seen is not None
    if now - last_seen >= TOUCH_EVERY:
        row.last_seen_at = now
    return Check(row.person_id)


def session_person(session: Session, secret: str, *, now: datetime | None = None) -> int | None:
    """The person signed in by `secret`, or None when the session ended (or never was)."""
    return check_session(session, secret, now=now).person_id


def end_session(session: Session, secret: str, *, now: datetime | None = None) -> None:
    """Sign-out: the cookie's secret signs nobody in any more, wherever it is replayed."""
    row = session.get(WebSession, _key(secret))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now or utcnow()


def end_all_sessions(session: Session, person_id: int, *, now: datetime | None = None) -> int:
    """« Se déconnecter de tous les appareils »: every session of the person ends, this one
    too. Returns how many were still open; the audit log keeps who did it."""
    now = now or utcnow()
    ended = session.execute(
        update(WebSession)
        .where(WebSession.person_id == person_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    audit.record(
        session,
        actor=f"person:{person_id}",
        action="sessions.ended",
        target_type="person",
        target_id=person_id,
        after={"sessions": ended},
        reason="signed out of every device",
    )
    return int(ended or 0)


def keep_only(
    session: Session,
    person_id: int,
    secret: str | None,
    *,
    credential_version: str,
    now: datetime | None = None,
) -> tuple[str | None, int]:
    """After a password change from a signed-in browser: every other session of the person
    ends, and this one goes on under a new secret bound to the new password (its lifetimes
    unchanged). Returns the new secret (None when `secret` was no longer the person's live
    session) and how many other sessions ended."""
    now = now or utcnow()
    row = session.get(WebSession, _key(secret)) if secret is not None else None
    kept = row if row is not None and row.person_id == person_id and _alive(row, now) else None
    # The others still alive: those past their lifetimes already signed nobody in.
    others = update(WebSession).where(
        WebSession.person_id == person_id,
        WebSession.revoked_at.is_(None),
        WebSession.expires_at > now,
        or_(
            *(
                and_(WebSession.remember == remember, WebSession.last_seen_at > now - life.idle)
                for remember, life in ((False, BROWSER), (True, REMEMBERED))
            )
        ),
    )
    if kept is not None:
        others = others.where(WebSession.id != kept.id)
    ended = session.execute(
        others.values(revoked_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if kept is None:
        return None, int(ended or 0)
    kept.revoked_at = now
    fresh = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id=_key(fresh),
            person_id=person_id,
            remember=kept.remember,
            credential_version=credential_version,
            created_at=kept.created_at,
            last_seen_at=now,
            expires_at=kept.expires_at,
        )
    )
    return fresh, int(ended or 0)


def prune(session: Session, now: datetime) -> None:
    """Delete the sessions that ended: signed out, or past their idle or absolute lifetime."""
    idle_over = [
        and_(WebSession.remember == remember, WebSession.last_seen_at <= now - life.idle)
        for remember, life in ((False, BROWSER), (True, REMEMBERED))
    ]
    session.execute(
        delete(WebSession)
        .where(or_(WebSession.revoked_at.is_not(None), WebSession.expires_at <= now, *idle_over))
        .execution_options(synchronize_session=False)
    )
