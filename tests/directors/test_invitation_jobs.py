"""Bulk send jobs: one running send per school, visible to every press and every process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from access.clock import utcnow
from access.directory.models import Establishment
from access.invitations import jobs
from access.persistence.database import Database
from tests.directors import factories


def _school(db: Database, fase: str = "01234") -> Establishment:
    with db.transaction() as session:
        factories.school(session, fase)
        return session.scalars(sa.select(Establishment).where(Establishment.fase == fase)).one()


def _claim(
    db: Database, school: Establishment, key: str, mode: str = "new", **kwargs: Any
) -> jobs.Claim:
    """A director of `school` presses « Envoyer » (request id `key`)."""
    return jobs.claim(
        db,
        establishment_id=school.id,
        fase=school.fase,
        mode=mode,
        idempotency_key=key,
        actor_person_id=None,
        **kwargs,
    )


def test_twenty_simultaneous_presses_start_one_job_and_all_see_it(db: Database) -> None:
    school = _school(db)

    def press(i: int) -> jobs.Claim:
        return _claim(db, school, f"msg-{i}")

    with ThreadPoolExecutor(max_workers=20) as pool:
        claims = list(pool.map(press, range(20)))
    started = [c for c in claims if c.started]
    assert len(started) == 1
    assert {c.job.id for c in claims} == {started[0].job.id}


def test_same_press_again_returns_the_finished_summary_instead_of_a_new_send(
    db: Database,
) -> None:
    school = _school(db)
    first = _claim(db, school, "k")
    jobs.report(db, first.job.id, 3, 3)
    jobs.finish(db, first.job.id, {"sent": 3})
    again = _claim(db, school, "k")
    assert not again.started
    assert again.job.status == jobs.JobStatus.DONE and again.job.result == {"sent": 3}
    later = _claim(db, school, "k2", mode="resend")
    assert later.started


def test_schools_send_in_parallel(db: Database) -> None:
    one, two = _school(db, "01234"), _school(db, "05678")
    a = _claim(db, one, "a")
    b = _claim(db, two, "b")
    assert a.started and b.started


def test_job_of_a_crashed_process_is_taken_over_once_stale(db: Database) -> None:
    school = _school(db)
    old = _claim(db, school, "old", now=utcnow() - jobs.STALE_AFTER - timedelta(seconds=1))
    new = _claim(db, school, "new")
    assert new.started and new.job.id != old.job.id
    state = jobs.get(db, old.job.id)
    assert state is not None and state.status == jobs.JobStatus.ABANDONED


def test_progress_is_visible_to_a_reader(db: Database) -> None:
    school = _school(db)
    claim = _claim(db, school, "k")
    jobs.report(db, claim.job.id, 120, 300)
    state = jobs.get(db, claim.job.id)
    assert state is not None and (state.done, state.total, state.running) == (120, 300, True)
    jobs.fail(db, claim.job.id, "smtp down")
    state = jobs.get(db, claim.job.id)
    assert state is not None and state.status == jobs.JobStatus.FAILED and not state.running
