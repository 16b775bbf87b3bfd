"""Quality and latency of a matcher on a labelled set of questions."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from faq.kb import KnowledgeBaseError, parse_labelled
from faq.matcher import Matcher


@dataclass(frozen=True)
class Example:
    question: str
    expected: str | None  # None: out of scope, the matcher must abstain


@dataclass(frozen=True)
class Miss:
    question: str
    expected: str | None
    got: str | None
    score: float


@dataclass
class Report:
    """Rates are shares: in-scope ones over in-scope questions, ``oos_answered`` over the rest."""

    n: int = 0
    in_scope: int = 0
    out_of_scope: int = 0
    accuracy: float = 0.0
    top3: float = 0.0
    wrong: float = 0.0
    oos_answered: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    misses: list[Miss] = field(default_factory=list)

    def metrics(self) -> dict[str, float | int]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "top3": round(self.top3, 4),
            "wrong": round(self.wrong, 4),
            "oos_answered": round(self.oos_answered, 4),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
        }


class DatasetError(Exception):
    """A labelled file cannot be read (operator-facing, English)."""


def read_examples(path: Path | str) -> list[Example]:
    """Read a JSON-lines file of ``{"question": ..., "expected": <id or null>}`` (the format
    of the base's learnt/ files, read by the same parser)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path}: {exc.strerror or exc}") from exc
    try:
        labelled = parse_labelled(raw, str(path))
    except KnowledgeBaseError as exc:
        raise DatasetError(str(exc)) from exc
    return [Example(item.question, item.expected) for item in labelled]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (no interpolation: the value some request actually saw)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def evaluate(matcher: Matcher, examples: Iterable[Example]) -> Report:
    """Latencies are measured after one warm-up question (first-call costs are not matching)."""
    matcher.match("mot de passe oublié")
    report = Report()
    latencies: list[float] = []
    right = top3 = wrong = oos_answered = 0
    for example in examples:
        started = time.perf_counter()
        result = matcher.match(example.question)
        latencies.append((time.perf_counter() - started) * 1000.0)
        report.n += 1
        got = result.entry.id if result.entry else None
        if example.expected is None:
            report.out_of_scope += 1
            oos_answered += got is not None
        else:
            report.in_scope += 1
            right += got == example.expected
            wrong += got is not None and got != example.expected
            top3 += example.expected in result.ranked_ids()[:3]
        if got != example.expected:
            report.misses.append(Miss(example.question, example.expected, got, result.score))
    if report.in_scope:
        report.accuracy = right / report.in_scope
        report.top3 = top3 / report.in_scope
        report.wrong = wrong / report.in_scope
    if report.out_of_scope:
        report.oos_answered = oos_answered / report.out_of_scope
    report.p50_ms = percentile(latencies, 0.50)
    report.p99_ms = percentile(latencies, 0.99)
    return report
