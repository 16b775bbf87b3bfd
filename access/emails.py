"""E-mail address checks shared by the ProECO import, activation, tickets and linking."""

from __future__ import annotations

import re

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

# The common shape of an address (ASCII, lower-case domain, letters-only top-level domain),
# for which the validator's answer is known in advance: valid, and unchanged by
# normalisation. A nightly import checks tens of thousands of addresses; everything else
# still goes through the validator.
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63})"
)
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)


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
    plain = _PLAIN_ADDRESS.fullmatch(candidate)
    if (
        plain is not None
        and plain.group(1) not in _SPECIAL_USE
        and "--" not in candidate[candidate.index("@") :]
        and len(candidate) <= 254
        and candidate.index("@") <= 64
    ):
        return candidate
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.normalized


def same_address(a: str | None, b: str | None) -> bool:
    """Addresses are compared case-insensitively, as mail providers treat them."""
    return a is not None and b is not None and a.strip().casefold() == b.strip().casefold()


def mask_address(email: str | None) -> str:
    """« n.l***@sj.example.be »: the owner recognises it, a colleague reading along learns
    little. Shown wherever someone else than the owner could read it."""
    if not email:
        return ""
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return "***"
    return f"{local[: 3 if len(local) > 4 else 1]}***@{domain}"
