"""The FAQ: a French knowledge base and a matcher that abstains when it does not know.

Pure Python: nothing here imports the bot, the access module, Slack or the terminal (except the
``python -m faq`` entry point).
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Module of each name above, imported on first use: a light submodule (`faq.facts`,
# `faq.usage`) must not load the matcher and numpy with the package.
_LAZY = {
    "DEFAULT_DATA_DIR": "faq.kb",
    "Entry": "faq.kb",
    "KnowledgeBase": "faq.kb",
    "KnowledgeBaseError": "faq.kb",
    "load": "faq.kb",
    "MessageKind": "faq.kinds",
    "Matcher": "faq.matcher",
    "MatchResult": "faq.matcher",
    "Suggestion": "faq.matcher",
    "Tuning": "faq.matcher",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


@lru_cache(maxsize=1)
def load_default() -> Matcher:
    """The matcher over the shipped knowledge base (data/faq), built once per process."""
    from faq.kb import DEFAULT_DATA_DIR, load
    from faq.matcher import Matcher

    return Matcher(load(DEFAULT_DATA_DIR))
