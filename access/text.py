"""Comparing human-typed labels: header names, function names, searched names.

Exports come from Excel on Belgian Windows machines and people type names with or without
accents, so comparisons ignore case, accents, spaces and punctuation.
"""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case without accents: « Éducatrice » and « EDUCATRICE » fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def compact_key(text: str) -> str:
    """Letters and digits only, folded: « N° FASE », « n_fase » and « NFase » are one key."""
    return _NON_ALNUM.sub("", fold(text))


def slug(text: str) -> str:
    """A readable code: « Secrétaire de direction » -> « secretaire_de_direction »."""
    return _NON_ALNUM.sub("_", fold(text)).strip("_")
