"""Facts of the product that FAQ answers state: delays and rules, filled in where shown.

An answer says « valable {invitation_days} jours », never a number of its own: the number
comes from the running product's settings (the invitation link's lifetime, the sign-in
lockout, the password rules), so the FAQ cannot drift from what the product does. The FAQ
imports nothing of the product; whoever shows an answer (the chat, the web page) hands the
values in, and `python -m faq check` refuses a placeholder not listed here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Name -> what it stands for (operators read this in `python -m faq check`).
FACTS: Mapping[str, str] = {
    "invitation_days": "days an invitation (activation) link stays valid",
    "reset_minutes": "minutes a password reset link stays valid",
    "lockout_attempts": "failed sign-ins that block the sign-in",
    "lockout_window_minutes": "minutes within which those failures count",
    "lockout_minutes": "minutes the sign-in stays blocked",
    "password_min_length": "the shortest password accepted, in characters",
    "password_rules": "the password rules, as the pages state them (one French sentence or more)",
}

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def placeholders(text: str) -> list[str]:
    """The fact names `text` uses, in order."""
    return _PLACEHOLDER.findall(text)


def fill(text: str, facts: Mapping[str, str]) -> str:
    """`text` with each ``{name}`` replaced by its value; a name without one stays as is."""
    return _PLACEHOLDER.sub(lambda m: facts.get(m.group(1), m.group(0)), text)
