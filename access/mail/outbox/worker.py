"""The delivery loop: claim, send over several connections, record in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import aiosmtplib
import sqlalchemy as sa

from access.clock import utcnow
from access.config import AccessSettings
from access.mail.outbox import doorbell
from access.mail.outbox.files import FileSender
from access.mail.outbox.smtp import IDLE_CLOSE_SECONDS, SmtpSender, describe_error, login_refusal
from access.mail.outbox.store import (
    Claimed,
    DeliveryReport,
    Outcome,
    claim,
    claim_timeout,
    has_due,
    new_worker_id,
    record,
)
from access.persistence.database import Database

log = logging.getLogger(__name__)

RECORD_EVERY_SECONDS = 0.05


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
    late = claim_timeout(run.settings) / 2
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
                    permanent, reason = describe_error(error)
                    # The server's text may name the recipient: only the code goes to the log.
                    code = getattr(error, "code", None) or type(error).__name__
                    refused = login_refusal(error) is not None
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
