"""mrkdwn escaping: the only three characters Slack asks apps to escape.

With `&`, `<` and `>` escaped, user text cannot form `<!channel>`, `<@U123>` or a disguised
`<https://evil|link>`; we never send `link_names`, so a bare "@channel" stays plain text.
"""

from __future__ import annotations

import re

_ENTITIES = ("&amp;", "&lt;", "&gt;")
# How much longer each escaped character gets: "&" -> "&amp;", "<" -> "&lt;", ">" -> "&gt;".
_GROWTH = {"&": 4, "<": 3, ">": 3}
_SPACES = re.compile(r" *")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escaped_length(text: str) -> int:
    """len(escape(text)), counted without building the escaped text."""
    return len(text) + sum(grown * text.count(char) for char, grown in _GROWTH.items())


def split_text(text: str, limit: int) -> list[str]:
    """Split plain text into pieces whose *escaped* length fits `limit`, at line or word ends.

    Linear in the length of `text`: each character is escaped a bounded number of times and
    no piece is copied more than once, however long a line is.
    """
    pieces: list[str] = []
    lines: list[str] = []  # the piece being filled, a line at a time
    size = 0  # escaped length of "\n".join(lines); 0 exactly when that text is empty
    for line in text.split("\n"):
        line_size = escaped_length(line)
        candidate = size + 1 + line_size if size else line_size
        if candidate <= limit:
            if size:
                lines.append(line)
            else:
                lines = [line]
            size = candidate
            continue
        if size:
            pieces.append("\n".join(lines))
        start = 0
        while line_size > limit:
            # Every character escapes to at least one, so the cut lies in the next limit + 1.
            segment = line[start : start + limit + 1]
            cut = _cut_point(segment, limit)
            piece = segment[:cut]
            pieces.append(piece)
            after = _SPACES.match(line, start + cut).end()  # type: ignore[union-attr]
            line_size -= escaped_length(piece) + (after - start - cut)
            start = after
        lines = [line[start:]]
        size = line_size
    if size or not pieces:
        pieces.append("\n".join(lines) if size else "")
    return pieces


def _cut_point(line: str, limit: int) -> int:
    """Longest prefix whose escaped form fits, preferring to end at a space."""
    fitting = escape(line)[:limit]
    # Every "&" of escaped text opens an entity: one cut in half is left out whole.
    last = fitting.rfind("&", max(len(fitting) - 4, 0))
    if last != -1 and fitting.find(";", last) == -1:
        fitting = fitting[:last]
    cut = len(fitting) - sum((len(entity) - 1) * fitting.count(entity) for entity in _ENTITIES)
    space = line.rfind(" ", 0, cut)
    return space if space > cut // 2 else max(cut, 1)
