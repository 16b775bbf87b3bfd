"""A second opinion for the questions the matcher is unsure of.

The matcher reads a question through its lexicon: a word it does not know, or knows only as
weak, leaves it below its threshold, and it abstains with suggestions. This is a different
reader: a linear classifier (logistic regression) over the character n-grams of each word
and over the stems and pairs of stems, fitted on the base's questions and phrasings and on
the labelled questions of ``learnt/`` (faq.training). It knows no synonyms, but it sees
« réexpédier » close to « renvoyer »'s neighbours through shared pieces of words, and it
weighs every word the base uses, not only the lexicon's.

Its agreement is asked when the matcher abstains on a question inside the scope gate: when
its first choice is the matcher's first suggestion, two independent readings point at one
entry, and the matcher answers it. Alone it answers nothing. What it adds on sets written by
people who never saw the base is measured in docs/benchmarks.md.

It is also the learnt, negative side of the scope gate. Besides one class per entry it has
one per kind of message that is not a question for the base (``scope_examples.yaml``:
another subject, a fault of the Extranet, small talk), fitted on examples of each; the
share of its probability that goes to those classes says how much a message reads like
them rather than like any entry, and the matcher abstains above a bound (``Reading``).
Every example is also learnt wrapped in a sentence of scene-setting (the file's ``story``),
so that length alone says nothing.

The model is fitted offline by `python -m faq fit` (scikit-learn, the `train` extra) and
stored as `classifier.npz` beside the entries, with the digest of the files it was fitted
on: the base loads it in milliseconds, and ignores it once the base has changed
(`python -m faq check` then says to fit again). Reading it needs only NumPy: the features
are computed here, and the fitted weights applied as sklearn's TfidfVectorizer
(sublinear tf, smooth idf, l2 norm) and LogisticRegression (softmax) would.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import random
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from faq.normalize import Normalizer, fold

if TYPE_CHECKING:
    from faq.kb import KnowledgeBase

FILE_NAME = "classifier.npz"
# Classes that are kinds of messages, not entries: « ~off_topic », « ~problem_report »…
NOT_QUESTION = "~"
# Fixed, so that fitting the same files gives the same model.
AUGMENT_SEED = 20
# How many entries' worth of weight each kind of non-question carries in the fit.
NEGATIVE_WEIGHT = 2.0
GRAM_SIZES = range(2, 6)
# Features found in a single phrasing are mostly names and typos of that phrasing.
MIN_PHRASINGS = 2
# Little regularisation: the phrasings are few and meant to be learnt.
INVERSE_REGULARISATION = 20.0
MAX_CACHED_WORDS = 50_000
# Longer « words » are pasted links or noise: read, not kept.
MAX_CACHED_WORD_LENGTH = 40
# Words whose n-grams a fit keeps: each holds a hundred strings.
MAX_FITTED_WORDS = 8192

log = logging.getLogger(__name__)


def word_grams(word: str) -> list[str]:
    """Character n-grams of one folded word padded with spaces. Close to sklearn's char_wb
    but not the same (a word shorter than an n-gram gives the whole padded word for each
    size); fitting and reading both use this one."""
    padded = f" {word} "
    return [
        padded[i : i + size] for size in GRAM_SIZES for i in range(max(1, len(padded) - size + 1))
    ]


# A fit reads the same few thousand words in every example.
@lru_cache(maxsize=MAX_FITTED_WORDS)
def _cached_grams(word: str) -> tuple[str, ...]:
    return tuple(word_grams(word))


def stem_features(stems: Sequence[str]) -> list[str]:
    """The stems and the pairs of neighbouring stems the matcher would see."""
    return ["w:" + s for s in stems] + [f"w:{a}_{b}" for a, b in itertools.pairwise(stems)]


def features(text: str, normalizer: Normalizer) -> list[str]:
    """Everything the classifier reads in a text (what it is fitted on)."""
    grams = [
        g
        for word in fold(text).split()
        for g in (_cached_grams(word) if len(word) <= MAX_CACHED_WORD_LENGTH else word_grams(word))
    ]
    return grams + stem_features(normalizer.stems(text))


def digest(files: Iterable[tuple[str, bytes]]) -> str:
    """What the model was fitted on: the base's files (name, bytes), in the order read."""
    hashed = hashlib.sha256()
    for name, raw in files:
        hashed.update(name.encode("utf-8") + b"\0" + raw + b"\0")
    return hashed.hexdigest()


@dataclass(frozen=True)
class Reading:
    """What the classifier makes of a message."""

    entry_id: str  # the most likely entry
    probability: float  # its probability
    not_question: float  # the probability that the message is none of the entries' questions
    kind: str | None  # the most likely kind of non-question (« off_topic »…), None if no such class
    probabilities: dict[str, float] = field(default_factory=dict)  # entry id -> probability


@dataclass(frozen=True)
class Classifier:
    classes: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray
    # One row per class, one column per feature.
    coef: np.ndarray
    intercept: np.ndarray
    # Per folded word, the columns of its n-grams: a question's words are mostly words seen
    # before, and this is most of the reading's cost.
    _columns: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def _by_feature(self) -> np.ndarray:
        # One row per feature: a question's few features are then contiguous rows.
        return np.ascontiguousarray(self.coef.T)

    @cached_property
    def _entry_columns(self) -> np.ndarray:
        return np.array([not c.startswith(NOT_QUESTION) for c in self.classes], dtype=bool)

    def choice(
        self, text: str, normalizer: Normalizer, stems: Sequence[str] | None = None
    ) -> tuple[str, float] | None:
        """The most likely entry id and its probability (None: no known feature).

        `stems`: the text's stems (`normalizer.stems(text)`) when the caller has them."""
        reading = self.read(text, normalizer, stems)
        return None if reading is None else (reading.entry_id, reading.probability)

    def read(
        self, text: str, normalizer: Normalizer, stems: Sequence[str] | None = None
    ) -> Reading | None:
        """The most likely entry and how much the message reads as no question of the base
        (None: no known feature, or no entry class)."""
        probabilities = self._probabilities(text, normalizer, stems)
        entries = self._entry_columns
        if probabilities is None or not entries.any():
            return None
        entry_probabilities = np.where(entries, probabilities, -1.0)
        best = int(np.argmax(entry_probabilities))
        others = np.where(entries, -1.0, probabilities)
        kind = int(np.argmax(others))
        return Reading(
            entry_id=self.classes[best],
            probability=float(probabilities[best]),
            not_question=float(probabilities[~entries].sum()),
            kind=self.classes[kind][len(NOT_QUESTION) :] if others[kind] >= 0 else None,
            probabilities={
                c: float(p)
                for c, p, e in zip(self.classes, probabilities, entries, strict=True)
                if e
            },
        )

    def _probabilities(
        self, text: str, normalizer: Normalizer, stems: Sequence[str] | None
    ) -> np.ndarray | None:
        counts: Counter[int] = Counter()
        for word in fold(text).split():
            columns = self._columns.get(word)
            if columns is None:
                vocabulary = self.vocabulary
                columns = tuple(vocabulary[g] for g in word_grams(word) if g in vocabulary)
                if len(word) <= MAX_CACHED_WORD_LENGTH:
                    if len(self._columns) > MAX_CACHED_WORDS:
                        self._columns.clear()
                    self._columns[word] = columns
            counts.update(columns)
        stems = normalizer.stems(text) if stems is None else stems
        counts.update(self.vocabulary[g] for g in stem_features(stems) if g in self.vocabulary)
        if not counts:
            return None
        columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        weights = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        weights = (np.log(weights) + 1.0) * self.idf[columns]
        weights /= math.sqrt(float(weights @ weights))
        logits = weights @ self._by_feature[columns] + self.intercept
        exponentials = np.exp(logits - logits.max())
        return exponentials / exponentials.sum()

    def save(self, path: Path, fitted_on: str) -> None:
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        np.savez_compressed(
            path,
            classes=np.array(self.classes),
            vocabulary=np.array(words),
            idf=self.idf.astype(np.float32),
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            digest=np.array(fitted_on),
        )


def load(path: Path, expected_digest: str) -> tuple[Classifier | None, bool]:
    """(the classifier, whether a file was there): None when missing or fitted on other files."""
    if not path.exists():
        return None, False
    try:
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["digest"]) != expected_digest:
                log.warning(
                    "%s was fitted on other files and is ignored; run `python -m faq fit`", path
                )
                return None, True
            words = [str(w) for w in stored["vocabulary"]]
            classifier = Classifier(
                classes=tuple(str(c) for c in stored["classes"]),
                vocabulary={w: i for i, w in enumerate(words)},
                idf=stored["idf"].astype(np.float64),
                coef=stored["coef"].astype(np.float64),
                intercept=stored["intercept"].astype(np.float64),
            )
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile):
        # A damaged file is one to fit again, not a reason for the bot not to start.
        log.warning("%s cannot be read; run `python -m faq fit`", path)
        return None, True
    shapes = (classifier.coef.shape, classifier.idf.shape, classifier.intercept.shape)
    if shapes != ((len(classifier.classes), len(words)), (len(words),), (len(classifier.classes),)):
        log.warning("%s does not hold a usable model; run `python -m faq fit`", path)
        return None, True
    return classifier, True


def examples(kb: KnowledgeBase) -> list[tuple[str, str]]:
    """What the classifier learns from: each entry's question and phrasings, with its id, and
    the messages of each kind that is no question (``~kind``); each one also wrapped in a
    scene-setting sentence of the base's ``story`` when it has one."""
    from faq.kb import SCOPE_KINDS, STORY

    plain = [(text, entry.id) for entry in kb.entries for text in entry.all_phrasings]
    plain += [
        (text, NOT_QUESTION + kind)
        for kind in SCOPE_KINDS
        for text in kb.scope_examples.get(kind, ())
    ]
    story = kb.scope_examples.get(STORY, ())
    if not story:
        return plain
    rng = random.Random(AUGMENT_SEED)
    wrapped = []
    for text, label in plain:
        before, after = rng.choice(story), rng.choice(story)
        where = rng.randrange(3)  # before, after, or both
        wrapped.append(
            (
                " ".join(
                    [*([before] if where != 1 else []), text, *([after] if where != 0 else [])]
                ),
                label,
            )
        )
    return plain + wrapped


def balanced(labels: Sequence[str]) -> np.ndarray:
    """Sample weights giving a kind of non-question the weight of NEGATIVE_WEIGHT entries.

    An entry has a few dozen phrasings, a kind a hundred messages or more: unweighted, the
    kinds' share of the prior would make « page d'erreur » in « le bouton du mail affiche une
    page d'erreur » (an expired invitation) outweigh the rest of the message."""
    counts = Counter(labels)
    entries = [n for label, n in counts.items() if not label.startswith(NOT_QUESTION)]
    typical = sum(entries) / len(entries) if entries else 1.0
    weight = {
        label: (NEGATIVE_WEIGHT * typical / n if label.startswith(NOT_QUESTION) else 1.0)
        for label, n in counts.items()
    }
    return np.array([weight[label] for label in labels])


class FittingUnavailable(Exception):
    """scikit-learn is not installed (operator-facing)."""


def fit(
    examples: Sequence[tuple[str, str]],
    normalizer: Normalizer,
    weights: Sequence[float] | None = None,
    inverse_regularisation: float = INVERSE_REGULARISATION,
) -> Classifier:
    """Fit on (text, entry id) pairs: every question and phrasing of the base (`weights`:
    one per example; by default, the kinds of non-question balanced against the entries)."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise FittingUnavailable(
            "fitting the second opinion needs scikit-learn: pip install -e '.[train]'"
        ) from exc
    vectorizer = TfidfVectorizer(
        analyzer=lambda text: features(text, normalizer),
        sublinear_tf=True,
        min_df=MIN_PHRASINGS,
        dtype=np.float64,
    )
    matrix = vectorizer.fit_transform([text for text, _ in examples])
    labels = [label for _, label in examples]
    model = LogisticRegression(C=inverse_regularisation, max_iter=5000)
    model.fit(
        matrix, labels, sample_weight=balanced(labels) if weights is None else np.array(weights)
    )
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    if len(model.classes_) == 2:
        # sklearn keeps one row for two classes (a sigmoid); two opposite half rows give the
        # same probabilities through a softmax.
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.concatenate([-intercept / 2, intercept / 2])
    return Classifier(
        classes=tuple(str(c) for c in model.classes_),
        vocabulary={str(w): int(i) for w, i in vectorizer.vocabulary_.items()},
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        coef=coef,
        intercept=intercept,
    )
