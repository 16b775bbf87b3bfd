"""Reading a submitted form: the one place where what a browser sent becomes text for the
services.

Control characters (NUL, ESC and the other C0 and C1 codes, DEL) never reach the services:
PostgreSQL refuses NUL in text, and the others only hide things in what agents and operators
read (a terminal runs ESC sequences). A multi-line field keeps tab, CR and LF and loses the
rest silently, as text pasted from another program often carries some; a single-line field
that held one is named in `refused`, so the page answers 400 and asks to type it again.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from starlette.requests import Request

from bot.web.security import CSRF_FIELD, csrf_valid

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Submitted:
    """The text fields of a form, control characters removed."""

    fields: dict[str, str]
    csrf_ok: bool
    # Single-line fields that held a control character: the page refuses the form.
    refused: frozenset[str]


async def read_form(request: Request, *, multiline: Collection[str] = ()) -> Submitted:
    """The submitted text fields (files are ignored), and whether the CSRF token matches the
    session (the token as sent: one with a control character in it is not the session's)."""
    form = await request.form()
    fields: dict[str, str] = {}
    refused: set[str] = set()
    for name, value in form.items():
        if not isinstance(value, str):
            continue
        if name in multiline:
            fields[name] = CONTROL_BUT_LINES.sub("", value)
            continue
        fields[name] = CONTROL.sub("", value)
        if fields[name] != value:
            refused.add(name)
    return Submitted(
        fields=fields,
        csrf_ok=csrf_valid(request, form.get(CSRF_FIELD)),
        refused=frozenset(refused - {CSRF_FIELD}),
    )
