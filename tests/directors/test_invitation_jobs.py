"""Bulk send jobs: one running send per school, visible to every press and every process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from access.clock import utcnow
from access.directory.models import Establishment
from access.errors import NotAllowed
from access.invitations import jobs
from access.invitations.service import Progress
from access.persistence.database import Database
from bot.settings import Settings
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


def _press_send(db: Database, fase: str, actor: int, key: str = "press") -> jobs.JobState:
    with db.session() as session:
        school = session.scalars(sa.select(Establishment).where(Establishment.fase == fase)).one()
        establishment_id = school.id
    claim = jobs.claim(
        db,
        establishment_id=establishment_id,
        fase=fase,
        mode="new",
        idempotency_key=key,
        actor_person_id=actor,
    )
    assert claim.started
    return claim.job


def test_a_send_closes_its_job_with_the_summary_a_later_press_shows(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        school = factories.school(session, "01234", staff=3)
    job = _press_send(db, school.fase, school.director_id)
    seen: list[tuple[int, int]] = []
    summary = jobs.run_team_send(db, settings, job, on_progress=lambda *p: seen.append(p))
    assert summary.sent == 3 and summary.failed == []
    assert summary.skipped == [("Dupont Claire", "Compte déjà activé")]
    assert seen and seen[-1][0] == seen[-1][1] > 0
    state = jobs.get(db, job.id)
    assert state is not None and state.status == jobs.JobStatus.DONE
    assert (state.done, state.total) == seen[-1]
    assert jobs.SendSummary.from_json(state.result or {}) == summary


def test_a_send_that_breaks_closes_its_job_and_says_how_far_it_got(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.transaction() as session:
        school = factories.school(session, "01234", staff=3)
    job = _press_send(db, school.fase, school.director_id)

    def breaks(*args: Any, progress: Progress, **kwargs: Any) -> None:
        progress(10, 30)
        raise RuntimeError("connection lost")

    monkeypatch.setattr(jobs, "send_invitations", breaks)
    with pytest.raises(jobs.SendInterrupted) as stopped:
        jobs.run_team_send(db, settings, job)
    assert (stopped.value.done, stopped.value.total) == (10, 30)
    state = jobs.get(db, job.id)
    assert state is not None and state.status == jobs.JobStatus.FAILED
    assert (state.done, state.total, state.error) == (10, 30, "RuntimeError")
    assert _press_send(db, school.fase, school.director_id, key="again").running


def test_a_refused_send_closes_its_job_with_the_reason(db: Database, settings: Settings) -> None:
    with db.transaction() as session:
        school = factories.school(session, "01234", staff=3)
    job = _press_send(db, school.fase, school.staff_ids[0])
    with pytest.raises(NotAllowed):
        jobs.run_team_send(db, settings, job)
    state = jobs.get(db, job.id)
    assert state is not None and state.status == jobs.JobStatus.FAILED
    assert state.error == "not_director"
