"""Learning from use: every question asked, what the FAQ proposed, and what happened next.

The table lives on its own ``MetaData`` (``faq.usage.metadata``) so that the FAQ package stays
independent of the access module; migration ``0003_faq_usage`` creates it.

Every function takes a SQLAlchemy ``Session`` or an ``Engine``. With a session nothing is
committed: the caller owns the unit of work (``with database.transaction() as session: ...``).
With an engine, each call runs in its own transaction and commits; on SQLite, do not pass the
engine while your own transaction is open (the second connection would wait for the write
lock): pass that transaction's session.

Privacy: the question text is kept (the helpdesk needs it to see what people ask) but e-mail
addresses and phone numbers typed into it are masked, and ``user_ref`` must be an opaque
reference (a chat user id), never an e-mail address or a name. Past the retention the
scheduler sets, ``forget_personal_data`` keeps only the statistics and the topic words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from common import metrics
from faq.normalize import MAX_QUESTION_CHARS, fold

Outcome = Literal["helpful", "not_helpful", "ticket_opened"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

faq_questions = sa.Table(
    "faq_questions",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("user_ref", sa.String(64), nullable=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("question", sa.Text(), nullable=False),
    # Grouping key of the report: the question's topic words, sorted, so that « Mot de passe
    # du wifi ? » and « le wifi, mot de passe » count as one question.
    sa.Column("topic", sa.String(500), nullable=False, index=True),
    sa.Column("entry_id", sa.String(100), nullable=True),
    sa.Column("score", sa.Float(), nullable=False),
    sa.Column("suggestions", sa.JSON(), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=True),
    sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint(
        "outcome IS NULL OR outcome IN ('helpful', 'not_helpful', 'ticket_opened')",
        name="outcome",
    ),
)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:\+|\b0)\d(?:[\s./-]?\d){7,}")


def _now() -> datetime:
    return datetime.now(UTC)


def _as_utc(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they were stored as UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


Bind = Session | Engine


@contextmanager
def _session(bind: Bind) -> Iterator[Session]:
    if isinstance(bind, Session):
        yield bind
        return
    with Session(bind) as session, session.begin():
        yield session


def mask_personal_data(text: str) -> str:
    return _PHONE.sub("[téléphone]", _EMAIL.sub("[e-mail]", text))


def topic_of(question: str) -> str:
    """The grouping key: sorted topic words, or the folded text when it has none."""
    from faq import load_default  # the shipped lexicon; built once per process

    words = sorted(set(load_default().normalizer.words(question)))
    return (" ".join(words) or fold(question))[:500]


def record_question(
    bind: Bind,
    *,
    user_ref: str | None,
    question: str,
    entry_id: str | None,
    score: float,
    suggestions: Sequence[str],
    channel: str,
    asked_at: datetime | None = None,
) -> int:
    """Store one question and what the FAQ proposed; returns its id (for record_outcome)."""
    if user_ref is not None and ("@" in user_ref or len(user_ref) > 64):
        raise ValueError("user_ref must be an opaque id (no e-mail address), at most 64 chars")
    if not channel or len(channel) > 32:
        raise ValueError("channel must be a short name such as 'slack' or 'console'")
    if not 0.0 <= score <= 1.0:
        raise ValueError("score must be between 0 and 1")
    text = mask_personal_data(question[:MAX_QUESTION_CHARS])
    with _session(bind) as session:
        result = session.execute(
            faq_questions.insert().values(
                asked_at=asked_at or _now(),
                user_ref=user_ref,
                channel=channel,
                question=text,
                topic=topic_of(text),
                entry_id=entry_id,
                score=float(score),
                suggestions=list(suggestions)[:10],
                outcome=None,
                outcome_at=None,
            )
        )
        result_class = metrics.faq_result(entry_id, len(suggestions))
        metrics.on_commit(session, metrics.FAQ_QUESTIONS.labels(result=result_class).inc)
        return int(result.inserted_primary_key[0])


def record_outcome(bind: Bind, *, question_id: int, outcome: Outcome) -> None:
    """What happened after the answer. A ticket, once opened, is not overwritten by feedback."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    with _session(bind) as session:
        table = faq_questions
        current = session.execute(
            sa.select(table.c.outcome).where(table.c.id == question_id)
        ).one_or_none()
        if current is None:
            raise LookupError(f"no FAQ question with id {question_id}")
        if current.outcome == "ticket_opened" and outcome != "ticket_opened":
            return
        session.execute(
            table.update()
            .where(table.c.id == question_id)
            .values(outcome=outcome, outcome_at=_now())
        )
        if current.outcome != outcome:
            metrics.on_commit(session, metrics.FAQ_FEEDBACK.labels(outcome=outcome).inc)


def forget_personal_data(bind: Bind, *, before: datetime) -> int:
    """Past its retention, a question keeps its statistics but no longer says who asked nor
    how: ``user_ref`` is cleared and the wording is replaced by its topic words (the report's
    grouping key). Returns how many questions were changed; running it again changes none."""
    table = faq_questions
    with _session(bind) as session:
        result = session.execute(
            table.update()
            .where(
                table.c.asked_at < before,
                sa.or_(table.c.user_ref.is_not(None), table.c.question != table.c.topic),
            )
            .values(user_ref=None, question=table.c.topic)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class UnansweredQuestion:
    """A group of questions with the same topic words that the FAQ did not settle."""

    example: str  # the latest phrasing of the group
    topic: str
    count: int
    unanswered: int  # the matcher abstained
    not_helpful: int
    tickets: int
    last_asked: datetime
    proposed: str | None  # entry proposed the last time, if any


def _unsettled() -> sa.ColumnElement[bool]:
    table = faq_questions
    return sa.or_(table.c.entry_id.is_(None), table.c.outcome.in_(("not_helpful", "ticket_opened")))


def unanswered_report(
    bind: Bind, *, limit: int = 20, since: datetime | None = None
) -> list[UnansweredQuestion]:
    """Most frequent questions the FAQ did not answer, or answered unhelpfully, most first."""
    table = faq_questions
    condition = _unsettled()
    if since is not None:
        condition = sa.and_(condition, table.c.asked_at >= since)
    with _session(bind) as session:
        return _report(session, condition, limit)


def _report(
    session: Session, condition: sa.ColumnElement[bool], limit: int
) -> list[UnansweredQuestion]:
    table = faq_questions
    count = sa.func.count().label("count")
    groups = session.execute(
        sa.select(
            table.c.topic,
            count,
            sa.func.sum(sa.case((table.c.entry_id.is_(None), 1), else_=0)).label("unanswered"),
            sa.func.sum(sa.case((table.c.outcome == "not_helpful", 1), else_=0)).label("nh"),
            sa.func.sum(sa.case((table.c.outcome == "ticket_opened", 1), else_=0)).label("tk"),
            sa.func.max(table.c.id).label("latest"),
        )
        .where(condition)
        .group_by(table.c.topic)
        .order_by(count.desc(), sa.func.max(table.c.id).desc())
        .limit(max(1, limit))
    ).all()
    latest_ids = [g.latest for g in groups]
    latest = {
        row.id: row
        for row in session.execute(
            sa.select(table.c.id, table.c.question, table.c.entry_id, table.c.asked_at).where(
                table.c.id.in_(latest_ids)
            )
        )
    }
    return [
        UnansweredQuestion(
            example=latest[g.latest].question,
            topic=g.topic,
            count=int(g.count),
            unanswered=int(g.unanswered or 0),
            not_helpful=int(g.nh or 0),
            tickets=int(g.tk or 0),
            last_asked=_as_utc(latest[g.latest].asked_at),  # type: ignore[arg-type]
            proposed=latest[g.latest].entry_id,
        )
        for g in groups
    ]


def deflection(bind: Bind, *, since: datetime | None = None) -> dict[str, float | int]:
    """How many questions the FAQ settled without the helpdesk.

    ``deflected``: answered by the FAQ and then marked helpful, or left without feedback and
    without a ticket. ``deflection_rate`` is deflected over asked.
    """
    table = faq_questions
    answered = table.c.entry_id.is_not(None)
    query = sa.select(
        sa.func.count().label("asked"),
        sa.func.sum(sa.case((answered, 1), else_=0)).label("answered"),
        sa.func.sum(sa.case((table.c.outcome == "helpful", 1), else_=0)).label("helpful"),
        sa.func.sum(sa.case((table.c.outcome == "not_helpful", 1), else_=0)).label("nh"),
        sa.func.sum(sa.case((table.c.outcome == "ticket_opened", 1), else_=0)).label("tk"),
        sa.func.sum(
            sa.case(
                (
                    sa.and_(
                        answered,
                        sa.or_(table.c.outcome.is_(None), table.c.outcome == "helpful"),
                    ),
                    1,
                ),
                else_=0,
            )
        ).label("deflected"),
    )
    if since is not None:
        query = query.where(table.c.asked_at >= since)
    with _session(bind) as session:
        row = session.execute(query).one()
    asked = int(row.asked or 0)
    deflected = int(row.deflected or 0)
    answered_count = int(row.answered or 0)
    return {
        "asked": asked,
        "answered": answered_count,
        "helpful": int(row.helpful or 0),
        "not_helpful": int(row.nh or 0),
        "tickets": int(row.tk or 0),
        "deflected": deflected,
        "answer_rate": round(answered_count / asked, 4) if asked else 0.0,
        "deflection_rate": round(deflected / asked, 4) if asked else 0.0,
    }
