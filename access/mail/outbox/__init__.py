"""The durable mail outbox and its delivery worker.

Every e-mail is written to `outbox_messages` by `enqueue`, in the transaction of the change
that causes it: if that change rolls back, no mail leaves; if it commits, the mail survives
crashes and SMTP outages until a worker delivers it.

Delivery (`deliver_due`, `run_worker`):

- A worker claims due messages atomically: one UPDATE sets them `sending`, stamped with the
  worker's id and the time (PostgreSQL picks the rows with `FOR UPDATE SKIP LOCKED`, so
  concurrent workers never wait for nor take each other's rows; SQLite serializes writers
  with BEGIN IMMEDIATE, see access.persistence.database). The claim counts as an attempt.
- `outbox_concurrency` SMTP connections send in parallel, each reused for many messages.
- A 4xx answer or a connection problem is temporary: the message goes back to `pending`
  with exponential backoff and jitter, until `outbox_max_attempts`; a 5xx answer is
  permanent. Either way the reason is kept (`last_error`) and shown to the director.
- Results are written back in one transaction every `RECORD_EVERY_SECONDS` at most.

Delivery is at-least-once. A worker killed between the SMTP server's "250 OK" and the write
of `sent` leaves its claim behind; after `outbox_claim_timeout_seconds` another worker takes
the message again and sends it a second time. Those are the only duplicates possible: at
most the messages in flight at the moment of the crash and those accepted in the last
`RECORD_EVERY_SECONDS` (a few dozen on a fast relay), and they carry the same Message-ID,
so receiving systems can recognise them. The other choice, at-most-once (mark `sent` before
sending), would silently lose those messages instead; an invitation that never arrives is
worse than one that arrives twice.

A message's bytes are deleted once it is sent or has failed for good, in the transaction
that records it: an invitation carries its activation link in clear, and the database keeps
only the token's hash (access.accounts.tokens); the row itself (recipient, status, reason) stays for
the team list.

`MAIL_BACKEND=file` writes each message as `<Message-ID>.eml` into MAIL_DIR instead (a
redelivery rewrites the same file).
"""

from access.mail.outbox.enqueue import Sealed, enqueue, enqueue_many, seal
from access.mail.outbox.models import OutboxBody, OutboxMessage, OutboxStatus
from access.mail.outbox.store import (
    BYTES_LOST,
    Claimed,
    DeliveryReport,
    Outcome,
    backoff,
    claim,
    has_due,
    new_worker_id,
    record,
)
from access.mail.outbox.worker import deliver_due, deliver_due_async, new_senders, run_worker

__all__ = [
    "BYTES_LOST",
    "Claimed",
    "DeliveryReport",
    "OutboxBody",
    "OutboxMessage",
    "OutboxStatus",
    "Outcome",
    "Sealed",
    "backoff",
    "claim",
    "deliver_due",
    "deliver_due_async",
    "enqueue",
    "enqueue_many",
    "has_due",
    "new_senders",
    "new_worker_id",
    "record",
    "run_worker",
    "seal",
]
