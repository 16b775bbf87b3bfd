"""What the chat remembers across processes: who a chat user is, and which events were handled.

Both live in the database (migration 0004_chat) so several web processes, or a restart,
share them: a Slack retry reaching another process is still answered once. Linking by a code
(`/extranet lier`) keeps here who waits for which person; the code itself is
`access.accounts.link_codes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from access.accounts import link_codes
from access.accounts.link_codes import CodeRequest
from access.clock import as_utc, utcnow
from access.config import AccessSettings
from access.persistence.database import Base, Database

# A link found through the Slack profile e-mail is checked again after a day (the person may
# have changed address); "nobody matches" is remembered briefly so a burst of messages from an
# unknown user costs one profile lookup.
EMAIL_LINK_TTL = timedelta(days=1)
UNKNOWN_TTL = timedelta(minutes=10)
EVENT_RETENTION = timedelta(days=2)

NEVER = datetime(2000, 1, 1, tzinfo=UTC)

METHOD_EMAIL = "email"
METHOD_CODE = "code"


class ChatUserLink(Base):
    __tablename__ = "chat_user_links"

    transport: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id"), nullable=True, index=True
    )
    # "email" (Slack profile e-mail matched the directory) or "code" (/extranet lier).
    method: Mapped[str | None] = mapped_column(String(16), nullable=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    linked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The person a link code was sent for, while the user has not typed it back yet.
    pending_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)


class ProcessedEvent(Base):
    __tablename__ = "chat_processed_events"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


def get_link(session: Session, transport: str, user_id: str) -> ChatUserLink | None:
    return session.get(ChatUserLink, (transport, user_id))


def is_fresh(link: ChatUserLink, now: datetime | None = None) -> bool:
    """Whether a cached answer can be used without asking the transport again."""
    now = now or utcnow()
    if link.method == METHOD_CODE and link.person_id is not None:
        return True
    ttl = EMAIL_LINK_TTL if link.person_id is not None else UNKNOWN_TTL
    checked = as_utc(link.checked_at) or now
    return now - checked < ttl


def save_link(
    session: Session,
    transport: str,
    user_id: str,
    person_id: int | None,
    *,
    method: str | None,
) -> ChatUserLink:
    link = get_link(session, transport, user_id)
    now = utcnow()
    if link is None:
        link = ChatUserLink(transport=transport, user_id=user_id)
        session.add(link)
    if link.method == METHOD_CODE and link.person_id is not None and method != METHOD_CODE:
        # A link proven by a code wins over a later profile lookup that finds nobody.
        link.checked_at = now
        return link
    if person_id != link.person_id:
        link.linked_at = now if person_id is not None else None
    link.person_id = person_id
    link.method = method if person_id is not None else None
    link.checked_at = now
    if person_id is not None:
        link.pending_person_id = None
    session.flush()
    return link


def link_row(session: Session, transport: str, user_id: str) -> ChatUserLink:
    """The user's row, created (as "never checked") when missing, without touching a link."""
    link = get_link(session, transport, user_id)
    if link is None:
        link = ChatUserLink(transport=transport, user_id=user_id, checked_at=NEVER)
        session.add(link)
        session.flush()
    return link


def code_subject(transport: str, user_id: str) -> str:
    """Who asks for link codes, as the tokens table records it (throttle and check)."""
    return f"{transport}:{user_id}"[:64]


def request_link_code(
    session: Session,
    settings: AccessSettings,
    transport: str,
    user_id: str,
    *,
    fase: str,
    last_name: str,
    first_name: str,
    channel_label: str,
    actor: str,
) -> CodeRequest:
    """Mail a code to the person named; the chat user then waits for that person (or nobody)."""
    request = link_codes.send_link_code(
        session,
        settings,
        subject=code_subject(transport, user_id),
        fase=fase,
        last_name=last_name,
        first_name=first_name,
        channel_label=channel_label,
        actor=actor,
    )
    if not request.throttled:
        link_row(session, transport, user_id).pending_person_id = request.person_id
    return request


@dataclass(frozen=True)
class CodeCheck:
    """`person_id`: the person the user was waiting for (None: no code asked); `linked`: the
    code was right and the chat user is now that person."""

    person_id: int | None
    linked: bool


def confirm_link_code(
    session: Session, transport: str, user_id: str, code: str, *, actor: str
) -> CodeCheck:
    link = get_link(session, transport, user_id)
    person_id = link.pending_person_id if link is not None else None
    if person_id is None:
        return CodeCheck(None, linked=False)
    ok = link_codes.check_link_code(
        session,
        person_id=person_id,
        code=code,
        subject=code_subject(transport, user_id),
        actor=actor,
    )
    if ok:
        save_link(session, transport, user_id, person_id, method=METHOD_CODE)
    return CodeCheck(person_id, linked=ok)


def user_for_person(session: Session, transport: str, person_id: int) -> str | None:
    return session.scalars(
        sa.select(ChatUserLink.user_id)
        .where(ChatUserLink.transport == transport, ChatUserLink.person_id == person_id)
        .order_by(ChatUserLink.linked_at.desc())
        .limit(1)
    ).first()


def claim_event(db: Database, event_id: str) -> bool:
    """True the first time an event id is seen, in any process; False for a retry."""
    try:
        with db.transaction() as session:
            session.add(ProcessedEvent(event_id=event_id))
    except IntegrityError:
        return False
    return True


def prune_events(db: Database, now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - EVENT_RETENTION
    with db.transaction() as session:
        result = session.execute(
            sa.delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
