"""The durable mail outbox and its delivery worker.

Every e-mail is written to `outbox_messages` by `enqueue`, in the transaction of the change
that causes it: if that change rolls back, no mail leaves; if it commits, the mail survives
crashes and SMTP outages until a worker delivers it.

Delivery (`deliver_due`, `run_worker`):

- A worker claims due messages atomically: one UPDATE sets them `sending`, stamped with the
  worker's id and the time (PostgreSQL picks the rows with `FOR UPDATE SKIP LOCKED`, so
  concurrent workers never wait for nor take each other's rows; SQLite serializes writers
  with BEGIN IMMEDIATE, see access.persistence.database). The claim counts as an attempt.
- `outbox_concurrency` SMTP connections send in parallel, each reused for many messages.
- A 4xx answer or a connection problem is temporary: the message goes back to `pending`
  with exponential backoff and jitter, until `outbox_max_attempts`; a 5xx answer is
  permanent. Either way the reason is kept (`last_error`) and shown to the director.
- Results are written back in one transaction every `RECORD_EVERY_SECONDS` at most.

Delivery is at-least-once. A worker killed between the SMTP server's "250 OK" and the write
of `sent` leaves its claim behind; after `outbox_claim_timeout_seconds` another worker takes
the message again and sends it a second time. Those are the only duplicates possible: at
most the messages in flight at the moment of the crash and those accepted in the last
`RECORD_EVERY_SECONDS` (a few dozen on a fast relay), and they carry the same Message-ID,
so receiving systems can recognise them. The other choice, at-most-once (mark `sent` before
sending), would silently lose those messages instead; an invitation that never arrives is
worse than one that arrives twice.

A message's bytes are deleted once it is sent or has failed for good, in the transaction
that records it: an invitation carries its activation link in clear, and the database keeps
only the token's hash (access.accounts.tokens); the row itself (recipient, status, reason) stays for
the team list.

`MAIL_BACKEND=file` writes each message as `<Message-ID>.eml` into MAIL_DIR instead (a
redelivery rewrites the same file).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import random
import re
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid
from pathlib import Path

import aiosmtplib
import sqlalchemy as sa
from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from access.clock import utcnow
from access.config import AccessSettings
from access.directory.models import BigId
from access.mail.letter import Letter
from access.mail.outbox import doorbell
from access.messages import DELIVERY_UNREACHABLE
from access.persistence.database import Base, Database, insert_many

log = logging.getLogger(__name__)

RECORD_EVERY_SECONDS = 0.05
# last_error of a message whose bytes are missing (for operators; the team list shows the
# wording for reasons without an SMTP code, DELIVERY_UNREACHABLE).
BYTES_LOST = "message bytes missing from outbox_bodies"
IDLE_CLOSE_SECONDS = 10.0


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    # "invitation", "activation_confirmation", "password_reset", "ticket", ...
    kind: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    # What the message is about, for the caller (e.g. "invitation-request:12", "ticket:42").
    ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    mail_from: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    # None once the message is sent or has failed for good (see the module's docstring).
    body: Mapped[OutboxBody | None] = relationship(cascade="all, delete-orphan")

    @property
    def raw(self) -> bytes | None:
        return None if self.body is None else self.body.raw


class OutboxBody(Base):
    """The bytes of a message, apart: they never change while its status does several times
    (a status update then rewrites a small row, not the whole message)."""

    __tablename__ = "outbox_bodies"

    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), primary_key=True
    )
    raw: Mapped[bytes] = mapped_column(LargeBinary)


_table = OutboxMessage.__table__
_bodies = OutboxBody.__table__

# --- enqueue -----------------------------------------------------------------------------


# Slots, not frozen (here and in Claimed): a thousand are made per school, and a frozen
# dataclass is several times slower to build.
@dataclass(slots=True)
class Sealed:
    """A message in its final bytes, with its envelope: what the outbox stores."""

    message_id: str
    mail_from: str
    recipients: list[str]
    raw: bytes


def seal(letter: Letter, *, now: datetime | None = None) -> Sealed:
    """Give the letter its Message-ID and Date, once, so every delivery attempt sends the
    same bytes. Callers preparing many messages may seal them before opening the
    transaction that enqueues them."""
    mail_from = letter.sender.addr_spec
    domain = mail_from.rpartition("@")[2] or "localhost"
    message_id = make_msgid(idstring=uuid.uuid4().hex[:12], domain=domain)
    return Sealed(
        message_id=message_id,
        mail_from=mail_from,
        recipients=letter.recipients,
        raw=letter.to_bytes(message_id=message_id, date=now or utcnow()),
    )


def enqueue(
    session: Session,
    message: Letter | Sealed,
    *,
    kind: str,
    person_id: int | None = None,
    ref: str | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Store `message` for delivery, in the caller's transaction; return the outbox row."""
    now = now or utcnow()
    sealed = message if isinstance(message, Sealed) else seal(message, now=now)
    row = OutboxMessage(**_values(sealed, kind=kind, person_id=person_id, ref=ref, now=now))
    row.body = OutboxBody(raw=sealed.raw)
    session.add(row)
    doorbell.ring(session)
    return row


def enqueue_many(
    session: Session,
    messages: Sequence[tuple[Sealed, int | None]],
    *,
    kind: str,
    ref: str | None = None,
    now: datetime | None = None,
) -> None:
    """`enqueue` for many sealed messages, each with its person: a few statements for all."""
    if not messages:
        return
    now = now or utcnow()
    insert_many(
        session,
        _table,
        [
            _values(sealed, kind=kind, person_id=person_id, ref=ref, now=now)
            for sealed, person_id in messages
        ],
    )
    # Not INSERT ... RETURNING: on SQLite, returning ids in order means one INSERT per row.
    raws = {sealed.message_id: sealed.raw for sealed, _ in messages}
    ids = session.execute(
        sa.select(_table.c.id, _table.c.message_id).where(_table.c.message_id.in_(list(raws)))
    )
    insert_many(
        session, _bodies, [{"outbox_id": row.id, "raw": raws[row.message_id]} for row in ids]
    )
    doorbell.ring(session)


def _values(
    sealed: Sealed, *, kind: str, person_id: int | None, ref: str | None, now: datetime
) -> dict[str, object]:
    return {
        "message_id": sealed.message_id,
        "kind": kind,
        "person_id": person_id,
        "ref": ref,
        "mail_from": sealed.mail_from,
        "recipients": sealed.recipients,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


# --- claims and results ------------------------------------------------------------------


@dataclass(slots=True)
class Claimed:
    id: int
    message_id: str
    mail_from: str
    recipients: list[str]
    raw: bytes
    attempts: int
    claimed_at: datetime


@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0

    def add(self, other: DeliveryReport) -> None:
        for name in ("claimed", "sent", "retried", "failed", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(slots=True)
class Outcome:
    item: Claimed
    ok: bool
    permanent: bool = False
    error: str | None = None
    released: bool = False
    # Not the message's fault (the relay refused our login): retried, never failed for it.
    deferred: bool = False


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _claim_timeout(settings: AccessSettings) -> timedelta:
    return timedelta(seconds=settings.outbox_claim_timeout_seconds)


def _abandoned(settings: AccessSettings, now: datetime) -> sa.ColumnElement[bool]:
    stale = now - _claim_timeout(settings)
    return sa.and_(_table.c.status == OutboxStatus.SENDING.value, _table.c.claimed_at < stale)


def _due(settings: AccessSettings, now: datetime, due_by: datetime) -> sa.ColumnElement[bool]:
    """What `claim` takes: never tried and due, due again by `due_by`, or abandoned."""
    return sa.or_(
        sa.and_(
            _table.c.status == OutboxStatus.PENDING.value,
            sa.or_(
                _table.c.next_attempt_at <= due_by,
                sa.and_(_table.c.attempts == 0, _table.c.next_attempt_at <= now),
            ),
        ),
        _abandoned(settings, now),
    )


# Built once: a worker with nothing to do runs it several times a second, and building and
# keying the statement each time cost more than running it.
_DUE_CHECK = (
    sa.select(_table.c.id)
    .where(
        sa.or_(
            sa.and_(
                _table.c.status == OutboxStatus.PENDING.value,
                _table.c.next_attempt_at <= sa.bindparam("due_by", type_=DateTime(timezone=True)),
            ),
            sa.and_(
                _table.c.status == OutboxStatus.SENDING.value,
                _table.c.claimed_at < sa.bindparam("stale", type_=DateTime(timezone=True)),
            ),
        )
    )
    .limit(1)
)


def has_due(
    db: Database,
    settings: AccessSettings,
    *,
    now: datetime | None = None,
    due_by: datetime | None = None,
) -> bool:
    """Whether `claim` would find something, without its write: a worker with nothing to do
    asks this several times a second, and a claim (on SQLite, the database's write lock)
    each time made the send of a school's invitations wait, and cost the idle worker a
    fifth of a core at a 20 ms poll."""
    now = now or utcnow()
    # `claim` also takes never-tried messages due by `now` when `due_by` is earlier.
    params = {"due_by": max(now, due_by or now), "stale": now - _claim_timeout(settings)}
    with db.reading() as connection:
        return connection.execute(_DUE_CHECK, params).first() is not None


def claim(
    db: Database,
    settings: AccessSettings,
    *,
    worker_id: str,
    limit: int,
    now: datetime | None = None,
    due_by: datetime | None = None,
) -> list[Claimed]:
    """Atomically take up to `limit` messages for `worker_id`: those never tried yet, and
    those due for another attempt by `due_by` (default: now)."""
    now = now or utcnow()
    due_by = due_by or now
    abandoned = _abandoned(settings, now)
    with db.transaction() as session:
        # A message whose worker died on each of its attempts is not retried forever.
        exhausted = session.scalars(
            _table.update()
            .where(abandoned, _table.c.attempts >= settings.outbox_max_attempts)
            .values(
                status=OutboxStatus.FAILED.value,
                claimed_by=None,
                last_error="worker stopped while sending, attempts exhausted",
            )
            .returning(_table.c.id)
        ).all()
        _forget_bodies(session, exhausted)
        candidates = (
            sa.select(_table.c.id)
            .where(_due(settings, now, due_by))
            .order_by(_table.c.next_attempt_at, _table.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = session.execute(
            _table.update()
            .where(_table.c.id.in_(candidates.scalar_subquery()))
            .values(
                status=OutboxStatus.SENDING.value,
                claimed_by=worker_id,
                claimed_at=now,
                attempts=_table.c.attempts + 1,
            )
            .returning(
                _table.c.id,
                _table.c.message_id,
                _table.c.mail_from,
                _table.c.recipients,
                _table.c.attempts,
            )
        ).all()
        bodies = session.execute(
            sa.select(_bodies.c.outbox_id, _bodies.c.raw).where(
                _bodies.c.outbox_id.in_([row.id for row in rows])
            )
        )
        raws = {body.outbox_id: body.raw for body in bodies}
        lost = [row.id for row in rows if row.id not in raws]
        if lost:
            # Bytes are only deleted with a final status, so this takes a hand in the database;
            # failing those rows keeps one damaged message from stopping every delivery.
            log.error("outbox messages %s have no bytes; marked failed", lost)
            session.execute(
                _table.update()
                .where(_table.c.id.in_(lost))
                .values(status=OutboxStatus.FAILED.value, claimed_by=None, last_error=BYTES_LOST)
            )
    claimed = [
        Claimed(
            id=row.id,
            message_id=row.message_id,
            mail_from=row.mail_from,
            recipients=list(row.recipients),
            raw=bytes(raws[row.id]),
            attempts=row.attempts,
            claimed_at=now,
        )
        for row in rows
        if row.id in raws
    ]
    claimed.sort(key=lambda c: c.id)
    return claimed


def backoff(settings: AccessSettings, attempts: int) -> timedelta:
    """Exponential, capped, with jitter so retries of a whole batch do not arrive together."""
    ceiling = min(
        settings.outbox_retry_max_seconds,
        settings.outbox_retry_base_seconds * (2 ** max(attempts - 1, 0)),
    )
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def record(
    db: Database,
    settings: AccessSettings,
    *,
    worker_id: str,
    outcomes: Sequence[Outcome],
    now: datetime | None = None,
) -> DeliveryReport:
    """Write the results of sending back to the outbox, in one transaction."""
    now = now or utcnow()
    report = DeliveryReport()
    sent_ids = [o.item.id for o in outcomes if o.ok]
    with db.transaction() as session:
        if sent_ids:
            # Sent is sent, whoever holds the claim now: the server has the message.
            session.execute(
                _table.update()
                .where(_table.c.id.in_(sent_ids), _table.c.status != OutboxStatus.SENT.value)
                .values(
                    status=OutboxStatus.SENT.value,
                    sent_at=now,
                    claimed_by=None,
                    last_error=None,
                )
            )
            report.sent += len(sent_ids)
        done = list(sent_ids)
        mine = sa.and_(
            _table.c.claimed_by == worker_id, _table.c.status == OutboxStatus.SENDING.value
        )
        for outcome in outcomes:
            if outcome.ok:
                continue
            item = outcome.item
            if outcome.released:
                values: dict[str, object] = {
                    "status": OutboxStatus.PENDING.value,
                    "claimed_by": None,
                    "attempts": max(item.attempts - 1, 0),
                }
                report.released += 1
            elif not outcome.deferred and (
                outcome.permanent or item.attempts >= settings.outbox_max_attempts
            ):
                values = {
                    "status": OutboxStatus.FAILED.value,
                    "claimed_by": None,
                    "last_error": outcome.error,
                }
                report.failed += 1
            else:
                values = {
                    "status": OutboxStatus.PENDING.value,
                    "claimed_by": None,
                    "last_error": outcome.error,
                    "next_attempt_at": now + backoff(settings, item.attempts),
                }
                report.retried += 1
            changed = session.scalars(
                _table.update()
                .where(_table.c.id == item.id, mine)
                .values(**values)
                .returning(_table.c.id)
            ).all()
            # Only if it is still this worker's: another one may be sending it meanwhile.
            if changed and values["status"] == OutboxStatus.FAILED.value:
                done.append(item.id)
        _forget_bodies(session, done)
    return report


def _forget_bodies(session: Session, outbox_ids: Sequence[int]) -> None:
    """Delete the bytes of messages that will never be sent again (sent, or failed for good):
    an invitation's bytes hold a live activation link, which must not outlive its delivery
    in the database."""
    if outbox_ids:
        session.execute(_bodies.delete().where(_bodies.c.outbox_id.in_(list(outbox_ids))))


# --- transports --------------------------------------------------------------------------


# Answers about our login, not about a message (RFC 4954): authentication required (530),
# mechanism too weak (534), credentials invalid (535), encryption required (538).
_LOGIN_REFUSALS = frozenset({530, 534, 535, 538})


def _login_refusal(error: BaseException) -> aiosmtplib.SMTPResponseException | None:
    if isinstance(error, aiosmtplib.SMTPResponseException) and (
        isinstance(error, aiosmtplib.SMTPAuthenticationError) or error.code in _LOGIN_REFUSALS
    ):
        return error
    return None


def _describe(error: BaseException) -> tuple[bool, str]:
    """(permanent?, reason for the log and the team list) of a failed send."""
    refusal = _login_refusal(error)
    if refusal is not None:
        # A setting to fix (SMTP_USERNAME, SMTP_PASSWORD, SMTP_TLS), not a bad message: once
        # it is fixed, the messages go out with their next attempt.
        return False, f"{refusal.code} {refusal.message}"[:500]
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        first = error.recipients[0] if error.recipients else None
        text = f"{first.code} {first.message}" if first else "recipients refused"
        return permanent, text[:500]
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return 500 <= error.code < 600, f"{error.code} {error.message}"[:500]
    if isinstance(error, aiosmtplib.SMTPNotSupported):
        # This relay cannot carry an address written with accents; trying again will not help.
        return True, f"553 {error}"[:500]
    return False, f"connection failed: {type(error).__name__}"


def _smtp_client(settings: AccessSettings) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_tls == "tls",
        start_tls=settings.smtp_tls == "starttls",
        timeout=settings.smtp_timeout_seconds,
        local_hostname="localhost",
    )


_RECIPIENT_ACCEPTED = (aiosmtplib.SMTPStatus.completed, aiosmtplib.SMTPStatus.will_forward)
# What an envelope address may hold once validated; anything else (a line break above all,
# which would smuggle a command) is refused even if it got past validation somehow.
_ENVELOPE_ADDRESS = re.compile(r"[^\s<>@]+@[^\s<>@]+")


def _envelope_address(address: str) -> bytes:
    if not _ENVELOPE_ADDRESS.fullmatch(address):
        raise aiosmtplib.SMTPRecipientRefused(501, "invalid address", address)
    return b"<" + address.encode("utf-8") + b">"


async def _data(client: aiosmtplib.SMTP, raw: bytes) -> None:
    """DATA and the message, as `SMTP.data` sends them, for bytes already in SMTP's shape.

    `SMTP.data` rewrites every line ending of the message with a regular expression, then
    doubles leading dots with another: on messages the outbox wrote with CRLF endings
    (access.mail.letter), the first changes nothing, and both together were an eighth of the
    worker's time per message. Here the line endings are only checked, and the dots doubled
    with one `bytes.replace`; anything else goes through `SMTP.data`."""
    protocol = client.protocol
    crlf = raw.count(b"\r\n")
    if protocol is None or raw.count(b"\r") != crlf or raw.count(b"\n") != crlf:
        await client.data(raw, timeout=None)
        return
    response = await client.execute_command(b"DATA", timeout=None)
    if response.code != aiosmtplib.SMTPStatus.start_input:
        raise aiosmtplib.SMTPDataError(response.code, response.message)
    # Transparency (RFC 5321, 4.5.2): a line starting with "." gets another one.
    payload = raw.replace(b"\r\n.", b"\r\n..")
    if payload.startswith(b"."):
        payload = b"." + payload
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    # The protocol's own write and read: this connection has one user, this sender, and
    # nothing can arrive between the write and the read, which starts without yielding.
    protocol.write(payload + b".\r\n")
    response = await protocol.read_response(timeout=None)
    if response.code != aiosmtplib.SMTPStatus.completed:
        raise aiosmtplib.SMTPDataError(response.code, response.message)


class SmtpSender:
    """One reused SMTP connection; reconnects after any connection-level failure."""

    def __init__(self, settings: AccessSettings) -> None:
        self.settings = settings
        self.client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self.client is not None and self.client.is_connected:
            return self.client
        client = _smtp_client(self.settings)
        await client.connect()
        try:
            if client.last_ehlo_response is None and client.last_helo_response is None:
                # The commands below are sent as they are: the extensions must be known first.
                try:
                    await client.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await client.helo()
            if self.settings.smtp_username:
                if not client.supports_extension("auth"):
                    # Many relays offer AUTH only after STARTTLS: a login refused (a
                    # setting to fix), not a message the relay cannot carry.
                    raise aiosmtplib.SMTPAuthenticationError(530, "the relay offers no AUTH")
                password = self.settings.smtp_password
                await client.login(
                    self.settings.smtp_username, password.get_secret_value() if password else ""
                )
        except BaseException:
            # Not kept, so closed now rather than whenever it is collected.
            client.close()
            raise
        self.client = client
        return client

    async def send(self, item: Claimed) -> None:
        client = await self._connected()
        try:
            # One deadline for the whole message rather than one per command: aiosmtplib
            # arms a timer around every answer it waits for, which was a tenth of the
            # worker's time per message.
            async with asyncio.timeout(self.settings.smtp_timeout_seconds):
                await self._transaction(client, item)
        except aiosmtplib.SMTPResponseException as error:
            if error.code == 421:
                await self.close()
            else:
                await self._reset(client)
            raise
        except aiosmtplib.SMTPRecipientsRefused:
            await self._reset(client)
            raise
        except aiosmtplib.SMTPNotSupported:
            # Refused before any command: the connection is fine for the next message.
            raise
        except TimeoutError:
            # An answer may still come and would be read as the next command's: drop the
            # connection without a QUIT (which would wait on the same silent server).
            self._drop()
            raise
        except (aiosmtplib.SMTPException, OSError):
            await self.close()
            raise

    @staticmethod
    async def _transaction(client: aiosmtplib.SMTP, item: Claimed) -> None:
        """What `SMTP.sendmail` does, through aiosmtplib's own commands, minus the work this
        outbox has already done: the addresses were validated when the message was enqueued
        (access.emails) and the bytes have CRLF line endings (access.mail.letter). Parsing every
        address again with the standard library's parser was a third of the worker's CPU."""
        utf8 = not (item.mail_from.isascii() and all(r.isascii() for r in item.recipients))
        if utf8 and not client.supports_extension("smtputf8"):
            raise aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server")
        options = [b"SMTPUTF8"] if utf8 else []
        if client.supports_extension("size"):
            options.insert(0, b"SIZE=%d" % len(item.raw))
        response = await client.execute_command(
            b"MAIL", b"FROM:" + _envelope_address(item.mail_from), *options, timeout=None
        )
        if response.code != aiosmtplib.SMTPStatus.completed:
            raise aiosmtplib.SMTPSenderRefused(response.code, response.message, item.mail_from)
        refused: list[aiosmtplib.SMTPRecipientRefused] = []
        for recipient in item.recipients:
            response = await client.execute_command(
                b"RCPT", b"TO:" + _envelope_address(recipient), timeout=None
            )
            if response.code not in _RECIPIENT_ACCEPTED:
                refused.append(
                    aiosmtplib.SMTPRecipientRefused(response.code, response.message, recipient)
                )
        if len(refused) == len(item.recipients):
            raise aiosmtplib.SMTPRecipientsRefused(refused)
        await _data(client, item.raw)

    @staticmethod
    async def _reset(client: aiosmtplib.SMTP) -> None:
        # As sendmail does: the next message on this connection starts a clean envelope.
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            if client.is_connected:
                await client.rset()

    def _drop(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            client.close()

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            if client.is_connected:
                await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class FileSender:
    """MAIL_BACKEND=file: `<Message-ID>.eml` files; rewriting a redelivered one is harmless."""

    def __init__(self, settings: AccessSettings) -> None:
        self.directory = Path(settings.mail_dir)

    def _write(self, item: Claimed) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = _UNSAFE_NAME.sub("_", item.message_id.strip("<>"))[:200] or str(item.id)
        target = self.directory / f"{name}.eml"
        temporary = self.directory / f".{name}.{os.getpid()}.tmp"
        temporary.write_bytes(item.raw)
        os.replace(temporary, target)

    async def send(self, item: Claimed) -> None:
        await asyncio.to_thread(self._write, item)

    async def close(self) -> None:
        return None


# --- the delivery loop -------------------------------------------------------------------


@dataclass
class _Run:
    settings: AccessSettings
    db: Database
    worker_id: str
    stop: asyncio.Event | None
    queue: asyncio.Queue[Claimed | None]
    results: list[Outcome] = field(default_factory=list)
    results_ready: asyncio.Event = field(default_factory=asyncio.Event)
    report: DeliveryReport = field(default_factory=DeliveryReport)
    keep_connections: bool = False
    bell: doorbell.Doorbell | None = None
    # Set when the relay refuses our login: the rest of the run is put back for a retry
    # without logging in again for each message (relays lock accounts after a few tries).
    login_refused: str | None = None
    # Claims and results take turns: on SQLite two writers of one process would otherwise
    # wait for each other's write lock.
    database: asyncio.Lock = field(default_factory=asyncio.Lock)

    def stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()


def _chunk(settings: AccessSettings, connections: int) -> int:
    # Claim little ahead of the senders, so claimed messages are sent long before the claim
    # could be taken for a dead worker's.
    return max(1, min(settings.outbox_batch_size, connections * 25))


async def _produce(run: _Run, connections: int) -> None:
    settings = run.settings
    chunk = _chunk(settings, connections)
    # One run delivers what was due when it started and what arrives while it runs: a
    # message put back for a retry during the run waits for a later run, even when its
    # backoff is shorter than this one.
    started = utcnow()
    try:
        # After a refused login, nothing more is claimed: each claim would spend an attempt.
        while not run.stopping() and run.login_refused is None:
            async with run.database:
                items = await asyncio.to_thread(
                    _claim_if_due,
                    run.db,
                    settings,
                    worker_id=run.worker_id,
                    limit=chunk,
                    due_by=started,
                )
            run.report.claimed += len(items)
            if not items:
                if run.queue.empty():
                    break
                # Still sending: a team's next chunk may be being written right now.
                await _wait_for_mail(run.bell, settings.outbox_poll_seconds, run.stop)
                continue
            # The queue holds one chunk: the next claim happens while it is being sent, so
            # the senders do not run dry during the claim.
            for item in items:
                await run.queue.put(item)
    finally:
        for _ in range(connections):
            await run.queue.put(None)


def _claim_if_due(
    db: Database, settings: AccessSettings, *, worker_id: str, limit: int, due_by: datetime
) -> list[Claimed]:
    if not has_due(db, settings, due_by=due_by):
        return []
    return claim(db, settings, worker_id=worker_id, limit=limit, due_by=due_by)


async def _wait_for_mail(
    bell: doorbell.Doorbell | None, timeout: float, stop: asyncio.Event | None
) -> None:
    if bell is not None:
        await bell.wait(timeout, stop)
    elif stop is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=timeout)
    else:
        await asyncio.sleep(timeout)


async def _consume(run: _Run, sender: SmtpSender | FileSender) -> None:
    late = _claim_timeout(run.settings) / 2
    try:
        while True:
            item = await run.queue.get()
            if item is None:
                return
            if run.stopping() or utcnow() - item.claimed_at > late:
                # Not sent yet, and the claim is getting old: give it back untouched
                # rather than risk another worker sending it too.
                run.results.append(Outcome(item, ok=False, released=True))
            elif run.login_refused is not None:
                run.results.append(Outcome(item, ok=False, error=run.login_refused, deferred=True))
            else:
                try:
                    await sender.send(item)
                    run.results.append(Outcome(item, ok=True))
                except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
                    permanent, reason = _describe(error)
                    # The server's text may name the recipient: only the code goes to the log.
                    code = getattr(error, "code", None) or type(error).__name__
                    refused = _login_refusal(error) is not None
                    if refused:
                        if run.login_refused is None:
                            log.error(
                                "SMTP relay refused the login (%s): check SMTP_USERNAME, "
                                "SMTP_PASSWORD and SMTP_TLS; messages are kept for a retry",
                                code,
                            )
                        run.login_refused = reason
                    log.warning("outbox message %s not sent (%s)", item.id, code)
                    run.results.append(
                        Outcome(
                            item,
                            ok=False,
                            permanent=permanent,
                            error=reason,
                            deferred=refused,
                        )
                    )
            run.results_ready.set()
    finally:
        if not run.keep_connections:
            await sender.close()


async def _record(run: _Run, senders_done: asyncio.Event) -> None:
    while True:
        if not run.results:
            if senders_done.is_set():
                return
            run.results_ready.clear()
            waiter = asyncio.ensure_future(run.results_ready.wait())
            done_waiter = asyncio.ensure_future(senders_done.wait())
            await asyncio.wait({waiter, done_waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            done_waiter.cancel()
            continue
        if not senders_done.is_set():
            # Gather what else finishes meanwhile: a transaction per message would cost
            # more than sending it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(senders_done.wait(), RECORD_EVERY_SECONDS)
        batch, run.results = run.results, []
        async with run.database:
            partial = await asyncio.to_thread(
                record, run.db, run.settings, worker_id=run.worker_id, outcomes=batch
            )
        run.report.add(partial)


async def deliver_due_async(
    settings: AccessSettings,
    db: Database,
    *,
    worker_id: str | None = None,
    stop_event: asyncio.Event | None = None,
    senders: Sequence[SmtpSender | FileSender] | None = None,
    bell: doorbell.Doorbell | None = None,
) -> DeliveryReport:
    """Deliver everything due now, then return what happened.

    Connections of `senders` given by the caller stay open for its next run. With `bell`,
    mail committed while the senders are busy is taken as soon as it is rung in.
    """
    keep_connections = senders is not None
    senders = senders if senders is not None else new_senders(settings)
    connections = len(senders)
    run = _Run(
        settings=settings,
        db=db,
        worker_id=worker_id or new_worker_id(),
        stop=stop_event,
        queue=asyncio.Queue(maxsize=_chunk(settings, connections)),
        keep_connections=keep_connections,
        bell=bell,
    )
    senders_done = asyncio.Event()
    recorder = asyncio.create_task(_record(run, senders_done))
    try:
        await asyncio.gather(_produce(run, connections), *(_consume(run, s) for s in senders))
    finally:
        senders_done.set()
        run.results_ready.set()
        await recorder
    return run.report


def new_senders(settings: AccessSettings) -> list[SmtpSender | FileSender]:
    if settings.mail_backend == "file":
        return [FileSender(settings)]
    return [SmtpSender(settings) for _ in range(max(1, settings.outbox_concurrency))]


def deliver_due(settings: AccessSettings, db: Database) -> DeliveryReport:
    """Synchronous `deliver_due_async` (CLI `worker --once`, tests)."""
    return asyncio.run(deliver_due_async(settings, db))


async def run_worker(
    settings: AccessSettings, db: Database, stop_event: asyncio.Event | None = None
) -> None:
    """Deliver until `stop_event` is set; what is claimed when it is set goes back untouched."""
    stop_event = stop_event or asyncio.Event()
    worker_id = new_worker_id()
    log.info("outbox worker %s started (backend %s)", worker_id, settings.mail_backend)
    # Connections outlive one run, and are closed after IDLE_CLOSE_SECONDS without work: a
    # team's invitations arrive chunk after chunk, and reconnecting between two would cost
    # more than the wait.
    senders = new_senders(settings)
    idle_since: float | None = None
    loop = asyncio.get_running_loop()
    try:
        bell: doorbell.Doorbell | None = await doorbell.open_doorbell(db)
    except sa.exc.SQLAlchemyError:
        log.exception("outbox worker: no doorbell; polling only")
        bell = None
    try:
        while not stop_event.is_set():
            try:
                if await asyncio.to_thread(has_due, db, settings):
                    report = await deliver_due_async(
                        settings,
                        db,
                        worker_id=worker_id,
                        stop_event=stop_event,
                        senders=senders,
                        bell=bell,
                    )
                else:
                    report = DeliveryReport()
            except sa.exc.SQLAlchemyError:
                log.exception("outbox worker: database error; retrying")
                report = DeliveryReport()
            if report.claimed:
                log.info(
                    "outbox: %d sent, %d to retry, %d failed",
                    report.sent,
                    report.retried,
                    report.failed,
                )
                idle_since = None
                continue
            idle_since = idle_since if idle_since is not None else loop.time()
            if loop.time() - idle_since >= IDLE_CLOSE_SECONDS:
                for sender in senders:
                    await sender.close()
            await _wait_for_mail(bell, settings.outbox_poll_seconds, stop_event)
    finally:
        for sender in senders:
            await sender.close()
        if bell is not None:
            await bell.close()
    log.info("outbox worker %s stopped", worker_id)


# --- what the team list shows ------------------------------------------------------------


def last_failure_for(
    session: Session, person_ids: Iterable[int], *, kinds: Iterable[str] = ("invitation",)
) -> dict[int, str]:
    """For each person whose latest message (of `kinds`) failed for good, the reason."""
    ids = list(person_ids)
    if not ids:
        return {}
    latest = (
        sa.select(sa.func.max(_table.c.id).label("id"))
        .where(_table.c.person_id.in_(ids), _table.c.kind.in_(list(kinds)))
        .group_by(_table.c.person_id)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(_table.c.person_id, _table.c.last_error).where(
            _table.c.id.in_(latest), _table.c.status == OutboxStatus.FAILED.value
        )
    ).all()
    return {row.person_id: failure_reason(row.last_error) for row in rows}


def failure_reason(last_error: str | None) -> str:
    """What the director reads after « Échec d'envoi : »: the mail server's own words."""
    if not last_error or not last_error[:3].isdigit():
        return DELIVERY_UNREACHABLE
    return last_error
