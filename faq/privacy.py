"""Personal data out of the questions the FAQ keeps: e-mail and postal addresses, phone
numbers and people's names.

What people type to a helpdesk is full of it (« ma collègue Mme Janssens, joignable au
0471… »). The usage log and the phrasings proposed to the base keep the question, never who
it was about: each of these becomes a placeholder. Names are found by what surrounds them
(a title, « je m'appelle »), by the names the caller knows (the requester's), and by a
capital letter inside a sentence on a word that is neither in the base's vocabulary nor a
product's name. A person's name typed in lower case without a title can slip through: the
agent reviewing a proposed phrasing sees it before it reaches the base.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from faq.normalize import fold

EMAIL = "[e-mail]"
PHONE = "[téléphone]"
NAME = "[nom]"
ADDRESS = "[adresse]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:\+|\b0)\d(?:[\s./-]?\d){7,}")
# A national register or bank number: long runs of digits, whatever the separators.
_LONG_NUMBER = re.compile(r"\b\d(?:[\s./-]?\d){10,}\b")
_STREET = re.compile(
    r"\b(?:rue|avenue|av\.|chaussée|boulevard|bd|place|chemin|allée|drève|quai|square|"
    r"impasse|route|clos)\s+(?:(?:de|du|des|la|le|l'|d')\s*)*[\w'’-]+(?:\s+[\w'’-]+){0,3}?"
    r"[\s,]+\d{1,4}\w?\b",
    re.IGNORECASE,
)
_TITLE = re.compile(
    r"\b(M\.|MM\.|Mr|Mme|Mmes|Mlle|Melle|Me|Dr|Madame|Monsieur|Mademoiselle|madame|monsieur|"
    r"mademoiselle)\s+([A-ZÀ-Ý][\w'’-]+(?:\s+[A-ZÀ-Ý][\w'’-]+){0,2})"
)
_INTRODUCED = re.compile(
    r"\b((?i:je m'appelle|je m’appelle|mon nom est|mon nom c'est|ici|de la part de))\s+"
    r"([A-ZÀ-Ý][\w'’-]+(?:\s+[A-ZÀ-Ý][\w'’-]+){0,2})"
)
_CAPITALISED = re.compile(r"\b[A-ZÀ-Ý][a-zà-ÿ]+(?:[-'’][A-ZÀ-Ýa-zà-ÿ]+)*\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?…:\n«\"(]\s*)$")

# Products, places and words people capitalise that are not people.
_PRODUCTS = (
    "Extranet SeGEC ProECO FASE FAQ Slack Smartschool Teams Office Outlook Microsoft "
    "Google Gmail Hotmail Yahoo Skynet Proximus Telenet Voo Orange iCloud Apple Android "
    "Windows Mac iPad iPhone Chrome Safari Firefox Edge Word Excel PowerPoint OneDrive "
    "Classroom Moodle Zoom WhatsApp Facebook Instagram PDF Wallonie Bruxelles Belgique "
    "Fédération Communauté Ministère Pâques Noël Toussaint Carnaval Madame Monsieur "
    "Mademoiselle Bonjour Bonsoir Merci Cordialement Salut Direction Administration "
    "Gestion Connexion Paramètres Profil Accueil Ressources Documents Se Souvenir "
    "Lundi Mardi Mercredi Jeudi Vendredi Samedi Dimanche Janvier Février Mars Avril Mai "
    "Juin Juillet Août Septembre Octobre Novembre Décembre"
)
PRODUCT_NAMES = frozenset(fold(w) for w in _PRODUCTS.split(" "))


def scrub(text: str, *, known_words: Iterable[str] = (), names: Iterable[str] = ()) -> str:
    """The text with addresses, phone numbers and names replaced by placeholders.

    `known_words`: folded words that are not names even with a capital (the base's
    vocabulary); `names`: names known to be people's (the requester's first and last name)."""
    text = _EMAIL.sub(EMAIL, text)
    text = _PHONE.sub(PHONE, text)
    text = _LONG_NUMBER.sub(PHONE, text)
    text = _STREET.sub(ADDRESS, text)
    for name in sorted({n.strip() for n in names if len(n.strip()) >= 2}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", NAME, text, flags=re.IGNORECASE)
    text = _TITLE.sub(lambda m: f"{m.group(1)} {NAME}", text)
    text = _INTRODUCED.sub(lambda m: f"{m.group(1)} {NAME}", text)
    known = PRODUCT_NAMES | frozenset(known_words)
    text = _capitalised_names(text, known)
    return re.sub(r"[ \t]{2,}", " ", text).replace(f"{NAME} {NAME}", NAME).strip()


def _capitalised_names(text: str, known: frozenset[str]) -> str:
    """A capitalised word inside a sentence that the base does not know is taken for a name."""

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        if _SENTENCE_START.search(text[: match.start()]) or fold(word) in known:
            return word
        return NAME

    return _CAPITALISED.sub(replace, text)
