"""The part of a long message that carries its request.

People rarely open with their question: « Bonjour, je suis secrétaire depuis septembre,
la directrice a envoyé les invitations lundi… Comment je fais pour activer mon compte ? ».
The story around the request names other things (the holidays, a colleague, the mail), and
one of its words can pull the matcher to another entry. The request is the sentence that
asks: one ending with « ? », or one with an interrogative or a wish (« comment »,
« je voudrais », « on fait comment », « pouvez-vous »); failing that, the last sentence that
says something. The matcher weighs its words fully and the story's less, so the context
still decides between two close topics without outweighing the request.
"""

from __future__ import annotations

import re

from faq.normalize import MAX_QUESTION_CHARS, fold

# A message shorter than this (in words as typed) is all request.
MIN_WORDS = 14
# « Que faire ? », « Une idée ? »: a request this short leans on the sentence before it.
MIN_REQUEST_WORDS = 5

_SENTENCE_END = re.compile(r"(?<=[.!?…;])\s+|\n+|\s+(?=(?:[-–•]\s))")
# Asking or wishing, in folded text (no accents, elisions dropped).
_ASKING = re.compile(
    r"\b(?:comment|pourquoi|pq|pk|combien|quel|quelle|quels|quelles|que faire|quoi faire|"
    r"je fais quoi|on fait quoi|fais quoi|faire quoi|quelle est|est ce que|est ce qu|"
    r"est il|est elle|faut il|dois je|doit on|dois faire|puis je|peut on|peux je|pouvez vous|"
    r"pourriez vous|pourrais je|pourrait on|peut il|peut elle|voudrais|souhaite|souhaiterais|"
    r"aimerais|ou trouver|ou est|ou se trouve|a qui|qui peut|qui dois|qui contacter|"
    r"une idee|savez vous|sauriez vous|y a t il|il y a moyen|moyen de|merci de me|"
    r"besoin de savoir|je cherche|aidez moi|help|"
    # A request put as an order or a wish: « dites-moi ce que je dois inclure ».
    r"dites moi|dites nous|expliquez moi|expliquez nous|indiquez moi|indiquez nous|"
    r"precisez moi|conseillez moi|ce que je dois|ce qu il faut|je me demande|"
    r"voudrais savoir|aimerais savoir)\b"
)


# « Comment faire rectifier cela ? »: a request pointing back at the story is about all of it.
_POINTING_BACK = re.compile(r"\b(?:cela|ceci|ca|ce probleme|ce souci|cette erreur|y remedier)\b")


def sentences(text: str) -> list[str]:
    """The message cut into sentences (and list items), blanks dropped."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _asks(sentence: str, folded: str) -> bool:
    return sentence.rstrip().endswith("?") or _ASKING.search(folded) is not None


def request_span(text: str, before: int = 0) -> str | None:
    """The sentences that carry the request, or None when the whole message does.

    None for a short message or a single sentence: there is no story to weigh less.
    `before`: how many sentences before each asking one to take with it (the caller widens
    the span when the request alone names too little: « Comment en avoir un nouveau ? »).
    """
    spans = request_spans(text, before)
    return spans[before] if spans else None


def request_spans(text: str, widest: int) -> list[str | None]:
    """`request_span(text, before)` for every `before` up to `widest`, the message read once
    (an empty list when the whole message asks)."""
    # The matcher reads no further (faq.normalize).
    text = text[:MAX_QUESTION_CHARS]
    if len(text.split()) < MIN_WORDS:
        return []
    parts = sentences(text)
    if len(parts) < 2:
        return []
    folded = [fold(part) for part in parts]
    asking = [i for i, part in enumerate(parts) if _asks(part, folded[i])]
    if not asking:
        # No sentence asks: the last one that says something is the request.
        substantial = [i for i, part in enumerate(parts) if len(part.split()) >= 3]
        asking = substantial[-1:] or [len(parts) - 1]
    if any(_POINTING_BACK.search(folded[i]) for i in asking):
        return []
    spans: list[str | None] = []
    for before in range(widest + 1):
        chosen = set(asking)
        for index in asking:
            # A short request (« Que faire ? ») says its subject in the sentence before it.
            reach = max(before, 1 if len(parts[index].split()) < MIN_REQUEST_WORDS else 0)
            chosen.update(range(max(0, index - reach), index))
        spans.append(
            None if len(chosen) == len(parts) else " ".join(parts[i] for i in sorted(chosen))
        )
    return spans
