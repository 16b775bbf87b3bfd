"""mrkdwn escaping: the only three characters Slack asks apps to escape.

With `&`, `<` and `>` escaped, user text cannot form `<!channel>`, `<@U123>` or a disguised
`<https://evil|link>`; we never send `link_names`, so a bare "@channel" stays plain text.
"""

from __future__ import annotations


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int) -> list[str]:
    """Split plain text into pieces whose *escaped* length fits `limit`, at line or word ends."""
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
            cut = _cut_point(line, limit)
            pieces.append(line[:cut])
            line = line[cut:].lstrip(" ")
        current = line
    if current or not pieces:
        pieces.append(current)
    return pieces


def _cut_point(line: str, limit: int) -> int:
    """Longest prefix whose escaped form fits, preferring to end at a space."""
    size = 0
    cut = len(line)
    for index, char in enumerate(line):
        size += len(escape(char))
        if size > limit:
            cut = index
            break
    space = line.rfind(" ", 0, cut)
    return space if space > cut // 2 else max(cut, 1)
