"""Fitting the confidence curve on the knowledge base itself.

Positives and hard cases come from leaving each phrasing out of the base and asking it: the
matcher then sees a phrasing it has never seen, as with a real user. The phrasings are held
out in ``FOLDS`` groups (every n-th phrasing of the base in one group), not one by one:
a base is then indexed twenty times instead of once per phrasing, seconds instead of
minutes, which matters when `extranet-bot faq accept` runs it after every review.
Negatives come from a list of out-of-scope questions in the data directory, and from single
words that several entries share (« mot de passe » alone has no single right answer). A
logistic regression on the candidate's features turns its raw score into the probability of
being right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from faq.kb import KnowledgeBase
from faq.matcher import Candidate, Matcher, Tuning

OUT_OF_SCOPE_FILE = "calibration_out_of_scope.txt"


@dataclass(frozen=True)
class Sample:
    features: tuple[float, ...]  # Candidate.features(lead) of the best candidate
    right: bool


def _sample(matcher: Matcher, question: str, expected: str | None) -> Sample:
    ranked = matcher.candidates(question)
    if not ranked:
        return Sample(Candidate(-1, -1, 0.0, 0.0, 0.0, 0.0, 0.0).features(0.0), False)
    best = ranked[0]
    lead = best.raw - (ranked[1].raw if len(ranked) > 1 else 0.0)
    return Sample(best.features(lead), matcher.entries[best.entry_index].id == expected)


FOLDS = 20


def leave_one_out(kb: KnowledgeBase, tuning: Tuning, folds: int = FOLDS) -> list[Sample]:
    """Every phrasing asked of the base without it (and without the rest of its fold)."""
    numbered = [
        (position, held)
        for position, entry in enumerate(kb.entries)
        for held in range(len(entry.all_phrasings))
    ]
    samples = []
    for fold in range(folds):
        out = {pair for number, pair in enumerate(numbered) if number % folds == fold}
        if not out:
            continue
        entries = []
        for position, entry in enumerate(kb.entries):
            phrasings = entry.all_phrasings
            # An entry keeps at least its question, so that it still exists.
            kept = [p for held, p in enumerate(phrasings) if (position, held) not in out]
            kept = kept or [phrasings[0]]
            entries.append(entry.model_copy(update={"question": kept[0], "phrasings": kept[1:]}))
        matcher = Matcher(replace(kb, entries=tuple(entries), classifier=None), tuning)
        samples += [
            _sample(matcher, kb.entries[position].all_phrasings[held], kb.entries[position].id)
            for position, held in sorted(out)
        ]
    return samples


def out_of_scope(kb: KnowledgeBase, tuning: Tuning, data_dir: Path) -> list[Sample]:
    return _out_of_scope(Matcher(kb, tuning), data_dir)


def _out_of_scope(matcher: Matcher, data_dir: Path) -> list[Sample]:
    path = data_dir / OUT_OF_SCOPE_FILE
    if not path.exists():
        return []
    questions = [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # The scope gate already refuses the others whatever their score; the curve is for the rest.
    return [_sample(matcher, q, None) for q in questions if matcher.in_scope(q)]


def ambiguous_words(kb: KnowledgeBase, tuning: Tuning, min_entries: int = 3) -> list[Sample]:
    """A question made of one word that several entries share has no single right answer."""
    return _ambiguous_words(Matcher(kb, tuning), min_entries)


def _ambiguous_words(matcher: Matcher, min_entries: int = 3) -> list[Sample]:
    counts: dict[str, set[str]] = {}
    for entry in matcher.entries:
        for text in (*entry.all_phrasings, *entry.keywords):
            for word in matcher.normalizer.words(text):
                counts.setdefault(word, set()).add(entry.id)
    return [
        Sample(_sample(matcher, word, None).features, False)
        for word, ids in sorted(counts.items())
        if len(ids) >= min_entries and matcher.in_scope(word)
    ]


def fit_logistic(samples: list[Sample], iterations: int = 50) -> tuple[float, ...]:
    """(intercept, coefficients...) by Newton's method with a small ridge penalty."""
    size = 1 + (len(samples[0].features) if samples else 0)
    beta = [0.0] * size
    ridge = 1e-2
    for _ in range(iterations):
        gradient = [ridge * b for b in beta]
        hessian = [[ridge if i == j else 0.0 for j in range(size)] for i in range(size)]
        for sample in samples:
            x = (1.0, *sample.features)
            p = _sigmoid(sum(b * v for b, v in zip(beta, x, strict=True)))
            for i in range(size):
                gradient[i] += (p - float(sample.right)) * x[i]
                for j in range(size):
                    hessian[i][j] += p * (1.0 - p) * x[i] * x[j]
        step = _solve(hessian, gradient)
        beta = [b - d for b, d in zip(beta, step, strict=True)]
        if max(abs(d) for d in step) < 1e-8:
            break
    return tuple(beta)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    n = len(vector)
    rows = [[*matrix[i][:], vector[i]] for i in range(n)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col and rows[col][col]:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[i][n] / rows[i][i] if rows[i][i] else 0.0 for i in range(n)]


def log_loss(samples: list[Sample], beta: tuple[float, ...]) -> float:
    total = 0.0
    for sample in samples:
        p = _sigmoid(beta[0] + sum(b * f for b, f in zip(beta[1:], sample.features, strict=True)))
        p = min(max(p, 1e-9), 1 - 1e-9)
        total -= math.log(p if sample.right else 1.0 - p)
    return total / max(len(samples), 1)


@dataclass(frozen=True)
class Calibration:
    tuning: Tuning
    samples: int
    top1: float  # share of held-out phrasings whose best candidate is right
    log_loss: float


def calibrate(kb: KnowledgeBase, data_dir: Path, tuning: Tuning | None = None) -> Calibration:
    """The tuning with its confidence curve refitted on this base."""
    tuning = tuning or Tuning()
    held_out = leave_one_out(kb, tuning)
    # One matcher of the whole base for both kinds of negatives.
    matcher = Matcher(kb, tuning)
    samples = held_out + _out_of_scope(matcher, data_dir) + _ambiguous_words(matcher)
    beta = fit_logistic(samples)
    fitted = replace(tuning, calibration=tuple(round(b, 3) for b in beta))
    return Calibration(
        tuning=fitted,
        samples=len(samples),
        top1=sum(s.right for s in held_out) / max(len(held_out), 1),
        log_loss=log_loss(samples, beta),
    )
