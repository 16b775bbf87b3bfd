"""Benchmark of the ticket domain (not in the default test run).

    pytest tests/bench/bench_tickets.py -s          (SQLite; PostgreSQL too with TEST_POSTGRES_URL)

Opens tickets one after another, then from 8 threads at once (the number counter row is the
point of contention), then measures the 30-day stats over what was opened, and the parsing
and ingest of the real-world e-mails of tests/tickets/mail. Prints figures, asserts only
that numbering stayed gap-free.
"""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

from access.persistence.database import Database
from bot.settings import Settings
from helpdesk import tickets
from helpdesk.actors import Requester
from helpdesk.inbound import ingest, parse_mail
from helpdesk.stats import stats
from tests.tickets.conftest import make_form

SEQUENTIAL = 500
THREADS = 8
PER_THREAD = 100
MAIL = Path(__file__).resolve().parent.parent / "tickets" / "mail"


def _open(db: Database, settings: Settings, key: str | None = None) -> str:
    with db.transaction() as session:
        return tickets.open_ticket(
            session,
            settings,
            make_form(),
            source="slack",
            requester=Requester(slack_user_id="UBENCH"),
            idempotency_key=key,
            triage_enabled=True,
        ).ticket.number


def test_bench_ticket_domain(db: Database, settings: Settings) -> None:
    kind = "sqlite" if db.is_sqlite else "postgresql"
    latencies = []
    started = time.perf_counter()
    for _ in range(SEQUENTIAL):
        t0 = time.perf_counter()
        _open(db, settings)
        latencies.append((time.perf_counter() - t0) * 1000)
    sequential = time.perf_counter() - started
    latencies.sort()
    print(
        f"\n[{kind}] open_ticket sequential: {SEQUENTIAL} in {sequential:.2f} s "
        f"({SEQUENTIAL / sequential:.0f}/s), p50 {statistics.median(latencies):.1f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.1f} ms"
    )

    numbers: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        for n in range(PER_THREAD):
            number = _open(db, settings, key=f"bench:{index}:{n}")
            with lock:
                numbers.append(number)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    concurrent = time.perf_counter() - started
    total = THREADS * PER_THREAD
    print(
        f"[{kind}] open_ticket {THREADS} threads: {total} in {concurrent:.2f} s "
        f"({total / concurrent:.0f}/s)"
    )
    sequences = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequences == list(range(SEQUENTIAL + 1, SEQUENTIAL + total + 1))

    with db.session() as session:
        t0 = time.perf_counter()
        stats(session)
        elapsed = (time.perf_counter() - t0) * 1000
        print(f"[{kind}] stats over {SEQUENTIAL + total} tickets: {elapsed:.1f} ms")

    messages = [p.read_bytes() for p in sorted(MAIL.glob("*.eml"))]
    t0 = time.perf_counter()
    for _ in range(50):
        for raw in messages:
            parse_mail(raw)
    per_parse = (time.perf_counter() - t0) * 1000 / (50 * len(messages))
    t0 = time.perf_counter()
    for raw in messages:
        with db.transaction() as session:
            ingest(session, settings, raw, triage_enabled=True)
    per_ingest = (time.perf_counter() - t0) * 1000 / len(messages)
    print(f"[{kind}] e-mail: parse {per_parse:.2f} ms/message, ingest {per_ingest:.1f} ms/message")
