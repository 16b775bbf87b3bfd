"""Learning from use: every question asked, what the FAQ proposed, and what happened next.

The table lives on its own ``MetaData`` (``faq.usage.metadata``) so that the FAQ package stays
independent of the access module; migration ``0003_faq_usage`` creates it.

Every function takes a SQLAlchemy ``Session`` or an ``Engine``. With a session nothing is
committed: the caller owns the unit of work (``with database.transaction() as session: ...``).
With an engine, each call runs in its own transaction and commits; on SQLite, do not pass the
engine while your own transaction is open (the second connection would wait for the write
lock): pass that transaction's session.

Privacy: the question text is kept (the helpdesk needs it to see what people ask) but e-mail
and postal addresses, phone numbers and people's names typed into it are masked
(``faq.privacy``), and ``user_ref`` must be an opaque reference (a chat user id), never an
e-mail address or a name. Past the retention the scheduler sets, ``forget_personal_data``
keeps only the statistics and the topic words.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from common import metrics
from faq.normalize import MAX_QUESTION_CHARS, fold
from faq.privacy import scrub

Outcome = Literal["helpful", "not_helpful", "ticket_opened"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
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
    # The helpdesk ticket opened from this question (« Contacter le helpdesk »), if any:
    # its resolution asks which entry would have answered (faq.learning).
    sa.Column("ticket_number", sa.String(20), nullable=True, index=True),
    sa.CheckConstraint(
        "outcome IS NULL OR outcome IN ('helpful', 'not_helpful', 'ticket_opened')",
        name="outcome",
    ),
)


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


def mask_personal_data(text: str, names: Iterable[str] = ()) -> str:
    """The text with addresses, phone numbers and names masked (faq.privacy); a word of the
    shipped base is never taken for a name. `names`: people's names the caller knows."""
    from faq import load_default  # the shipped vocabulary; built once per process

    return scrub(text, known_words=load_default().vocabulary, names=names)


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


Unsettled = Literal["unsettled", "abstained", "not_helpful"]


def unanswered_report(
    bind: Bind,
    *,
    limit: int = 20,
    since: datetime | None = None,
    kind: Unsettled = "unsettled",
) -> list[UnansweredQuestion]:
    """Most frequent questions the FAQ did not settle, most first: every kind
    (``unsettled``), only those it gave no answer to (``abstained``), or only answers judged
    « Ça ne m'aide pas » (``not_helpful``)."""
    table = faq_questions
    condition = {
        "unsettled": _unsettled(),
        "abstained": table.c.entry_id.is_(None),
        "not_helpful": sa.and_(table.c.entry_id.is_not(None), table.c.outcome == "not_helpful"),
    }[kind]
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


@dataclass(frozen=True)
class TicketTrace:
    """A ticket someone opened, as the deflection needs it (the helpdesk hands these in: the
    FAQ does not read its tables)."""

    user_ref: str  # the same opaque reference as the usage log's (« person:42 », « slack:U1 »)
    opened_at: datetime
    text: str  # subject and description, to tell whether it is about the answer's subject


# An answer with no feedback settles the question only if nothing follows within this long.
SETTLING_TIME = timedelta(days=1)


def deflection(
    bind: Bind,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    tickets: Iterable[TicketTrace] = (),
) -> dict[str, float | int]:
    """How many questions the FAQ settled without the helpdesk, counted honestly.

    A question is settled (``deflected``) when the FAQ answered it and the person pressed
    « Ça m'a aidé », or gave no feedback, asked nothing else and opened no ticket within a
    day (``tickets``: the tickets people opened, from the helpdesk). An answer followed by
    « Ça ne m'aide pas », or by a ticket on the same subject (opened from the answer, or
    later about the same entry), is a miss (``answered_then_ticket`` counts the latter).
    Answers less than a day old without feedback are ``pending``; answers to someone the
    log cannot follow (no ``user_ref``) count only with « Ça m'a aidé » (``untraceable``).
    ``deflection_rate`` is deflected over asked.
    """
    now = now or _now()
    table = faq_questions
    query = sa.select(
        table.c.id, table.c.asked_at, table.c.user_ref, table.c.entry_id, table.c.outcome
    ).where(table.c.asked_at <= now)
    if since is not None:
        query = query.where(table.c.asked_at >= since)
    with _session(bind) as session:
        rows = session.execute(query.order_by(table.c.asked_at, table.c.id)).all()
        later = _asked_by(session, {r.user_ref for r in rows if r.user_ref}, since, now)
    by_user: dict[str, list[TicketTrace]] = defaultdict(list)
    for trace in tickets:
        by_user[trace.user_ref].append(trace)
    totals: Counter[str] = Counter()
    for row in rows:
        totals["asked"] += 1
        answered = row.entry_id is not None
        totals["answered"] += answered
        if row.outcome is not None:
            totals[row.outcome] += 1
            if answered and row.outcome == "helpful":
                totals["deflected"] += 1
            elif answered and row.outcome == "ticket_opened":
                totals["answered_then_ticket"] += 1
            continue
        if answered:
            totals[_settling(row, now, later, by_user)] += 1
    asked = totals["asked"]
    return {
        "asked": asked,
        "answered": totals["answered"],
        "helpful": totals["helpful"],
        "not_helpful": totals["not_helpful"],
        "tickets": totals["ticket_opened"],
        "deflected": totals["deflected"],
        "answered_then_ticket": totals["answered_then_ticket"],
        "followed_up": totals["followed_up"],
        "pending": totals["pending"],
        "untraceable": totals["untraceable"],
        "answer_rate": round(totals["answered"] / asked, 4) if asked else 0.0,
        "deflection_rate": round(totals["deflected"] / asked, 4) if asked else 0.0,
    }


def _asked_by(
    session: Session, users: set[str], since: datetime | None, now: datetime
) -> dict[str, list[tuple[datetime, int]]]:
    """Per person, when they asked (and which question), up to a day after the period."""
    if not users:
        return {}
    table = faq_questions
    query = sa.select(table.c.user_ref, table.c.asked_at, table.c.id).where(
        table.c.user_ref.in_(users)
    )
    if since is not None:
        query = query.where(table.c.asked_at >= since)
    found: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for row in session.execute(query):
        found[row.user_ref].append((_as_utc(row.asked_at), int(row.id)))  # type: ignore[arg-type]
    return found


def _settling(
    row: sa.Row,
    now: datetime,
    later: dict[str, list[tuple[datetime, int]]],
    tickets: dict[str, list[TicketTrace]],
) -> str:
    """What became of an answer without feedback: deflected, answered_then_ticket,
    followed_up, pending or untraceable."""
    if row.user_ref is None:
        return "untraceable"
    asked_at = _as_utc(row.asked_at)
    assert asked_at is not None
    until = asked_at + SETTLING_TIME
    followed = [
        t for t in tickets.get(row.user_ref, ()) if asked_at <= _as_utc(t.opened_at) <= until
    ]
    if any(_same_subject(t.text, row.entry_id) for t in followed):
        return "answered_then_ticket"
    if followed or any(
        asked_at <= moment <= until and other != row.id
        for moment, other in later.get(row.user_ref, ())
    ):
        return "followed_up"
    return "pending" if now < until else "deflected"


def _same_subject(text: str, entry_id: str) -> bool:
    """Whether a ticket's text is about this entry: among the FAQ's first three for it."""
    from faq import load_default

    return entry_id in load_default().match(text).ranked_ids()[:3]
