"""The FAQ: a French knowledge base and a matcher that abstains when it does not know.

Pure Python: nothing here imports the bot, the access module, Slack or the terminal (except the
``python -m faq`` entry point).
"""

from __future__ import annotations

from functools import lru_cache

from faq.kb import DEFAULT_DATA_DIR, Entry, KnowledgeBase, KnowledgeBaseError, load
from faq.kinds import MessageKind
from faq.matcher import Matcher, MatchResult, Suggestion, Tuning

__all__ = [
    "DEFAULT_DATA_DIR",
    "Entry",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "MatchResult",
    "Matcher",
    "MessageKind",
    "Suggestion",
    "Tuning",
    "load",
    "load_default",
]


@lru_cache(maxsize=1)
def load_default() -> Matcher:
    """The matcher over the shipped knowledge base (data/faq), built once per process."""
    return Matcher(load(DEFAULT_DATA_DIR))
