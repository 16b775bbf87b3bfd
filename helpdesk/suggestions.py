"""FAQ answers that may settle a request before it becomes a ticket, and the FAQ's words on
the topic of a ticket (for its proposed category).

The ticket forms offer them under the subject, as Zendesk and Freshdesk do: a person whose
question the FAQ answers is helped at once, and the helpdesk gets one ticket fewer. Answers
are given with the deployment's delays and rules filled in (`facts`, see `faq.facts`), as the
chat and the FAQ page show them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from faq.facts import fill

MAX_SUGGESTIONS = 3
# The matcher's unsure candidates below this are noise in a form that is about to be sent:
# only its answer, and candidates it nearly took, are worth the person's time.
MIN_SUGGESTION_SCORE = 0.55
# Fewer words than this, a subject says too little alone (« Question », « Aide urgente »).
MIN_SUBJECT_WORDS = 3
MIN_QUERY_CHARS = 8


@dataclass(frozen=True)
class FaqSuggestion:
    id: str
    question: str
    answer: str


def _matcher():  # type: ignore[no-untyped-def]
    # Imported here: the matcher and NumPy load with the first form, not with every process.
    import faq

    return faq.load_default()


def suggestions_for(
    subject: str,
    description: str = "",
    *,
    exclude: Iterable[str] = (),
    facts: Mapping[str, str] | None = None,
) -> list[FaqSuggestion]:
    """The FAQ answers closest to what the person wrote, best first, at most three; none when
    the FAQ has nothing near. `exclude`: answers the person already saw."""
    query = " ".join(subject.split())
    if len(query.split()) < MIN_SUBJECT_WORDS:
        # A short subject: the description's start says more.
        query = " ".join(f"{query} {description[:300]}".split())
    if len(query) < MIN_QUERY_CHARS:
        return []
    result = _matcher().match(query[:500])
    entries = [result.entry] if result.entry is not None else []
    entries += [s.entry for s in result.suggestions if s.score >= MIN_SUGGESTION_SCORE]
    seen = set(exclude)
    found: list[FaqSuggestion] = []
    for entry in entries:
        if entry.id in seen:
            continue
        seen.add(entry.id)
        found.append(FaqSuggestion(entry.id, entry.question, fill(entry.answer, facts or {})))
    return found[:MAX_SUGGESTIONS]


def faq_entry(entry_id: str, facts: Mapping[str, str] | None = None) -> FaqSuggestion | None:
    for entry in _matcher().kb.entries:
        if entry.id == entry_id:
            return FaqSuggestion(entry.id, entry.question, fill(entry.answer, facts or {}))
    return None


def topics_of(entry_ids: Sequence[str]) -> list[str]:
    """For `propose_category`: each known entry's question, then its id in words."""
    topics = []
    for entry_id in entry_ids:
        entry = faq_entry(entry_id)
        if entry is not None:
            topics.append(f"{entry.question} {entry.id.replace('-', ' ')}")
    return topics
