"""Find the knowledge-base entry a question is about, or abstain.

Everything that depends only on the knowledge base is computed once in ``Matcher.__init__``:
the stems of every phrasing, their weights and an inverted index, so a question costs a few
dictionary look-ups per word plus a handful of rapidfuzz comparisons.

Scoring, per entry:

- *similarity*: the best weighted cosine between the question and one of the entry's phrasings
  (words weighted by rarity across entries: « extranet » says little, « fase » a lot);
- *coverage*: the share of the question's weight the entry's vocabulary explains. A word the
  base has never seen (« wifi », « bulletin ») weighs as much as a rare one, so a question about
  something else keeps a low coverage even when it shares a word (« mot de passe du wifi »);
- *closeness*: rapidfuzz's token-sort ratio against the matched phrasing, which rewards the
  same words in the same shape;
- *recall*: the share of one phrasing's weight that the question contains (best phrasing of the
  entry). The three above are shares of the question, so a long, polite message whose context
  words the base does not know (« ma direction m'a fait parvenir… pendant les congés… ») dilutes
  them all; recall is a share of the phrasing, and stays high when the question says the
  phrasing among other things.

The weighted sum is mapped to a 0..1 confidence by a logistic curve, and the matcher answers
only above ``threshold``, or when a second opinion (``faq.second_opinion``, a classifier that
reads words differently) independently picks the same entry.

Before that, a scope gate: shared words are not enough when they are everyday words
(« le mail de la secrétaire », « le menu de la cantine »). A question must contain one of the
lexicon's anchors (« extranet », « mot de passe », « invitation », « nouveau » with
« directeur »…) and no off-topic word (« wifi », « bulletin ») unless it names the product.
Otherwise its confidence is scaled down so that it never answers, yet still suggests. So is a
question whose only known word many entries share (« mon compte », « mot de passe »): it has no
single right answer.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from common import collector
from faq import decision
from faq.focus import request_spans
from faq.kb import Entry, KnowledgeBase
from faq.kinds import MessageKind, Scope, classify
from faq.normalize import Lexicon, fold, shared_normalizer, stem
from faq.second_opinion import Reading

MAX_SUGGESTIONS = 3
LEAD_CAP = 0.15
# How many sentences before a long message's request it may take to name its subject.
REQUEST_WIDEST = 2
# An HTTP error status beside a word that says so, in folded text.
_STATUS_CODE = re.compile(
    r"\b(?:erreur|error|code|http|page)\s*(?:n\s*)?[45]\d\d\b"
    r"|\b[45]\d\d\s+(?:error|erreur|forbidden|not found|bad gateway|service unavailable|"
    r"internal server|gateway timeout|page introuvable|acces interdit)"
)


@dataclass(frozen=True)
class Tuning:
    """Weights of the score; chosen on the knowledge base itself (leave one phrasing out)."""

    similarity_weight: float = 0.5
    coverage_weight: float = 0.5
    closeness_weight: float = 0.4
    # Phrasing recall: the share of one phrasing's weight that the question contains. Unlike
    # the similarity and the coverage, it does not fall when a long, polite question adds
    # context words around the phrasing it says.
    recall_weight: float = 1.0
    # Added to a phrasing's weight before dividing, so a phrasing of one or two words found
    # in a long question counts for less than a longer one found whole.
    recall_smoothing: float = 4.0
    entry_weight: float = 0.6
    unknown_word_factor: float = 0.9
    # A word recognised only through typo correction may be another word altogether.
    typo_trust: float = 0.6
    # Logistic calibration (fitted by `python -m faq calibrate`): the confidence is the
    # probability that the best candidate is right, from its raw score and its lead over the
    # runner-up (intercept first). Shipped as fitted: the fit only sees questions the scope
    # gate lets through, which is what it is applied to.
    calibration: tuple[float, ...] = (-5.475, 2.885, 12.836, 1.022)
    # Below 0.6 because the scope gate keeps out the other subjects a looser threshold would
    # let in; at 0.55 the held-out sets lose no right answer to a wrong one.
    threshold: float = 0.55
    # An answer must lead the runner-up by this much raw score: two entries nearly tied
    # (« avec quel compte la direction se connecte… le sien perso ? ») are better both
    # offered than one chosen; a wrong answer costs more than a suggestion.
    min_lead: float = 0.1
    # The confidence of an answer given because the second opinion agrees with the matcher's
    # first suggestion: the share of such answers that were right on the unseen sets
    # fresh7–10 (see faq.second_opinion).
    agreement_confidence: float = 0.8
    # Low enough that a lone word several entries share (« activation ») offers them all.
    suggestion_floor: float = 0.12
    # Confidence factor for a question outside the scope gate: below any threshold, while the
    # entries it resembles may still be offered as suggestions.
    out_of_scope_factor: float = 0.5
    # A question whose only known word is shared by this many entries or more (« mon compte »,
    # « mot de passe », « invitation ») has no single right answer: it gets suggestions, like
    # one outside the gate. « identifiant », in three entries, still has one clear owner.
    ambiguous_entries: int = 5
    # « activer mon compte »: a word many entries use, beside weak ones, still has one owner
    # when at least this share of the phrasings saying them together belong to one entry.
    together_share: float = 0.5
    # A lexicon « weak » word weighs as if this many entries shared it: « plusieurs » in
    # « plusieurs essais » must not outweigh « bloqué » because one other entry says
    # « plusieurs écoles ».
    weak_entries: int = 8
    # A typo is one edit (two from 8 letters on), a swap of neighbours counting as one.
    typo_min_length: int = 5
    typo_long_word: int = 8
    candidates: int = 8
    # In a long message, the words of the story around the request (faq.focus) weigh this
    # share of their weight: enough to decide between two close topics, not to outweigh it.
    context_weight: float = 0.5
    request_words: int = 3
    # The learnt side of the scope gate (faq.second_opinion): a message whose probability of
    # being none of the entries' questions reaches this is refused as its kind.
    not_question: float = 0.7
    # A message the word gate already refuses needs less to be told apart as a kind.
    loose_factor: float = 0.5
    # A word of another subject in the request outnumbered by the Extranet's anchors (« la
    # dame de la garderie n'est pas dans la liste des accès ») only lowers the learnt gate's
    # bar, as one in the story does; False: any such word keeps the question out.
    outnumbered_off_topic: bool = True
    # The decision over both readings (faq.decision), fitted by `python -m faq decide` on the
    # out-of-fold rows of learnt/unseen* and fresh* (docs/faq.md, 2026-12-03); empty: the
    # matcher's curve alone decides, as for a base without a second opinion.
    decision: tuple[float, ...] = (4.463, 0.734, 5.182, 3.107, -0.132, 0.159)
    # 0.5 and 0.4: in the grouped cross-validation they answer 0.34 point more of the
    # questions right than 0.6 and 0.6, for one wrong answer more in 2,372 (docs/faq.md).
    decision_threshold: float = 0.5
    # The answer must also be this much more probable than the next candidate: two entries
    # the decision finds close are both offered (a wrong answer costs more than a suggestion).
    decision_margin: float = 0.4
    # How many of the matcher's first candidates the decision weighs.
    decided: int = 3


@dataclass(frozen=True)
class Suggestion:
    entry: Entry
    score: float


class Reason(enum.StrEnum):
    """Why the matcher answered or abstained (``MatchResult.reason``)."""

    ANSWERED = "answered"
    # In scope, but no entry is sure enough or one barely leads another: suggestions.
    UNSURE = "unsure"
    # Its only telling word is one many entries share (« mon compte »): suggestions.
    AMBIGUOUS = "ambiguous"
    # Not a question for this FAQ: another subject (the word gate, or the learnt one),
    OFF_TOPIC = "off_topic"
    # a fault of the Extranet itself (blank page, error code, very slow): a ticket's matter,
    PROBLEM_REPORT = "problem_report"
    # or greetings, thanks, « ok ».
    SMALL_TALK = "small_talk"
    # No word the base knows.
    NO_MATCH = "no_match"

    @property
    def out_of_scope(self) -> bool:
        return self in _OUT_OF_SCOPE


_OUT_OF_SCOPE = frozenset({Reason.OFF_TOPIC, Reason.PROBLEM_REPORT, Reason.SMALL_TALK})
# The kind a message the scope gate refuses is, when the kinds' rules read a question. Small
# talk is the rules' alone (their word lists): a sentence the learnt gate reads as chat
# (« quel temps fera-t-il demain ? ») still gets the way to the helpdesk.
_KIND_OF_REFUSAL = {
    Reason.OFF_TOPIC: MessageKind.OFF_TOPIC,
    Reason.PROBLEM_REPORT: MessageKind.PROBLEM,
}


@dataclass(frozen=True)
class MatchResult:
    """``entry`` is None when the matcher abstains; ``score`` is then the best candidate's.

    ``reason`` says why: answered, unsure or ambiguous (in scope: suggestions are the way on),
    or out of scope as another subject, a fault of the Extranet or small talk (the caller
    answers those in its own way; the suggestions are then only what the words resemble).

    ``kind`` says what the message is (faq.kinds): a question, a greeting or thanks, another
    subject, or a fault of the Extranet; it agrees with ``reason`` when the scope gate
    refuses the message. What to do with a message that is not a question is the caller's.
    """

    entry: Entry | None
    score: float
    suggestions: list[Suggestion] = field(default_factory=list)
    matched_phrasing: str | None = None
    reason: Reason = Reason.NO_MATCH
    kind: MessageKind = MessageKind.QUESTION

    @property
    def answered(self) -> bool:
        return self.entry is not None

    def ranked_ids(self) -> list[str]:
        """Entry ids in the order they were offered (the answer first)."""
        first = [self.entry.id] if self.entry is not None else []
        return first + [s.entry.id for s in self.suggestions]


@dataclass(frozen=True)
class Screening:
    """One message as `python -m faq check` examines it, its words read once."""

    result: MatchResult
    in_scope: bool
    stems: list[str]  # of its topic words, in order, before typo correction


@dataclass(frozen=True)
class Candidate:
    """An entry considered for a question, with the parts of its score."""

    entry_index: int
    phrasing_index: int
    similarity: float
    coverage: float
    closeness: float
    raw: float
    specificity: float = 1.0  # rarest shared word's weight over the largest possible weight
    recall: float = 0.0  # share of the best-recalled phrasing's weight in the question

    def features(self, lead: float) -> tuple[float, float, float]:
        """What the confidence curve reads: the raw score and the (capped) lead.

        The lead is capped: beyond a clear gap, a lone weak candidate is no surer for being
        alone.
        """
        return (self.raw, min(lead, LEAD_CAP), self.specificity)


@dataclass(frozen=True)
class _Query:
    stems: dict[str, bool]  # stem -> found only through typo correction
    off_topic: bool  # an off-topic word is present
    off_topic_words: int  # how many
    other_product: bool  # another product named (Smartschool, Teams…)
    context: bool  # a scene-setting word (« congés ») is present
    # Stems in order, before typo correction (what `Normalizer.stems` gives).
    plain_stems: list[str] = field(default_factory=list)
    # Stem -> factor of its weight: below 1 for the story around a long message's request.
    focus: dict[str, float] = field(default_factory=dict)
    # An off-topic or scene-setting word in the story around the request, not in it.
    story_off_topic: bool = False
    # A long message's request (faq.focus), None when all of the message asks.
    request: str | None = None
    # A web server's error code (« erreur 404 », « 502 Bad Gateway »): a fault of the site.
    status_code: bool = False
    # The request's topic words (empty when all of the message asks).
    request_words: list[str] = field(default_factory=list)

    @property
    def off_topic_anywhere(self) -> bool:
        """Another subject in the request or the story: the learnt gate's bar is lower."""
        return self.off_topic or self.story_off_topic


@dataclass(frozen=True)
class _Phrasing:
    entry_index: int
    text: str
    stems: frozenset[str]
    norm: float
    shape: str  # stems joined, for rapidfuzz
    mass: float  # sum of its stems' weights (recall's denominator)


@dataclass
class _Vocabulary:
    """What the entries say, before any weighting."""

    # Per entry: stem -> how many of its phrasings and keywords use it.
    entry_counts: list[dict[str, int]] = field(default_factory=list)
    # (entry index, text, stems in order) for every phrasing that has a stem.
    phrasings: list[tuple[int, str, list[str]]] = field(default_factory=list)
    # Word as written -> its stem.
    surface: dict[str, str] = field(default_factory=dict)


def _columns(rows: list[tuple], width: int) -> tuple[np.ndarray, ...]:
    if not rows:
        return tuple(np.zeros(0) for _ in range(width))
    # Column by column: numpy converts a flat sequence of numbers several times faster than
    # a list of tuples.
    count = len(rows)
    return tuple(np.fromiter(c, dtype=np.float64, count=count) for c in zip(*rows, strict=True))


class Matcher:
    def __init__(self, kb: KnowledgeBase, tuning: Tuning | None = None) -> None:
        with collector.paused():
            self._build(kb, tuning)

    def _build(self, kb: KnowledgeBase, tuning: Tuning | None) -> None:
        self.kb = kb
        # The curve `python -m faq calibrate --write` fitted on this base, unless told.
        self.tuning = tuning or (Tuning(calibration=kb.calibration) if kb.calibration else Tuning())
        self.normalizer = shared_normalizer(kb.lexicon)
        self._entries: tuple[Entry, ...] = kb.entries
        self._by_id = {e.id: e for e in kb.entries}
        vocabulary = self._read_vocabulary()
        self._weigh_stems(vocabulary.entry_counts)
        phrasing_postings = self._number_phrasings(vocabulary.phrasings)
        self._slice_phrasings_by_entry()
        self._flatten_postings(phrasing_postings, vocabulary.entry_counts)
        self._index_surface(vocabulary.surface)
        self._read_lexicon(kb.lexicon)

    def _read_vocabulary(self) -> _Vocabulary:
        """Stem every phrasing and keyword, counting per entry how many of them use each stem."""
        vocabulary = _Vocabulary()
        for index, entry in enumerate(self._entries):
            counts: dict[str, int] = defaultdict(int)
            for text in entry.all_phrasings:
                words = self.normalizer.words(text)
                stems = [stem(w) for w in words]
                vocabulary.surface.update(zip(words, stems, strict=True))
                for s in set(stems):
                    counts[s] += 1
                if stems:
                    vocabulary.phrasings.append((index, text, stems))
            for keyword in entry.keywords:
                words = self.normalizer.words(keyword)
                vocabulary.surface.update((w, stem(w)) for w in words)
                for s in {stem(w) for w in words}:
                    counts[s] += 1
            vocabulary.entry_counts.append(counts)
        return vocabulary

    def _weigh_stems(self, entry_counts: list[dict[str, int]]) -> None:
        """A stem weighs by its rarity across entries; the lexicon's weak words are capped."""
        count = max(len(self._entries), 1)
        document_frequency: dict[str, int] = defaultdict(int)
        for counts in entry_counts:
            for s in set(counts):
                document_frequency[s] += 1
        self._idf = {s: math.log(1.0 + count / df) for s, df in document_frequency.items()}
        self._weak = frozenset(s for w in self.kb.lexicon.weak for s in self.normalizer.stems(w))
        weak_cap = math.log(1.0 + count / max(self.tuning.weak_entries, 1))
        for s in self._weak.intersection(self._idf):
            self._idf[s] = min(self._idf[s], weak_cap)
        self._document_frequency = dict(document_frequency)
        self._unknown_weight = math.log(1.0 + count) * self.tuning.unknown_word_factor
        self._max_weight = math.log(1.0 + count)

    def _number_phrasings(
        self, raw_phrasings: list[tuple[int, str, list[str]]]
    ) -> dict[str, list[int]]:
        """Number the phrasings and return, per stem, the numbers of those that use it."""
        self._phrasings: list[_Phrasing] = []
        phrasing_postings: dict[str, list[int]] = defaultdict(list)
        idf_of = self._idf
        for entry_index, text, stems in raw_phrasings:
            unique = frozenset(stems)
            weights = [idf_of[s] for s in unique]
            number = len(self._phrasings)
            for s in unique:
                phrasing_postings[s].append(number)
            self._phrasings.append(
                _Phrasing(
                    entry_index, text, unique, math.hypot(*weights), " ".join(stems), sum(weights)
                )
            )
        return phrasing_postings

    def _slice_phrasings_by_entry(self) -> None:
        # Phrasings are numbered entry by entry, so an entry's phrasings are one slice and
        # the best phrasing per entry is one numpy reduceat.
        self._phrasing_entry = np.array([p.entry_index for p in self._phrasings], dtype=np.int64)
        owners = self._phrasing_entry
        self._entry_has_phrasing = np.zeros(len(self._entries), dtype=bool)
        self._entry_has_phrasing[owners] = True
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]]) if len(owners) else owners
        self._slice_starts = starts
        self._slice_entries = owners[starts] if len(owners) else owners
        self._slice_ends = np.r_[starts[1:], len(owners)] if len(owners) else owners

    def _flatten_postings(
        self, phrasing_postings: dict[str, list[int]], entry_counts: list[dict[str, int]]
    ) -> None:
        # The entry as one document: a word many of its phrasings use is characteristic of it.
        # Postings are stored as slices of a few flat arrays (one per kind), built in one go.
        stem_ids = {s: i for i, s in enumerate(self._idf)}
        idf = np.array(list(self._idf.values()) or [0.0])
        norms = np.array([p.norm for p in self._phrasings] or [1.0])
        masses = np.array([p.mass for p in self._phrasings] or [1.0])
        phrasing_pairs = [(stem_ids[s], p) for s, ids in phrasing_postings.items() for p in ids]
        entry_rows: list[tuple[int, int, float]] = []
        for index, counts in enumerate(entry_counts):
            weights = {s: self._idf[s] * (1.0 + math.log(n)) for s, n in counts.items()}
            entry_norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            entry_rows.extend((stem_ids[s], index, w / entry_norm) for s, w in weights.items())
        p_stems, p_ids = _columns(phrasing_pairs, 2)
        e_stems, e_ids, e_weights = _columns(entry_rows, 3)
        p_order = np.argsort(p_stems, kind="stable")
        e_order = np.argsort(e_stems, kind="stable")
        self._p_ids = p_ids[p_order].astype(np.int64)
        p_idf = idf[p_stems[p_order].astype(np.int64)]
        self._p_weights = p_idf / norms[self._p_ids]
        self._p_recall = p_idf / (masses[self._p_ids] + self.tuning.recall_smoothing)
        self._e_ids = e_ids[e_order].astype(np.int64)
        self._e_weights = e_weights[e_order]
        p_bounds = np.searchsorted(p_stems[p_order], np.arange(len(stem_ids) + 1))
        e_bounds = np.searchsorted(e_stems[e_order], np.arange(len(stem_ids) + 1))
        self._postings: dict[str, tuple[int, int, int, int]] = {
            s: (int(p_bounds[i]), int(p_bounds[i + 1]), int(e_bounds[i]), int(e_bounds[i + 1]))
            for s, i in stem_ids.items()
        }

    def _index_surface(self, surface: dict[str, str]) -> None:
        """The words of the base as written, where typo correction looks for a known word."""
        self._surface = surface
        by_initial: dict[str, list[str]] = defaultdict(list)
        for word in surface:
            by_initial[word[0]].append(word)
        # People rarely mistype the first letter; requiring it keeps « deplacement » away
        # from « remplacement » and makes the search smaller.
        self._surface_by_initial = {k: tuple(v) for k, v in by_initial.items()}
        self._correct = lru_cache(maxsize=8192)(self._correct_uncached)

    def _read_lexicon(self, lexicon: Lexicon) -> None:
        """The scope gate's word lists, in the form the gate compares them."""
        anchors = {frozenset(self.normalizer.stems(a)) for a in lexicon.anchors}
        self._anchors = tuple(a for a in anchors if a)
        self._single_anchors = frozenset(next(iter(a)) for a in self._anchors if len(a) == 1)
        self._multi_anchors = tuple(a for a in self._anchors if len(a) > 1)
        # Off-topic words are compared as words, not stems: short stems collide (« météo » and
        # « mettre » both give « met »).
        self._off_topic = frozenset(w for t in lexicon.off_topic for w in self.normalizer.words(t))
        self._context = frozenset(w for t in lexicon.context for w in self.normalizer.words(t))
        self._systems = frozenset(w for t in lexicon.systems for w in self.normalizer.words(t))
        self._names = frozenset(s for w in lexicon.names for s in self.normalizer.stems(w))

    # -- public API -------------------------------------------------------------------------

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self._entries

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """The base's words as the normaliser gives them (folded, synonyms applied)."""
        return frozenset(self._surface)

    def match(self, question: str) -> MatchResult:
        """Best entry for the question, or an abstention, with up to three suggestions."""
        return self._match(question, self._query(question))

    def screen(self, question: str) -> Screening:
        """`match`, `in_scope` and the normaliser's stems of one message in one reading."""
        query = self._query(question)
        return Screening(self._match(question, query), self._in_scope(query), query.plain_stems)

    def _match(self, question: str, query: _Query) -> MatchResult:
        reading = self._read(question, query)
        ranked = self._rank(query)
        if not ranked:
            reason = self._refusal(reading, Reason.NO_MATCH)
            return MatchResult(
                entry=None,
                score=0.0,
                reason=reason,
                kind=self._kind(question, query, answered=False, reason=reason),
            )
        tuning = self.tuning
        learnt = self._refusal(reading, None, loose=query.off_topic_anywhere)
        words = self._word_refusal(query, reading)
        refused = words or learnt
        if reading is not None and tuning.decision and refused is None:
            scored = self._decide(ranked, reading, query)
            runner_up = scored[1][1] if len(scored) > 1 else 0.0
            answered = (
                scored[0][1] >= tuning.decision_threshold
                and scored[0][1] - runner_up >= tuning.decision_margin
                and not self._contested(ranked, reading, scored[0][0])
            )
            if not answered:
                # Unsure: what to offer, by the better of the two views (the decision is
                # sharp, and a near tie leaves both entries low).
                scored = self._offered(ranked, scored)
        else:
            # Refused, or no second opinion: the curve ranks what the words resemble.
            scored, answered = self._curve_decision(ranked, reading, refused is None)
        best, best_score = scored[0]
        if refused is not None:
            # Below any threshold, while what it resembles is still offered.
            best_score *= tuning.out_of_scope_factor
        suggestions = []
        ceiling = best_score
        for candidate, score in scored[1:] if answered else scored:
            if len(suggestions) == MAX_SUGGESTIONS:
                break
            if candidate is not best:
                # The decision is sharp: a runner-up it finds unlikely may still be worth
                # offering when its words are close (the curve without the lead).
                score = max(score, self.confidence(candidate, 0.0))
            # None outranks the one before it.
            ceiling = min(ceiling, score)
            if ceiling >= tuning.suggestion_floor:
                suggestions.append(
                    Suggestion(self._entries[candidate.entry_index], round(ceiling, 4))
                )
        reason = Reason.ANSWERED if answered else refused or Reason.UNSURE
        result = MatchResult(
            entry=self._entries[best.entry_index] if answered else None,
            score=round(best_score, 4),
            suggestions=suggestions,
            matched_phrasing=self._phrasings[best.phrasing_index].text,
            reason=reason,
            kind=self._kind(question, query, answered=answered, reason=reason),
        )
        return self._as_fault(result) if result.kind is MessageKind.PROBLEM else result

    def _as_fault(self, result: MatchResult) -> MatchResult:
        """« le bouton d'envoi des invitations ne fait rien »: the words name a topic, but a
        fault of the site is a ticket's matter, whatever entry they resemble. What they
        resemble is still offered, none outranking the one before it."""
        if result.reason.out_of_scope:
            return result
        if result.entry is None:
            return dataclasses.replace(result, reason=Reason.PROBLEM_REPORT)
        score = round(result.score * self.tuning.out_of_scope_factor, 4)
        offered = [Suggestion(result.entry, score)] + [
            Suggestion(s.entry, min(s.score, score))
            for s in result.suggestions[: MAX_SUGGESTIONS - 1]
        ]
        return dataclasses.replace(
            result, entry=None, score=score, suggestions=offered, reason=Reason.PROBLEM_REPORT
        )

    def kind(self, question: str) -> MessageKind:
        """What kind of message this is (faq.kinds)."""
        return self.match(question).kind

    def rules_kind(self, question: str) -> MessageKind:
        """What the kinds' rules alone read in a message taken as ours (faq.kinds): a greeting
        or a fault of the site, whatever the scope gate says (`python -m faq check`)."""
        query = self._query(question)
        return self._rules_kind(question, query, answered=True)

    def _kind(self, question: str, query: _Query, *, answered: bool, reason: Reason) -> MessageKind:
        """The rules' kind (faq.kinds); when they read a question, the scope gate's refusal
        (another subject, a fault, small talk) names it instead."""
        kind = self._rules_kind(question, query, answered=answered)
        if kind is not MessageKind.QUESTION or answered:
            return kind
        if reason is Reason.OFF_TOPIC and query.off_topic_words:
            # The rules weighed those words against the Extranet's: it stays a question.
            return kind
        if reason is Reason.OFF_TOPIC and len(query.plain_stems) <= 1:
            # One word naming no other subject (« adresse ») is too vague to send
            # the person elsewhere: suggestions or the helpdesk instead.
            return kind
        return _KIND_OF_REFUSAL.get(reason, kind)

    def _rules_kind(self, question: str, query: _Query, *, answered: bool) -> MessageKind:
        named = not self._names.isdisjoint(query.stems)
        anchors = self._anchor_count(query.stems)
        scope = Scope(
            answered=answered,
            off_topic=self._another_subject_outweighs(query, named, anchors),
            # Kept out by a scene-setting word alone (« les vacances de Pâques »): not ours.
            scene_only=query.context and anchors == 0,
            named=named,
        )
        return classify(question, self.kb.kinds, scope)

    @staticmethod
    def _another_subject_outweighs(query: _Query, named: bool, anchors: int) -> bool:
        """Another subject at least as present as ours: « mot de passe Smartschool » is
        Smartschool's; « mon horaire sur trois écoles, un seul compte ? » is ours."""
        return query.off_topic and not named and query.off_topic_words >= anchors

    def _word_refusal(self, query: _Query, reading: Reading | None) -> Reason | None:
        """Why the word gate keeps the question from an answer (another subject, a server's
        error code, or no telling word), or None. The learnt reading names the kind."""
        if query.status_code:
            return Reason.PROBLEM_REPORT
        if not self._in_scope(query):
            return self._refusal(reading, Reason.OFF_TOPIC, loose=True)
        if self._ambiguous(query):
            return Reason.AMBIGUOUS
        return None

    def _offered(
        self, ranked: list[Candidate], scored: list[tuple[Candidate, float]]
    ) -> list[tuple[Candidate, float]]:
        lead = ranked[0].raw - (ranked[1].raw if len(ranked) > 1 else 0.0)
        best = ranked[0]
        return sorted(
            ((c, max(p, self.confidence(c, lead if c is best else 0.0))) for c, p in scored),
            key=lambda pair: pair[1],
            reverse=True,
        )

    def _contested(self, ranked: list[Candidate], reading: Reading, chosen: Candidate) -> bool:
        """Two entries nearly tied by the words, and the second opinion for another one than
        the chosen: both are better offered than one chosen."""
        if len(ranked) < 2 or reading.entry_id == self._entries[chosen.entry_index].id:
            return False
        return ranked[0].raw - ranked[1].raw < self.tuning.min_lead

    def _curve_decision(
        self, ranked: list[Candidate], reading: Reading | None, allowed: bool
    ) -> tuple[list[tuple[Candidate, float]], bool]:
        """The matcher alone (a base without a fitted second opinion): its curve, a lead
        over the runner-up, or the second opinion's agreement."""
        tuning = self.tuning
        best = ranked[0]
        lead = best.raw - (ranked[1].raw if len(ranked) > 1 else 0.0)
        best_score = self.confidence(best, lead)
        answered = allowed and best_score >= tuning.threshold and lead >= tuning.min_lead
        if not answered and allowed and self._agrees(reading, best):
            answered, best_score = True, max(best_score, tuning.agreement_confidence)
        # The others are scored without the lead.
        scored = [(best, best_score)] + [(c, self.confidence(c, 0.0)) for c in ranked[1:]]
        return scored, answered

    def _decide(
        self, ranked: list[Candidate], reading: Reading, query: _Query
    ) -> list[tuple[Candidate, float]]:
        """The first candidates with the probability that each is right (faq.decision),
        most probable first."""
        return sorted(
            (
                (candidate, decision.probability(self.tuning.decision, values))
                for candidate, values in self._decision_features(ranked, reading, query)
            ),
            key=lambda pair: pair[1],
            reverse=True,
        )

    def _decision_features(
        self, ranked: list[Candidate], reading: Reading, query: _Query
    ) -> list[tuple[Candidate, tuple[float, ...]]]:
        best = ranked[0]
        lead = best.raw - (ranked[1].raw if len(ranked) > 1 else 0.0)
        rows = []
        for position, candidate in enumerate(ranked[: self.tuning.decided]):
            entry_id = self._entries[candidate.entry_index].id
            rows.append(
                (
                    candidate,
                    decision.features(
                        self.confidence(candidate, lead if position == 0 else 0.0),
                        candidate.raw - best.raw,
                        reading.probabilities.get(entry_id, 0.0),
                        reading.entry_id == entry_id,
                        query.request is not None,
                    ),
                )
            )
        return rows

    def decision_rows(self, question: str) -> list[tuple[str, tuple[float, ...]]] | None:
        """The candidates the decision weighs and what it reads of each; None when the scope
        gate refuses the question or there is no second opinion (fitting faq.decision)."""
        query = self._query(question)
        reading = self._read(question, query)
        ranked = self._rank(query)
        if (
            reading is None
            or not ranked
            or self._word_refusal(query, reading) is not None
            or self._refusal(reading, None, loose=query.off_topic_anywhere) is not None
        ):
            return None
        return [
            (self._entries[c.entry_index].id, values)
            for c, values in self._decision_features(ranked, reading, query)
        ]

    def _read(self, question: str, query: _Query) -> Reading | None:
        classifier = self.kb.classifier
        if classifier is None:
            return None
        if query.request is None:
            return classifier.read(question, self.normalizer, query.plain_stems)
        # The request read twice: its words count more than the story's, as in the ranking.
        stems = [stem(w) for w in query.request_words] + query.plain_stems
        return classifier.read(f"{query.request} {question}", self.normalizer, stems)

    def opinion_text(self, question: str) -> str:
        """The text the second opinion reads for a question (a long message's request
        twice): what a labelled question is learnt as (faq.training)."""
        query = self._query(question)
        return question if query.request is None else f"{query.request} {question}"

    def _refusal(
        self, reading: Reading | None, default: Reason | None, *, loose: bool = False
    ) -> Reason | None:
        """The learnt side of the scope gate: the kind of non-question the message reads as,
        when that reading is strong enough (`loose`: the word gate already refused it, and
        the reading only says which kind); else `default`."""
        bound = self.tuning.not_question * (self.tuning.loose_factor if loose else 1.0)
        if reading is None or reading.kind is None or reading.not_question < bound:
            return default
        return Reason(reading.kind)

    def _agrees(self, reading: Reading | None, best: Candidate) -> bool:
        """Whether the second opinion's first choice is this candidate (faq.second_opinion).

        Its agreement also settles a near tie that `min_lead` would leave to the person:
        two readings that differ in kind pointing at one entry are the evidence the lead
        stands in for."""
        return reading is not None and reading.entry_id == self._entries[best.entry_index].id

    def candidates(self, question: str) -> list[Candidate]:
        """Every entry sharing a word with the question, best first (for tuning and tests)."""
        return self._rank(self._query(question))

    def in_scope(self, question: str) -> bool:
        """Whether the scope gate lets the question be answered at all."""
        return self._in_scope(self._query(question))

    def _in_scope(self, query: _Query) -> bool:
        stems = query.stems
        named = not self._names.isdisjoint(stems)
        anchors = self._anchor_count(stems)
        if (
            query.off_topic
            and not named
            and (query.other_product or not self.tuning.outnumbered_off_topic)
        ):
            return False
        # Outnumbered by our anchors, it sets the scene; the learnt gate reads the rest.
        if self._another_subject_outweighs(query, named, anchors):
            return False
        if not self._anchors:
            return True
        # A scene-setting word needs a second anchor: « demande de congé » is not ours,
        # « l'invitation des congés, le lien a expiré » is.
        return anchors >= (2 if query.context and not named else 1)

    def _anchor_count(self, stems: dict[str, bool]) -> int:
        return len(self._single_anchors.intersection(stems)) + sum(
            anchor.issubset(stems) for anchor in self._multi_anchors
        )

    def _ambiguous(self, query: _Query) -> bool:
        """Whether the question has no telling word: no single right answer, only suggestions.

        That is a question whose only known word many entries share (« mot de passe »), or
        whose known words are weak ones (« le lien de mon compte ») beside at most one word
        most entries share, when the phrasings that say them together are spread over
        several entries too (« mon compte extranet », not « activer mon compte »).
        """
        known = [s for s in query.stems if s in self._document_frequency]
        if not known:
            return False
        frequency = self._document_frequency
        common = self.tuning.ambiguous_entries
        if len(known) == 1:
            return frequency[known[0]] >= common
        telling = [s for s in known if s not in self._weak]
        if not telling:
            return True
        if len(telling) > 1 or frequency[telling[0]] < 2 * common:
            return False
        return self._together_share(known) < self.tuning.together_share

    def _together_share(self, stems: list[str]) -> float:
        """The share of the phrasings saying all these stems that one entry holds (0: none)."""
        together: set[int] | None = None
        for s in stems:
            begin, end, _, _ = self._postings[s]
            found = set(self._p_ids[begin:end].tolist())
            together = found if together is None else together & found
            if not together:
                return 0.0
        assert together is not None
        owners = np.bincount(self._phrasing_entry[list(together)])
        return float(owners.max()) / len(together) if len(together) >= 2 else 0.0

    def confidence(self, candidate: Candidate, lead: float) -> float:
        """Probability that the candidate is right (the fitted logistic curve)."""
        intercept, *coefficients = self.tuning.calibration
        z = intercept + sum(
            c * f for c, f in zip(coefficients, candidate.features(lead), strict=True)
        )
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def query_stems(self, question: str) -> list[str]:
        """The stems the matcher compares for this question, after typo correction."""
        return list(self._query(question).stems)

    def _query(self, question: str) -> _Query:
        """Stems of the question, each with whether it was found through typo correction."""
        stems: dict[str, bool] = {}
        plain: list[str] = []
        words = plain_words = self.normalizer.words(question)
        for word in words:
            s = stem(word)
            plain.append(s)
            corrected = False
            if s not in self._idf:
                fixed = self._correct(word)
                if fixed is not None:
                    s, corrected = fixed, True
            stems[s] = stems.get(s, True) and corrected
        span, request = self._request_words(question)
        focus: dict[str, float] = {}
        story_off_topic = False
        if request is not None:
            asked = {self._stem_of(word) for word in request}
            focus = {s: self.tuning.context_weight for s in stems if s not in asked}
            # Another subject named in the story (« mes élèves », « la réunion de rentrée »)
            # does not make the request another subject by itself: it only lowers the bar
            # of the learnt gate, which reads the whole message.
            story_off_topic = self._off_topic_words(words)
            words = request
        off_topic_words = sum(_listed(w, self._off_topic) for w in words) if self._off_topic else 0
        # Another product named anywhere (« je me connecte à Smartschool… Je fais quoi ? »).
        other_product = any(w in self._systems for w in plain_words)
        off_topic = off_topic_words > 0 or other_product
        context = bool(self._context) and any(_listed(w, self._context) for w in words)
        status_code = _STATUS_CODE.search(fold(question)) is not None
        return _Query(
            stems,
            off_topic,
            off_topic_words,
            other_product,
            context,
            plain,
            focus,
            story_off_topic,
            span,
            status_code,
            request or [],
        )

    def _off_topic_words(self, words: list[str]) -> bool:
        # A scene-setting word in the story (« avant le congé ») sets the scene, as it says.
        return any(_listed(w, self._off_topic) for w in words) and self._names.isdisjoint(
            stem(w) for w in words
        )

    def _request_words(self, question: str) -> tuple[str | None, list[str] | None]:
        """A long message's request (faq.focus) and its topic words; None: all of it asks."""
        span, words = None, None
        for span in request_spans(question, REQUEST_WIDEST):
            if span is None:
                return None, None
            words = self.normalizer.words(span)
            # A request naming less than this is a pointer to the story (« en avoir un
            # nouveau »): the sentence before it says what about.
            known = {self._stem_of(w) for w in words}.intersection(self._idf)
            if len(known) >= self.tuning.request_words:
                break
        return span, words

    def _stem_of(self, word: str) -> str:
        s = stem(word)
        if s not in self._idf:
            fixed = self._correct(word)
            if fixed is not None:
                return fixed
        return s

    # -- scoring ----------------------------------------------------------------------------

    def _correct_uncached(self, word: str) -> str | None:
        if len(word) < self.tuning.typo_min_length or word.isdigit():
            return None
        edits = 2 if len(word) >= self.tuning.typo_long_word else 1
        found = process.extractOne(
            word,
            self._surface_by_initial.get(word[0], ()),
            scorer=OSA.distance,
            score_cutoff=edits,
        )
        return self._surface[found[0]] if found else None

    def _rank(self, request: _Query) -> list[Candidate]:
        query = request.stems
        if not query:
            return []
        stems = list(query)
        tuning = self.tuning
        focus = request.focus
        weights = {s: self._idf.get(s, self._unknown_weight) * focus.get(s, 1.0) for s in stems}
        total = sum(weights.values())
        query_norm = math.sqrt(sum(w * w for w in weights.values()))

        count = len(self._entries)
        dots = np.zeros(len(self._phrasings))
        recalled = np.zeros(len(self._phrasings))
        covered = np.zeros(count)
        entry_dots = np.zeros(count)
        rarest = np.zeros(count)
        for s, w in weights.items():
            bounds = self._postings.get(s)
            if bounds is None:
                continue
            p_begin, p_end, e_begin, e_end = bounds
            trust = tuning.typo_trust if query[s] else 1.0
            w = w * trust
            # Indices are unique within one postings list, so += is exact.
            phrasings = self._p_ids[p_begin:p_end]
            dots[phrasings] += w * self._p_weights[p_begin:p_end]
            recalled[phrasings] += trust * self._p_recall[p_begin:p_end]
            entries = self._e_ids[e_begin:e_end]
            covered[entries] += w
            entry_dots[entries] += w * self._e_weights[e_begin:e_end]
            rarest[entries] = np.maximum(rarest[entries], w)
        if not covered.any():
            return []

        similarity = np.zeros(count)
        recall = np.zeros(count)
        if len(dots):
            similarity[self._slice_entries] = (
                np.maximum.reduceat(dots, self._slice_starts) / query_norm
            )
            recall[self._slice_entries] = np.maximum.reduceat(recalled, self._slice_starts)
        coverage = covered / total
        partial = (
            tuning.similarity_weight * similarity
            + tuning.coverage_weight * coverage
            + tuning.entry_weight * entry_dots / query_norm
            + tuning.recall_weight * recall
        )
        partial[~(covered > 0) | ~self._entry_has_phrasing] = -1.0
        top = min(tuning.candidates, int((partial > 0).sum()))
        if top == 0:
            return []
        chosen = np.argpartition(-partial, top - 1)[:top]

        shape = " ".join(stems)
        scored = []
        for e in chosen.tolist():
            begin, end = self._entry_slice(e)
            p = begin + int(np.argmax(dots[begin:end]))
            closeness = fuzz.token_sort_ratio(shape, self._phrasings[p].shape) / 100.0
            raw = float(partial[e]) + tuning.closeness_weight * closeness
            scored.append(
                Candidate(
                    e,
                    p,
                    float(similarity[e]),
                    float(coverage[e]),
                    closeness,
                    raw,
                    float(rarest[e]) / self._max_weight,
                    float(recall[e]),
                )
            )
        scored.sort(key=lambda c: c.raw, reverse=True)
        return scored

    def _entry_slice(self, entry_index: int) -> tuple[int, int]:
        position = int(np.searchsorted(self._slice_entries, entry_index))
        return int(self._slice_starts[position]), int(self._slice_ends[position])


def _listed(word: str, words: frozenset[str]) -> bool:
    """Whether the word, or its singular (a plural « s » or « x » dropped), is listed."""
    return word in words or (len(word) > 3 and word[-1] in "sx" and word[:-1] in words)


@dataclass(frozen=True)
class Confusion:
    """Two phrasings of different entries that the matcher can hardly tell apart."""

    first_id: str
    first: str
    second_id: str
    second: str
    similarity: float


def confusable_phrasings(matcher: Matcher, min_similarity: float = 0.85) -> list[Confusion]:
    """Pairs of phrasings from different entries whose weighted cosine reaches the bound."""
    found: list[Confusion] = []
    phrasings = matcher._phrasings
    for index, phrasing in enumerate(phrasings):
        dots: dict[int, float] = defaultdict(float)
        for s in phrasing.stems:
            weight = matcher._idf[s] ** 2
            begin, end, _, _ = matcher._postings[s]
            for other in matcher._p_ids[begin:end].tolist():
                if other > index:
                    dots[other] += weight
        for other, dot in dots.items():
            candidate = phrasings[other]
            if candidate.entry_index == phrasing.entry_index:
                continue
            similarity = dot / (phrasing.norm * candidate.norm)
            if similarity >= min_similarity:
                found.append(
                    Confusion(
                        matcher.entries[phrasing.entry_index].id,
                        phrasing.text,
                        matcher.entries[candidate.entry_index].id,
                        candidate.text,
                        round(similarity, 3),
                    )
                )
    return sorted(found, key=lambda c: c.similarity, reverse=True)
