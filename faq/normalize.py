"""French text normalisation shared by the knowledge base and the matcher.

Both sides of a comparison go through the same pipeline, so a phrasing in the knowledge base and
a question typed in chat meet as the same sequence of stems whatever their accents, elisions,
abbreviations or inflections.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import Stemmer

# Questions are short; anything longer is pasted text. Cutting it keeps matching time bounded
# and the beginning of a message is where people state their problem.
MAX_QUESTION_CHARS = 1000


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
_VOWELS = "aeiouy"

_stemmer = Stemmer.Stemmer("french")


def fold(text: str) -> str:
    """Lower case, no accents, no elisions, words separated by single spaces (ASCII only)."""
    text = text[:MAX_QUESTION_CHARS].casefold().translate(_LATIN)
    if not text.isascii():
        # Accents off; any other non-ASCII character becomes "?" and then a word break.
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
        text = text.encode("ascii", "replace").decode("ascii")
    text = _ELISION.sub(" ", text)
    return _NON_WORD.sub(" ", text).strip()


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
    """Synonyms (variant -> canonical word) and stop words, both already folded."""

    synonyms: Mapping[str, str] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()

    @classmethod
    def build(cls, synonyms: Mapping[str, Iterable[str]], stopwords: Iterable[str]) -> Lexicon:
        """Fold a raw lexicon; raises ValueError when a variant maps to two canonical words."""
        table: dict[str, str] = {}
        for canonical, variants in synonyms.items():
            target = fold(canonical)
            for variant in variants:
                key = fold(str(variant))
                if not key or key == target:
                    continue
                if table.get(key, target) != target:
                    raise ValueError(
                        f"synonym variant {variant!r} maps to both {table[key]!r} and {target!r}"
                    )
                table[key] = target
        return cls(synonyms=table, stopwords=frozenset(fold(str(w)) for w in stopwords))


class Normalizer:
    """Turns a question into the words and stems the matcher compares."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        multi = sorted((v for v in lexicon.synonyms if " " in v), key=len, reverse=True)
        self._phrases = (
            re.compile(r"\b(?:" + "|".join(re.escape(v) for v in multi) + r")\b") if multi else None
        )
        self._words = {v: c for v, c in lexicon.synonyms.items() if " " not in v}

    def words(self, text: str) -> list[str]:
        """Folded topic words: synonyms applied, stop words and single letters removed."""
        folded = fold(text)
        if self._phrases is not None:
            folded = self._phrases.sub(lambda m: self.lexicon.synonyms[m.group(0)], folded)
        result: list[str] = []
        for word in folded.split():
            word = self._canonical(word)
            if word in self.lexicon.stopwords or (len(word) < 2 and not word.isdigit()):
                continue
            result.append(word)
        return result

    def _canonical(self, word: str) -> str:
        found = self._words.get(word)
        if found is None and len(word) > 3 and word[-1] in "sx":
            # Variants are listed in the singular; « modifications » is « modification ».
            found = self._words.get(word[:-1])
        return found or word

    def stems(self, text: str) -> list[str]:
        """Stems of the topic words, in order, duplicates kept."""
        return [stem(w) for w in self.words(text)]
