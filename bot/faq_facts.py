"""The product's delays and rules that FAQ answers state (faq.facts), from the settings.

One place for the chat and the web page: an answer says « valable {invitation_days} jours »
and both show the number the product really applies.
"""

from __future__ import annotations

from datetime import timedelta

from access.accounts import signin
from access.accounts.passwords import MIN_LENGTH, rules_text
from access.config import AccessSettings


def _minutes(delay: timedelta) -> str:
    return str(round(delay.total_seconds() / 60))


def faq_facts(settings: AccessSettings) -> dict[str, str]:
    """Every name of `faq.facts.FACTS` with its value in this deployment."""
    return {
        "invitation_days": str(settings.invitation_ttl_days),
        "reset_minutes": str(settings.reset_ttl_minutes),
        "lockout_attempts": str(signin.MAX_FAILURES),
        "lockout_window_minutes": _minutes(signin.FAILURE_WINDOW),
        "lockout_minutes": _minutes(signin.BLOCK_DURATION),
        "password_min_length": str(MIN_LENGTH),
        "password_rules": rules_text(),
    }
