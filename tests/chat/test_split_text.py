"""Splitting text for Slack sections: the same pieces as ever, in time linear in the text.

A 4 MiB single-line e-mail used to take seconds in `split_text` alone: each piece cut from a
long line escaped and copied the whole rest of it again (issue 16, item 13). Time is not
asserted here (see tests/bench/bench_inbound.py); the work is: how many characters go through
`escape`, which the old way made grow with the square of the line.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack import escape as escaping
from bot.slack.escape import escape, split_text


def reference_split(text: str, limit: int) -> list[str]:
    """The previous implementation, kept as the specification of the pieces."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(escape(candidate)) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        current = ""
        while len(escape(line)) > limit:
            cut = _reference_cut(line, limit)
            pieces.append(line[:cut])
            line = line[cut:].lstrip(" ")
        current = line
    if current or not pieces:
        pieces.append(current)
    return pieces


def _reference_cut(line: str, limit: int) -> int:
    size = 0
    cut = len(line)
    for index, char in enumerate(line):
        size += len(escape(char))
        if size > limit:
            cut = index
            break
    space = line.rfind(" ", 0, cut)
    return space if space > cut // 2 else max(cut, 1)


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab &<>\n é")), max_size=400),
    limit=st.integers(min_value=5, max_value=60),
)
def test_the_pieces_are_those_of_the_previous_implementation(text: str, limit: int) -> None:
    assert split_text(text, limit) == reference_split(text, limit)


def test_a_long_line_is_escaped_a_bounded_number_of_times(monkeypatch: pytest.MonkeyPatch) -> None:
    escaped = 0

    def counting(text: str) -> str:
        nonlocal escaped
        escaped += len(text)
        return escape(text)

    monkeypatch.setattr(escaping, "escape", counting)
    line = ("mot & <b> " * 100_000).strip()  # one line of a million characters
    pieces = split_text(line, 3000)
    assert all(len(escape(piece)) <= 3000 for piece in pieces)
    assert " ".join(pieces) == line
    # A few passes over the text; cutting the rest of the line again at every piece would
    # make it hundreds of passes here.
    assert escaped <= 5 * len(line)


def test_many_short_lines_are_escaped_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    escaped = 0

    def counting(text: str) -> str:
        nonlocal escaped
        escaped += len(text)
        return escape(text)

    monkeypatch.setattr(escaping, "escape", counting)
    text = "\n".join(["a & b"] * 200_000)
    pieces = split_text(text, 3000)
    assert "\n".join(pieces) == text
    assert escaped <= 5 * len(text)
