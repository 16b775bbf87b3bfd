"""What the second opinion and the decision learn from, and how well they do on unseen text.

The base's phrasings are what its editors imagined; the labelled questions of ``learnt/``
(real messages, long ones with a story, and messages that are no question of the base) are
how people actually write. The fit (``python -m faq fit``) learns from both: each in-scope
labelled question as one more example of its entry, each null one as an example of the kind
of non-question the kinds' rules read in it (a fault of the site, small talk, else another
subject). A labelled question is learnt as the second opinion reads it (a long message's
request twice: ``Matcher.opinion_text``).

A model fitted on a file cannot be measured on it. ``cross_validate`` fits once per
labelled file without that file, measures the matcher on it, and refits the decision
(faq.decision) on the other files' rows, each read by a second opinion that never saw its
own file: ``python -m faq crossval`` prints it, and ``python -m faq decide`` fits the
shipped decision on those same out-of-fold rows (rows read by a second opinion fitted on
the very questions would teach the curve a confidence it never has on new text).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from faq import decision, second_opinion
from faq.evaluation import Example, Report, evaluate
from faq.kb import KnowledgeBase, Labelled, load
from faq.kinds import MessageKind
from faq.matcher import Matcher
from faq.second_opinion import NOT_QUESTION, Classifier


@dataclass(frozen=True)
class Recipe:
    """How the labelled questions weigh in the fit, against a phrasing's weight of 1 (chosen
    in the grouped cross-validation: 1, 2, 4 and 8 tried, docs/faq.md)."""

    # An in-scope labelled question: a real message says more than an imagined phrasing.
    learnt_weight: float = 4.0
    # A null one (another subject, a fault, small talk).
    null_weight: float = 4.0
    inverse_regularisation: float = second_opinion.INVERSE_REGULARISATION


RECIPE = Recipe()


def null_kind(matcher: Matcher, question: str, sorter: Classifier | None = None) -> str:
    """The class a labelled question no entry answers is learnt as: what the kinds' rules
    read in it; when they read a question, the kind `sorter` (a second opinion fitted on the
    base alone: `kind_sorter`) reads, else another subject. A label says « no entry », not
    which kind: a login loop learnt as another subject would send a fault elsewhere, and
    « quel temps fera-t-il demain ? » is small talk."""
    kind = matcher.rules_kind(question)
    if kind.social:
        return "small_talk"
    if kind is MessageKind.PROBLEM:
        return "problem_report"
    reading = sorter.read(question, matcher.normalizer) if sorter is not None else None
    return reading.kind if reading is not None and reading.kind is not None else "off_topic"


def kind_sorter(kb: KnowledgeBase, matcher: Matcher) -> Classifier | None:
    """A second opinion fitted on the base's phrasings and scope examples alone: it sorts the
    null labelled questions into kinds."""
    examples = second_opinion.examples(kb)
    if not any(label.startswith(NOT_QUESTION) for _, label in examples):
        return None
    return second_opinion.fit(examples, matcher.normalizer)


def training_set(
    kb: KnowledgeBase,
    matcher: Matcher,
    recipe: Recipe = RECIPE,
    leave_out: Collection[str] = (),
) -> tuple[list[tuple[str, str]], list[float]]:
    """(text, class) pairs and their weights: the base's phrasings and scope examples, then
    the labelled questions of learnt/ but those of the files named in `leave_out`."""
    examples = second_opinion.examples(kb)
    weights = list(second_opinion.balanced([label for _, label in examples]))
    ids = {entry.id for entry in kb.entries}
    learnt = [
        item
        for name, labelled in kb.learnt.items()
        if name not in leave_out
        for item in labelled
        # `python -m faq check` names an unknown entry: no class to learn it as.
        if item.expected is None or item.expected in ids
    ]
    sorter = kind_sorter(kb, matcher) if any(i.expected is None for i in learnt) else None
    for item in learnt:
        examples.append((matcher.opinion_text(item.question), _label(matcher, item, sorter)))
        weights.append(recipe.learnt_weight if item.expected else recipe.null_weight)
    return examples, weights


def _label(matcher: Matcher, item: Labelled, sorter: Classifier | None) -> str:
    if item.expected is not None:
        return item.expected
    return NOT_QUESTION + null_kind(matcher, item.question, sorter)


def fit(
    kb: KnowledgeBase, matcher: Matcher, recipe: Recipe = RECIPE, leave_out: Collection[str] = ()
) -> Classifier:
    examples, weights = training_set(kb, matcher, recipe, leave_out)
    return second_opinion.fit(
        examples, matcher.normalizer, weights, inverse_regularisation=recipe.inverse_regularisation
    )


@dataclass(frozen=True)
class Fold:
    """One labelled file measured by a model that never saw it."""

    name: str
    examples: tuple[Example, ...]
    classifier: Classifier


def folds(
    data_dir: Path, names: Sequence[str], recipe: Recipe = RECIPE, workers: int = 1
) -> list[Fold]:
    """One second opinion per file of learnt/ named, each fitted without that file."""
    if workers > 1:
        with ProcessPoolExecutor(workers, initializer=_one_thread) as pool:
            fitted = list(pool.map(_fold, [(data_dir, name, recipe) for name in names]))
    else:
        fitted = [_fold((data_dir, name, recipe)) for name in names]
    return fitted


def _one_thread() -> None:
    # Two processes on two cores: a BLAS thread pool each would only fight over them.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"


def _fold(job: tuple[Path, str, Recipe]) -> Fold:
    data_dir, name, recipe = job
    kb = replace(load(data_dir), classifier=None)
    matcher = Matcher(kb)
    if name not in kb.learnt:
        raise KeyError(f"{name} is not a file of {data_dir}/learnt")
    examples = tuple(Example(item.question, item.expected) for item in kb.learnt[name])
    return Fold(name, examples, fit(kb, matcher, recipe, leave_out={name}))


def fold_matcher(kb: KnowledgeBase, fold: Fold, tuning: object | None = None) -> Matcher:
    """The matcher as it would be with this fold's second opinion."""
    base = replace(kb, classifier=fold.classifier)
    return Matcher(base) if tuning is None else Matcher(base, tuning)  # type: ignore[arg-type]


def out_of_fold_rows(
    kb: KnowledgeBase, fitted: Iterable[Fold]
) -> dict[str, list[tuple[Example, list[tuple[str, tuple[float, ...]]] | None]]]:
    """Per file, each question with the decision's rows as its fold's matcher reads them."""
    rows = {}
    for fold in fitted:
        matcher = fold_matcher(kb, fold)
        rows[fold.name] = [(e, matcher.decision_rows(e.question)) for e in fold.examples]
    return rows


def fit_decision(
    rows: dict[str, list[tuple[Example, list[tuple[str, tuple[float, ...]]] | None]]],
    leave_out: Collection[str] = (),
) -> decision.Fitted:
    """The decision fitted on out-of-fold rows, but those of the files in `leave_out`."""
    table = {
        example.question: found
        for name, pairs in rows.items()
        if name not in leave_out
        for example, found in pairs
    }
    examples = [
        example for name, pairs in rows.items() if name not in leave_out for example, _ in pairs
    ]
    return decision.fit(lambda question: table.get(question), examples)


@dataclass(frozen=True)
class Measured:
    name: str
    report: Report


def cross_validate(
    kb: KnowledgeBase,
    fitted: Sequence[Fold],
    *,
    refit_decision: bool = True,
    tuning_changes: dict[str, object] | None = None,
) -> list[Measured]:
    """Each file measured by its fold's second opinion and, with `refit_decision`, by a
    decision fitted without it."""
    rows = out_of_fold_rows(kb, fitted) if refit_decision else {}
    measured = []
    for fold in fitted:
        tuning = Matcher(kb).tuning
        if refit_decision:
            tuning = replace(tuning, decision=fit_decision(rows, {fold.name}).beta)
        if tuning_changes:
            tuning = replace(tuning, **tuning_changes)  # type: ignore[arg-type]
        report = evaluate(fold_matcher(kb, fold, tuning), fold.examples)
        measured.append(Measured(fold.name, report))
    return measured


def pooled(measured: Sequence[Measured]) -> Report:
    """The files' figures as one set (rates over all their questions)."""
    total = Report()
    right = wrong = top3 = answered = 0.0
    for item in measured:
        report = item.report
        total.n += report.n
        total.in_scope += report.in_scope
        total.out_of_scope += report.out_of_scope
        right += report.accuracy * report.in_scope
        wrong += report.wrong * report.in_scope
        top3 += report.top3 * report.in_scope
        answered += report.oos_answered * report.out_of_scope
    if total.in_scope:
        total.accuracy = right / total.in_scope
        total.wrong = wrong / total.in_scope
        total.top3 = top3 / total.in_scope
    if total.out_of_scope:
        total.oos_answered = answered / total.out_of_scope
    return total


def summary(measured: Sequence[Measured]) -> dict[str, tuple[float, float]]:
    """Per figure, (the mean over the files, the worst file)."""
    figures: dict[str, tuple[float, float]] = {}
    for name, worst in (("accuracy", min), ("top3", min), ("wrong", max), ("oos_answered", max)):
        values = [float(getattr(item.report, name)) for item in measured]
        figures[name] = (sum(values) / len(values), worst(values)) if values else (0.0, 0.0)
    return figures
