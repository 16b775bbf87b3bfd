"""What kind of message a person sent: a question for the FAQ, or something else.

Not everything typed to a helpdesk is a question. « bonjour », « merci beaucoup ! » or « ok
super » deserve a short friendly word, not « Je n'ai pas de réponse » and a ticket button; a
question about the school's wifi or a salary slip belongs to another service; « page
blanche » or « erreur 500 » reports a fault of the Extranet itself, which a FAQ entry cannot
fix and a ticket with the details (browser, device, time) can.

Rule-based over the word lists of ``data/faq/kinds.yaml`` (social words, problem phrases),
plus the lexicon's scope words (``synonyms.yaml``: off-topic words, scene-setting words and
the product's names) that the matcher hands in. Spelling variants are absorbed by the same
folding as the matcher (case, accents, elisions), by collapsing letters typed three times or
more (« merciiii ») and by accepting one typo in a social word of five letters or more.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from faq.normalize import fold

FILE_NAME = "kinds.yaml"
KEYS = frozenset(
    {"greeting", "thanks", "goodbye", "small_talk", "filler", "problem", "problem_subjects"}
)

# « merciiiii », « suuuper », « bonjourrr »: a letter held down is the same word.
_HELD_LETTER = re.compile(r"([a-z])\1{2,}")
# « erreur 500 », « error 503 », « code 502 »: a server fault, whatever the wording around it.
_SERVER_ERROR = re.compile(r"\b(?:erreur|error|code|http)\s*5\d\d\b|\b5\d\d\s+(?:error|erreur)\b")
# « ne s'affiche pas », « ne répond plus »: a failure verb denied right after it.
_FAILURE_VERBS = ("marche", "fonctionne", "repond", "affiche", "ouvre", "charge", "charger")
_DENIALS = ("pas", "plus", "jamais")
# How many words before the verb its subject may stand (« le site de l'Extranet ne … »).
_SUBJECT_REACH = 4
# « le lien du mail de l'Extranet ne marche plus »: a link before the site is the subject
# (an expired or used invitation link, not a fault of the site).
_LINKS = frozenset({"lien", "liens", "link"})
_CLAUSE_JOINS = frozenset({"et", "mais", "puis", "alors", "donc"})
# After « ne … pas », these start an object: the sentence is about what is not shown.
_OBJECT_WORDS = frozenset(
    [
        "tous",
        "toutes",
        "tout",
        "les",
        "la",
        "le",
        "mes",
        "mon",
        "ma",
        "ses",
        "son",
        "sa",
        "certaines",
        "certains",
        "mes",
        "nos",
        "notre",
        "un",
        "une",
        "des",
        "de",
        "du",
        "aucun",
        "aucune",
    ]
)
# « je ne sais pas si c'est un bug »: a doubt this many words before a problem phrase makes
# it a question about behaviour, not a fault; so does a denial (« ce n'est pas un bug »).
_DOUBT_REACH = 3
_DENIED_THING = (("pas", "un"), ("pas", "une"), ("pas", "de"))
# « on tourne en rond », « je rame »: the person, not the site, is the subject.
_PERSONS = frozenset({"on", "nous", "je"})
# A social word of five letters or more may carry one typo (« bonjoru », « mercie »).
_TYPO_MIN_LENGTH = 5


class MessageKind(enum.StrEnum):
    QUESTION = "question"
    GREETING = "greeting"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    SMALL_TALK = "small_talk"
    OFF_TOPIC = "off_topic"
    PROBLEM = "problem"

    @property
    def social(self) -> bool:
        """A greeting, thanks, a goodbye or small talk: nothing to look up."""
        return self in _SOCIAL


_SOCIAL = frozenset(
    {MessageKind.GREETING, MessageKind.THANKS, MessageKind.GOODBYE, MessageKind.SMALL_TALK}
)


class KindsError(ValueError):
    """The kinds file is malformed (operator-facing, English)."""


@dataclass(frozen=True)
class KindRules:
    """The word lists, folded. Phrases are tuples of words; single words are 1-tuples."""

    social: Mapping[tuple[str, ...], MessageKind]
    filler: frozenset[str] = frozenset()
    problem: tuple[tuple[str, ...], ...] = ()
    problem_subjects: frozenset[str] = frozenset()

    @classmethod
    def build(cls, raw: Mapping[str, Any] | None) -> KindRules:
        raw = raw or {}
        unknown = set(raw) - KEYS
        if unknown:
            raise KindsError(f"unknown keys {sorted(unknown)}; expected {sorted(KEYS)}")
        social: dict[tuple[str, ...], MessageKind] = {}
        for key, kind in (
            ("greeting", MessageKind.GREETING),
            ("thanks", MessageKind.THANKS),
            ("goodbye", MessageKind.GOODBYE),
            ("small_talk", MessageKind.SMALL_TALK),
        ):
            for phrase in _phrases(raw.get(key), key):
                social.setdefault(phrase, kind)
        return cls(
            social=social,
            filler=frozenset(w for p in _phrases(raw.get("filler"), "filler") for w in p),
            problem=tuple(_phrases(raw.get("problem"), "problem")),
            problem_subjects=frozenset(
                w for p in _phrases(raw.get("problem_subjects"), "problem_subjects") for w in p
            ),
        )

    @cached_property
    def longest_social(self) -> int:
        return max((len(p) for p in self.social), default=1)

    @cached_property
    def problem_phrases(self) -> frozenset[tuple[str, ...]]:
        return frozenset(self.problem)

    @cached_property
    def problem_lengths(self) -> tuple[int, ...]:
        return tuple(sorted({len(p) for p in self.problem}))

    @cached_property
    def single_social(self) -> tuple[str, ...]:
        """The one-word social phrases, where a typo is looked for."""
        return tuple(p[0] for p in self.social if len(p) == 1)


def _phrases(value: object, key: str) -> list[tuple[str, ...]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise KindsError(f"{key!r} is a list of words or phrases")
    odd = [v for v in value if not isinstance(v, str)]
    if odd:
        # YAML reads a bare « yes », « no » or « on » as a boolean: the word would be lost.
        raise KindsError(f"{key!r}: {odd[0]!r} is not a word; quote it")
    return [tuple(words(v)) for v in value if words(v)]


def words(text: str) -> list[str]:
    """Folded words, letters held down collapsed (« Merciiii ! » -> ["merci"])."""
    return _HELD_LETTER.sub(r"\1", fold(text)).split()


@dataclass(frozen=True)
class Scope:
    """What the matcher knows of the question's subject (faq.matcher), for the kinds it decides."""

    answered: bool
    off_topic: bool  # a word of another subject, and the product not named
    scene_only: bool  # outside the gate because of a scene-setting word (« vacances »)
    named: bool  # « extranet » or « segec » is said


def classify(text: str, rules: KindRules, scope: Scope) -> MessageKind:
    """The kind of `text`. Social first (the whole message is politeness), then another
    subject, then a fault of the Extranet, else a question for the FAQ."""
    tokens = words(text)
    social = _social_kind(tokens, rules)
    if social is not None:
        return social
    if scope.off_topic and not scope.named and not scope.answered:
        return MessageKind.OFF_TOPIC
    if _reports_problem(tokens, rules):
        return MessageKind.PROBLEM
    if scope.scene_only and not scope.answered:
        return MessageKind.OFF_TOPIC
    return MessageKind.QUESTION


def _social_kind(tokens: list[str], rules: KindRules) -> MessageKind | None:
    """The kind of a message made only of social phrases and filler words, else None.

    Goodbye wins over thanks, thanks over a greeting: « merci, au revoir » is a goodbye,
    « bonjour et merci » thanks."""
    if not tokens:
        return None
    found: set[MessageKind] = set()
    longest = rules.longest_social
    index = 0
    while index < len(tokens):
        for size in range(min(longest, len(tokens) - index), 0, -1):
            kind = rules.social.get(tuple(tokens[index : index + size]))
            if kind is not None:
                found.add(kind)
                index += size
                break
        else:
            word = tokens[index]
            if word in rules.filler or word.isdigit():
                index += 1
                continue
            kind = _social_typo(word, rules)
            if kind is None:
                return None
            found.add(kind)
            index += 1
    for kind in (MessageKind.GOODBYE, MessageKind.THANKS, MessageKind.GREETING):
        if kind in found:
            return kind
    return MessageKind.SMALL_TALK if found else None


def _social_typo(word: str, rules: KindRules) -> MessageKind | None:
    if len(word) < _TYPO_MIN_LENGTH:
        return None
    found = process.extractOne(word, rules.single_social, scorer=OSA.distance, score_cutoff=1)
    return rules.social[(found[0],)] if found else None


def _reports_problem(tokens: list[str], rules: KindRules) -> bool:
    """A fault of the site: a problem phrase (« page blanche », « très lent »), a server
    error code, or a page or the site (« le site », « la page ») that does not respond."""
    joined = " ".join(tokens)
    if _SERVER_ERROR.search(joined):
        return True
    if any(_states_fault(tokens, start) for start in _phrase_starts(tokens, rules)):
        return True
    return any(
        _subject_fails(tokens, index, rules.problem_subjects)
        for index, word in enumerate(tokens)
        if word in _FAILURE_VERBS or word == "panne"
    )


def _phrase_starts(tokens: list[str], rules: KindRules) -> list[int]:
    """Where a problem phrase begins in the message (« page blanche », « ne fait rien »)."""
    phrases = rules.problem_phrases
    return [
        start
        for size in rules.problem_lengths
        for start in range(len(tokens) - size + 1)
        if tuple(tokens[start : start + size]) in phrases
    ]


def _states_fault(tokens: list[str], start: int) -> bool:
    """Whether the phrase at `start` reports a fault: not doubted (« si c'est un bug »), not
    denied (« ce n'est pas un bug ») and not said of the person (« on tourne en rond »)."""
    if start and tokens[start - 1] in _PERSONS:
        return False
    if tuple(tokens[max(0, start - 2) : start]) in _DENIED_THING:
        return False
    return "si" not in tokens[max(0, start - _DOUBT_REACH) : start]


def _link_before(words: list[str]) -> bool:
    """A link named just before the site, in the same clause (« le lien de la page », not
    « j'ai cliqué sur le lien et la page »)."""
    found = False
    for word in words:
        found = word in _LINKS or (found and word not in _CLAUSE_JOINS)
    return found


def _subject_fails(tokens: list[str], verb: int, subjects: frozenset[str]) -> bool:
    """« le site ne répond pas », « la page ne s'affiche plus », « l'Extranet est en panne »:
    the site or a page just before a denied failure verb (or « panne ») that ends the clause.
    « l'Extranet ne m'affiche pas tous les documents » is about documents, not a fault."""
    start = max(0, verb - _SUBJECT_REACH)
    site = next((i for i in range(start, verb) if tokens[i] in subjects), None)
    # The link's noun stands up to three words before the site's (« le lien de la page »).
    if site is None or _link_before(tokens[max(0, site - 3) : site]):
        return False
    if tokens[verb] == "panne":
        return True
    after = tokens[verb + 1 : verb + 3]
    denied = next((i for i, t in enumerate(after) if t in _DENIALS), None)
    if denied is None:
        return False
    following = tokens[verb + 2 + denied : verb + 3 + denied]
    return not following or following[0] not in _OBJECT_WORDS
