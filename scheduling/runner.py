"""One run of one job: claimed, carried out, recorded, and the operators told of a failure."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from scheduling import runs
from scheduling.jobs import Job, JobContext, JobResult
from scheduling.models import Outcome

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """`run_id` None: this process did not run the job (`reason` says why)."""

    run_id: int | None
    outcome: Outcome | None = None
    result: JobResult | None = None
    reason: str = ""
    seconds: float = 0.0


def run_job(ctx: JobContext, job: Job, *, slot: str, trigger: str) -> RunResult:
    """Run `job` for `slot` unless another process has it; every run leaves its record."""
    claim = runs.claim(ctx.db, job.name, slot, trigger=trigger, now=ctx.now)
    if not claim.won:
        log.info("job %s not run here: %s", job.name, claim.reason)
        return RunResult(None, reason=claim.reason)
    assert claim.run_id is not None
    log.info("job %s started (%s)", job.name, slot)
    started = time.monotonic()
    try:
        result = job.work(ctx)
    except Exception as error:
        seconds = time.monotonic() - started
        reason = f"{type(error).__name__}: {_first_line(error)}"
        # One line: a traceback may quote the data being processed; -v shows it.
        log.error("job %s failed: %s", job.name, reason)
        log.debug("job %s failed", job.name, exc_info=True)
        runs.finish(
            ctx.db,
            claim.run_id,
            Outcome.FAILURE,
            detail=reason,
            now=ctx.now + timedelta(seconds=seconds),
        )
        ctx.alerts.alert(f"Scheduled job {job.name} failed: {reason}")
        return RunResult(claim.run_id, Outcome.FAILURE, reason=reason, seconds=seconds)
    seconds = time.monotonic() - started
    outcome = Outcome.SUCCESS if result.ok else Outcome.FAILURE
    runs.finish(
        ctx.db,
        claim.run_id,
        outcome,
        counts=result.counts,
        detail=result.detail,
        now=ctx.now + timedelta(seconds=seconds),
    )
    log.info("job %s: %s (%s) in %.1f s", job.name, outcome.value, result.detail, seconds)
    return RunResult(claim.run_id, outcome, result, seconds=seconds)


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [""])[0][:500]
