"""`extranet-bot jobs [--json]`: the scheduled jobs, their schedules and their runs;
`extranet-bot jobs run NAME`: run one now (claimed like a scheduled run, recorded the same)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from access.clock import as_utc, utcnow
from bot.commands.context import AppContext, pass_app
from bot.commands.lazy import LazyChoice
from bot.commands.output import table

if TYPE_CHECKING:
    from scheduling.jobs import Job, JobContext
    from scheduling.models import JobRun


def job_context_factory(app: AppContext) -> Callable[[datetime], JobContext]:
    """Job contexts with the notifiers these settings call for (Slack, e-mail)."""
    # Here, not at the top: the Slack client loads only for the commands that post.
    from bot.slack.scheduled import scheduler_notifiers
    from scheduling.jobs import JobContext

    db = app.database()
    notifiers = scheduler_notifiers(app.settings, db)

    def make(now: datetime) -> JobContext:
        return JobContext(
            db=db,
            settings=app.settings,
            now=now,
            alerts=notifiers.alerts,
            digests=notifiers.digests,
            requesters=notifiers.requesters,
        )

    return make


@click.group(invoke_without_command=True, help="Scheduled jobs: schedules and recent runs.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.pass_context
def jobs(ctx: click.Context, as_json: bool, limit: int) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from scheduling import runs
    from scheduling.jobs import JOBS

    app: AppContext = ctx.obj
    now = utcnow()
    with app.database().session() as session:
        last = runs.last_runs(session, list(JOBS))
        successes = runs.last_successes(session)
        recent = runs.recent_runs(session, limit=limit)
    listed = [
        _job_info(app, job, last.get(job.name), successes.get(job.name), now)
        for job in JOBS.values()
    ]
    if as_json:
        payload = {"jobs": listed, "runs": [_run_info(run) for run in recent]}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(
        table(
            ("job", "schedule (Brussels)", "next run", "last run", "outcome", "last success"),
            [
                (
                    info["name"],
                    info["schedule"] if info["enabled"] else f"off ({info['off_reason']})",
                    _local(info["next_run"]),
                    _local((info["last_run"] or {}).get("started_at")),
                    (info["last_run"] or {}).get("outcome", ""),
                    _local(info["last_success"]),
                )
                for info in listed
            ],
        )
    )
    if recent:
        click.echo("\nRecent runs:")
        click.echo(
            table(
                ("started", "job", "trigger", "outcome", "seconds", "detail"),
                [
                    (
                        _local(info["started_at"]),
                        info["job"],
                        info["trigger"],
                        info["outcome"],
                        "" if info["seconds"] is None else f"{info['seconds']:.1f}",
                        info["detail"] or "",
                    )
                    for info in map(_run_info, recent)
                ],
            )
        )


def _job_names() -> list[str]:
    from scheduling.jobs import JOBS

    return sorted(JOBS)


@jobs.command("run", help="Run one job now; claimed and recorded like a scheduled run.")
@click.argument("name", type=LazyChoice(_job_names))
@pass_app
def run_command(app: AppContext, name: str) -> None:
    from scheduling import runs
    from scheduling.jobs import JOBS
    from scheduling.models import Outcome
    from scheduling.runner import run_job

    job = JOBS[name]
    reason = job.unconfigured(app.settings)
    if reason is not None:
        raise click.ClickException(f"{name} cannot run: {reason}")
    now = utcnow()
    result = run_job(
        job_context_factory(app)(now), job, slot=runs.manual_slot(now), trigger=runs.MANUAL
    )
    if result.run_id is None:
        raise click.ClickException(f"{name} not run: {result.reason}")
    detail = result.result.detail if result.result is not None else result.reason
    line = f"{name}: {result.outcome} in {result.seconds:.1f} s ({detail})"
    if result.outcome != Outcome.SUCCESS:
        raise click.ClickException(line)
    click.echo(line)


def _job_info(
    app: AppContext, job: Job, last: JobRun | None, success: datetime | None, now: datetime
) -> dict[str, Any]:
    from scheduling.schedules import next_fire, trigger_of

    crontab = job.crontab(app.settings)
    trigger = trigger_of(crontab)
    off_reason = job.unconfigured(app.settings) or ("schedule off" if trigger is None else None)
    upcoming = next_fire(trigger, now) if off_reason is None else None
    return {
        "name": job.name,
        "description": job.description,
        "setting": job.setting.upper(),
        "schedule": crontab,
        "enabled": off_reason is None,
        "off_reason": off_reason,
        "next_run": _iso(upcoming),
        "last_run": _run_info(last) if last is not None else None,
        "last_success": _iso(success),
    }


def _run_info(run: JobRun) -> dict[str, Any]:
    started, finished = as_utc(run.started_at), as_utc(run.finished_at)
    return {
        "id": run.id,
        "job": run.job,
        "slot": run.slot,
        "trigger": run.trigger,
        "runner": run.runner,
        "started_at": _iso(started),
        "finished_at": _iso(finished),
        "seconds": (finished - started).total_seconds() if started and finished else None,
        "outcome": run.outcome,
        "counts": run.counts or {},
        "detail": run.detail,
    }


def _iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None  # type: ignore[union-attr]


def _local(iso: str | None) -> str:
    from scheduling.schedules import BRUSSELS

    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M")
