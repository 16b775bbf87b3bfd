"""The FAQ's answers, written in Slack mrkdwn, as HTML for the web page.

Only what the knowledge base uses: lines, numbered steps (« 1. »), bullets (« • », « - »),
*bold*, _italic_, `code`, and bare web and e-mail addresses, which become links. Everything
is escaped first, so an answer can never inject markup; the patterns then run on escaped
text, whose only special characters are entities.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from markupsafe import Markup, escape

_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s+(.*)$")
_BULLET = re.compile(r"^\s*[•\-–]\s+(.*)$")
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_URL = re.compile(r"\bhttps?://[^\s<>\"']+")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_TRAILING = ".,;:!?)»"
# Code spans are set aside while the other patterns run, then put back (never re-read).
_HOLE = "\x00{}\x00"
_HOLES = re.compile("\x00(\\d+)\x00")


def to_html(text: str) -> Markup:
    """`text` (mrkdwn) as HTML: paragraphs and lists, inline marks, links."""
    return Markup("\n".join(_blocks(text.strip().splitlines())))


def _blocks(lines: list[str]) -> Iterator[str]:
    """Consecutive numbered lines make one <ol>, bullets one <ul>, any other line a <p>."""
    index = 0
    while index < len(lines):
        line = lines[index]
        for pattern, tag in ((_NUMBERED, "ol"), (_BULLET, "ul")):
            if pattern.match(line):
                items = []
                while index < len(lines) and (found := pattern.match(lines[index])):
                    items.append(f"<li>{inline(found.group(found.lastindex or 1))}</li>")
                    index += 1
                yield f"<{tag}>{''.join(items)}</{tag}>"
                break
        else:
            if line.strip():
                yield f"<p>{inline(line.strip())}</p>"
            index += 1


def inline(text: str) -> str:
    """One line: escaped, code spans, bold, italic, links."""
    escaped = str(escape(text))
    codes: list[str] = []

    def hole(match: re.Match[str]) -> str:
        codes.append(f"<code>{match.group(1)}</code>")
        return _HOLE.format(len(codes) - 1)

    escaped = _CODE.sub(hole, escaped)
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    escaped = _ITALIC.sub(r"<em>\1</em>", escaped)
    escaped = _URL.sub(_link, escaped)
    escaped = _EMAIL.sub(lambda m: f'<a href="mailto:{m.group(0)}">{m.group(0)}</a>', escaped)
    return _HOLES.sub(lambda m: codes[int(m.group(1))], escaped)


def _link(match: re.Match[str]) -> str:
    url = match.group(0)
    kept = url.rstrip(_TRAILING)
    # An entity cut in half (« &amp » before a trailing « ; ») belongs to the URL.
    if kept.endswith("&amp") and url[len(kept) :].startswith(";"):
        kept += ";"
    return f'<a href="{kept}">{kept}</a>{url[len(kept) :]}'
