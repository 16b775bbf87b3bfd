"""E-mail address checks shared by the ProECO import, activation, tickets and linking."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def normalize_email(raw: str | None) -> str | None:
    """Return the address in canonical form, or None when it is missing or invalid.

    No DNS lookup: the product runs without network, and ProECO addresses are checked for
    form only; a bounced invitation is reported by the outbox instead.
    """
    if raw is None:
        return None
    candidate = raw.strip()
    if not candidate or any(ch in candidate for ch in "\r\n\0"):
        return None
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.normalized


def same_address(a: str | None, b: str | None) -> bool:
    """Addresses are compared case-insensitively, as mail providers treat them."""
    return a is not None and b is not None and a.strip().casefold() == b.strip().casefold()
