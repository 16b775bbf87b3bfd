"""Reply addresses that prove a reply comes from the requester's mailbox.

Every e-mail to the requester answers to `help.extranet+T-2026-00042.<key>@segec.be`: the help
address with a tag (plus addressing, RFC 5233). The key is 128 random bits, new for each
e-mail, stored only as its SHA-256 (like the access module's tokens): a message sent to that
address was written by someone who received the e-mail. Ticket numbers are sequential and
easy to guess; keys are not. The number in the tag is only for people reading the address.

Keys are lower-case base32: some mail systems change the case of local parts.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.clock import utcnow
from helpdesk.models import Ticket, TicketReplyKey
from helpdesk.numbering import find_number

KEY_BYTES = 16
# RFC 5321: a local part holds at most 64 characters; past that the tag keeps only the key.
MAX_LOCAL_PART = 64


@dataclass(frozen=True)
class Tag:
    """What follows the `+` of a reply address: the ticket number people read, and the key."""

    number: str | None
    key: str


def new_key() -> str:
    return base64.b32encode(secrets.token_bytes(KEY_BYTES)).decode("ascii").rstrip("=").lower()


def hash_key(key: str) -> str:
    return hashlib.sha256(key.strip().lower().encode("utf-8")).hexdigest()


def reply_address(helpdesk_email: str, number: str, key: str) -> str:
    local, _, domain = helpdesk_email.strip().rpartition("@")
    tag = f"{number}.{key}"
    if len(local) + 1 + len(tag) > MAX_LOCAL_PART:
        tag = key
    return f"{local}+{tag}@{domain}"


def issue(session: Session, helpdesk_email: str, ticket: Ticket) -> str:
    """A new reply address for one e-mail about `ticket`; its key is stored hashed."""
    key = new_key()
    session.add(TicketReplyKey(ticket_id=ticket.id, key_hash=hash_key(key), created_at=utcnow()))
    return reply_address(helpdesk_email, ticket.number, key)


def tags_in(helpdesk_email: str, addresses: Iterable[str]) -> list[Tag]:
    """The tags of the addresses that are the help address with a `+tag`."""
    local, _, domain = helpdesk_email.strip().casefold().rpartition("@")
    prefix = f"{local}+"
    tags: list[Tag] = []
    for address in addresses:
        their_local, _, their_domain = address.strip().casefold().rpartition("@")
        if their_domain != domain or not their_local.startswith(prefix):
            continue
        tag = their_local[len(prefix) :]
        number_part, dot, key = tag.rpartition(".")
        if not key or len(key) > 64:
            continue
        tags.append(Tag(find_number(number_part) if dot else None, key))
    return tags


def ticket_for_key(session: Session, key: str) -> Ticket | None:
    query = (
        sa.select(Ticket)
        .join(TicketReplyKey, TicketReplyKey.ticket_id == Ticket.id)
        .where(TicketReplyKey.key_hash == hash_key(key))
    )
    return session.scalars(query).first()
