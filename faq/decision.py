"""Which candidate to answer: the matcher's and the second opinion's readings together.

The matcher ranks entries by shared words (its fitted curve turns a candidate's score into a
confidence); the second opinion reads pieces of words and knows every class at once. Each
is right where the other errs: the matcher on a rare word the classifier never saw, the
classifier on « réexpédier » or on a long message whose story dilutes the matcher's score.
For each of the matcher's first candidates, a logistic curve over both readings gives the
probability that it is the right entry; the matcher answers the most probable one when
that probability reaches ``Tuning.decision_threshold``, else offers them as suggestions.

The curve is fitted on labelled questions written by people who never saw the base
(``python -m faq decide FILE…``, which prints it for ``Tuning.decision``): the base's own
phrasings cannot teach it how far a stranger's wording strays from them. Keep a set aside
that it was not fitted on, to measure it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # both import the matcher, which imports this module
    from faq.evaluation import Example

# What the curve reads, in this order (after the intercept).
FEATURES = (
    "matcher confidence (logit)",
    "score gap to the matcher's first candidate",
    "second opinion probability (log)",
    "second opinion's first choice",
    "long message",
)
# A probability is never read as exactly 0 or 1.
_FLOOR = 1e-4


def features(
    confidence: float, gap: float, probability: float, first_choice: bool, long: bool
) -> tuple[float, ...]:
    return (
        _logit(confidence),
        gap,
        math.log(probability + _FLOOR),
        float(first_choice),
        float(long),
    )


def _logit(p: float) -> float:
    p = min(max(p, _FLOOR), 1.0 - _FLOOR)
    return math.log(p / (1.0 - p))


def probability(beta: Sequence[float], values: Sequence[float]) -> float:
    z = beta[0] + sum(b * v for b, v in zip(beta[1:], values, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass(frozen=True)
class Fitted:
    beta: tuple[float, ...]
    samples: int
    questions: int
    log_loss: float


class Rows(Protocol):
    """What the fit needs from a matcher: per question, its candidates and their features
    (None when the scope gate refuses the question: the curve never sees those)."""

    def __call__(self, question: str) -> list[tuple[str, tuple[float, ...]]] | None: ...


def fit(rows: Rows, examples: Iterable[Example]) -> Fitted:
    """The curve fitted on labelled questions (their candidates right or not)."""
    from faq.calibration import Sample, fit_logistic, log_loss

    samples: list[Sample] = []
    questions = 0
    for example in examples:
        candidates = rows(example.question)
        if not candidates:
            continue
        questions += 1
        samples += [Sample(values, entry_id == example.expected) for entry_id, values in candidates]
    beta = fit_logistic(samples) if samples else (0.0,) * (len(FEATURES) + 1)
    return Fitted(
        beta=tuple(round(b, 3) for b in beta),
        samples=len(samples),
        questions=questions,
        log_loss=log_loss(samples, beta) if samples else 0.0,
    )
