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
  same words in the same shape.

The weighted sum is mapped to a 0..1 confidence by a logistic curve, and the matcher answers
only above ``threshold``.
"""

from __future__ import annotations

import math
from collections import defaultdict

from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from faq.kb import Entry, KnowledgeBase
from faq.normalize import Normalizer, stem

MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Tuning:
    """Weights of the score; chosen on the knowledge base itself (leave one phrasing out)."""

    similarity_weight: float = 0.45
    coverage_weight: float = 0.40
    closeness_weight: float = 0.15
    unknown_word_factor: float = 0.9
    # Logistic calibration of the raw score: confidence = 1 / (1 + exp(-slope * (raw - centre))).
    centre: float = 0.55
    slope: float = 12.0
    threshold: float = 0.5
    suggestion_floor: float = 0.15
    # A typo is one edit (two from 8 letters on), a swap of neighbours counting as one.
    typo_min_length: int = 5
    typo_long_word: int = 8
    candidates: int = 8


@dataclass(frozen=True)
class Suggestion:
    entry: Entry
    score: float


@dataclass(frozen=True)
class MatchResult:
    """``entry`` is None when the matcher abstains; ``score`` is then the best candidate's."""

    entry: Entry | None
    score: float
    suggestions: list[Suggestion] = field(default_factory=list)
    matched_phrasing: str | None = None

    @property
    def answered(self) -> bool:
        return self.entry is not None

    def ranked_ids(self) -> list[str]:
        """Entry ids in the order they were offered (the answer first)."""
        first = [self.entry.id] if self.entry is not None else []
        return first + [s.entry.id for s in self.suggestions]


@dataclass(frozen=True)
class _Phrasing:
    entry_index: int
    text: str
    stems: frozenset[str]
    norm: float
    shape: str  # stems joined, for rapidfuzz


class Matcher:
    def __init__(self, kb: KnowledgeBase, tuning: Tuning | None = None) -> None:
        self.kb = kb
        self.tuning = tuning or Tuning()
        self.normalizer = Normalizer(kb.lexicon)
        self._entries: tuple[Entry, ...] = kb.entries
        self._by_id = {e.id: e for e in kb.entries}

        entry_stems: list[set[str]] = []
        raw_phrasings: list[tuple[int, str, list[str]]] = []
        surface: dict[str, str] = {}
        for index, entry in enumerate(self._entries):
            vocabulary: set[str] = set()
            for text in entry.all_phrasings:
                words = self.normalizer.words(text)
                stems = [stem(w) for w in words]
                surface.update(zip(words, stems, strict=True))
                vocabulary.update(stems)
                if stems:
                    raw_phrasings.append((index, text, stems))
            for keyword in entry.keywords:
                words = self.normalizer.words(keyword)
                surface.update((w, stem(w)) for w in words)
                vocabulary.update(stem(w) for w in words)
            entry_stems.append(vocabulary)

        count = max(len(self._entries), 1)
        document_frequency: dict[str, int] = defaultdict(int)
        for vocabulary in entry_stems:
            for s in vocabulary:
                document_frequency[s] += 1
        self._idf = {s: math.log(1.0 + count / df) for s, df in document_frequency.items()}
        self._unknown_weight = math.log(1.0 + count) * self.tuning.unknown_word_factor

        self._phrasings: list[_Phrasing] = []
        postings: dict[str, list[int]] = defaultdict(list)
        for entry_index, text, stems in raw_phrasings:
            unique = frozenset(stems)
            norm = math.sqrt(sum(self._idf[s] ** 2 for s in unique))
            for s in unique:
                postings[s].append(len(self._phrasings))
            self._phrasings.append(_Phrasing(entry_index, text, unique, norm, " ".join(stems)))
        self._postings = {s: tuple(p) for s, p in postings.items()}
        entry_postings: dict[str, list[int]] = defaultdict(list)
        for index, vocabulary in enumerate(entry_stems):
            for s in vocabulary:
                entry_postings[s].append(index)
        self._entry_postings = {s: tuple(e) for s, e in entry_postings.items()}
        self._surface = surface
        self._surface_words = tuple(surface)
        self._correct = lru_cache(maxsize=8192)(self._correct_uncached)

    # -- public API -------------------------------------------------------------------------

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self._entries

    def match(self, question: str) -> MatchResult:
        """Best entry for the question, or an abstention, with up to three suggestions."""
        ranked = self._rank(question)
        if not ranked:
            return MatchResult(entry=None, score=0.0)
        tuning = self.tuning
        best_index, best_score, best_phrasing = ranked[0]
        answered = best_score >= tuning.threshold
        rest = ranked[1:] if answered else ranked
        suggestions = [
            Suggestion(self._entries[i], round(s, 4))
            for i, s, _ in rest
            if s >= tuning.suggestion_floor
        ][:MAX_SUGGESTIONS]
        return MatchResult(
            entry=self._entries[best_index] if answered else None,
            score=round(best_score, 4),
            suggestions=suggestions,
            matched_phrasing=self._phrasings[best_phrasing].text,
        )

    def query_stems(self, question: str) -> list[str]:
        """The stems the matcher compares for this question, after typo correction."""
        result: list[str] = []
        for word in self.normalizer.words(question):
            s = stem(word)
            if s not in self._idf:
                s = self._correct(word) or s
            if s not in result:
                result.append(s)
        return result

    # -- scoring ----------------------------------------------------------------------------

    def _correct_uncached(self, word: str) -> str | None:
        if len(word) < self.tuning.typo_min_length or word.isdigit():
            return None
        edits = 2 if len(word) >= self.tuning.typo_long_word else 1
        found = process.extractOne(
            word, self._surface_words, scorer=OSA.distance, score_cutoff=edits
        )
        return self._surface[found[0]] if found else None

    def _rank(self, question: str) -> list[tuple[int, float, int]]:
        """(entry index, confidence, phrasing index) of the candidates, best first."""
        stems = self.query_stems(question)
        if not stems:
            return []
        idf = self._idf
        weights = {s: idf.get(s, self._unknown_weight) for s in stems}
        total = sum(weights.values())
        query_norm = math.sqrt(sum(w * w for w in weights.values()))

        dots: dict[int, float] = defaultdict(float)
        covered: dict[int, float] = defaultdict(float)
        for s, w in weights.items():
            for p in self._postings.get(s, ()):
                dots[p] += w * w
            for e in self._entry_postings.get(s, ()):
                covered[e] += w
        if not covered:
            return []

        best: dict[int, tuple[float, int]] = {}
        phrasings = self._phrasings
        for p, dot in dots.items():
            phrasing = phrasings[p]
            cosine = dot / (query_norm * phrasing.norm)
            current = best.get(phrasing.entry_index)
            if current is None or cosine > current[0]:
                best[phrasing.entry_index] = (cosine, p)

        tuning = self.tuning
        partial = sorted(
            (
                (
                    tuning.similarity_weight * best[e][0]
                    + tuning.coverage_weight * (covered[e] / total),
                    e,
                )
                for e in best
            ),
            reverse=True,
        )[: tuning.candidates]
        shape = " ".join(stems)
        scored = []
        for partial_score, e in partial:
            p = best[e][1]
            closeness = fuzz.token_sort_ratio(shape, phrasings[p].shape) / 100.0
            raw = partial_score + tuning.closeness_weight * closeness
            scored.append((e, self._calibrate(raw), p))
        scored.sort(key=lambda item: item[1], reverse=True)
        return scored

    def _calibrate(self, raw: float) -> float:
        return 1.0 / (1.0 + math.exp(-self.tuning.slope * (raw - self.tuning.centre)))


