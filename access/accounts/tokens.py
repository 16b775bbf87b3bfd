"""One-time secrets sent by e-mail: invitation, password reset, e-mail change, link codes.

A token is 256 bits from `secrets`, shown once (in the e-mail) and stored only as its
SHA-256. A fast unsalted hash is enough here: with 256 bits of entropy nobody can guess a
preimage, so a slow password hash would only cost time, and a deterministic hash lets the
database find the row by an index. Short numeric codes are different (10^6 values): they
get a per-row salt, a ten-minute life and a small attempt budget instead.

Validity, single use and revocation are decided by the database in one conditional UPDATE,
so two concurrent submissions of the same token cannot both win.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.accounts.models import SecretToken
from access.clock import utcnow
from access.persistence.database import insert_many

INVITATION = "invitation"
RESET = "reset"
EMAIL_CHANGE = "email_change"
LINK_CODE = "link_code"
# The one action link of an e-mail « Votre situation » (access.diagnosis.by_mail).
SITUATION = "situation"
PURPOSES = frozenset({INVITATION, RESET, EMAIL_CHANGE, LINK_CODE, SITUATION})

TOKEN_BYTES = 32
CODE_TTL = timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")


def issue(
    session: Session,
    *,
    purpose: str,
    person_id: int,
    email: str,
    ttl: timedelta,
    subject: str | None = None,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
    raw: str | None = None,
) -> str:
    """Store a new token for `person_id`, sent to `email`; return the raw value (never stored).

    `raw` (from `new_raw()`) lets a caller write the e-mail carrying the token before the
    transaction that stores it.
    """
    raw = raw or new_raw()
    issue_many(
        session,
        purpose=purpose,
        grants=[(person_id, email, raw)],
        ttl=ttl,
        subject=subject,
        payload=payload,
        now=now,
    )
    return raw


def issue_many(
    session: Session,
    *,
    purpose: str,
    grants: Sequence[tuple[int, str, str]],
    ttl: timedelta,
    subject: str | None = None,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """`issue` for many at once, each grant being (person_id, email, raw): one INSERT, as a
    school's invitations need."""
    _check_purpose(purpose)
    if not grants:
        return
    now = now or utcnow()
    insert_many(
        session,
        # The table, not the class: the ORM would handle each row again in Python.
        SecretToken.__table__,
        [
            {
                "purpose": purpose,
                "token_hash": hash_token(raw),
                "person_id": person_id,
                "email": email,
                "subject": subject,
                "payload": payload,
                "created_at": now,
                "expires_at": now + ttl,
                "attempts": 0,
            }
            for person_id, email, raw in grants
        ],
    )


def new_raw() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _live(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        SecretToken.consumed_at.is_(None),
        SecretToken.revoked_at.is_(None),
        SecretToken.expires_at > now,
    )


def _plausible(raw: str | None) -> bool:
    # Anything not shaped like one of our tokens cannot match; skip the query.
    return bool(raw) and len(raw) <= 128 and raw.isascii()  # type: ignore[union-attr]


def peek(
    session: Session, *, purpose: str, raw: str | None, now: datetime | None = None
) -> SecretToken | None:
    """The token if it is valid now (not expired, used or revoked); consumes nothing.

    Opening a link must not spend it: mail scanners open links before people do.
    """
    _check_purpose(purpose)
    if not _plausible(raw):
        return None
    now = now or utcnow()
    return session.scalars(
        sa.select(SecretToken).where(
            SecretToken.token_hash == hash_token(raw),  # type: ignore[arg-type]
            SecretToken.purpose == purpose,
            _live(now),
        )
    ).one_or_none()


def lookup(session: Session, *, purpose: str, raw: str | None) -> SecretToken | None:
    """The token, live or not (expired, used, revoked): for a page that explains a dead link
    to its holder. Never a proof of anything: `peek` and `consume` decide what a link may do."""
    _check_purpose(purpose)
    if not _plausible(raw):
        return None
    return session.scalars(
        sa.select(SecretToken).where(
            SecretToken.token_hash == hash_token(raw),  # type: ignore[arg-type]
            SecretToken.purpose == purpose,
        )
    ).one_or_none()


def consume(
    session: Session, *, purpose: str, raw: str | None, now: datetime | None = None
) -> SecretToken | None:
    """Spend the token; the one caller that wins gets it, every other gets None."""
    _check_purpose(purpose)
    if not _plausible(raw):
        return None
    now = now or utcnow()
    token_hash = hash_token(raw)  # type: ignore[arg-type]
    result = session.execute(
        sa.update(SecretToken)
        .where(
            SecretToken.token_hash == token_hash,
            SecretToken.purpose == purpose,
            _live(now),
        )
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.scalars(
        sa.select(SecretToken)
        .where(SecretToken.token_hash == token_hash)
        .execution_options(populate_existing=True)
    ).one()


def revoke_for_person(
    session: Session,
    person_id: int | Iterable[int],
    *,
    purposes: Iterable[str] | None = None,
    reason: str,
    now: datetime | None = None,
) -> int:
    """Revoke every pending secret of the person (or people), optionally of some purposes;
    return how many."""
    now = now or utcnow()
    people = [person_id] if isinstance(person_id, int) else list(person_id)
    conditions = [
        SecretToken.person_id.in_(people),
        SecretToken.consumed_at.is_(None),
        SecretToken.revoked_at.is_(None),
    ]
    if purposes is not None:
        chosen = list(purposes)
        for purpose in chosen:
            _check_purpose(purpose)
        conditions.append(SecretToken.purpose.in_(chosen))
    result = session.execute(
        sa.update(SecretToken)
        .where(*conditions)
        .values(revoked_at=now, revoked_reason=reason[:64])
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def pending_for_person(
    session: Session, person_id: int, *, purpose: str, now: datetime | None = None
) -> list[SecretToken]:
    now = now or utcnow()
    return list(
        session.scalars(
            sa.select(SecretToken)
            .where(
                SecretToken.person_id == person_id,
                SecretToken.purpose == purpose,
                _live(now),
            )
            .order_by(SecretToken.id)
        )
    )


# --- short codes -------------------------------------------------------------------------


def _code_hash(salt: str, person_id: int, code: str) -> str:
    return hmac.new(bytes.fromhex(salt), f"{person_id}:{code}".encode(), "sha256").hexdigest()


def issue_code(
    session: Session,
    *,
    person_id: int,
    email: str,
    purpose: str = LINK_CODE,
    subject: str | None = None,
    ttl: timedelta = CODE_TTL,
    max_attempts: int = CODE_MAX_ATTEMPTS,
    now: datetime | None = None,
) -> str:
    """A 6-digit code for someone typing it back (e.g. to link a chat identity to a person).

    Issuing a new code revokes the person's earlier codes of that purpose, so only the last
    e-mail counts and attempts cannot be multiplied by asking for many codes.
    """
    _check_purpose(purpose)
    now = now or utcnow()
    revoke_for_person(session, person_id, purposes=[purpose], reason="replaced", now=now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    salt = secrets.token_hex(16)
    session.add(
        SecretToken(
            purpose=purpose,
            token_hash=_code_hash(salt, person_id, code),
            salt=salt,
            person_id=person_id,
            email=email,
            subject=subject,
            created_at=now,
            expires_at=now + ttl,
            attempts=0,
            max_attempts=max_attempts,
        )
    )
    session.flush()
    return code


def check_code(
    session: Session,
    *,
    person_id: int,
    code: str,
    purpose: str = LINK_CODE,
    subject: str | None = None,
    now: datetime | None = None,
) -> bool:
    """True once for the right code; every try counts, and the code dies after the budget."""
    _check_purpose(purpose)
    now = now or utcnow()
    conditions = [
        SecretToken.person_id == person_id,
        SecretToken.purpose == purpose,
        SecretToken.salt.is_not(None),
        _live(now),
        SecretToken.attempts < sa.func.coalesce(SecretToken.max_attempts, CODE_MAX_ATTEMPTS),
    ]
    if subject is not None:
        conditions.append(SecretToken.subject == subject)
    token = session.scalars(
        sa.select(SecretToken)
        .where(*conditions)
        .order_by(SecretToken.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    ).first()
    if token is None:
        return False
    # Count the attempt first, atomically, so parallel guesses share one budget.
    counted = session.execute(
        sa.update(SecretToken)
        .where(SecretToken.id == token.id, *conditions)
        .values(attempts=SecretToken.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount != 1:  # type: ignore[attr-defined]
        return False
    cleaned = code.strip().replace(" ", "")
    expected = token.token_hash
    if not hmac.compare_digest(_code_hash(token.salt or "", person_id, cleaned), expected):
        return False
    spent = session.execute(
        sa.update(SecretToken)
        .where(SecretToken.id == token.id, SecretToken.consumed_at.is_(None))
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    return spent.rowcount == 1  # type: ignore[attr-defined]
