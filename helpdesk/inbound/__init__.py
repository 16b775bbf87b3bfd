"""Inbound e-mail to tickets: a new message opens a ticket, a reply joins its ticket.

Messages are RFC 5322 bytes (a Maildir file or standard input), at most
`InboundOptions.max_bytes`. A reply joins its ticket when it comes from the requester and
was sent to the reply address of one of our e-mails (or, opted in, DMARC vouches for its
From); the Message-ID makes ingesting the same message twice harmless. Automatic messages
open nothing; bounces are recorded against the e-mail they concern. Quoted history is cut
from replies so the ticket thread reads cleanly; very long texts are cut to the web form's
length and kept whole apart.

    parsing      the bytes read: author, addresses, text, automatic or not
    automatic    the signs that no person wrote a message (RFC 3834)
    senders      whether a message may join the ticket it names
    bounces      delivery reports recorded on the outbox
    full_texts   long texts cut, and kept whole
    service      `ingest`: one message in the caller's transaction
    maildir      a Maildir's unseen messages, marked seen or quarantined
"""

from helpdesk.inbound.parsing import (
    InboundMail,
    html_to_text,
    identification_from_text,
    message_ref,
    parse_mail,
    strip_quoted,
)
from helpdesk.inbound.result import IngestResult
from helpdesk.inbound.service import DEFAULT_MAX_BYTES, InboundOptions, ingest

__all__ = [
    "DEFAULT_MAX_BYTES",
    "InboundMail",
    "InboundOptions",
    "IngestResult",
    "html_to_text",
    "identification_from_text",
    "ingest",
    "message_ref",
    "parse_mail",
    "strip_quoted",
]
