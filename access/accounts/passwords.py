"""Password rules and hashing.

The rules follow NIST SP 800-63B: length matters, composition rules do not (they push people
towards "Azerty123!"), so a password is refused only when it is too short, too long, one of
the shipped common passwords, or built on the person's own name or e-mail. Hashes are
argon2id with at least OWASP's minimum cost; a hash made with older parameters is redone at
the next successful sign-in.

Each hash holds 19 MiB while it runs, so a process computes at most one per core at a time
(`HASHING`), always on the same few threads: a flood of sign-ins then neither grows the
memory nor takes every worker thread; a few requests wait their turn briefly, the others get
`HashingBusy` at once.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from access import messages as msg
from access.config import DEFAULT_DATA_DIR
from access.errors import AccessError
from access.text import fold

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = DEFAULT_DATA_DIR / "common-passwords.txt"

# OWASP's argon2id floor: 19 MiB, 2 iterations, 1 lane.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)

# Name fragments too short or too common to refuse on their own ("de", "van", "le"...).
_MIN_FRAGMENT = 3
_PARTICLES = frozenset(
    {"de", "du", "des", "del", "della", "der", "den", "van", "von", "le", "la", "les", "di", "da"}
)


@lru_cache(maxsize=4)
def load_common_passwords(path: Path = COMMON_PASSWORDS_FILE) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(fold(line.strip()) for line in lines if line.strip() and line[0] != "#")


def _fragments(values: Iterable[str | None]) -> set[str]:
    found: set[str] = set()
    for value in values:
        if not value:
            continue
        folded = fold(value)
        whole = re.sub(r"[^0-9a-z]", "", folded)
        if len(whole) >= _MIN_FRAGMENT:
            found.add(whole)
        for part in re.split(r"[^0-9a-z]+", folded):
            if len(part) >= _MIN_FRAGMENT and part not in _PARTICLES:
                found.add(part)
    return found


def _contains_any(candidate: str, fragments: set[str]) -> bool:
    # Separators are ignored too, so "marie-dupont" and "marie dupont" both count.
    squeezed = re.sub(r"[^0-9a-z]", "", candidate)
    return any(fragment in candidate or fragment in squeezed for fragment in fragments)


def password_problems(
    password: str,
    *,
    names: Iterable[str | None] = (),
    emails: Iterable[str | None] = (),
) -> list[str]:
    """French reasons why `password` is refused for this person; empty when it is fine."""
    if len(password) < MIN_LENGTH:
        return [msg.PASSWORD_TOO_SHORT.format(minimum=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [msg.PASSWORD_TOO_LONG.format(maximum=MAX_LENGTH)]
    problems: list[str] = []
    candidate = fold(password)
    if candidate in load_common_passwords() or candidate.strip() in load_common_passwords():
        problems.append(msg.PASSWORD_TOO_COMMON)
    if _contains_any(candidate, _fragments(names)):
        problems.append(msg.PASSWORD_CONTAINS_NAME)
    local_parts = [email.rsplit("@", 1)[0] for email in emails if email]
    if _contains_any(candidate, _fragments(local_parts)):
        problems.append(msg.PASSWORD_CONTAINS_EMAIL)
    return problems


def new_password_problems(
    password: str,
    confirmation: str,
    *,
    names: Iterable[str | None] = (),
    emails: Iterable[str | None] = (),
) -> list[str]:
    """What is wrong with a password typed twice in a form (activation, reset)."""
    if password != confirmation:
        return [msg.PASSWORD_MISMATCH]
    return password_problems(password, names=names, emails=emails)


def rules_text() -> str:
    return msg.PASSWORD_RULES.format(minimum=MIN_LENGTH)


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
    return HASHING.run(lambda: HASHER.hash(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing or damaged hash never matches. Raises
    `HashingBusy` when no slot frees in time."""
    return HASHING.run(lambda: _verify(stored_hash, password))


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        if not stored_hash:
            # Same work as a real check, so a missing account cannot be told apart by timing.
            HASHER.verify(_dummy_hash(), password + "\0")
            return False
        return HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return HASHER.check_needs_rehash(stored_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return HASHER.hash("placeholder for missing accounts")
