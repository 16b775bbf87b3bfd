"""Whether a message may join the ticket it names.

Anyone can write `From: <requester>` and `[T-2026-00001]` in a subject; numbers follow each
other. A message joins a ticket only when it comes from the requester's address (From) and
proves it too:
- it was sent to a reply address of that ticket (`helpdesk.reply_keys`), which only the
  mailbox that received our e-mail knows; or
- (opt-in, `dmarc_authserv_id`) the receiving MTA's own `Authentication-Results` header says
  DMARC passed for the From domain: the domain's owner vouches for the From.

Anything else becomes a new ticket, and the doubt is written on it for the agent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from access.emails import same_address
from helpdesk import reply_keys
from helpdesk.errors import TicketNotFound
from helpdesk.inbound.parsing import InboundMail
from helpdesk.models import Ticket
from helpdesk.numbering import find_number
from helpdesk.tickets import get_ticket

# Why a message naming a ticket did not join it (the codes on the agent's note).
NO_KEY = "no_key"
OTHER_SENDER = "other_sender"
UNKNOWN_TICKET = "unknown_ticket"

_COMMENT = re.compile(r"\([^()]*\)")
# A real Authentication-Results header is a few hundred characters; a longer one fails closed.
MAX_RESULTS_HEADER = 4000


@dataclass(frozen=True)
class Verdict:
    """`ticket` set: the message joins it (`proof` says how). Otherwise `cited` is the number
    the message named, if any, and `doubt` why it could not join."""

    ticket: Ticket | None = None
    proof: str | None = None
    cited: str | None = None
    doubt: str | None = None


def is_requester(ticket: Ticket, mail: InboundMail) -> bool:
    if not mail.single_sender:
        return False
    return same_address(mail.from_address, ticket.contact_email) or same_address(
        mail.from_address, ticket.reply_email
    )


def dmarc_passed(mail: InboundMail, authserv_id: str) -> bool:
    """The first `Authentication-Results` of our own MTA (`authserv_id`, RFC 8601) says
    `dmarc=pass` for the domain of From. A header naming another server proves nothing:
    anyone can write one; the MTA must remove those that claim its name (RFC 8601, 5)."""
    wanted = authserv_id.strip().casefold()
    if not wanted or not mail.from_domain:
        return False
    for value in mail.authentication_results:
        if len(value) > MAX_RESULTS_HEADER:
            return False
        text = value
        while _COMMENT.search(text):
            text = _COMMENT.sub(" ", text)
        server, *results = text.split(";")
        words = server.split()
        if not words or words[0].casefold() != wanted:
            continue
        for result in results:
            tokens = result.split()
            if not tokens:
                continue
            method, _, outcome = tokens[0].casefold().partition("=")
            if method != "dmarc":
                continue
            properties = dict(token.casefold().partition("=")[::2] for token in tokens[1:])
            domain = properties.get("header.from", "").strip('"')
            return outcome == "pass" and domain == mail.from_domain
        return False
    return False


def verify(
    session: Session, helpdesk_email: str, mail: InboundMail, *, dmarc_authserv_id: str | None
) -> Verdict:
    tags = reply_keys.tags_in(helpdesk_email, mail.recipients)
    for tag in tags:
        ticket = reply_keys.ticket_for_key(session, tag.key)
        if ticket is None or (tag.number is not None and tag.number != ticket.number):
            continue
        if is_requester(ticket, mail):
            return Verdict(ticket=ticket, proof="reply_key")
        return Verdict(cited=ticket.number, doubt=OTHER_SENDER)
    cited = find_number(mail.subject) or next((t.number for t in tags if t.number), None)
    if cited is None:
        return Verdict()
    try:
        ticket = get_ticket(session, cited)
    except TicketNotFound:
        return Verdict(cited=cited, doubt=UNKNOWN_TICKET)
    if not is_requester(ticket, mail):
        return Verdict(cited=cited, doubt=OTHER_SENDER)
    if dmarc_authserv_id and dmarc_passed(mail, dmarc_authserv_id):
        return Verdict(ticket=ticket, proof="dmarc")
    return Verdict(cited=cited, doubt=NO_KEY)
