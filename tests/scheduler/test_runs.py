"""Runs are claimed in the database: two schedulers at once run each job once, every run is
recorded, and `extranet-bot jobs` shows them."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from prometheus_client.parser import text_string_to_metric_families

from access.persistence.database import Database
from bot.settings import Settings
from scheduling import runs
from scheduling.jobs import Job, JobContext, JobResult
from scheduling.models import JobRun, Outcome
from scheduling.runner import run_job
from scheduling.scheduler import build_scheduler
from scheduling.schedules import BRUSSELS, current_slot, trigger_of
from tests.conftest import REPO_ROOT, free_port, run_cli
from tests.scheduler.conftest import RecordedAlerts

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


class Counting:
    """A job's work that counts its calls and takes a while, so that runs overlap."""

    def __init__(self, seconds: float = 0.2) -> None:
        self.calls = 0
        self.seconds = seconds
        self._lock = threading.Lock()

    def __call__(self, ctx: JobContext) -> JobResult:
        with self._lock:
            self.calls += 1
        time.sleep(self.seconds)
        return JobResult(counts={"done": 1}, detail="counted")


def _records(db: Database) -> list[JobRun]:
    with db.session() as session:
        rows = list(session.scalars(sa.select(JobRun).order_by(JobRun.id)))
        session.expunge_all()
        return rows


def test_two_schedulers_firing_the_same_slot_run_the_job_once(
    db: Database, context_at: Callable[..., JobContext]
) -> None:
    work = Counting()
    job = Job("counting", "test", "schedule_housekeeping", work)
    results = []
    start = threading.Barrier(2)

    def scheduler_process() -> None:
        start.wait()
        results.append(
            run_job(context_at(NOW), job, slot=runs.slot_key(NOW), trigger=runs.SCHEDULE)
        )

    threads = [threading.Thread(target=scheduler_process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert work.calls == 1
    assert sorted(r.run_id is None for r in results) == [False, True]
    (record,) = _records(db)
    assert (record.job, record.slot, record.outcome) == (
        "counting",
        "2026-03-02T01:30:00+00:00",
        "success",
    )
    assert record.counts == {"done": 1} and record.finished_at is not None
    # The same slot fired again later (a restarted scheduler) does not run either.
    assert (
        run_job(context_at(NOW), job, slot=runs.slot_key(NOW), trigger=runs.SCHEDULE).run_id is None
    )
    assert work.calls == 1


def test_two_running_schedulers_run_each_firing_once(
    db: Database, context_at: Callable[..., JobContext]
) -> None:
    """Two real APScheduler schedulers on one database, firing every second for a while."""
    work = Counting(seconds=0.05)
    job = Job("every-second", "test", "schedule_housekeeping", work)
    trigger = CronTrigger(second="*", timezone=BRUSSELS)
    clocks = [
        build_scheduler(
            [(job, trigger)],
            lambda now: context_at(now),
            scheduler=BackgroundScheduler(),
        )
        for _ in range(2)
    ]
    for clock in clocks:
        clock.start()
    time.sleep(3.5)
    for clock in clocks:
        clock.shutdown(wait=True)
    records = _records(db)
    slots = [record.slot for record in records]
    assert len(slots) >= 2
    assert len(set(slots)) == len(slots) == work.calls
    assert {record.outcome for record in records} == {"success"}


def test_a_job_runs_once_at_a_time_and_a_dead_run_is_abandoned(
    db: Database, context_at: Callable[..., JobContext]
) -> None:
    first = runs.claim(db, "housekeeping", "a", trigger=runs.SCHEDULE, now=NOW)
    assert first.won
    manual = runs.claim(db, "housekeeping", runs.manual_slot(NOW), trigger=runs.MANUAL, now=NOW)
    assert not manual.won and "already running" in manual.reason
    # Hours later its process is taken for dead: the next claim marks it and runs.
    later = NOW + runs.STALE_RUN + timedelta(minutes=1)
    assert runs.claim(db, "housekeeping", "b", trigger=runs.SCHEDULE, now=later).won
    outcomes = {record.slot: record.outcome for record in _records(db)}
    assert outcomes == {"a": "abandoned", "b": "running"}


def test_a_failing_job_is_recorded_and_the_operators_alerted(
    db: Database, context_at: Callable[..., JobContext], alerts: RecordedAlerts
) -> None:
    def broken(ctx: JobContext) -> JobResult:
        raise RuntimeError("the disk is full\nsecond line")

    job = Job("broken", "test", "schedule_housekeeping", broken)
    result = run_job(context_at(NOW), job, slot="s", trigger=runs.SCHEDULE)
    assert result.outcome is Outcome.FAILURE
    (record,) = _records(db)
    assert (record.outcome, record.detail) == ("failure", "RuntimeError: the disk is full")
    assert alerts.texts == ["Scheduled job broken failed: RuntimeError: the disk is full"]
    with db.session() as session:
        assert runs.runs_by_outcome(session) == {("broken", "failure"): 1}
        assert runs.last_successes(session) == {}


def test_slots_follow_brussels_time_across_the_change_to_summer_time() -> None:
    trigger = trigger_of("30 2 * * *")
    assert trigger is not None
    # 29 March 2026: 02:30 does not exist in Brussels; the day before it is 01:30 UTC.
    before = datetime(2026, 3, 28, 1, 30, 5, tzinfo=UTC)
    assert current_slot(trigger, before) == datetime(2026, 3, 28, 1, 30, tzinfo=UTC)
    summer = datetime(2026, 6, 1, 0, 30, 2, tzinfo=UTC)
    assert current_slot(trigger, summer) == datetime(2026, 6, 1, 0, 30, tzinfo=UTC)
    # Long after the firing (past the misfire grace), no slot: the run is not caught up.
    assert current_slot(trigger, summer + timedelta(hours=2)) is None


def test_jobs_lists_schedules_and_runs_and_runs_one_now(settings: Settings) -> None:
    env = {"DATABASE_URL": settings.database_url, "MAIL_DIR": str(settings.mail_dir)}
    ran = run_cli(env, "jobs", "run", "housekeeping", text=True)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("housekeeping: success in ")
    listed = run_cli(env, "jobs", "--json", text=True)
    assert listed.returncode == 0, listed.stderr
    payload = json.loads(listed.stdout)
    jobs = {job["name"]: job for job in payload["jobs"]}
    assert set(jobs) == {
        "proeco-import",
        "invitation-reminders",
        "directors-digest",
        "ticket-followup",
        "housekeeping",
    }
    assert jobs["proeco-import"]["enabled"] is False
    assert jobs["proeco-import"]["off_reason"] == "PROECO_DROP_DIR is not set"
    assert jobs["housekeeping"]["schedule"] == "15 3 * * *"
    assert jobs["housekeeping"]["last_run"]["outcome"] == "success"
    assert jobs["housekeeping"]["last_success"] is not None
    (run,) = payload["runs"]
    assert run["trigger"] == "manual" and run["counts"]["tokens"] == 0
    table = run_cli(env, "jobs", text=True)
    assert "housekeeping" in table.stdout and "Recent runs:" in table.stdout
    refused = run_cli(env, "jobs", "run", "proeco-import", text=True)
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith("proeco-import cannot run: PROECO_DROP_DIR is not set")


def test_a_wrong_schedule_stops_the_command_with_one_line(settings: Settings) -> None:
    env = {"DATABASE_URL": settings.database_url, "SCHEDULE_HOUSEKEEPING": "every night"}
    result = run_cli(env, "jobs", text=True)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: invalid setting SCHEDULE_HOUSEKEEPING:")
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_scheduler_process_starts_serves_its_counters_and_stops_on_sigterm(
    cli_env: dict[str, str],
) -> None:
    """Its counters on METRICS_PORT behind METRICS_TOKEN (a scheduler on a machine of its
    own is scraped there), without the database's states, which the web serves."""
    if not cli_env["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("a process test: once is enough, on SQLite")
    port = free_port()
    env = {
        **cli_env,
        "SCHEDULE_HOUSEKEEPING": "off",
        "METRICS_PORT": str(port),
        "METRICS_TOKEN": "scheduler-metrics-token",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "scheduler"],
        cwd=REPO_ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        started = ""
        while "scheduler started" not in started:
            line = process.stderr.readline()
            assert line, "the scheduler ended before it started"
            started = line
        assert "invitation-reminders (0 9 * * 1-5)" in started
        assert "housekeeping" not in started
        url = f"http://127.0.0.1:{port}/metrics"
        anonymous = httpx.get(url, timeout=10)
        scraped = httpx.get(
            url, headers={"Authorization": "Bearer scheduler-metrics-token"}, timeout=10
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert anonymous.status_code == 401
    assert scraped.status_code == 200
    names = {family.name for family in text_string_to_metric_families(scraped.text)}
    assert "extranet_invitations_sent" in names  # the reminders count there
    assert not names & {"extranet_outbox_messages", "extranet_tickets_open", "extranet_job_runs"}
