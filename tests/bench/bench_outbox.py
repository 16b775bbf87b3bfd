"""Benchmark: 1,000 invitations from the send call to the SMTP server's inbox, through the
outbox and a worker process, against the raw ceiling (the same 1,000 messages sent straight
with aiosmtplib over 4 reused connections); then again with the server adding 20 ms to every
answer, as a distant relay does.

The SMTP server runs in its own process (like a relay). Each round invites a new school: a
fresh worker, `python -m bot worker` as the Procfile runs it, is started and idle before the
clock starts. Then the worker alone: another school's invitations are written while the
worker is stopped (SIGSTOP), and the clock starts when it resumes; the gap between the two
figures is what the send call's own work costs the delivery on a machine whose cores it
shares. Then the raw ceiling sends that second school's messages, read before the worker
resumed (it deletes a message's bytes once sent). The median of the rounds is reported.

    TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        pytest tests/bench/bench_outbox.py -s
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosmtplib
import psutil
import pytest
import sqlalchemy as sa

from access.directory.models import Account, AccountStatus, Assignment, Person
from access.invitations import service as invitations
from access.mail import templates as mail
from access.mail.outbox import OutboxBody, OutboxMessage
from access.persistence.database import Database
from bot.settings import Settings
from common import collector
from tests import people
from tests.conftest import REPO_ROOT, free_port
from tests.smtp_server import serve_counting

COUNT = 1000
CONNECTIONS = 4
FASE = "4242"


class Relay:
    """The SMTP server in a child process; counts arrivals and the time of the last one."""

    def __init__(self, delay: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self.counter: Any = context.Value("i", 0)
        self.last: Any = context.Value("d", 0.0)
        ready, self.stop = context.Event(), context.Event()
        self.process = context.Process(
            target=serve_counting,
            args=(self.port, delay, self.counter, self.last, ready, self.stop),
            daemon=True,
        )
        self.process.start()
        assert ready.wait(30), "SMTP server did not start"

    def reset(self) -> None:
        with self.counter.get_lock():
            self.counter.value = 0
            self.last.value = 0.0

    def wait_for(self, count: int, timeout: float = 600) -> float:
        deadline = time.monotonic() + timeout
        while self.counter.value < count:
            assert time.monotonic() < deadline, f"only {self.counter.value} of {count} arrived"
            time.sleep(0.005)
        return float(self.last.value)

    def close(self) -> None:
        self.stop.set()
        self.process.join(10)


class Timeline:
    """How many messages had arrived, sampled every 0.1 s after `started` (about 20 shown):
    shows where delivery waits (the start, the send call, the tail)."""

    def __init__(self, relay: Relay, started: float) -> None:
        self.samples: list[tuple[float, int]] = []
        self._relay, self._started, self._halt = relay, started, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._halt.wait(0.1):
            self.samples.append((time.time() - self._started, self._relay.counter.value))

    def stop(self) -> str:
        self._halt.set()
        self._thread.join()
        step = max(1, len(self.samples) // 20)
        return " ".join(f"{at:.1f}s:{count}" for at, count in self.samples[::step])


def populate(db: Database, fase: str) -> int:
    """A school `fase`, its director (active) and COUNT teachers to invite; the director's id."""
    with db.transaction() as session:
        school = people.establishment(session, fase, "Collège Saint-Benoît")
        people.function(session, "DIR")
        people.function(session, "ENS")
        # One INSERT for all COUNT people: built one by one they would slow the setup down.
        rows = [
            {
                "matricule": f"B{fase}-{n:05d}",
                "last_name": f"Nom{n:04d}",
                "first_name": "Prénom",
                "proeco_email": f"personne{n}.{fase}@ecole.example.org",
                "proeco_email_valid": True,
            }
            for n in range(COUNT + 1)
        ]
        ids = session.scalars(
            sa.insert(Person).returning(Person.id, sort_by_parameter_order=True), rows
        ).all()
        session.execute(
            sa.insert(Assignment),
            [
                {
                    "person_id": pid,
                    "establishment_id": school.id,
                    "function_code": "DIR" if n == 0 else "ENS",
                }
                for n, pid in enumerate(ids)
            ],
        )
        session.add(
            Account(
                person_id=ids[0],
                reference_email=rows[0]["proeco_email"],
                status=AccountStatus.ACTIVE.value,
            )
        )
        return ids[0]


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as stderr:
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    deadline = time.monotonic() + 60
    while b"started" not in log.read_bytes():
        assert worker.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "worker did not start"
        time.sleep(0.05)
    # "started" is logged before its first poll, which still compiles its statements and
    # opens its database connection: the clock starts once it is idle (only polling, under a
    # tenth of a core at this poll interval).
    while True:
        before = cpu_seconds(worker.pid)
        time.sleep(0.5)
        if cpu_seconds(worker.pid) - before < 0.05:
            return worker
        assert time.monotonic() < deadline, "worker did not settle"


async def send_raw(port: int, messages: list[tuple[str, list[str], bytes]]) -> None:
    pending = list(reversed(messages))

    async def connection() -> None:
        client = aiosmtplib.SMTP(
            hostname="127.0.0.1", port=port, start_tls=False, local_hostname="localhost"
        )
        await client.connect()
        while pending:
            mail_from, recipients, raw = pending.pop()
            await client.sendmail(mail_from, recipients, raw)
        await client.quit()

    await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def database_cpu_seconds() -> float:
    """CPU time of the local PostgreSQL server's processes (0 for SQLite, which has none):
    it shares the two cores with the rest. A backend that exits meanwhile takes its share
    with it; the worker's and this process's connections live through a round."""
    total = 0.0
    for process in psutil.process_iter(["name"]):
        if process.info["name"] == "postgres":
            with contextlib.suppress(psutil.Error):
                total += cpu_seconds(process.pid)
    return total


@dataclass
class Round:
    through_outbox: float
    enqueued: float
    delivered_meanwhile: int
    raw: float
    cpu: dict[str, float]
    arrivals: str
    # Delivery alone: the worker resumed with another school's 1,000 messages waiting.
    worker_alone: float
    worker_alone_cpu: dict[str, float]

    @property
    def ratio(self) -> float:
        return self.raw / self.through_outbox


def outbox_round(
    db: Database,
    settings: Settings,
    env: dict[str, str],
    relay: Relay,
    fase: str,
    log: Path,
    *,
    worker_alone: bool = False,
) -> tuple[float, float, int, dict[str, float], str, list[tuple[str, list[str], bytes]]]:
    """One school's invitations through the outbox and a fresh, idle worker.

    `worker_alone`: the worker is stopped (SIGSTOP) during the send call and the clock starts
    when it resumes with the 1,000 messages waiting: delivery alone, without the send call
    competing for the two cores. Only then are the messages returned (for the raw round)."""
    director = populate(db, fase)
    worker = start_worker(env, log)
    try:
        relay.reset()
        if worker_alone:
            worker.send_signal(signal.SIGSTOP)
        cpu_before = (
            time.process_time(),
            cpu_seconds(worker.pid),
            cpu_seconds(relay.process.pid),
            database_cpu_seconds(),
        )
        started = time.time()
        timeline = None if worker_alone else Timeline(relay, started)
        report = invitations.send_invitations(
            db,
            settings,
            actor_person_id=director,
            fase=fase,
            mode="new",
            idempotency_key=uuid.uuid4().hex,
        )
        enqueued = time.time() - started
        delivered_meanwhile = relay.counter.value
        assert len(report.sent) == COUNT
        sent_ids = [outcome.person_id for outcome in report.sent]
        messages = []
        if worker_alone:
            # Read before the worker resumes: it deletes a message's bytes once it is sent.
            with db.session() as session:
                rows = session.execute(
                    sa.select(OutboxMessage.mail_from, OutboxMessage.recipients, OutboxBody.raw)
                    .join(OutboxBody, OutboxBody.outbox_id == OutboxMessage.id)
                    .where(OutboxMessage.person_id.in_(sent_ids))
                ).all()
            messages = [(r.mail_from, list(r.recipients), bytes(r.raw)) for r in rows]
            assert len(messages) == COUNT
            cpu_before = (time.process_time(), *cpu_before[1:3], database_cpu_seconds())
            started = time.time()
            timeline = Timeline(relay, started)
            worker.send_signal(signal.SIGCONT)
        through_outbox = relay.wait_for(COUNT) - started
        arrivals = timeline.stop()
        cpu_after = (
            time.process_time(),
            cpu_seconds(worker.pid),
            cpu_seconds(relay.process.pid),
            database_cpu_seconds(),
        )
    finally:
        worker.send_signal(signal.SIGCONT)
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
    with db.session() as session:
        delivered = session.scalars(
            sa.select(OutboxMessage.status).where(OutboxMessage.person_id.in_(sent_ids))
        ).all()
    assert len(delivered) == COUNT and set(delivered) == {"sent"}
    cpu = dict(
        zip(
            ("send call", "worker", "SMTP server", "database server"),
            (b - a for a, b in zip(cpu_before, cpu_after, strict=True)),
            strict=True,
        )
    )
    return through_outbox, enqueued, delivered_meanwhile, cpu, arrivals, messages


def raw_round(
    relay: Relay, messages: list[tuple[str, list[str], bytes]]
) -> tuple[float, dict[str, float]]:
    relay.reset()
    before = (time.process_time(), cpu_seconds(relay.process.pid))
    started = time.time()
    asyncio.run(send_raw(relay.port, messages))
    raw = relay.wait_for(COUNT) - started
    after = (time.process_time(), cpu_seconds(relay.process.pid))
    return raw, {"raw client": after[0] - before[0], "raw SMTP server": after[1] - before[1]}


# The machines this runs on are shared: their speed drifts from one second to the next.
# Rounds alternate outbox and raw runs on fresh schools, and the median is reported.
ROUNDS = {0.0: 5, 0.020: 1}


@pytest.mark.parametrize("delay", [0.0, 0.020], ids=["local", "relay-20ms"])
def test_invitations_through_outbox_vs_raw_smtp(
    db: Database, settings: Settings, cli_env: dict[str, str], tmp_path: Path, delay: float
) -> None:
    relay = Relay(delay)
    env = {
        **cli_env,
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(relay.port),
        "OUTBOX_CONCURRENCY": str(CONNECTIONS),
    }
    # The sending process is a running web process: it compiled its templates at startup,
    # then froze what startup built out of the garbage collector's walks (`serve`).
    mail.preload(settings)
    collector.freeze_startup_heap()
    rounds = []
    try:
        for number in range(ROUNDS[delay]):
            through_outbox, enqueued, meanwhile, cpu, arrivals, _ = outbox_round(
                db, settings, env, relay, f"{FASE}{number}", tmp_path / f"worker{number}.log"
            )
            alone, _, _, alone_cpu, _, messages = outbox_round(
                db,
                settings,
                env,
                relay,
                f"{FASE}{number}0",
                tmp_path / f"worker{number}-alone.log",
                worker_alone=True,
            )
            raw, raw_cpu = raw_round(relay, messages)
            rounds.append(
                Round(
                    through_outbox,
                    enqueued,
                    meanwhile,
                    raw,
                    {**cpu, **raw_cpu},
                    arrivals,
                    alone,
                    alone_cpu,
                )
            )
    finally:
        relay.close()
        gc.unfreeze()

    backend = db.engine.dialect.name
    print(f"\n[bench_outbox] {backend}, SMTP server delay {delay * 1000:.0f} ms")

    def cpu_line(cpu: dict[str, float]) -> str:
        return ", ".join(
            f"{name} {seconds:.2f}"
            for name, seconds in cpu.items()
            if backend == "postgresql" or name != "database server"
        )

    for number, r in enumerate(rounds, 1):
        cpu = cpu_line(r.cpu)
        print(
            f"  round {number}: outbox+worker {r.through_outbox:6.2f} s "
            f"({COUNT / r.through_outbox:4.0f} msg/s; send call returned after {r.enqueued:.2f} s "
            f"with {r.delivered_meanwhile} delivered) | raw aiosmtplib x{CONNECTIONS} "
            f"{r.raw:6.2f} s ({COUNT / r.raw:4.0f} msg/s) | ratio {r.ratio:4.2f}\n"
            f"    CPU s: {cpu}\n    arrived by: {r.arrivals}"
        )
        alone_cpu = {k: v for k, v in r.worker_alone_cpu.items() if k != "send call"}
        print(
            f"    worker alone, from a full outbox: {r.worker_alone:.2f} s "
            f"(ratio {r.raw / r.worker_alone:4.2f}); CPU s: {cpu_line(alone_cpu)}"
        )
    print(
        f"  median of {len(rounds)}: outbox+worker "
        f"{statistics.median(r.through_outbox for r in rounds):.2f} s, raw "
        f"{statistics.median(r.raw for r in rounds):.2f} s, ratio "
        f"{statistics.median(r.ratio for r in rounds):.2f}"
    )
    alone = statistics.median(r.raw / r.worker_alone for r in rounds)
    print(f"  worker alone: median ratio {alone:.2f}")
