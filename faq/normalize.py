"""French text normalisation shared by the knowledge base and the matcher.

Both sides of a comparison go through the same pipeline, so a phrasing in the knowledge base and
a question typed in chat meet as the same sequence of stems whatever their accents, elisions,
abbreviations or inflections.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any

import Stemmer

# Questions are short; anything longer is pasted text. Cutting it keeps matching time bounded
# and the beginning of a message is where people state their problem.
MAX_QUESTION_CHARS = 1000
# Texts `fold` and each normaliser keep the reading of (`Normalizer.words`).
MAX_CACHED_TEXTS = 16384


def _latin_table() -> dict[int, str]:
    """One translation table for apostrophes, ligatures and accented Latin letters."""
    table = {ord(c): "'" for c in "’‘`´ʼʹ′"}
    table.update({ord(k): v for k, v in {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o"}.items()})
    table.update({ord(k): v for k, v in {"đ": "d", "ł": "l"}.items()})
    for code in range(0xC0, 0x250):
        if code in table:
            continue
        bare = "".join(
            c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c)
        )
        if bare.isascii() and bare:
            table[code] = bare
    return table


# Most text is Latin: one C-level translate handles it; NFKD is only for what remains.
_LATIN = _latin_table()
_COMBINING = re.compile(r"[\u0300-\u036f]")
_ELISION = re.compile(r"\b(?:jusqu|lorsqu|puisqu|quoiqu|qu|[ldjnsctm])'")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# The euphonic « t » of an inverted question (« figure-t-elle », « a-t-on ») is no word: left
# in, it pushes a « pas » out of the negation window (« n'y figure-t-elle pas »).
_INVERSION = re.compile(r"\bt (?=(?:il|elle|on|ils|elles)\b)")
_VOWELS = "aeiouy"

_stemmer = Stemmer.Stemmer("french")


def fold(text: str) -> str:
    """Lower case, no accents, no elisions, words separated by single spaces (ASCII only)."""
    return _fold(text[:MAX_QUESTION_CHARS])


# A text is folded by each reader of it (the normaliser, the second opinion, the kinds):
# cached on its cut beginning, so that a long text holds no more memory than a question.
@lru_cache(maxsize=MAX_CACHED_TEXTS)
def _fold(text: str) -> str:
    text = text.casefold().translate(_LATIN)
    if not text.isascii():
        # Accents off; any other non-ASCII character becomes "?" and then a word break.
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
        text = text.encode("ascii", "replace").decode("ascii")
    text = _ELISION.sub(" ", text)
    return _INVERSION.sub("", _NON_WORD.sub(" ", text).strip())


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Light stem of a folded word.

    Snowball (PyStemmer) is written for accented French; on folded words it leaves trailing
    vowels that vary with the inflection (oubli/oublie/oubl), so they are trimmed after it.
    """
    if len(word) <= 3 or word.isdigit():
        return word
    stemmed = _stemmer.stemWord(word)
    trimmed = stemmed.rstrip(_VOWELS)
    return trimmed if len(trimmed) >= 3 else stemmed


@dataclass(frozen=True)
class Lexicon:
    """Synonyms (variant -> canonical word), stop words, polarity and scope, all folded.

    - ``negation_cues``: words (after synonyms) that deny a nearby word (« pas », « rien »…);
    - ``negatable``: word (after synonyms) -> the word it becomes when denied, so that
      « je n'ai pas reçu » and « j'ai reçu » stop looking alike;
    - ``contrast``: phrases that deny every negatable word of the message
      (« les autres l'ont reçu, moi non »);
    - ``anchors``: terms (one word, or several that must all appear, synonyms applied) without
      which a question is not about this FAQ at all; none means every question may be answered;
    - ``off_topic``: words that put a question on another subject (wifi, bulletins…), unless it
      also names the product (``names``);
    - ``systems``: other products people sign in to (Smartschool, Office…): named anywhere in
      a message that does not name this product, even in the story around a long message's
      request, the message is about them;
    - ``context``: words that set the scene (holidays, a strike) rather than change the subject:
      a question with one keeps out unless it names the product or has two anchors;
    - ``weak``: words that point at a subject without deciding it (« plusieurs », « lien »,
      « compte »): they weigh no more than a word many entries share, so one of them alone
      never pulls a question to the entry that happens to use it most;
    - ``pairs``: word -> pairs of words (after synonyms, stop words removed) that, near each
      other anywhere in the message, also mean that word: « notre directeur … sa remplaçante »
      is a change of head even with other words between them, which a phrase cannot say.
    """

    synonyms: Mapping[str, str] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()
    negation_cues: frozenset[str] = frozenset()
    negatable: Mapping[str, str] = field(default_factory=dict)
    contrast: tuple[str, ...] = ()
    anchors: tuple[str, ...] = ()
    off_topic: frozenset[str] = frozenset()
    systems: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    context: frozenset[str] = frozenset()
    weak: frozenset[str] = frozenset()
    pairs: Mapping[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        synonyms: Mapping[str, Iterable[str]],
        stopwords: Iterable[str],
        negation: Mapping[str, object] | None = None,
        scope: Mapping[str, Iterable[str]] | None = None,
        pairs: Mapping[str, Iterable[str]] | None = None,
    ) -> Lexicon:
        """Fold a raw lexicon; raises ValueError when a variant maps to two canonical words."""
        table = _variant_table(synonyms, "synonym variant")
        negation = negation or {}
        scope = scope or {}
        words = negation.get("words") or {}
        if not isinstance(words, Mapping):
            raise ValueError("negation words map a denied form to a list of words")
        negatable = _variant_table(words, "negatable word", keep_canonical=True)
        return cls(
            synonyms=table,
            stopwords=_folded(stopwords),
            negation_cues=_folded(_strings(negation.get("cues"))),
            negatable=negatable,
            contrast=tuple(sorted(_folded(_strings(negation.get("contrast"))), key=len)),
            anchors=tuple(sorted(_folded(scope.get("anchors", ())))),
            off_topic=_folded(scope.get("off_topic", ())),
            systems=_folded(scope.get("systems", ())),
            names=_folded(scope.get("names", ())),
            context=_folded(scope.get("context", ())),
            weak=_folded(scope.get("weak", ())),
            pairs=_pair_table(pairs or {}),
        )


def _strings(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {value!r}")
    return [str(v) for v in value]


def _folded(values: Iterable[object]) -> frozenset[str]:
    return frozenset(f for f in (fold(str(v)) for v in values) if f)


def _variant_table(
    groups: Mapping[str, Iterable[object]], what: str, keep_canonical: bool = False
) -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, variants in groups.items():
        target = fold(str(canonical))
        for variant in variants:
            key = fold(str(variant))
            if not key or (key == target and not keep_canonical):
                continue
            if table.get(key, target) != target:
                raise ValueError(f"{what} {variant!r} maps to both {table[key]!r} and {target!r}")
            table[key] = target
    return table


def _pair_table(groups: Mapping[str, Iterable[object]]) -> dict[tuple[str, str], str]:
    table: dict[tuple[str, str], str] = {}
    for meaning, pairs in groups.items():
        target = fold(str(meaning))
        for pair in pairs:
            words = fold(str(pair)).split()
            if len(words) != 2 or not target or " " in target:
                raise ValueError(f"pair {pair!r} of {meaning!r}: two words meaning one word")
            first, second = sorted(words)
            if table.get((first, second), target) != target:
                raise ValueError(
                    f"pair {pair!r} means both {table[(first, second)]!r} and {target!r}"
                )
            table[(first, second)] = target
    return table


# How far a pair reaches, in topic words: « notre directeur part à la retraite, comment sa
# remplaçante… » keeps them three apart; a whole paragraph would pair unrelated words.
PAIR_WINDOW = 4

# How far a negation reaches, in words (stop words included): « pas encore reçu »,
# « aucun e-mail d'activation reçu » before the verb; « n'arrive pas » after it.
NEGATION_BEFORE = 3
NEGATION_AFTER = 2


def _alternation(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern matching any of the phrases as whole words, the longest where several
    start at one place.

    Written as a trie (« mot de (?:passe(?: perdu)?|...) »), not as a list of hundreds of
    alternatives: the regex engine would otherwise try every phrase at every position, a
    large share of a large base's load time. A greedy optional ending tries the longer
    phrase first, which gives the longest match, as a list sorted by length did.
    """
    trie: dict[str, Any] = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}
    if not trie:
        return None
    return re.compile(r"\b" + _trie_pattern(trie) + r"\b")


def _trie_pattern(node: dict[str, Any]) -> str:
    ends_here = "" in node
    branches = [re.escape(char) + _trie_pattern(child) for char, child in node.items() if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends_here:
        return "(?:" + body + ")?"
    return body


# An elision typed without its apostrophe (« lextranet », « dutilisateur »): one of these
# letters glued to a word the lexicon knows, of at least this many letters, that starts with
# a vowel or an h.
_GLUED = frozenset("ldjnsmt")
_GLUED_MIN = 4


class Normalizer:
    """Turns a question into the words and stems the matcher compares."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        # Every word the lexicon spells, for unglueing elisions typed without an apostrophe.
        self._known = frozenset(
            word
            for group in (
                lexicon.synonyms,
                lexicon.synonyms.values(),
                lexicon.stopwords,
                lexicon.negatable,
                lexicon.anchors,
                lexicon.off_topic,
                lexicon.systems,
                lexicon.context,
                lexicon.names,
            )
            for phrase in group
            for word in phrase.split()
        )
        self._phrases = _alternation(v for v in lexicon.synonyms if " " in v)
        self._contrast = _alternation(lexicon.contrast)
        self._words = {v: c for v, c in lexicon.synonyms.items() if " " not in v}
        # Second pass: a phrase whose words were themselves variants (« nouveau dirlo » is
        # « nouveau directeur » once « dirlo » is read), so synonyms compose.
        multi = {v: c for v, c in lexicon.synonyms.items() if " " in v}
        self._late: dict[str, str] = dict(multi)
        for variant, canonical in multi.items():
            late = " ".join(self._canonical(w) for w in variant.split())
            self._late.setdefault(late, canonical)
        self._late_phrases = _alternation(self._late)
        # Most words are in no pair: they are skipped without building a key.
        self._paired_words = frozenset(w for pair in lexicon.pairs for w in pair)
        # A text's words, by its beginning (all that `fold` reads): the matcher, its kinds and
        # the second opinion each read a question, and a fit reads every example twice.
        self._read: dict[str, tuple[str, ...]] = {}

    def words(self, text: str) -> list[str]:
        """Folded topic words: synonyms applied, denied words marked, stop words removed."""
        key = text[:MAX_QUESTION_CHARS]
        found = self._read.get(key)
        if found is None:
            found = tuple(self._read_words(key))
            if len(self._read) >= MAX_CACHED_TEXTS:
                self._read.clear()
            self._read[key] = found
        return list(found)

    def _read_words(self, text: str) -> list[str]:
        folded = self._unglue(fold(text))
        # A contrast (« ... mais pas moi ») denies the whole message; read it before synonyms
        # turn « moi non » into « moi pas ».
        contrasted = self._contrast is not None and self._contrast.search(folded) is not None
        if self._phrases is not None:
            folded = self._phrases.sub(lambda m: self.lexicon.synonyms[m.group(0)], folded)
        tokens = [part for word in folded.split() for part in self._canonical(word).split()]
        if self._late_phrases is not None:
            joined = self._late_phrases.sub(lambda m: self._late[m.group(0)], " ".join(tokens))
            tokens = joined.split()
        if self.lexicon.negatable:
            tokens = self._mark_negations(tokens, contrasted)
        stopwords = self.lexicon.stopwords
        words = [w for w in tokens if w not in stopwords and (len(w) >= 2 or w.isdigit())]
        if self.lexicon.pairs:
            words.extend(self._paired(words))
        return words

    def _unglue(self, folded: str) -> str:
        """« lextranet » is « l'extranet »: a known word behind an elided letter, not a typo."""
        known = self._known
        words = folded.split()
        for index, word in enumerate(words):
            if (
                len(word) > _GLUED_MIN
                and word[0] in _GLUED
                and word[1] in "aeiouyh"
                and word not in known
                and word[1:] in known
            ):
                words[index] = word[1:]
        return " ".join(words)

    def _paired(self, words: list[str]) -> list[str]:
        """The words that pairs of nearby words add (each once, in the order found)."""
        pairs, paired = self.lexicon.pairs, self._paired_words
        found: list[str] = []
        for index, word in enumerate(words):
            if word not in paired:
                continue
            for other in words[index + 1 : index + 1 + PAIR_WINDOW]:
                if other not in paired:
                    continue
                meaning = pairs.get((word, other) if word < other else (other, word))
                if meaning is not None and meaning not in found and meaning not in words:
                    found.append(meaning)
        return found

    def _mark_negations(self, tokens: list[str], contrasted: bool) -> list[str]:
        negatable, cues = self.lexicon.negatable, self.lexicon.negation_cues
        marked = list(tokens)
        for index, word in enumerate(tokens):
            denied = negatable.get(word)
            if denied is None:
                continue
            window = (
                tokens[max(0, index - NEGATION_BEFORE) : index]
                + tokens[index + 1 : index + 1 + NEGATION_AFTER]
            )
            if contrasted or any(w in cues for w in window):
                marked[index] = denied
        if contrasted and marked == tokens:
            # « tout le monde a son invitation sauf moi »: the contrast alone says what is
            # missing, even without a negatable verb.
            marked.append(next(iter(negatable.values())))
        return marked

    def _canonical(self, word: str) -> str:
        found = self._words.get(word)
        if found is None and len(word) > 3 and word[-1] in "sx":
            # Variants are listed in the singular; « modifications » is « modification ».
            found = self._words.get(word[:-1])
        return found or word

    def stems(self, text: str) -> list[str]:
        """Stems of the topic words, in order, duplicates kept."""
        return [stem(w) for w in self.words(text)]


# The normaliser last shared: a base loaded again, or copied with other entries (the
# calibration's folds), keeps its lexicon, and reads with the same normaliser and its cache.
_shared: dict[str, Normalizer] = {}


def shared_normalizer(lexicon: Lexicon) -> Normalizer:
    """A normaliser of this lexicon, the one last returned when its lexicon is the same."""
    last = _shared.get("last")
    if last is None or not _same_lexicon(last.lexicon, lexicon):
        last = _shared["last"] = Normalizer(lexicon)
    return last


def _same_lexicon(first: Lexicon, second: Lexicon) -> bool:
    # Equal, and each mapping in the same order: a normaliser reads some of them in order.
    return first is second or (
        first == second
        and all(
            list(getattr(first, name).items()) == list(getattr(second, name).items())
            for name in (f.name for f in fields(Lexicon))
            if isinstance(getattr(first, name), Mapping)
        )
    )
