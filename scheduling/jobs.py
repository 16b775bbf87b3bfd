"""The scheduled jobs: each a name, the setting that holds its schedule, and its work.

Each job calls the use case of the package that owns its subject, with the settings turned
into plain arguments, and returns what it counted and one line for the run record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from access.directory.digest import DigestBuilder, directors
from access.directory.profiles import load_profiles
from access.housekeeping import Retention, housekeep
from access.invitations.reminders import send_reminders
from access.persistence.database import Database
from access.proeco.drop import REFUSED, import_from_drop
from faq.usage import forget_personal_data
from helpdesk.followup import RequesterNotifier, follow_up_tickets
from scheduling.config import SchedulingSettings
from scheduling.notify import DigestSender, OpsAlerts


@dataclass
class JobContext:
    """What a run gets: the database, the settings, its instant, and who to tell what."""

    db: Database
    settings: SchedulingSettings
    now: datetime
    alerts: OpsAlerts
    digests: DigestSender
    requesters: RequesterNotifier


@dataclass(frozen=True)
class JobResult:
    counts: dict[str, int] = field(default_factory=dict)
    detail: str = ""
    # False: the run did its work but the outcome needs the operators (it alerted them).
    ok: bool = True


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    # The SchedulingSettings field holding its crontab.
    setting: str
    work: Callable[[JobContext], JobResult]
    # Why the job cannot run with these settings (None: it can).
    unconfigured: Callable[[SchedulingSettings], str | None] = lambda _settings: None

    def crontab(self, settings: SchedulingSettings) -> str:
        return str(getattr(settings, self.setting))


def _days(value: int) -> timedelta:
    return timedelta(days=value)


# --- the nightly ProECO import -------------------------------------------------------------------


def _no_drop_dir(settings: SchedulingSettings) -> str | None:
    return None if settings.proeco_drop_dir is not None else "PROECO_DROP_DIR is not set"


def proeco_import(ctx: JobContext) -> JobResult:
    settings = ctx.settings
    drop_dir = settings.proeco_drop_dir
    assert drop_dir is not None
    result = import_from_drop(
        ctx.db,
        drop_dir,
        profiles=load_profiles(settings.profiles_file),
        settle=timedelta(seconds=settings.proeco_drop_settle_seconds),
        now=ctx.now,
    )
    if result.refused:
        ctx.alerts.alert(
            f"ProECO import refused: {result.file}: {result.refused_reason}. "
            f"The previous data stays; the file and its report are in {drop_dir / REFUSED}."
        )
    return JobResult(counts=result.counts(), detail=result.summary(), ok=not result.refused)


# --- invitation reminders ------------------------------------------------------------------------


def invitation_reminders(ctx: JobContext) -> JobResult:
    settings = ctx.settings
    report = send_reminders(
        ctx.db,
        settings,
        after=_days(settings.reminder_after_days),
        max_reminders=settings.reminders_max,
        now=ctx.now,
    )
    return JobResult(counts=report.counts(), detail=f"{report.reminded} reminded")


# --- the directors' weekly digest ----------------------------------------------------------------


def directors_digest(ctx: JobContext) -> JobResult:
    with ctx.db.session() as session:
        builder = DigestBuilder(session, ctx.now)
        digests = [
            digest
            for person_id in directors(session)
            if (digest := builder.for_director(person_id)) is not None
        ]
    sent: Counter[str] = Counter()
    failed = 0
    for digest in digests:
        try:
            sent[ctx.digests.send(digest)] += 1
        except Exception:
            failed += 1
    counts = {"directors": len(digests), **sent, "failed": failed}
    detail = (
        f"{len(digests)} digests: " + ", ".join(f"{n} by {how}" for how, n in sent.items())
        if digests
        else "nothing to say to any director"
    )
    if failed:
        ctx.alerts.alert(f"Directors' digest: {failed} of {len(digests)} could not be sent")
    return JobResult(counts=counts, detail=detail, ok=not failed)


# --- tickets that wait for their requester -------------------------------------------------------


def ticket_followup(ctx: JobContext) -> JobResult:
    settings = ctx.settings
    report = follow_up_tickets(
        ctx.db,
        settings,
        ctx.requesters,
        remind_after=_days(settings.ticket_remind_days),
        close_after=_days(settings.ticket_close_days),
        now=ctx.now,
    )
    counts = report.counts()
    return JobResult(counts=counts, detail=", ".join(f"{n} {what}" for what, n in counts.items()))


# --- housekeeping --------------------------------------------------------------------------------


def housekeeping(ctx: JobContext) -> JobResult:
    settings = ctx.settings
    retention = Retention(
        tokens=_days(settings.token_retention_days),
        outbox_sent=_days(settings.outbox_sent_retention_days),
    )
    with ctx.db.transaction() as session:
        counts = housekeep(session, retention, now=ctx.now)
        counts["faq_questions"] = forget_personal_data(
            session, before=ctx.now - _days(settings.faq_log_retention_days)
        )
    forgotten = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
    return JobResult(
        counts=counts, detail=f"forgot {forgotten}" if forgotten else "nothing to forget"
    )


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "proeco-import",
            "Import the newest complete ProECO export of PROECO_DROP_DIR.",
            "schedule_proeco_import",
            proeco_import,
            _no_drop_dir,
        ),
        Job(
            "invitation-reminders",
            "Remind who was invited and has not activated (a fresh link).",
            "schedule_invitation_reminders",
            invitation_reminders,
        ),
        Job(
            "directors-digest",
            "Send each director the week's digest of their team's access.",
            "schedule_directors_digest",
            directors_digest,
        ),
        Job(
            "ticket-followup",
            "Remind requesters tickets wait for; close those left unanswered.",
            "schedule_ticket_followup",
            ticket_followup,
        ),
        Job(
            "housekeeping",
            "Forget expired secrets, old attempts and sessions, sent mail, FAQ log details.",
            "schedule_housekeeping",
            housekeeping,
        ),
    )
}
