"""Checking a ticket form, the same way for Slack, the console, the web form and e-mail.

Errors are French and keyed by field, so each transport shows them next to the field; values
are returned cleaned but never dropped, so the person never retypes what was accepted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import phonenumbers
from sqlalchemy.orm import Session

from access.directory.establishments import canonical_fase, find_fase, typed_fase
from access.emails import normalize_email
from helpdesk import messages
from helpdesk.categories import propose_category
from helpdesk.models import Category

FIELDS = (
    "last_name",
    "first_name",
    "fase",
    "email",
    "phone",
    "category",
    "subject",
    "description",
)
# The category may be left empty: one is then proposed from the subject (helpdesk.categories).
REQUIRED_FIELDS = ("last_name", "first_name", "fase", "email", "subject", "description")
MAX_LENGTHS = {
    "last_name": 255,
    "first_name": 255,
    "fase": 16,
    "email": 320,
    "phone": 40,
    "subject": 200,
    "description": 10_000,
}
TRUTHY = {"1", "true", "on", "yes", "oui", "o", "y"}


@dataclass(frozen=True)
class TicketForm:
    """A valid form, cleaned: the e-mail normalised, the phone in international format."""

    last_name: str
    first_name: str
    fase: str
    email: str
    category: str
    subject: str
    description: str
    phone: str | None = None
    fase_unknown: bool = False


@dataclass
class FormCheck:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    form: TicketForm | None = None
    # True when the FASE is well formed but not in the directory: the form then offers the
    # confirmation box.
    fase_needs_confirmation: bool = False


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip()


def is_confirmed(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return _text(value).casefold() in TRUTHY


def normalize_phone(raw: str) -> str | None:
    """International format (+32 2 123 45 67), or None when not a valid number.

    Numbers without a country code are read as Belgian, as the schools are.
    """
    try:
        number = phonenumbers.parse(raw, "BE")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def fase_is_known(session: Session, fase: str) -> bool:
    """Whether the directory has this FASE number, with or without its leading zeros."""
    return find_fase(session, fase) is not None


def check_ticket_form(
    values: Mapping[str, object], session: Session, *, faq_topics: Sequence[str] = ()
) -> FormCheck:
    """`faq_topics`: the FAQ answers the person was shown (`helpdesk.suggestions.topics_of`),
    to propose a category when none was chosen."""
    cleaned = {name: _text(values.get(name)) for name in FIELDS}
    check = FormCheck(values=cleaned)
    _check_presence_and_length(cleaned, check.errors)
    fase = typed_fase(cleaned["fase"])
    fase_unknown = _check_fase(fase, values, session, check)
    email = _check_email(cleaned, check.errors)
    phone = _check_phone(cleaned, check.errors)
    category = cleaned["category"]
    if category and category not in {c.value for c in Category}:
        check.errors["category"] = messages.CATEGORY_INVALID
    if not check.errors:
        assert email is not None
        check.form = TicketForm(
            last_name=cleaned["last_name"],
            first_name=cleaned["first_name"],
            # Stored as the directory writes it (« 00931 »), whichever way it was typed.
            fase=canonical_fase(session, fase),
            email=email,
            category=category
            or propose_category(
                cleaned["subject"], faq_topics=faq_topics, description=cleaned["description"]
            ),
            subject=cleaned["subject"],
            description=cleaned["description"],
            phone=phone,
            fase_unknown=fase_unknown,
        )
    return check


def _check_presence_and_length(cleaned: Mapping[str, str], errors: dict[str, str]) -> None:
    for name in REQUIRED_FIELDS:
        if not cleaned[name]:
            errors[name] = messages.REQUIRED
    for name, limit in MAX_LENGTHS.items():
        if name not in errors and len(cleaned[name]) > limit:
            errors[name] = messages.TOO_LONG.format(limit=limit)


def _check_fase(
    fase: str, values: Mapping[str, object], session: Session, check: FormCheck
) -> bool:
    """Whether the FASE is well formed but unknown to the directory (and then confirmed)."""
    if "fase" in check.errors:
        return False
    if not fase.isdigit() or not fase.isascii():
        check.errors["fase"] = messages.FASE_NOT_DIGITS
        return False
    if fase_is_known(session, fase):
        return False
    check.fase_needs_confirmation = True
    if not is_confirmed(values.get("confirm_unknown_fase")):
        check.errors["fase"] = messages.FASE_UNKNOWN
    return True


def _check_email(cleaned: Mapping[str, str], errors: dict[str, str]) -> str | None:
    if "email" in errors:
        return None
    email = normalize_email(cleaned["email"])
    if email is None:
        errors["email"] = messages.EMAIL_INVALID
    return email


def _check_phone(cleaned: Mapping[str, str], errors: dict[str, str]) -> str | None:
    if not cleaned["phone"] or "phone" in errors:
        return None
    phone = normalize_phone(cleaned["phone"])
    if phone is None:
        errors["phone"] = messages.PHONE_INVALID
    return phone


def validate_ticket_form(values: Mapping[str, object], session: Session) -> dict[str, str]:
    """French error per field; empty when the form can open a ticket."""
    return check_ticket_form(values, session).errors
