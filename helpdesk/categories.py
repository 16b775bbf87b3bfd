"""The category a ticket most likely belongs to, proposed from what the person wrote.

Read first in the subject, then in the FAQ answers the person was shown (their question
and id name the topic: « Je n'ai pas reçu l'e-mail d'invitation »), then in the description;
« Autre » only when none of them says. An agent changes it on the triage card if it is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from access.text import fold
from helpdesk.models import Category

# Patterns over folded text (lower case, no accents). An address to fix wins wherever it is
# named (its remedy, ProECO, differs from every other); otherwise the earliest mention wins.
_ADDRESS_TO_FIX = re.compile(
    r"adresse (?:e-?mail|mail|courriel|electronique)"
    r"|(?:e-?mail|adresse)s? (?:\w+ )?(?:errone|incorrect|fau(?:x|sse)|mauvais|erreur)"
    r"|mauvaise adresse|autre adresse|changer (?:d'|mon |l')?adresse|\bemail-"
)
_RULES: tuple[tuple[Category, re.Pattern[str]], ...] = (
    (Category.ACTIVATION, re.compile(r"\bactiv|lien (?:d'activation )?(?:a )?expire")),
    (Category.INVITATION, re.compile(r"\binvit|\brenvo[iy]")),
    (
        Category.PASSWORD,
        re.compile(
            r"mot[- ]de[- ]passe|\bmdp\b|password|\bbloque|verrouill|identifiant"
            r"|nom d'utilisateur|\blogin\b|\bconnect|\bconnexion"
        ),
    ),
    (
        Category.ACCESS,
        re.compile(
            r"\bacces\b|\bdroits?\b|ressource|rubrique|\bfonction|\bequipe\b"
            r"|\bdirect(?:ion|eur|rice)|\bmission|gestion des"
        ),
    ),
)


def category_in(text: str) -> Category | None:
    """The category `text` speaks of, or None."""
    folded = fold(text)
    if _ADDRESS_TO_FIX.search(folded):
        return Category.EMAIL
    found = [
        (match.start(), order, category)
        for order, (category, pattern) in enumerate(_RULES)
        if (match := pattern.search(folded)) is not None
    ]
    return min(found)[2] if found else None


def propose_category(subject: str, *, faq_topics: Sequence[str] = (), description: str = "") -> str:
    """The proposed category's value. `faq_topics`: for each FAQ answer shown, most relevant
    first, its id and question (« acces-invitation-non-recue Je n'ai pas reçu… »)."""
    for text in _in_order(subject, faq_topics, description):
        category = category_in(text)
        if category is not None:
            return category.value
    return Category.OTHER.value


def _in_order(subject: str, faq_topics: Iterable[str], description: str) -> Iterable[str]:
    yield subject
    yield from faq_topics
    # The first lines say what the problem is; the rest is often a copied error or history.
    yield description[:500]
