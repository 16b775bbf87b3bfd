"""Long e-mails: the ticket keeps what the web form would accept, the whole text stays apart.

The web form refuses a description over 10,000 characters; an e-mail cannot be refused that
way, so its copy in the ticket (and in the triage card, the history, the e-mails to the help
address) is cut to the same length with a note saying so, and the whole text is stored in
`ticket_full_texts` for agents (`extranet-bot tickets full-text NUMBER`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from access.clock import utcnow
from helpdesk import messages
from helpdesk.models import TicketFullText
from helpdesk.validation import MAX_LENGTHS

LIMIT = MAX_LENGTHS["description"]
# The cut moves back to the end of a line or a word when one is this close.
BOUNDARY_WINDOW = 500


def cut(text: str, limit: int = LIMIT) -> tuple[str, bool]:
    """`text` itself when it fits; else its beginning and the note, `limit` characters at most."""
    if len(text) <= limit:
        return text, False
    note = messages.TEXT_CUT.format(total=f"{len(text):,}".replace(",", "\u202f"))
    room = max(limit - len(note) - 2, 0)
    kept = text[:room]
    for separator in ("\n", " "):
        at = kept.rfind(separator, max(room - BOUNDARY_WINDOW, 0))
        if at > 0:
            kept = kept[:at]
            break
    return f"{kept.rstrip()}\n\n{note}", True


def keep(session: Session, ticket_id: int, text: str, *, event_id: int | None = None) -> None:
    session.add(
        TicketFullText(
            ticket_id=ticket_id, event_id=event_id, chars=len(text), body=text, created_at=utcnow()
        )
    )
