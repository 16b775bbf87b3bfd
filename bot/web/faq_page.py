"""`/faq`: every answer of the FAQ as HTML, with a search that works without JavaScript.

The search is a GET form read by the chat's own matcher (`faq.load_default()`), so the page
and the chat give one answer to one question, and a message that is not a question gets the
same treatment: a greeting a friendly word, another subject the note that this helpdesk
covers the Extranet only, a fault of the Extranet the way to report it. Each answer has its
own anchor (`/faq#acces-lien-expire`) to be linked from a mail or a ticket reply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.faq_facts import faq_facts
from bot.faq_topics import ACCESS_TOPICS
from bot.web import messages as msg
from bot.web.mrkdwn import to_html
from bot.web.pages import render
from faq.facts import fill
from faq.kinds import MessageKind

MAX_QUERY_CHARS = 300


@dataclass(frozen=True)
class ShownEntry:
    id: str
    question: str
    answer: Markup


@dataclass(frozen=True)
class Category:
    title: str
    entries: list[ShownEntry]


@dataclass(frozen=True)
class SearchOutcome:
    """What the search found: an answer, suggestions, or a word on what the message is."""

    query: str
    answer: ShownEntry | None = None
    suggestions: list[ShownEntry] = field(default_factory=list)
    notice: str | None = None
    # The support form is the way on (a fault of the site, or nothing found).
    contact: bool = False


def _read_query(request: Request) -> str:
    raw = request.query_params.get("q", "")
    # Control characters and runs of spaces are noise; a pasted page is cut.
    cleaned = "".join(ch if ch.isprintable() else " " for ch in raw)
    return " ".join(cleaned.split())[:MAX_QUERY_CHARS]


def _page_data(query: str, facts: dict[str, str]) -> tuple[list[Category], SearchOutcome | None]:
    # Imported here: the matcher and NumPy load with the first visit, not with every start.
    from faq import load_default

    matcher = load_default()

    def shown(entry: Any) -> ShownEntry:
        return ShownEntry(entry.id, entry.question, to_html(fill(entry.answer, facts)))

    categories = [
        Category(title, [shown(e) for e in entries]) for title, entries in matcher.kb.by_category()
    ]
    if not query:
        return categories, None
    result = matcher.match(query)
    if result.kind.social:
        return categories, SearchOutcome(query, notice=msg.FAQ_SOCIAL)
    if result.kind is MessageKind.OFF_TOPIC:
        return categories, SearchOutcome(query, notice=msg.FAQ_OFF_TOPIC)
    if result.kind is MessageKind.PROBLEM:
        return categories, SearchOutcome(query, notice=msg.FAQ_PROBLEM, contact=True)
    if result.entry is not None:
        return categories, SearchOutcome(query, answer=shown(result.entry))
    suggestions = [shown(s.entry) for s in result.suggestions]
    if suggestions:
        return categories, SearchOutcome(query, suggestions=suggestions, notice=msg.FAQ_UNSURE)
    return categories, SearchOutcome(query, notice=msg.FAQ_NO_ANSWER, contact=True)


async def faq_page(request: Request) -> Response:
    query = _read_query(request)
    settings = request.app.state.settings
    categories, outcome = await run_in_threadpool(_page_data, query, faq_facts(settings))
    return render(
        request,
        "faq.html",
        title=msg.TITLE_FAQ,
        categories=categories,
        query=query,
        outcome=outcome,
        max_query=MAX_QUERY_CHARS,
        unavailable=msg.FAQ_UNAVAILABLE.format(helpdesk_email=settings.helpdesk_email),
        # Answers on access: the person's own situation is one e-mail away.
        access_topics=ACCESS_TOPICS,
    )


def routes() -> list[Route]:
    return [Route("/faq", faq_page, methods=["GET"])]
