"""Establishments, found by their FASE number (text, leading zeros significant)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from access import messages
from access.directory.models import Establishment
from access.errors import NotFound


def establishment_by_fase(session: Session, fase: str) -> Establishment:
    """The establishment numbered `fase` (surrounding spaces ignored); raises NotFound."""
    fase = fase.strip()
    establishment = session.scalars(select(Establishment).where(Establishment.fase == fase)).first()
    if establishment is None:
        raise NotFound(
            "unknown_establishment",
            messages.UNKNOWN_ESTABLISHMENT.format(fase=fase),
            detail=f"no establishment with FASE {fase}",
        )
    return establishment
