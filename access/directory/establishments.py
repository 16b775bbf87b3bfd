"""Establishments, found by their FASE number.

The directory keeps the number as ProECO writes it (text, leading zeros included: « 00931 »);
people often type it without the zeros (« 931 ») or with spaces. Either spelling finds the
school, and what is stored or shown is the directory's.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access import messages
from access.directory.models import Establishment
from access.errors import NotFound

# What people put between the digits of a number they copy: spaces, dots, dashes.
_SEPARATORS = str.maketrans("", "", " .-\u00a0\u202f")


def typed_fase(text: str) -> str:
    """The number as typed, without surrounding spaces and the separators people add."""
    return text.strip().translate(_SEPARATORS)


def find_fase(session: Session, text: str) -> str | None:
    """The directory's spelling of the FASE number `text` (« 931 » → « 00931 »), or None when
    no establishment has that number. An exact match wins over one that differs in zeros."""
    for spelling in dict.fromkeys((text.strip(), typed_fase(text))):
        exact = session.scalar(select(Establishment.fase).where(Establishment.fase == spelling))
        if exact is not None:
            return exact
    fase = typed_fase(text)
    if not fase.isdigit() or not fase.isascii():
        return None
    # ltrim(x, '0') is the same function in SQLite and PostgreSQL.
    return session.scalar(
        select(func.min(Establishment.fase)).where(
            func.ltrim(Establishment.fase, "0") == fase.lstrip("0")
        )
    )


def canonical_fase(session: Session, text: str) -> str:
    """The directory's spelling when the number is known, else the number as typed."""
    return find_fase(session, text) or typed_fase(text)


def establishment_by_fase(session: Session, fase: str) -> Establishment:
    """The establishment numbered `fase`, in either spelling (see `find_fase`); raises
    NotFound."""
    known = find_fase(session, fase)
    establishment = (
        session.scalars(select(Establishment).where(Establishment.fase == known)).first()
        if known is not None
        else None
    )
    if establishment is None:
        fase = fase.strip()
        raise NotFound(
            "unknown_establishment",
            messages.UNKNOWN_ESTABLISHMENT.format(fase=fase),
            detail=f"no establishment with FASE {fase}",
        )
    return establishment
