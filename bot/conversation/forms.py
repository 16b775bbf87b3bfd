"""Checks each form field for its kind, the same way for every transport.

Adapters hand in what the person entered (text, a list of option values, a date); handlers
receive clean values and only add the domain's checks (a FASE known to the directory…).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from access.emails import normalize_email
from bot.conversation import messages
from bot.conversation.replies import Field, FieldKind, FieldValue
from helpdesk.validation import normalize_phone

_PHONE_CHARACTERS = re.compile(r"[\d\s+().\-/]*")
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")


def check_field(field: Field, raw: object) -> tuple[FieldValue, str | None]:
    """Return (clean value, None) or (what was entered, French error)."""
    if field.kind is FieldKind.MULTI_SELECT:
        return _check_multi(field, raw)
    if isinstance(raw, date):
        raw = raw.isoformat()
    text = "" if raw is None else str(raw).strip()
    if not text:
        return None, messages.FIELD_REQUIRED if field.required else None
    if field.max_length is not None and len(text) > field.max_length:
        return text, messages.FIELD_TOO_LONG.format(max=field.max_length)
    if field.kind is FieldKind.EMAIL:
        email = normalize_email(text)
        return (email, None) if email else (text, messages.FIELD_EMAIL_INVALID)
    if field.kind is FieldKind.PHONE:
        phone = _field_phone(text)
        return (phone, None) if phone else (text, messages.FIELD_PHONE_INVALID)
    if field.kind is FieldKind.DATE:
        return _check_date(field, text)
    if field.kind is FieldKind.SELECT:
        value = _option_value(field, text)
        return (value, None) if value is not None else (text, messages.FIELD_OPTION_INVALID)
    return text, None


def _check_date(field: Field, text: str) -> tuple[FieldValue, str | None]:
    day = parse_date(text)
    if day is None:
        return text, messages.FIELD_DATE_INVALID
    if field.min_date is not None and day < field.min_date:
        return day, messages.FIELD_DATE_PAST
    return day, None


def check_form(
    fields: Iterable[Field], raw_values: Mapping[str, object]
) -> tuple[dict[str, FieldValue], dict[str, str]]:
    values: dict[str, FieldValue] = {}
    errors: dict[str, str] = {}
    for field in fields:
        value, error = check_field(field, raw_values.get(field.name))
        values[field.name] = value
        if error:
            errors[field.name] = error
    return values, errors


def _field_phone(raw: str) -> str | None:
    """A Belgian number (02 123 45 67, 0470…) or an international one (+33…), formatted.

    A form field takes only the characters a number is written with; the helpdesk's reading
    alone would also find a number inside a line of text (« Tél : 02 … »).
    """
    if not _PHONE_CHARACTERS.fullmatch(raw):
        return None
    return normalize_phone(raw)


def parse_date(raw: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
    return None


def format_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _option_value(field: Field, text: str) -> str | None:
    for option in field.options:
        if text == option.value:
            return option.value
    folded = text.casefold()
    for option in field.options:
        if folded == option.label.casefold():
            return option.value
    return None


def _check_multi(field: Field, raw: object) -> tuple[FieldValue, str | None]:
    if raw is None or raw == "":
        items: list[str] = []
    elif isinstance(raw, str):
        items = [part.strip() for part in raw.split(",") if part.strip()]
    else:
        items = [str(item) for item in raw]  # type: ignore[attr-defined]
    values = [_option_value(field, item) for item in items]
    if any(value is None for value in values):
        return items, messages.FIELD_OPTION_INVALID
    clean = list(dict.fromkeys(v for v in values if v is not None))
    if not clean and field.required:
        return clean, messages.FIELD_REQUIRED
    return clean, None
