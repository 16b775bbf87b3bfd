"""`extranet-bot mail ingest [--maildir DIR]`: inbound e-mail to helpdesk tickets.

Without --maildir, one RFC 5322 message is read from standard input (for a mail server's
pipe transport). With a Maildir, every message not yet seen is processed, each in its own
transaction, then marked seen: running it again does nothing new.
"""

from __future__ import annotations

import logging
import mailbox
import sys
from pathlib import Path

import click

from access.persistence.database import Database
from bot.commands.context import AppContext, pass_app
from bot.settings import Settings
from helpdesk.inbound import IngestResult, ingest
from helpdesk.triage import TriageNotifier

log = logging.getLogger(__name__)


@click.group(help="Inbound e-mail.")
def mail() -> None:
    pass


def _ingest_one(
    settings: Settings, database: Database, triage: TriageNotifier, raw: bytes
) -> IngestResult:
    with database.transaction() as session:
        result = ingest(session, settings, raw, triage_enabled=bool(settings.triage_channel))
    if result.outcome == "created" and settings.triage_channel and result.number:
        triage.publish(result.number)
    return result


def _describe(result: IngestResult) -> str:
    if result.outcome == "created":
        missing = (
            f" (identification requested: {len(result.missing)} field(s))" if result.missing else ""
        )
        return f"created {result.number}{missing}"
    if result.outcome in ("appended", "duplicate"):
        return f"{result.outcome} {result.number}"
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
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            raise click.ClickException("no message on standard input")
        click.echo(_describe(_ingest_one(app.settings, database, triage, raw)))
        return

    box = mailbox.Maildir(maildir, factory=None, create=False)
    counts: dict[str, int] = {}
    failed = 0
    for key in list(box.keys()):
        message = box.get_message(key)
        if "S" in message.get_flags():
            continue
        try:
            result = _ingest_one(app.settings, database, triage, box.get_bytes(key))
        except Exception:
            # One bad message must not block the rest; it stays unseen for the next run.
            log.exception("could not ingest message %s", key)
            failed += 1
            continue
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
        click.echo(_describe(result))
        message.set_subdir("cur")
        message.add_flag("S")
        box[key] = message
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
    click.echo(
        f"Maildir processed: {summary or 'nothing new'}" + (f", {failed} failed" if failed else "")
    )
    if failed:
        raise click.ClickException(f"{failed} message(s) could not be ingested; see the log")
