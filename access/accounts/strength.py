"""How many guesses a password would cost an attacker: zxcvbn, taught French and AZERTY.

zxcvbn knows English words, names and the QWERTY keyboard. Our people write French on
Belgian AZERTY keyboards, so the estimate also gets the most frequent French words, the
shipped list of common passwords, the AZERTY keyboard and the years after 2019. The person's
own words (names, e-mail, schools) come in as zxcvbn's "user inputs".

A passphrase is analysed twice: as typed, and with its separators removed (an attacker who
joins dictionary words tries a handful of separators, not every character at each gap); the
cheaper of the two counts.

zxcvbn's scoring, keyboard, sequence and date matchers are used as they are. Its dictionary,
l33t and repeat matchers are redone here: its own keep the user inputs in a module-wide
dictionary (two requests in two threads would swap them), and look every substring up in
every dictionary once per l33t reading, work that grows fast on a long password full of
"1", "|" and "@". Ours look each substring up once in all dictionaries merged, stop at a
beginning no word has, and try at most MAX_L33T_READINGS l33t readings.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from zxcvbn import matching, scoring
from zxcvbn.frequency_lists import FREQUENCY_LISTS
from zxcvbn.time_estimates import guesses_to_score

from access.config import DEFAULT_DATA_DIR
from common import collector

FRENCH_WORDS_FILE = DEFAULT_DATA_DIR / "french-words.txt"

# zxcvbn's own limit: enough for any real passphrase (what comes after only adds strength),
# and its scoring grows with the square of the length.
ANALYSED_LENGTH = 72
# Separators an attacker would try between dictionary words.
SEPARATOR_GUESSES = 10
_SEPARATORS = re.compile(r"[\s\-_.,;:/+*|~]")
# Blank-looking letters and symbols that NFKC keeps (Hangul fillers, braille blank...).
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5")
# zxcvbn's own year pattern stops at 2019.
_RECENT_YEARS = {"recent_year": re.compile(r"20[2-4]\d")}
# zxcvbn tries every way of reading the l33t characters present, hundreds when they all are;
# each costs a dictionary pass, so only the first few are tried.
MAX_L33T_READINGS = 16
# Beginnings of words kept up to this length: enough to stop most scans after a few letters.
PREFIX = 4
USER_INPUTS = "user_inputs"

# Belgian AZERTY, unshifted then shifted; x = offset + index, as in zxcvbn's slanted QWERTY
# (the "²" key is left out: NFKC makes "²" a "2").
_AZERTY_ROWS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, ("&1", "é2", '"3', "'4", "(5", "§6", "è7", "!8", "ç9", "à0", ")°", "-_")),
    (1, ("aA", "zZ", "eE", "rR", "tT", "yY", "uU", "iI", "oO", "pP", "^^", "$*")),
    (1, ("qQ", "sS", "dD", "fF", "gG", "hH", "jJ", "kK", "lL", "mM", "ù%", "μ£")),
    (0, ("<>", "wW", "xX", "cC", "vV", "bB", "nN", ",?", ";.", ":/", "=+")),
)

Match = dict[str, Any]


class Pattern(enum.StrEnum):
    """What makes a part of a password easy to guess, in the order people are told."""

    PERSONAL = "personal"
    KEYBOARD = "keyboard"
    SEQUENCE = "sequence"
    REPEAT = "repeat"
    DATE = "date"
    COMMON_PASSWORD = "common_password"
    WORDS = "words"
    L33T = "l33t"
    REVERSED = "reversed"


_MODIFIERS = (Pattern.L33T, Pattern.REVERSED)


@dataclass(frozen=True)
class Estimate:
    guesses: float
    score: int  # zxcvbn's 0-4 scale: 3 means at least 10^8 guesses
    patterns: tuple[Pattern, ...]  # what the cheapest reading is built on, most telling first
    personal_words: tuple[str, ...]  # the user inputs it uses, as given


@dataclass(frozen=True)
class _Lexicon:
    """Every dictionary in one: a word's (dictionary, rank) pairs, for one lookup each."""

    entries: dict[str, tuple[tuple[str, int], ...]]
    longest: int
    # The beginnings of every word, up to PREFIX characters: a scan stops at one that is none.
    prefixes: frozenset[str]

    def lookup(self, word: str) -> tuple[tuple[str, int], ...]:
        return self.entries.get(word, ())


def is_invisible(char: str) -> bool:
    """Control, format (zero-width...), unassigned and blank-looking characters."""
    return unicodedata.category(char)[0] == "C" or char in _BLANKS


def is_counted(char: str) -> bool:
    """A character a person sees and types: not a space, a combining mark or an invisible."""
    return unicodedata.category(char)[0] not in "CZM" and char not in _BLANKS


def visible_text(password: str) -> str:
    """NFKC, invisible characters dropped, runs of spaces made one, no space at the ends."""
    normalized = unicodedata.normalize("NFKC", password)
    if normalized.isprintable() and _BLANKS.isdisjoint(normalized):
        # No control, format or separator character but the space: the walk below keeps all.
        return " ".join(normalized.split())
    kept = "".join(" " if ch.isspace() else ch for ch in normalized if not is_invisible(ch))
    return " ".join(kept.split())


@lru_cache(maxsize=4096)  # a few hundred letters recur across 27,000 French words
def _strip_accent(char: str) -> str:
    base = [c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)]
    return base[0] if len(base) == 1 else char


def analysis_forms(text: str) -> tuple[str, str]:
    """(lower case with accents, lower case without): the same length, character for
    character, so an AZERTY walk found in the first lines up with the second."""
    if text.isascii():
        lowered = text.lower()  # what the walk below gives an ASCII text, in one call
        return lowered, lowered
    lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lowered, "".join(_strip_accent(c) for c in lowered)


def fold_word(word: str) -> str:
    """A dictionary word or user input in the form the password is analysed in."""
    if word.isascii() and word.isprintable():
        return " ".join(word.lower().split())  # the same result, without the per-character walk
    return analysis_forms(visible_text(word))[1]


def _data_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ranked(words: Sequence[str]) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for word in words:
        folded = fold_word(word)
        if folded and folded not in ranks:
            ranks[folded] = len(ranks) + 1
    return ranks


@lru_cache(maxsize=2)
def _lexicon(common_passwords_file: Path) -> _Lexicon:
    # Hundreds of thousands of objects that all live on: a collection meanwhile frees none.
    with collector.paused():
        lists = {name: _ranked(words) for name, words in FREQUENCY_LISTS.items()}
        lists["french"] = _ranked(_data_lines(FRENCH_WORDS_FILE))
        lists["common_passwords"] = _ranked(_data_lines(common_passwords_file))
        entries: dict[str, tuple[tuple[str, int], ...]] = {}
        for name, ranks in lists.items():
            for word, rank in ranks.items():
                found = entries.get(word)
                entries[word] = ((name, rank),) if found is None else (*found, (name, rank))
        return _Lexicon(entries, max(map(len, entries)), _prefixes(entries))


def _prefixes(words: Iterable[str]) -> frozenset[str]:
    # The shorter beginnings from the distinct longest ones: far fewer than the words.
    heads = {word[:PREFIX] for word in words}
    return frozenset(head[:n] for head in heads for n in range(1, len(head) + 1))


@lru_cache(maxsize=1)
def _azerty() -> dict[str, list[str | None]]:
    positions: dict[tuple[int, int], str] = {}
    for y, (offset, keys) in enumerate(_AZERTY_ROWS, start=1):
        for index, key in enumerate(keys):
            positions[(offset + index, y)] = key
    graph: dict[str, list[str | None]] = {}
    for (x, y), key in positions.items():
        around = [(x - 1, y), (x, y - 1), (x + 1, y - 1), (x + 1, y), (x, y + 1), (x - 1, y + 1)]
        for char in key:
            graph.setdefault(char, [positions.get(spot) for spot in around])
    return graph


class _Matcher:
    """zxcvbn's omnimatch over our dictionaries, for one person's user inputs."""

    def __init__(self, lexicon: _Lexicon, user_inputs: dict[str, int]) -> None:
        self.lexicon = lexicon
        self.user_inputs = user_inputs
        self.longest = max([lexicon.longest, *map(len, user_inputs)])
        self.user_prefixes = _prefixes(user_inputs)

    def _may_start(self, word: str) -> bool:
        return word in self.lexicon.prefixes or word in self.user_prefixes

    def dictionary(self, password: str) -> list[Match]:
        found: list[Match] = []
        lower = password.lower()
        for i in range(len(password)):
            for j in range(i, min(len(password), i + self.longest)):
                word = lower[i : j + 1]
                if j - i < PREFIX and not self._may_start(word):
                    break
                hits = list(self.lexicon.lookup(word))
                if word in self.user_inputs:
                    # First, so that a tie in guesses tells the person about their own words.
                    hits.insert(0, (USER_INPUTS, self.user_inputs[word]))
                for name, rank in hits:
                    found.append(
                        {
                            "pattern": "dictionary",
                            "i": i,
                            "j": j,
                            "token": password[i : j + 1],
                            "matched_word": word,
                            "rank": rank,
                            "dictionary_name": name,
                            "reversed": False,
                            "l33t": False,
                        }
                    )
        return found

    def reversed_dictionary(self, password: str) -> list[Match]:
        found = self.dictionary(password[::-1])
        for match in found:
            match["token"] = match["token"][::-1]
            match["reversed"] = True
            match["i"], match["j"] = len(password) - 1 - match["j"], len(password) - 1 - match["i"]
        return found

    def l33t(self, password: str) -> list[Match]:
        found: list[Match] = []
        table = matching.relevant_l33t_subtable(password, matching.L33T_TABLE)
        for sub in matching.enumerate_l33t_subs(table)[:MAX_L33T_READINGS]:
            if not sub:
                break
            for match in self.dictionary(matching.translate(password, sub)):
                token = password[match["i"] : match["j"] + 1]
                if len(token) < 2 or token.lower() == match["matched_word"]:
                    continue  # only words with an actual substitution
                used = {l33t: letter for l33t, letter in sub.items() if l33t in token}
                match.update(l33t=True, token=token, sub=used)
                found.append(match)
        return found

    def repeat(self, accented: str, folded: str) -> list[Match]:
        found: list[Match] = []
        greedy, lazy = re.compile(r"(.+)\1+"), re.compile(r"(.+?)\1+")
        lazy_anchored = re.compile(r"^(.+?)\1+$")
        last = 0
        while last < len(folded):
            greedy_match = greedy.search(folded, pos=last)
            lazy_match = lazy.search(folded, pos=last)
            if not greedy_match or not lazy_match:
                break
            if len(greedy_match.group(0)) > len(lazy_match.group(0)):
                chosen = greedy_match
                anchored = lazy_anchored.search(chosen.group(0))
                base = anchored.group(1) if anchored else chosen.group(1)
            else:
                chosen, base = lazy_match, lazy_match.group(1)
            i, j = chosen.start(), chosen.end() - 1
            base_accented = accented[i : i + len(base)]
            analysis = scoring.most_guessable_match_sequence(base, self.all(base_accented, base))
            found.append(
                {
                    "pattern": "repeat",
                    "i": i,
                    "j": j,
                    "token": chosen.group(0),
                    "base_token": base,
                    "base_guesses": analysis["guesses"],
                    "base_matches": analysis["sequence"],
                    "repeat_count": len(chosen.group(0)) / len(base),
                }
            )
            last = j + 1
        return found

    def azerty(self, accented: str, folded: str) -> list[Match]:
        walks = matching.spatial_match_helper(accented, _azerty(), "azerty")
        for walk in walks:
            walk["token"] = folded[walk["i"] : walk["j"] + 1]
            # Scored as QWERTY: an AZERTY keyboard has as many keys, as many neighbours.
            walk["graph"] = "qwerty"
        return walks

    def all(self, accented: str, folded: str) -> list[Match]:
        found = [
            *self.dictionary(folded),
            *self.reversed_dictionary(folded),
            *self.l33t(folded),
            *matching.spatial_match(folded),
            *self.azerty(accented, folded),
            *self.repeat(accented, folded),
            *matching.sequence_match(folded),
            *matching.regex_match(folded),
            *matching.regex_match(folded, _regexen=_RECENT_YEARS),
            *matching.date_match(folded),
        ]
        # Only the cheapest reading of a span per kind can win: fewer candidates, same result.
        best: dict[tuple[int, int, str], Match] = {}
        for match in found:
            guesses: Decimal = scoring.estimate_guesses(match, folded)
            key = (match["i"], match["j"], match["pattern"])
            if key not in best or guesses < best[key]["guesses"]:
                best[key] = match
        return sorted(best.values(), key=lambda match: (match["i"], match["j"]))


def _patterns_of(match: Match, others: Sequence[Match]) -> list[Pattern]:
    kind = match["pattern"]
    simple = {
        "spatial": Pattern.KEYBOARD,
        "sequence": Pattern.SEQUENCE,
        "repeat": Pattern.REPEAT,
        "date": Pattern.DATE,
        "regex": Pattern.DATE,
    }
    if kind in simple:
        return [simple[kind]]
    if kind != "dictionary":
        return []
    name = match["dictionary_name"]
    if name == USER_INPUTS:
        found = [Pattern.PERSONAL]
    elif name in ("passwords", "common_passwords"):
        # "qwertyuiop" is a common password because it is a keyboard walk: say the latter.
        walks = [
            other
            for other in others
            if other["pattern"] in ("spatial", "sequence", "repeat")
            and match["i"] <= other["j"]
            and other["i"] <= match["j"]
        ]
        span = set(range(match["i"], match["j"] + 1))
        covered = {index for walk in walks for index in range(walk["i"], walk["j"] + 1)}
        found = _patterns_of(walks[0], ()) if span <= covered else [Pattern.COMMON_PASSWORD]
    else:
        found = [Pattern.WORDS]
    if match.get("l33t"):
        found.append(Pattern.L33T)
    if match.get("reversed"):
        found.append(Pattern.REVERSED)
    return found


def _cheapest(
    matcher: _Matcher, accented: str, folded: str
) -> tuple[float, list[Match], list[Match]]:
    found = matcher.all(accented, folded)
    result = scoring.most_guessable_match_sequence(folded, found)
    return float(result["guesses"]), result["sequence"], found


def estimate(password: str, user_inputs: Sequence[str], common_passwords_file: Path) -> Estimate:
    """The guesses needed for `password` by someone who knows `user_inputs`."""
    inputs = _ranked(user_inputs)
    matcher = _Matcher(_lexicon(common_passwords_file), inputs)
    accented, folded = analysis_forms(visible_text(password)[:ANALYSED_LENGTH])
    if not folded:
        return Estimate(0.0, 0, (), ())
    guesses, sequence, found = _cheapest(matcher, accented, folded)
    kept = [i for i, char in enumerate(folded) if not _SEPARATORS.fullmatch(char)]
    if kept and len(kept) < len(folded):
        joined = _cheapest(
            matcher, "".join(accented[i] for i in kept), "".join(folded[i] for i in kept)
        )
        if joined[0] * SEPARATOR_GUESSES < guesses:
            guesses, sequence, found = joined[0] * SEPARATOR_GUESSES, joined[1], joined[2]
    patterns: list[Pattern] = []
    personal: list[str] = []
    for match in sequence:
        patterns += [p for p in _patterns_of(match, found) if p not in patterns]
        if match.get("dictionary_name") == USER_INPUTS:
            personal.append(match["matched_word"])
    patterns.sort(key=list(Pattern).index)
    if Pattern.WORDS in patterns and set(patterns) - {Pattern.WORDS, *_MODIFIERS}:
        patterns.remove(Pattern.WORDS)  # "common words" only when nothing more telling
    return Estimate(guesses, guesses_to_score(guesses), tuple(patterns), tuple(personal))
