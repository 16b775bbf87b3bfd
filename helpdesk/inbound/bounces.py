"""Delivery reports that reach the help address: recorded, never tickets.

A bounce of one of our e-mails is recorded on its outbox row (`access.mail.outbox.bounces`);
when that e-mail was about a ticket, agents also read in its history that the requester did
not receive it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from access.mail.outbox.bounces import find_sent, record_bounce
from helpdesk import messages, tickets
from helpdesk.errors import TicketNotFound
from helpdesk.inbound.parsing import InboundMail
from helpdesk.inbound.result import IngestResult
from helpdesk.mailing import KIND_PREFIX


def record_report(session: Session, mail: InboundMail, source_ref: str | None) -> IngestResult:
    report = mail.delivery
    if report is None:
        return IngestResult("ignored", reason="automatic message (report, not a bounce)")
    if not report.failures:
        return IngestResult("ignored", reason="automatic message (delivery report, no failure)")
    sent = find_sent(session, report.original_message_ids)
    if sent is None:
        return IngestResult("ignored", reason="automatic message (bounce of no message of ours)")
    failure = report.failures[0]
    number = sent.ref if sent.kind.startswith(f"{KIND_PREFIX}_") and sent.ref else None
    if not record_bounce(session, sent, failure):
        return IngestResult("duplicate", number=number, reason=f"outbox message {sent.id}")
    if number is not None:
        body = messages.MAIL_BOUNCED.format(
            recipient=failure.recipient,
            status=failure.status or "?",
            reason=failure.diagnostic or messages.MAIL_BOUNCED_NO_REASON,
        )
        try:
            tickets.system_note(
                session,
                number,
                "bounced",
                body,
                data={"outbox_id": sent.id, "status": failure.status},
                source_ref=source_ref,
            )
        except TicketNotFound:
            number = None
    return IngestResult("bounce", number=number, reason=f"outbox message {sent.id}")
