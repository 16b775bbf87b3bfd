"""A knowledge base that learns from the helpdesk.

A person asks the FAQ, gets no answer, suggestions, or an answer judged « Ça ne m'aide pas »,
and opens a ticket from there. The ticket remembers the question (``faq_questions``
``ticket_number``). When an agent resolves it, the triage card asks which entry would have
answered, or « aucune : nouveau sujet »: the question becomes a *proposed phrasing* of that
entry (``faq_proposals``), with its personal data masked. ``extranet-bot faq report`` lists
them per entry with their counts, and the new subjects asked often; ``extranet-bot faq
accept ID`` writes an accepted phrasing into the entry's YAML file (``faq.editing``), after
which the base is checked and the second opinion and the confidence curve fitted again.

Like the usage log, the tables live on ``faq.usage.metadata`` (the FAQ does not import the
helpdesk: a ticket is known here by its number only); migration 0017 creates them. Every
function takes a ``Session`` (the caller's unit of work, nothing committed) or an ``Engine``
(one transaction, committed).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import sqlalchemy as sa
from sqlalchemy.orm import Session

from faq.normalize import MAX_QUESTION_CHARS, fold
from faq.usage import (
    Bind,
    _as_utc,
    _now,
    _session,
    faq_questions,
    mask_personal_data,
    metadata,
    topic_of,
)

if TYPE_CHECKING:
    from faq.editing import Edit

Status = Literal["proposed", "accepted", "rejected"]
STATUSES: tuple[str, ...] = get_args(Status)
# A proposed phrasing longer than this is a story, not a way to ask: the agent trims it.
MAX_PHRASING_CHARS = 500

faq_proposals = sa.Table(
    "faq_proposals",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    # The question of the usage log it came from: one proposal per question.
    sa.Column("question_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), unique=True),
    sa.Column("ticket_number", sa.String(20), nullable=True, index=True),
    # None: no entry would have answered, a new subject.
    sa.Column("entry_id", sa.String(100), nullable=True, index=True),
    sa.Column("phrasing", sa.Text(), nullable=False),
    sa.Column("topic", sa.String(500), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
    # An opaque reference to the agent (« slack:U123 »), never a name or an address.
    sa.Column("proposed_by", sa.String(64), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("decided_by", sa.String(64), nullable=True),
    sa.CheckConstraint("status IN ('proposed', 'accepted', 'rejected')", name="status"),
)


class LearningError(Exception):
    """A proposal cannot be made or decided (operator-facing, English)."""


@dataclass(frozen=True)
class AskedQuestion:
    """The FAQ question a ticket started from."""

    id: int
    question: str
    entry_id: str | None  # what the FAQ answered, None when it abstained
    suggestions: tuple[str, ...]
    outcome: str | None


@dataclass(frozen=True)
class Proposal:
    id: int
    question_id: int
    ticket_number: str | None
    entry_id: str | None
    phrasing: str
    topic: str
    status: str
    proposed_at: datetime
    proposed_by: str


# -- from a ticket ------------------------------------------------------------------------------


def link_ticket(bind: Bind, *, question_id: int, ticket_number: str) -> None:
    """The ticket was opened from this question: remember it, and that a ticket followed."""
    from faq.usage import record_outcome

    with _session(bind) as session:
        record_outcome(session, question_id=question_id, outcome="ticket_opened")
        session.execute(
            faq_questions.update()
            .where(faq_questions.c.id == question_id)
            .values(ticket_number=ticket_number[:20])
        )


def question_for_ticket(bind: Bind, ticket_number: str) -> AskedQuestion | None:
    """The FAQ question the ticket was opened from, or None (the ticket did not come from
    the FAQ)."""
    table = faq_questions
    with _session(bind) as session:
        row = session.execute(
            sa.select(
                table.c.id,
                table.c.question,
                table.c.entry_id,
                table.c.suggestions,
                table.c.outcome,
            )
            .where(table.c.ticket_number == ticket_number)
            .order_by(table.c.id.desc())
            .limit(1)
        ).one_or_none()
    if row is None:
        return None
    return AskedQuestion(
        id=int(row.id),
        question=row.question,
        entry_id=row.entry_id,
        suggestions=tuple(str(s) for s in row.suggestions or ()),
        outcome=row.outcome,
    )


def propose(
    bind: Bind,
    *,
    ticket_number: str,
    entry_id: str | None,
    proposed_by: str,
    known_entries: Iterable[str],
    phrasing: str | None = None,
    names: Iterable[str] = (),
) -> Proposal:
    """Record which entry would have answered the ticket's FAQ question (None: a new
    subject). The question (or the agent's trimmed `phrasing` of it) becomes the proposed
    phrasing, its personal data masked; `names`: people's names the caller knows (the
    requester's). Answering again replaces a proposal not yet decided."""
    if entry_id is not None and entry_id not in set(known_entries):
        raise LearningError(f"no FAQ entry {entry_id!r}")
    if "@" in proposed_by or len(proposed_by) > 64:
        raise LearningError("proposed_by must be an opaque reference (no e-mail address)")
    with _session(bind) as session:
        asked = question_for_ticket(session, ticket_number)
        if asked is None:
            raise LearningError(f"ticket {ticket_number} did not come from the FAQ")
        text = " ".join((phrasing if phrasing is not None else asked.question).split())
        text = mask_personal_data(text[:MAX_QUESTION_CHARS], names)[:MAX_PHRASING_CHARS]
        if len(text) < 3:
            raise LearningError("the proposed phrasing is empty")
        values = {
            "ticket_number": ticket_number,
            "entry_id": entry_id,
            "phrasing": text,
            "topic": topic_of(text),
            "status": "proposed",
            "proposed_at": _now(),
            "proposed_by": proposed_by,
            "decided_at": None,
            "decided_by": None,
        }
        existing = session.execute(
            sa.select(faq_proposals.c.id, faq_proposals.c.status).where(
                faq_proposals.c.question_id == asked.id
            )
        ).one_or_none()
        if existing is None:
            session.execute(faq_proposals.insert().values(question_id=asked.id, **values))
        elif existing.status == "proposed":
            session.execute(
                faq_proposals.update().where(faq_proposals.c.id == existing.id).values(**values)
            )
        else:
            raise LearningError(f"the proposal for ticket {ticket_number} is already decided")
        found = proposal_for_ticket(session, ticket_number)
        assert found is not None
        return found


def proposal_for_ticket(bind: Bind, ticket_number: str) -> Proposal | None:
    with _session(bind) as session:
        row = session.execute(
            sa.select(faq_proposals)
            .where(faq_proposals.c.ticket_number == ticket_number)
            .order_by(faq_proposals.c.id.desc())
            .limit(1)
        ).one_or_none()
    return _proposal(row) if row is not None else None


def get_proposal(bind: Bind, proposal_id: int) -> Proposal:
    with _session(bind) as session:
        row = session.execute(
            sa.select(faq_proposals).where(faq_proposals.c.id == proposal_id)
        ).one_or_none()
    if row is None:
        raise LearningError(f"no proposal {proposal_id}")
    return _proposal(row)


def _proposal(row: sa.Row) -> Proposal:
    return Proposal(
        id=int(row.id),
        question_id=int(row.question_id),
        ticket_number=row.ticket_number,
        entry_id=row.entry_id,
        phrasing=row.phrasing,
        topic=row.topic,
        status=row.status,
        proposed_at=_as_utc(row.proposed_at),  # type: ignore[arg-type]
        proposed_by=row.proposed_by,
    )


# -- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phrasing:
    text: str
    count: int
    ids: tuple[int, ...]  # the proposals saying it (accept any one)


@dataclass(frozen=True)
class EntryProposals:
    entry_id: str
    count: int
    phrasings: tuple[Phrasing, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class NewTopic:
    """Questions agents judged no entry would answer, grouped by their topic words."""

    topic: str
    example: str
    count: int
    ids: tuple[int, ...]


def _pending(since: datetime | None) -> sa.ColumnElement[bool]:
    condition = faq_proposals.c.status == "proposed"
    if since is not None:
        condition = sa.and_(condition, faq_proposals.c.proposed_at >= since)
    return condition


def proposals_by_entry(bind: Bind, *, since: datetime | None = None) -> list[EntryProposals]:
    """Proposed phrasings waiting for review, per entry, the most proposed first."""
    with _session(bind) as session:
        rows = session.execute(
            sa.select(faq_proposals.c.id, faq_proposals.c.entry_id, faq_proposals.c.phrasing)
            .where(sa.and_(_pending(since), faq_proposals.c.entry_id.is_not(None)))
            .order_by(faq_proposals.c.id)
        ).all()
    by_entry: dict[str, dict[str, list[int]]] = defaultdict(dict)
    shown: dict[str, str] = {}
    for row in rows:
        key = fold(row.phrasing)
        shown.setdefault(key, row.phrasing)
        by_entry[row.entry_id].setdefault(key, []).append(int(row.id))
    report = [
        EntryProposals(
            entry_id=entry_id,
            count=sum(len(ids) for ids in phrasings.values()),
            phrasings=tuple(
                sorted(
                    (Phrasing(shown[key], len(ids), tuple(ids)) for key, ids in phrasings.items()),
                    key=lambda p: (-p.count, p.ids[0]),
                )
            ),
        )
        for entry_id, phrasings in by_entry.items()
    ]
    return sorted(report, key=lambda e: (-e.count, e.entry_id))


def new_topics(bind: Bind, *, since: datetime | None = None, limit: int = 20) -> list[NewTopic]:
    """Subjects agents said no entry covers, the most asked first."""
    with _session(bind) as session:
        rows = session.execute(
            sa.select(faq_proposals.c.id, faq_proposals.c.topic, faq_proposals.c.phrasing)
            .where(sa.and_(_pending(since), faq_proposals.c.entry_id.is_(None)))
            .order_by(faq_proposals.c.id)
        ).all()
    groups: dict[str, list[sa.Row]] = defaultdict(list)
    for row in rows:
        groups[row.topic].append(row)
    topics = [
        NewTopic(topic, members[-1].phrasing, len(members), tuple(int(m.id) for m in members))
        for topic, members in groups.items()
    ]
    return sorted(topics, key=lambda t: (-t.count, -t.ids[-1]))[: max(1, limit)]


# -- the review ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    proposal: Proposal
    edit: Edit
    also: tuple[int, ...]  # other proposals of the same phrasing for the same entry


def accept(bind: Bind, proposal_id: int, *, data_dir: Path | str, decided_by: str) -> Accepted:
    """Write the proposal's phrasing into its entry's YAML file and mark it accepted, with
    every other pending proposal saying the same for the same entry."""
    with _session(bind) as session:
        proposal = get_proposal(session, proposal_id)
        if proposal.status != "proposed":
            raise LearningError(f"proposal {proposal_id} is already {proposal.status}")
        if proposal.entry_id is None:
            raise LearningError(
                f"proposal {proposal_id} is a new subject: write a new entry for it "
                "(see docs/faq.md), then reject the proposal"
            )
        # Here, not at the top: only `accept` edits the files, and the editor loads the
        # knowledge base's reader (numpy with it), which `faq report` does not need.
        from faq.editing import add_phrasing

        edit = add_phrasing(data_dir, proposal.entry_id, proposal.phrasing)
        same = [
            int(row.id)
            for row in session.execute(
                sa.select(faq_proposals.c.id, faq_proposals.c.phrasing).where(
                    sa.and_(
                        faq_proposals.c.status == "proposed",
                        faq_proposals.c.entry_id == proposal.entry_id,
                    )
                )
            )
            if fold(row.phrasing) == fold(proposal.phrasing)
        ]
        _decide(session, [proposal_id, *same], "accepted", decided_by)
        return Accepted(proposal, edit, tuple(i for i in same if i != proposal_id))


def reject(bind: Bind, proposal_id: int, *, decided_by: str) -> Proposal:
    with _session(bind) as session:
        proposal = get_proposal(session, proposal_id)
        if proposal.status != "proposed":
            raise LearningError(f"proposal {proposal_id} is already {proposal.status}")
        _decide(session, [proposal_id], "rejected", decided_by)
        return proposal


def _decide(session: Session, ids: Sequence[int], status: Status, by: str) -> None:
    session.execute(
        faq_proposals.update()
        .where(faq_proposals.c.id.in_(set(ids)))
        .values(status=status, decided_at=_now(), decided_by=by[:64])
    )


def counts(bind: Bind) -> dict[str, int]:
    """How many proposals there are in each status (for the report's summary)."""
    with _session(bind) as session:
        rows = session.execute(
            sa.select(faq_proposals.c.status, sa.func.count()).group_by(faq_proposals.c.status)
        ).all()
    found = Counter({status: int(n) for status, n in rows})
    return {status: found.get(status, 0) for status in STATUSES}
