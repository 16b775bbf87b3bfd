"""The September rush, measured (issue 19): the production process layout on PostgreSQL.

    .venv/bin/pytest tests/bench/bench_rush.py -s

Two `serve` processes (the client round-robins between them), two `worker`s, one `scheduler`,
one PostgreSQL database (`rush_bench`, dropped and created again; BENCH_RUSH_POSTGRES names
the server), an SMTP server in its own process answering every command 20 ms late, and the
fake Slack Web API in this process. In order:

1. import a generated ProECO export (`proeco import`, its own process, as an operator does
   the first time): BENCH_RUSH_SCHOOLS establishments, BENCH_RUSH_PEOPLE people;
2. every director types `/invite-team`, waits for the team list and presses « Envoyer »,
   spread over BENCH_RUSH_PRESS_SECONDS of signed Slack requests: the acknowledgements'
   p50/p99, and the time until every invitation reached the SMTP server (none twice, none
   lost);
3. BENCH_RUSH_ACTIVATIONS people open the link of the e-mail they received, choose a
   password, then sign in at /connexion, BENCH_RUSH_CLIENTS browsers at once, CSRF included:
   throughput, p50/p99, the web processes' memory;
4. the nightly re-sync: an export with 1 % of its rows changed is dropped into
   PROECO_DROP_DIR and the scheduler imports it (its schedule is every minute here).

For each phase it prints the wall time and the CPU seconds of each role (web, worker,
scheduler, PostgreSQL, this process playing Slack and the browsers, the SMTP server) and the
peak RSS of each process: the role whose CPU seconds approach the wall time bounds the phase
(each process is one Python thread's worth of CPU; the machine has two cores in all).
Nothing is asserted on time; the counts (none lost, none twice) are asserted.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import multiprocessing
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import SMTP, Envelope, Session

from access.accounts.passwords import hash_password, verify_password
from access.demo import generate_rows, write_export
from tests.conftest import REPO_ROOT, free_port
from tests.slack_client import SlackClient
from tests.slack_fake import Call, FakeSlack, Sent, _as_sent
from tests.smtp_server import SmtpServer
from tests.web.conftest import GOOD_PASSWORD

SCHOOLS = int(os.environ.get("BENCH_RUSH_SCHOOLS", "3000"))
PEOPLE = int(os.environ.get("BENCH_RUSH_PEOPLE", "100000"))
ACTIVATIONS = int(os.environ.get("BENCH_RUSH_ACTIVATIONS", "20000"))
PRESS_SECONDS = float(os.environ.get("BENCH_RUSH_PRESS_SECONDS", "180"))
CLIENTS = int(os.environ.get("BENCH_RUSH_CLIENTS", "8"))
SMTP_DELAY = float(os.environ.get("BENCH_RUSH_SMTP_DELAY", "0.020"))
SERVER_URL = os.environ.get("BENCH_RUSH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
DATABASE = "rush_bench"
SIGNING_SECRET = "rush-signing-secret"
SEED = 19
# About one person in twelve works in two schools (access.demo.generate_rows).
ROWS_PER_PERSON = 1.08
DELIVERY_TIMEOUT = float(os.environ.get("BENCH_RUSH_DELIVERY_TIMEOUT", "3600"))
ACTIVATION_LINK = re.compile(rb"/activer/([A-Za-z0-9_\-.~%]+)")


# --- the SMTP server, in its own process ----------------------------------------------------


def serve_recording(
    port: int, delay: float, log_path: str, counter: Any, ready: Any, stop: Any
) -> None:
    """Child process: an SMTP server answering each command `delay` late; one line per
    message (arrival time, recipients, activation token) appended to `log_path`."""
    log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115  (closed at the end)

    class Recording(SmtpServer):
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            content = envelope.original_content or envelope.content
            data = content if isinstance(content, bytes) else str(content).encode()
            found = ACTIVATION_LINK.search(data.replace(b"=\r\n", b"").replace(b"=3D", b"="))
            token = found.group(1).decode() if found else ""
            log.write(f"{time.time():.4f}\t{','.join(envelope.rcpt_tos)}\t{token}\n")
            log.flush()
            with counter.get_lock():
                counter.value += 1
            return "250 Message accepted for delivery"

    server = Recording(port, delay=delay).start()
    ready.set()
    stop.wait()
    server.stop()
    log.close()


@dataclass(frozen=True)
class Arrival:
    at: float
    recipients: list[str]
    token: str


class Relay:
    def __init__(self, delay: float, log_path: Path) -> None:
        context = multiprocessing.get_context("spawn")
        self.port = free_port()
        self.log_path = log_path
        self.counter: Any = context.Value("i", 0)
        ready, self.stop_event = context.Event(), context.Event()
        self.process = context.Process(
            target=serve_recording,
            args=(self.port, delay, str(log_path), self.counter, ready, self.stop_event),
            daemon=True,
        )
        self.process.start()
        assert ready.wait(60), "SMTP server did not start"

    def arrivals(self) -> list[Arrival]:
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [
            Arrival(float(at), rcpt.split(","), token)
            for at, rcpt, token in (line.split("\t") for line in lines if line.count("\t") == 2)
        ]

    def close(self) -> None:
        self.stop_event.set()
        self.process.join(10)


# --- Slack: the fake Web API, indexed by DM channel ----------------------------------------


class RushSlack(FakeSlack):
    """The fake Web API, with the team lists it received indexed by channel (thousands of
    directors: scanning every call each time would cost the client more than the server)."""

    def __init__(self) -> None:
        super().__init__()
        self.lists: dict[str, Sent] = {}
        self._lists_changed = threading.Condition()

    def _record(self, call: Call, responses: bool = False) -> None:
        super()._record(call, responses)
        sent = _as_sent(call) if call.method == "chat.postMessage" else None
        if sent is not None and sent.channel and _send_button(sent) is not None:
            with self._lists_changed:
                self.lists[sent.channel] = sent
                self._lists_changed.notify_all()

    def wait_for_list(self, channel: str, timeout: float = 120) -> Sent:
        deadline = time.monotonic() + timeout
        with self._lists_changed:
            while channel not in self.lists:
                left = deadline - time.monotonic()
                assert left > 0, f"no team list in {channel}"
                self._lists_changed.wait(left)
            return self.lists.pop(channel)


def _send_button(sent: Sent) -> str | None:
    for button in sent.buttons():
        label = button["text"]["text"]
        if label.startswith("Envoyer les emails"):
            return str(label)
    return None


# --- processes and what they use -------------------------------------------------------------


def _cpu(process: psutil.Process) -> float:
    with contextlib.suppress(psutil.Error):
        times = process.cpu_times()
        return float(times.user + times.system)
    return 0.0


def _database_processes() -> list[psutil.Process]:
    """The PostgreSQL backends serving `rush_bench` (their title names the database)."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        with contextlib.suppress(psutil.Error):
            title = " ".join(process.info["cmdline"] or [])
            if process.info["name"] == "postgres" and f" {DATABASE} " in f"{title} ":
                found.append(process)
    return found


@dataclass
class Fleet:
    """The product's processes by role, the SMTP server, and the sampler of their memory."""

    env: dict[str, str]
    logs: Path
    roles: dict[str, list[subprocess.Popen[bytes]]] = field(default_factory=dict)
    peak_rss: dict[str, float] = field(default_factory=dict)
    extra: dict[str, psutil.Process] = field(default_factory=dict)
    # CPU seconds last seen per PostgreSQL backend: a backend that exits (a command's own
    # connection) takes its share with it, so the sampler remembers it.
    database_cpu: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _sampler: threading.Thread | None = None

    def sample_database(self) -> float:
        for process in _database_processes():
            self.database_cpu[process.pid] = max(
                self.database_cpu.get(process.pid, 0.0), _cpu(process)
            )
        return sum(self.database_cpu.values())

    def start(self, role: str, *args: str) -> subprocess.Popen[bytes]:
        name = f"{role}{len(self.roles.get(role, [])) + 1}"
        with (self.logs / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", *args],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.roles.setdefault(role, []).append(process)
        return process

    def processes(self) -> dict[str, psutil.Process]:
        named = {
            f"{role}{n}": psutil.Process(p.pid)
            for role, started in self.roles.items()
            for n, p in enumerate(started, 1)
        }
        return named | self.extra

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far per role (web, worker, …), PostgreSQL's backends of the bench
        database, and this process (Slack, the browsers)."""
        totals: Counter[str] = Counter()
        for name, process in self.processes().items():
            totals[name.rstrip("0123456789")] += _cpu(process)
        totals["postgres"] = self.sample_database()
        totals["bench client"] = _cpu(psutil.Process())
        return dict(totals)

    def sample_memory(self) -> None:
        def sample() -> None:
            while not self._stop.wait(0.5):
                self.sample_database()
                for name, process in self.processes().items():
                    with contextlib.suppress(psutil.Error):
                        rss = process.memory_info().rss / 2**20
                        self.peak_rss[name] = max(self.peak_rss.get(name, 0.0), rss)

        self._sampler = threading.Thread(target=sample, daemon=True)
        self._sampler.start()

    def rss(self) -> dict[str, float]:
        now = {}
        for name, process in self.processes().items():
            with contextlib.suppress(psutil.Error):
                now[name] = process.memory_info().rss / 2**20
        return now

    def reset_peaks(self) -> None:
        self.peak_rss.clear()

    def stop(self) -> None:
        self._stop.set()
        for started in self.roles.values():
            for process in started:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
        for started in self.roles.values():
            for process in started:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)


@dataclass
class Phase:
    name: str
    wall: float
    cpu: dict[str, float]
    peak_rss: dict[str, float]
    figures: dict[str, Any]

    def lines(self) -> list[str]:
        cpu = ", ".join(f"{role} {seconds:.1f}" for role, seconds in self.cpu.items())
        busiest = max(self.cpu, key=lambda role: self.cpu[role]) if self.cpu else "-"
        rss = ", ".join(f"{name} {mb:.0f}" for name, mb in sorted(self.peak_rss.items()))
        figures = "; ".join(f"{key} {value}" for key, value in self.figures.items())
        return [
            f"{self.name}: {self.wall:.1f} s wall",
            f"  {figures}",
            f"  CPU s: {cpu} (sum {sum(self.cpu.values()):.1f} of {2 * self.wall:.1f} "
            f"available on 2 cores; busiest {busiest})",
            f"  peak RSS MB: {rss}",
        ]


def _table_scans(engine: sa.Engine) -> dict[str, tuple[int, int, int]]:
    """Per table: sequential scans, rows they read, index scans (PostgreSQL's counters)."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) "
                "FROM pg_stat_user_tables"
            )
        ).all()
    return {name: (seq, read, idx) for name, seq, read, idx in rows}


@contextlib.contextmanager
def measured(
    fleet: Fleet, engine: sa.Engine, name: str, phases: list[Phase]
) -> Iterator[dict[str, Any]]:
    """Times the block, and what each role's processes and the database did meanwhile.
    The block adds its figures to the dict; "_cpu" adds a process outside the fleet."""
    figures: dict[str, Any] = {}
    fleet.reset_peaks()
    scans_before = _table_scans(engine)
    before = fleet.cpu()
    started = time.perf_counter()
    yield figures
    wall = time.perf_counter() - started
    time.sleep(1)  # the last backends' counters and CPU are sampled
    after = fleet.cpu()
    cpu = {role: after[role] - before.get(role, 0.0) for role in after}
    cpu |= figures.pop("_cpu", {})
    phases.append(Phase(name, wall, cpu, dict(fleet.peak_rss), figures))
    for line in phases[-1].lines():
        print(line, flush=True)
    scans = _table_scans(engine)
    grown = sorted(
        (
            (read - scans_before.get(table, (0, 0, 0))[1], table, seq, idx)
            for table, (seq, read, idx) in scans.items()
        ),
        reverse=True,
    )[:5]
    print(
        "  rows read by sequential scans: "
        + ", ".join(
            f"{table} {read} in {seq - scans_before.get(table, (0, 0, 0))[0]} scans "
            f"({idx - scans_before.get(table, (0, 0, 0))[2]} index scans)"
            for read, table, seq, idx in grown
            if read
        ),
        flush=True,
    )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _latency(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"p50 {statistics.median(ms):.0f} ms, p99 {_percentile(ms, 0.99):.0f} ms, "
        f"max {max(ms):.0f} ms"
    )


# --- the database ----------------------------------------------------------------------------


def _fresh_database() -> str:
    admin = sa.create_engine(f"{SERVER_URL}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            connection.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
    except sa.exc.OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable at {SERVER_URL}: {error.orig}")
    finally:
        admin.dispose()
    return f"{SERVER_URL}/{DATABASE}"


def _run(env: dict[str, str], *args: str) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak RSS (MB) and output of one `python -m bot` process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    assert os.waitstatus_to_exitcode(status) == 0, output
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output


# --- the phases ------------------------------------------------------------------------------


def _directors(rows: list[tuple[str, ...]]) -> list[str]:
    """The directors' e-mail addresses, one per school (the export's « Direction » rows)."""
    return list(dict.fromkeys(row[4] for row in rows if row[3] == "Direction"))


class RoundRobin:
    """The load balancer's part, in the client: each request goes to the next web process."""

    def __init__(self, bases: list[str]) -> None:
        self.bases = bases
        self._next = itertools.cycle(range(len(bases)))
        self._lock = threading.Lock()

    def base(self) -> str:
        with self._lock:
            return self.bases[next(self._next)]


def _press_all(
    slack: RushSlack, clients: list[SlackClient], directors: list[str], spread: float
) -> tuple[list[float], list[float], list[float], list[str]]:
    """Each director, at their moment within `spread` seconds: `/invite-team`, the list,
    « Envoyer ». Returns the acknowledgement times of the commands and of the presses, the
    press instants, and the directors whose command found no list (unexpected)."""
    commands: list[float] = []
    presses: list[float] = []
    pressed_at: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    robin = itertools.count()
    started = time.perf_counter()

    def director(index: int) -> None:
        user = f"U{index:06d}"
        client = clients[next(robin) % len(clients)]
        time.sleep(max(0.0, started + spread * index / len(directors) - time.perf_counter()))
        t0 = time.perf_counter()
        answer = client.command(user, "/invite-team")
        acked = time.perf_counter() - t0
        assert answer.status_code == 200, answer.status_code
        try:
            sent = slack.wait_for_list("D" + user.removeprefix("U"))
        except AssertionError:
            with lock:
                failures.append(user)
            return
        label = _send_button(sent)
        assert label is not None
        client = clients[next(robin) % len(clients)]
        t1 = time.perf_counter()
        answer = client.press(user, sent, label)
        with lock:
            commands.append(acked)
            presses.append(time.perf_counter() - t1)
            pressed_at.append(t1)
        assert answer.status_code == 200, answer.status_code

    with ThreadPoolExecutor(64) as pool:
        for future in [pool.submit(director, n) for n in range(len(directors))]:
            future.result()
    return commands, presses, pressed_at, failures


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"no form on the page ({page.status_code})"
    return found.group(1)


BUSY_RETRY_SECONDS = 1.0


def _post_form(
    browser: httpx.Client, robin: RoundRobin, path: str, fields: dict[str, str], busy: list[int]
) -> tuple[httpx.Response, float]:
    """GET the form, POST it with its CSRF token; a « réessayez » answer (503: every hashing
    slot of that process stayed busy) is counted and sent again a second later, as a person
    would. Returns the answer and the time of the POST that got it."""
    while True:
        page = browser.get(f"{robin.base()}{path}")
        started = time.perf_counter()
        answer = browser.post(f"{robin.base()}{path}", data={"csrf_token": _csrf(page), **fields})
        elapsed = time.perf_counter() - started
        if answer.status_code != 503:
            return answer, elapsed
        busy.append(1)
        time.sleep(BUSY_RETRY_SECONDS)


def _activate_and_sign_in(
    robin: RoundRobin, email: str, token: str, visitor: str, busy: list[int]
) -> tuple[float, float]:
    """One person as a browser does: the activation page, the password chosen, then the
    sign-in page and the sign-in. Returns the two POSTs' times."""
    with httpx.Client(
        timeout=120,
        headers={"X-Forwarded-For": visitor},
        limits=httpx.Limits(keepalive_expiry=1.0),
    ) as browser:
        password = {"password": GOOD_PASSWORD, "password_confirmation": GOOD_PASSWORD}
        done, activation = _post_form(browser, robin, f"/activer/{token}", password, busy)
        assert done.status_code in (200, 303), (done.status_code, done.text[:300])
        fields = {"username": email, "password": GOOD_PASSWORD}
        answer, sign_in = _post_form(browser, robin, "/connexion", fields, busy)
        assert answer.status_code == 303, (answer.status_code, answer.text[:300])
    return activation, sign_in


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _argon2_cost() -> float:
    hashed = hash_password(GOOD_PASSWORD)
    started = time.process_time()
    for _ in range(10):
        verify_password(hashed, GOOD_PASSWORD)
    return (time.process_time() - started) / 10


def _environment(url: str, relay: Relay, web_ports: list[int], drop: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SCHEDULE_", "SMTP_"))},
        "PYTHONPATH": str(REPO_ROOT),
        "DATABASE_URL": url,
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(relay.port),
        "SMTP_TLS": "none",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_ports[0]}",
        # Both web processes sign the same cookies: a browser's requests alternate between them.
        "SESSION_SECRET": "rush-bench-session-secret-0123456789abcdef",
        "SLACK_BOT_TOKEN": "xoxb-rush",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "PROECO_DROP_DIR": str(drop),
        "PROECO_DROP_SETTLE_SECONDS": "0",
        # The nightly import fires every minute here; the other jobs stay out of the figures.
        "SCHEDULE_PROECO_IMPORT": "* * * * *",
        "SCHEDULE_INVITATION_REMINDERS": "off",
        "SCHEDULE_DIRECTORS_DIGEST": "off",
        "SCHEDULE_TICKET_FOLLOWUP": "off",
        "SCHEDULE_HOUSEKEEPING": "off",
        "LOG_LEVEL": "WARNING",
    }


@dataclass
class Rush:
    """The run's parts, shared by the phases."""

    tmp_path: Path
    env: dict[str, str]
    fleet: Fleet
    relay: Relay
    engine: sa.Engine
    phases: list[Phase] = field(default_factory=list)

    def first_import(self, rows: list[tuple[str, ...]]) -> None:
        export = write_export(self.tmp_path / "export-1.csv", rows)
        with measured(self.fleet, self.engine, "1. first import", self.phases) as figures:
            wall, cpu, rss, output = _run(self.env, "proeco", "import", str(export), "--json")
            report = json.loads(output[output.index("{") :])
            figures |= {
                "rows": len(rows),
                "people": len({row[4] for row in rows}),
                "schools": len(_directors(rows)),
                "added": report["added"],
                "import process": f"{wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss:.0f} MB",
                "_cpu": {"import": cpu},
            }

    def start_layout(self, slack: RushSlack, web_ports: list[int]) -> list[str]:
        """Two web processes, two workers, one scheduler; the web processes' base URLs."""
        self.fleet.env = {**self.env, "SLACK_API_URL": slack.api_url}
        for port in web_ports:
            self.fleet.start("web", "serve", "--host", "127.0.0.1", "--port", str(port))
        self.fleet.start("worker", "worker")
        self.fleet.start("worker", "worker")
        self.fleet.start("scheduler", "scheduler")
        bases = [f"http://127.0.0.1:{port}" for port in web_ports]
        for base in bases:
            _wait(lambda b=base: _healthy(b), 60, f"{base}/healthz")
        return bases

    def directors_press(
        self, slack: RushSlack, clients: list[SlackClient], directors: list[str], people: set[str]
    ) -> list[Arrival]:
        with measured(
            self.fleet, self.engine, "2. directors press « Envoyer »", self.phases
        ) as figures:
            commands, presses, pressed_at, no_list = _press_all(
                slack, clients, directors, PRESS_SECONDS
            )
            first_press = min(pressed_at)
            _wait(
                lambda: self.relay.counter.value >= len(people),
                DELIVERY_TIMEOUT,
                f"{len(people)} invitations",
            )
            time.sleep(5)  # anything sent twice would arrive now
            arrivals = self.relay.arrivals()
            delivered = max(a.at for a in arrivals) - _wall_clock(first_press)
            figures |= {
                "directors": len(presses),
                "presses spread over": f"{max(pressed_at) - first_press:.0f} s",
                "/invite-team ack": _latency(commands),
                "« Envoyer » ack": _latency(presses),
                "all acks": _latency(commands + presses),
                "acks over 3 s": sum(a > 3 for a in commands + presses),
                "e-mails": len(arrivals),
                "last delivery after first press": f"{delivered:.0f} s",
                "delivery rate": f"{len(arrivals) / delivered:.0f} mails/s",
            }
        _per_operation(self.phases[-1], {"director": len(presses), "invitation": len(arrivals)})
        after_presses = [a.at for a in arrivals if a.at >= _wall_clock(max(pressed_at))]
        if len(after_presses) > 1:
            drain = max(after_presses) - min(after_presses)
            print(
                f"  after the last press: {len(after_presses)} e-mails in {drain:.0f} s "
                f"({len(after_presses) / max(drain, 0.001):.0f} mails/s, the workers alone)",
                flush=True,
            )
        assert not no_list, f"{len(no_list)} directors got no team list"
        per_address = Counter(r for a in arrivals for r in a.recipients)
        lost = people - set(per_address)
        twice = [a for a, n in per_address.items() if n > 1]
        print(f"  lost {len(lost)}, received twice {len(twice)}", flush=True)
        assert not lost and not twice
        print(f"  outbox rows by status: {self._counted('outbox_messages', 'status')}")
        return arrivals

    def activations(self, bases: list[str], arrivals: list[Arrival], people: int) -> None:
        robin = RoundRobin(bases)
        tokens = [(a.recipients[0], a.token) for a in arrivals if a.token][:ACTIVATIONS]
        assert len(tokens) == min(ACTIVATIONS, people), "links missing in the e-mails"
        argon2 = _argon2_cost()
        with measured(self.fleet, self.engine, "3. activations and sign-ins", self.phases) as f:
            rss_before = self.fleet.rss()
            busy: list[int] = []
            started = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                timed = list(
                    pool.map(
                        lambda item: _activate_and_sign_in(
                            robin, item[1][0], item[1][1], _visitor(item[0]), busy
                        ),
                        enumerate(tokens),
                    )
                )
            wall = time.perf_counter() - started
            f |= {
                "people": len(timed),
                "throughput": f"{len(timed) / wall:.1f} people/s "
                f"({2 * len(timed) / wall:.1f} password POSTs/s)",
                "activation POST": _latency([a for a, _ in timed]),
                "sign-in POST": _latency([s for _, s in timed]),
                "busy answers (503, retried)": len(busy),
                "argon2 per hash (this process)": f"{argon2 * 1000:.0f} ms CPU",
                "argon2 CPU in all": f"{2 * len(timed) * argon2:.0f} s",
                "web RSS before": ", ".join(
                    f"{k} {v:.0f} MB" for k, v in rss_before.items() if k.startswith("web")
                ),
            }
        _per_operation(self.phases[-1], {"person (activation + sign-in)": len(timed)})
        print(f"  accounts by status: {self._counted('accounts', 'status')}", flush=True)

    def resync(self, drop: Path) -> None:
        later = generate_rows(round(PEOPLE * ROWS_PER_PERSON), SCHOOLS, SEED, 0.01)
        staged = write_export(self.tmp_path / "export-2.csv", later)
        with measured(
            self.fleet, self.engine, "4. nightly re-sync (scheduler)", self.phases
        ) as figures:
            dropped = time.time()
            staged.rename(drop / "export-2.csv")
            run = _wait_for_import(self.engine, dropped)
            figures |= {
                "rows": len(later),
                "run": f"{run['seconds']:.1f} s (job_runs), outcome {run['outcome']}",
                "counts": run["counts"],
                "waited for the minute": f"{run['waited']:.0f} s",
            }
        with self.engine.connect() as connection:
            size = connection.scalar(sa.text(f"SELECT pg_database_size('{DATABASE}')"))
        print(f"  database size {size / 2**20:.0f} MB", flush=True)
        assert run["outcome"] == "success"

    def _counted(self, table: str, column: str) -> dict[str, int]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.text(f"SELECT {column}, count(*) FROM {table} GROUP BY {column}")
            ).all()
        return {str(value): int(count) for value, count in rows}


def _wall_clock(perf: float) -> float:
    """The time.time() of a time.perf_counter() instant (arrivals are dated by the former)."""
    return time.time() - (time.perf_counter() - perf)


def test_september_rush(tmp_path: Path) -> None:
    load_before = os.getloadavg()
    url = _fresh_database()
    drop = tmp_path / "drop"
    drop.mkdir()
    (tmp_path / "logs").mkdir()
    relay = Relay(SMTP_DELAY, tmp_path / "smtp.log")
    web_ports = [free_port(), free_port()]
    env = _environment(url, relay, web_ports, drop)
    fleet = Fleet(env, tmp_path / "logs")
    fleet.extra["smtp"] = psutil.Process(relay.process.pid)
    rush = Rush(tmp_path, env, fleet, relay, sa.create_engine(url))
    print(f"\n[bench_rush] {os.cpu_count()} cores; load average before {load_before}", flush=True)
    try:
        _run(env, "db", "upgrade")
        fleet.sample_memory()
        rows = generate_rows(round(PEOPLE * ROWS_PER_PERSON), SCHOOLS, SEED)
        people = {row[4] for row in rows}
        directors = _directors(rows)
        rush.first_import(rows)
        with RushSlack() as slack:
            bases = rush.start_layout(slack, web_ports)
            for n, email in enumerate(directors):
                slack.add_user(f"U{n:06d}", email=email, name=f"Direction {n}")
            clients = [SlackClient(base, SIGNING_SECRET, slack) for base in bases]
            # Warm-up: each web process answers one command (imports, statements, pools).
            for n, client in enumerate(clients):
                client.command(f"U{n:06d}", "/team")
            time.sleep(2)
            arrivals = rush.directors_press(slack, clients, directors, people)
            rush.activations(bases, arrivals, len(people))
            rush.resync(drop)
            for client in clients:
                client.close()
    finally:
        fleet.stop()
        relay.close()
        rush.engine.dispose()
        print(f"[bench_rush] load average after {os.getloadavg()}", flush=True)
    _write_report(rush.phases, load_before)


def _per_operation(phase: Phase, counts: dict[str, int]) -> None:
    """CPU milliseconds per operation for each role: what sizing divides by."""
    for what, count in counts.items():
        if count:
            costs = ", ".join(
                f"{role} {seconds * 1000 / count:.1f}"
                for role, seconds in phase.cpu.items()
                if seconds >= 0.05
            )
            print(f"  CPU ms per {what}: {costs}", flush=True)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _visitor(n: int) -> str:
    """A distinct public address per person (X-Forwarded-For; uvicorn trusts loopback)."""
    return f"81.{240 + n // 65536 % 10}.{n // 256 % 256}.{n % 256}"


def _wait_for_import(engine: sa.Engine, dropped: float) -> dict[str, Any]:
    query = sa.text(
        "SELECT outcome, counts, started_at, finished_at FROM job_runs "
        "WHERE job = 'proeco-import' AND finished_at IS NOT NULL "
        "AND started_at >= to_timestamp(:dropped) "
        "ORDER BY started_at DESC"
    )
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            for row in connection.execute(query, {"dropped": dropped}).all():
                counts = row.counts if isinstance(row.counts, dict) else json.loads(row.counts)
                if counts.get("imported") or counts.get("refused"):
                    return {
                        "outcome": row.outcome,
                        "counts": counts,
                        "seconds": (row.finished_at - row.started_at).total_seconds(),
                        "waited": row.started_at.timestamp() - dropped,
                    }
        time.sleep(1)
    raise AssertionError("the scheduler did not import the dropped file")


def _write_report(phases: list[Phase], load_before: tuple[float, ...]) -> None:
    path = os.environ.get("BENCH_RUSH_REPORT")
    if not path:
        return
    Path(path).write_text(
        json.dumps(
            {
                "sizes": {
                    "schools": SCHOOLS,
                    "people": PEOPLE,
                    "activations": ACTIVATIONS,
                    "press_seconds": PRESS_SECONDS,
                    "clients": CLIENTS,
                },
                "load_before": load_before,
                "load_after": os.getloadavg(),
                "phases": [phase.__dict__ for phase in phases],
            },
            indent=2,
            ensure_ascii=False,
            default=str,
        )
    )


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
