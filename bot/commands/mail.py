"""`extranet-bot mail ingest [--maildir DIR]`: inbound e-mail to helpdesk tickets.

Without --maildir, one RFC 5322 message is read from standard input (for a mail server's
pipe transport). With a Maildir, every message not yet seen is processed, each in its own
transaction, then marked seen: running it again does nothing new.

A message that cannot be processed (over MAIL_INGEST_MAX_BYTES, or one that makes the
processing fail) is moved to the Maildir's `.Quarantine` folder and the run goes on; the
exit code is then 1. On standard input it is refused with exit code 1 (the mail server
returns it); when the database cannot be reached the exit code is 75 (EX_TEMPFAIL: the mail
server keeps the message and tries again), and a Maildir run stops, leaving it unseen.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.commands.context import AppContext, pass_app

if TYPE_CHECKING:
    from access.persistence.database import Database
    from bot.settings import Settings
    from helpdesk.inbound import InboundOptions, IngestResult
    from helpdesk.triage import TriageNotifier

log = logging.getLogger(__name__)


@click.group(help="Inbound e-mail.")
def mail() -> None:
    pass


def _ingest_one(
    settings: Settings, database: Database, triage: TriageNotifier, raw: bytes
) -> IngestResult:
    result = _ingest_or_refuse(settings, database, raw)
    if result.outcome == "created" and settings.triage_channel and result.number:
        triage.publish(result.number)
    elif result.outcome == "appended" and result.text is not None and result.number:
        # An answer on a ticket in the triage channel: agents read it in its thread.
        triage.relay(result.number, result.text, reopened=result.reopened)
    return result


def _describe(result: IngestResult) -> str:
    if result.outcome == "created":
        missing = (
            f" (identification requested: {len(result.missing)} field(s))" if result.missing else ""
        )
        doubt = f" (sender not proven for {result.cited})" if result.cited else ""
        return f"created {result.number}{missing}{doubt}"
    if result.outcome in ("appended", "duplicate"):
        return f"{result.outcome} {result.number}"
    if result.outcome == "bounce":
        about = f" ({result.number})" if result.number else ""
        return f"bounce recorded: {result.reason}{about}"
    return f"ignored: {result.reason}"


@mail.command("ingest", help="Turn e-mails into tickets (stdin: one message; or a Maildir).")
@click.option(
    "--maildir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Process the unseen messages of this Maildir folder.",
)
@pass_app
def ingest_command(app: AppContext, maildir: Path | None) -> None:
    # Here, not at the top: the Slack client loads only for the commands that post.
    from bot.slack.triage import triage_notifier

    database = app.database()
    triage = triage_notifier(app.settings, database)
    if maildir is None:
        _ingest_stdin(app.settings, database, triage)
    else:
        _ingest_maildir(app.settings, database, triage, maildir)


# --- refusing and quarantining what cannot be processed ------------------------------------


def unavailable_errors() -> tuple[type[Exception], ...]:
    """The database, not the message: try again later, never quarantine for it."""
    from sqlalchemy import exc as db_errors

    return (
        db_errors.OperationalError,
        db_errors.InterfaceError,
        db_errors.ProgrammingError,
        db_errors.TimeoutError,
        db_errors.DisconnectionError,
    )


EX_TEMPFAIL = 75


class Unprocessable(Exception):
    """A message that would fail however often it is tried; the reason names no person."""


def _options(settings: Settings) -> InboundOptions:
    from helpdesk.inbound import InboundOptions

    return InboundOptions(
        max_bytes=settings.mail_ingest_max_bytes,
        dmarc_authserv_id=settings.mail_ingest_dmarc_authserv_id or None,
    )


def _ingest_or_refuse(settings: Settings, database: Database, raw: bytes) -> IngestResult:
    from helpdesk.errors import MessageTooLarge
    from helpdesk.inbound import ingest

    try:
        with database.transaction() as session:
            return ingest(
                session,
                settings,
                raw,
                triage_enabled=bool(settings.triage_channel),
                options=_options(settings),
            )
    except unavailable_errors():
        raise
    except MessageTooLarge as error:
        raise Unprocessable(str(error)) from error
    except Exception as error:
        # Only the kind of error: its text may quote the message (a name, an address).
        log.debug("message could not be processed", exc_info=True)
        raise Unprocessable(f"{type(error).__name__} while processing the message") from error


def _unavailable(error: Exception) -> str:
    return f"database unavailable or not migrated ({type(error).__name__})"


def _ingest_stdin(settings: Settings, database: Database, triage: TriageNotifier) -> None:
    from helpdesk.errors import MessageTooLarge

    limit = settings.mail_ingest_max_bytes
    raw = sys.stdin.buffer.read(limit + 1)
    if not raw.strip():
        raise click.ClickException("no message on standard input")
    try:
        if len(raw) > limit:
            raise Unprocessable(str(MessageTooLarge(None, limit)))
        click.echo(_describe(_ingest_one(settings, database, triage, raw)))
    except Unprocessable as error:
        raise click.ClickException(f"message refused: {error}") from None
    except unavailable_errors() as error:
        click.echo(f"Error: {_unavailable(error)}; not ingested, try again later", err=True)
        sys.exit(EX_TEMPFAIL)


def _ingest_maildir(
    settings: Settings, database: Database, triage: TriageNotifier, root: Path
) -> None:
    from helpdesk.errors import MessageTooLarge
    from helpdesk.inbound import maildir as maildirs

    if not maildirs.is_maildir(root):
        raise click.ClickException(f"{root} is not a Maildir (no new/, cur/ and tmp/)")
    counts: dict[str, int] = {}
    failed = 0
    for entry in maildirs.unseen(root):
        try:
            raw = entry.read(settings.mail_ingest_max_bytes)
            result = _ingest_one(settings, database, triage, raw)
        except (Unprocessable, MessageTooLarge) as error:
            try:
                maildirs.quarantine(root, entry)
            except OSError as move_error:
                log.error("message %s: %s; not moved: %s", entry.unique, error, move_error)
                failed += 1
                continue
            log.warning("message %s quarantined: %s", entry.unique, error)
            click.echo(f"quarantined: {error}")
            counts["quarantined"] = counts.get("quarantined", 0) + 1
            continue
        except unavailable_errors() as error:
            # Every next message would fail the same way: stop, leave them for the next run.
            raise click.ClickException(
                f"{_unavailable(error)}; the unseen messages stay for the next run"
            ) from None
        except Exception as error:
            # Saved, but announcing it failed: left unseen, the next run finds it a duplicate.
            log.warning("message %s: %s after saving it", entry.unique, type(error).__name__)
            failed += 1
            continue
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        click.echo(_describe(result))
        maildirs.mark_seen(root, entry)
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
    click.echo(
        f"Maildir processed: {summary or 'nothing new'}" + (f", {failed} failed" if failed else "")
    )
    quarantined = counts.get("quarantined", 0)
    if quarantined:
        folder = root / maildirs.QUARANTINE
        raise click.ClickException(
            f"{quarantined} message(s) could not be processed and were moved to {folder}; "
            "see the log"
        )
    if failed:
        raise click.ClickException(f"{failed} message(s) could not be ingested; see the log")
