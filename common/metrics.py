"""What happened, counted for operators (Prometheus).

The counters live in the process that did the work (the web, the worker, the scheduler);
with `PROMETHEUS_MULTIPROC_DIR` set for every process of a machine, the one serving
`/metrics` adds them all up (prometheus-client's multi-process mode). What is a state rather
than an event (the outbox's backlog, open tickets, the last run of each job) is read from
the database when scraped: see `bot/web/metrics.py`. A gauge kept here would need its
`multiprocess_mode` (`livesum`, `max`...), or each process would report its own value.
docs/operations.md lists the metrics and the multi-process setup.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable

from prometheus_client import Counter, Histogram, disable_created_metrics, multiprocess, values
from sqlalchemy import event
from sqlalchemy.orm import Session

PREFIX = "extranet"


def _multiproc_dir() -> str:
    """The folder of multi-process mode, or "" when the variable is unset or empty."""
    names = ("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir")  # the second: deprecated
    empty = [name for name in names if name in os.environ and not os.environ[name].strip()]
    if empty:
        # prometheus-client takes the variable's mere presence for multi-process mode and
        # would write its files into the working directory: empty is unset.
        for name in empty:
            del os.environ[name]
        # It chose when it was imported; no metric exists yet to have used that choice.
        values.ValueClass = values.get_value_class()
    return next((os.environ[name] for name in names if name in os.environ), "")


MULTIPROC_DIR = _multiproc_dir()
if MULTIPROC_DIR:
    # Each metric below opens its file there at once: a folder emptied by removing it would
    # otherwise stop every command (even `--help`) with a traceback.
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

    @atexit.register
    def _mark_process_dead() -> None:
        # An ended process's counters stay in the sum; only its `live*` gauges must go.
        multiprocess.mark_process_dead(os.getpid(), MULTIPROC_DIR)


# A `_created` sample per counter doubles the exposition and no dashboard of ours reads it.
disable_created_metrics()

MAIL_DELIVERIES = Counter(
    f"{PREFIX}_mail_deliveries",
    "Messages handed to the relay (or the mail folder), by result.",
    ["result"],  # sent, retried, failed, released
)
MAIL_FAILURES = Counter(
    f"{PREFIX}_mail_delivery_failures",
    "Attempts the relay did not accept, by class of reason.",
    ["reason"],  # refused (5xx), temporary (4xx, connection), relay_login (a setting to fix)
)
INVITATIONS_SENT = Counter(
    f"{PREFIX}_invitations_sent", "Invitation e-mails put in the outbox (first sends and resends)."
)
ACTIVATIONS = Counter(f"{PREFIX}_activations", "Accounts activated from an invitation.")
SIGN_INS = Counter(
    f"{PREFIX}_sign_ins",
    "Sign-in attempts on the web pages, by outcome.",
    ["outcome"],  # ok, failed, blocked
)
LOCKOUTS = Counter(f"{PREFIX}_sign_in_lockouts", "Addresses blocked after too many failures.")
FAQ_QUESTIONS = Counter(
    f"{PREFIX}_faq_questions",
    "Questions asked to the FAQ, by what it did.",
    ["result"],  # answered, suggested, abstained
)
FAQ_FEEDBACK = Counter(
    f"{PREFIX}_faq_feedback",
    "What people did after an answer.",
    ["outcome"],  # helpful, not_helpful, ticket_opened
)
TICKETS_OPENED = Counter(
    f"{PREFIX}_tickets_opened", "Helpdesk tickets opened, by where they came from.", ["source"]
)
TICKET_FIRST_RESPONSE = Histogram(
    f"{PREFIX}_ticket_first_response_seconds",
    "Time from a ticket's opening to the first reply of an agent.",
    buckets=(300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800),
)


def faq_result(entry_id: str | None, suggestions: int) -> str:
    if entry_id is not None:
        return "answered"
    return "suggested" if suggestions else "abstained"


_PENDING = "metrics.on_commit"


def on_commit(session: Session, count: Callable[[], None]) -> None:
    """Count once the caller's transaction commits: a rolled-back event is no event."""
    session.info.setdefault(_PENDING, []).append(count)


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for count in session.info.pop(_PENDING, []):
        count()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)
