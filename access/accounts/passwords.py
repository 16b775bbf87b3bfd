"""Password rules and hashing.

The rules follow NIST SP 800-63B: length and guessability matter, composition rules do not
(they push people towards "Azerty123!"). A password is refused when it has too few visible
characters, is too long, is one of the shipped common passwords, is mostly the person's own
words (names, e-mail, schools) or the product's, or when the strength estimate
(access.accounts.strength, zxcvbn taught French and AZERTY) finds it too easy to guess; the
person is told why in French. A first name inside a long phrase is judged by the strength of
the whole phrase, not refused as a substring (« année » is not « Anne »).

Unicode is normalised (NFKC) before checking and before hashing, so a password typed in
full-width letters, or with the "²" key, is the same password everywhere. Hashes are
argon2id with at least OWASP's minimum cost; a hash made with older parameters is redone at
the next successful sign-in.

Each hash holds 19 MiB while it runs, so a process computes at most one per core at a time
(`HASHING`), always on the same few threads: a flood of sign-ins then neither grows the
memory nor takes every worker thread; a few requests wait their turn briefly, the others get
`HashingBusy` at once.
"""

from __future__ import annotations

import enum
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from access import messages as msg
from access.accounts import strength
from access.accounts.strength import Pattern
from access.config import DEFAULT_DATA_DIR
from access.directory.models import Person
from access.errors import AccessError
from access.text import fold

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn score 3 is at least 10^8 guesses: far past what the sign-in throttle lets through
# online, and years of argon2id work offline; score 4 would refuse everyday passphrases.
MIN_SCORE = 3
# A password refused outright when the person's or the product's words cover this share of
# its letters and digits, however the estimate rates the rest.
MOSTLY = 0.5
COMMON_PASSWORDS_FILE = DEFAULT_DATA_DIR / "common-passwords.txt"
PRODUCT_WORDS = ("extranet", "segec", "proeco")

# OWASP's argon2id floor: 19 MiB, 2 iterations, 1 lane.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)

# Fragments too short or too common to count on their own ("de", "van", "le"...).
_MIN_FRAGMENT = 3
_PARTICLES = frozenset(
    {"de", "du", "des", "del", "della", "der", "den", "van", "von", "le", "la", "les", "di", "da"}
)
# Mail providers' names say nothing about the person.
_MAIL_PROVIDERS = frozenset(
    {"gmail", "googlemail", "hotmail", "outlook", "live", "msn", "yahoo", "icloud", "skynet",
     "proximus", "telenet", "voo", "scarlet", "orange", "free", "laposte", "wanadoo", "gmx",
     "proton", "protonmail", "example"}
)  # fmt: skip
_NOT_ALNUM = re.compile(r"[^\w]|_")
# The usual reading of digits and symbols put for letters ("3xtr@n3t" is "extranet").
_L33T = str.maketrans("4@3!1|0$5+7", "aaeiilosstt")
_SEPARATORS = re.compile(r"[\s\-_.,;:/+*|~]+")


class Source(enum.Enum):
    """Whose words a password leans on, in the order the person is told."""

    NAME = msg.PASSWORD_CONTAINS_NAME
    EMAIL = msg.PASSWORD_CONTAINS_EMAIL
    SCHOOL = msg.PASSWORD_CONTAINS_SCHOOL
    PRODUCT = msg.PASSWORD_CONTAINS_PRODUCT


_PATTERN_PROBLEMS = {
    Pattern.KEYBOARD: msg.PASSWORD_KEYBOARD,
    Pattern.SEQUENCE: msg.PASSWORD_SEQUENCE,
    Pattern.REPEAT: msg.PASSWORD_REPEAT,
    Pattern.DATE: msg.PASSWORD_DATE,
    Pattern.COMMON_PASSWORD: msg.PASSWORD_COMMON_PART,
    Pattern.WORDS: msg.PASSWORD_COMMON_WORDS,
    Pattern.L33T: msg.PASSWORD_L33T,
    Pattern.REVERSED: msg.PASSWORD_REVERSED,
}


@lru_cache(maxsize=4)
def load_common_passwords(path: Path = COMMON_PASSWORDS_FILE) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(fold(line.strip()) for line in lines if line.strip() and line[0] != "#")


def visible_length(password: str) -> int:
    """Characters a person sees: invisible ones, combining marks and runs of spaces aside."""
    visible = strength.visible_text(password)
    return sum(1 for char in visible if char == " " or strength.is_counted(char))


def _alnum(text: str) -> str:
    return _NOT_ALNUM.sub("", text)


def _email_parts(emails: Iterable[str | None]) -> list[str]:
    parts: list[str] = []
    for email in emails:
        if not email:
            continue
        local, _, domain = email.rpartition("@")
        parts.append(local or domain)
        labels = domain.split(".")[:-1] if local else []
        parts.extend(label for label in labels if fold(label) not in _MAIL_PROVIDERS)
    return parts


def _personal_words(
    names: Iterable[str | None], emails: Iterable[str | None], schools: Iterable[str | None]
) -> dict[str, Source]:
    """The words an attacker who knows the person tries first, most telling first."""
    words: dict[str, Source] = {}
    sources = (
        (Source.NAME, list(names)),
        (Source.EMAIL, _email_parts(emails)),
        (Source.SCHOOL, list(schools)),
        (Source.PRODUCT, list(PRODUCT_WORDS)),
    )
    for source, values in sources:
        for value in values:
            if not value:
                continue
            folded = strength.fold_word(value)
            parts = [p for p in re.split(r"[^\w]+|_", folded) if p not in _PARTICLES]
            for word in (folded, _alnum(folded), *parts):
                if len(_alnum(word)) >= _MIN_FRAGMENT:
                    words.setdefault(word, source)
    return words


def _mostly_personal(folded: str, words: dict[str, Source]) -> list[Source]:
    """The sources whose words cover, together, at least MOSTLY of the letters and digits,
    read as typed or with l33t characters read as letters."""
    found = _covering(folded, words)
    return found or _covering(folded.translate(_L33T), words)


def _covering(folded: str, words: dict[str, Source]) -> list[Source]:
    letters = _alnum(folded)
    covered = [False] * len(letters)
    found: set[Source] = set()
    for word, source in words.items():
        fragment = _alnum(word)
        start = letters.find(fragment)
        while start >= 0:
            covered[start : start + len(fragment)] = [True] * len(fragment)
            found.add(source)
            start = letters.find(fragment, start + 1)
    if not letters or sum(covered) < MOSTLY * len(letters):
        return []
    return [source for source in Source if source in found]


def _is_common(visible: str) -> bool:
    common = load_common_passwords()
    return fold(visible) in common or fold(_SEPARATORS.sub("", visible)) in common


def preload() -> None:
    """Read the word lists now (a process start) rather than in the first person's request."""
    load_common_passwords()
    strength.estimate("", [], COMMON_PASSWORDS_FILE)


def password_problems(
    password: str,
    *,
    names: Iterable[str | None] = (),
    emails: Iterable[str | None] = (),
    schools: Iterable[str | None] = (),
) -> list[str]:
    """French reasons why `password` is refused for this person; empty when it is fine."""
    if len(password) > MAX_LENGTH:
        return [msg.PASSWORD_TOO_LONG.format(maximum=MAX_LENGTH)]
    if visible_length(password) < MIN_LENGTH:
        return [msg.PASSWORD_TOO_SHORT.format(minimum=MIN_LENGTH)]
    visible = strength.visible_text(password)
    words = _personal_words(names, emails, schools)
    common = _is_common(visible)
    sources = _mostly_personal(strength.fold_word(visible), words)
    estimate = strength.estimate(password, list(words), COMMON_PASSWORDS_FILE)
    weak = estimate.score < MIN_SCORE
    if weak:
        sources += [words[word] for word in estimate.personal_words if word in words]
    problems = [msg.PASSWORD_TOO_COMMON] if common else []
    problems += [source.value for source in Source if source in sources]
    if weak:
        for pattern in estimate.patterns:
            if pattern is Pattern.COMMON_PASSWORD and common:
                continue
            if pattern in _PATTERN_PROBLEMS:
                problems.append(_PATTERN_PROBLEMS[pattern])
        if not problems:
            problems.append(msg.PASSWORD_TOO_GUESSABLE)
    return problems


def new_password_problems(
    password: str,
    confirmation: str,
    *,
    names: Iterable[str | None] = (),
    emails: Iterable[str | None] = (),
    schools: Iterable[str | None] = (),
) -> list[str]:
    """What is wrong with a password typed twice in a form (activation, reset)."""
    if password != confirmation:
        return [msg.PASSWORD_MISMATCH]
    return password_problems(password, names=names, emails=emails, schools=schools)


def school_names(person: Person) -> list[str]:
    """The names of the person's schools, past ones included: an attacker knows them too."""
    return [assignment.establishment.name for assignment in person.assignments]


def rules_text() -> str:
    return msg.PASSWORD_RULES.format(minimum=MIN_LENGTH)


def _normalized(password: str) -> str:
    # NIST SP 800-63B: NFKC before hashing, so every keyboard and device types the same one.
    return unicodedata.normalize("NFKC", password)


class HashingBusy(AccessError):
    """Every hashing slot stayed taken while this request waited: the process is saturated."""

    default_user_message = msg.HASHING_BUSY

    def __init__(self) -> None:
        super().__init__("hashing_busy", detail="every password hashing slot is busy")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


Result = TypeVar("Result")


class HashingSlots:
    """At most `size` hashes at once; up to `max_waiting` callers wait `wait_seconds` at most
    for a slot, beyond that they are refused at once (waiting holds a web worker thread).

    The hashes run on `size` threads of their own: the C allocator keeps a freed hash's
    memory in the arena of the thread that used it, so hashing on whichever web thread
    serves the request would leave 19 MiB behind in each of up to 8 arenas per core."""

    def __init__(self, size: int, *, max_waiting: int, wait_seconds: float) -> None:
        self.size = size
        self.max_waiting = max_waiting
        self.wait_seconds = wait_seconds
        self._free = threading.BoundedSemaphore(size)
        self._waiting = 0
        self._lock = threading.Lock()
        self._threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="argon2")

    def run(self, work: Callable[[], Result]) -> Result:
        """`work()` on a hashing thread, once a slot is free; raises `HashingBusy`."""
        with self.hold():
            return self._threads.submit(work).result()

    @contextmanager
    def hold(self) -> Iterator[None]:
        if not self._free.acquire(blocking=False):
            self._wait_for_a_slot()
        try:
            yield
        finally:
            self._free.release()

    def _wait_for_a_slot(self) -> None:
        with self._lock:
            if self._waiting >= self.max_waiting:
                raise HashingBusy()
            self._waiting += 1
        try:
            acquired = self._free.acquire(timeout=self.wait_seconds)
        finally:
            with self._lock:
                self._waiting -= 1
        if not acquired:
            raise HashingBusy()


# A queue of a few hashes per core drains within the wait; a longer one only delays the answer.
HASHING = HashingSlots(_cores(), max_waiting=8 * _cores(), wait_seconds=2.0)


def hash_password(password: str) -> str:
    """The argon2id hash of `password`; raises `HashingBusy` when no slot frees in time."""
    return HASHING.run(lambda: HASHER.hash(_normalized(password)))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing or damaged hash never matches. Raises
    `HashingBusy` when no slot frees in time."""
    return HASHING.run(lambda: _verify_either(stored_hash, password))


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        if not stored_hash:
            # Same work as a real check, so a missing account cannot be told apart by timing.
            HASHER.verify(_dummy_hash(), password + "\0")
            return False
        return HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _verify_either(stored_hash: str | None, password: str) -> bool:
    """A hash made before passwords were normalised holds the text as typed: when the
    normalised form differs and fails, the text as typed is tried too."""
    normalized = _normalized(password)
    if _verify(stored_hash, normalized):
        return True
    return normalized != password and _verify(stored_hash, password)


def needs_rehash(stored_hash: str) -> bool:
    return HASHER.check_needs_rehash(stored_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return HASHER.hash("placeholder for missing accounts")
