"""Benchmark of signing in (not in the default test run).

    pytest tests/bench/bench_signin.py -s

The argon2id cost (19 MiB, 2 iterations, 1 lane) is what bounds how many sign-ins a web
process serves; this prints the cost of one hash, then sign-ins over real HTTP (uvicorn on
loopback, one process) made one after another and by 8 clients at once. Then, for the
limits under attack: how many passwords 30 concurrent sign-ins for one address get checked;
the RSS of `extranet-bot serve` (its own process, SQLite) under 80 concurrent failed
sign-ins; and the medians of a reset request for an address with and without an account.
No assertion on timings: the figures go in the note.
"""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil
import pytest
from sqlalchemy import delete, func, select

from access.accounts import signin
from access.accounts.models import LoginAttempt, email_key
from access.accounts.passwords import hash_password, verify_password
from access.persistence.database import Database
from tests.slack_app import serve_process
from tests.smtp_server import smtp_server  # noqa: F401  (fixture)
from tests.web.conftest import (
    GOOD_PASSWORD,
    Site,
    activate,
    invitation_token,
    invited_person,
    site,  # noqa: F401  (fixture)
)
from tests.web.crowd import CallCounter, submit_together

SEQUENTIAL = 40
CONCURRENT_CLIENTS = 8
PER_CLIENT = 10


def _sign_in(live: Site, username: str) -> float:
    """One visitor: opens the page, then signs in; the POST alone is timed."""
    with live.client() as client:
        return _post_sign_in(client, username)


def _post_sign_in(client: httpx.Client, username: str) -> float:
    page = client.get("/connexion")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    started = time.perf_counter()
    answer = client.post(
        "/connexion", data={"csrf_token": token, "username": username, "password": GOOD_PASSWORD}
    )
    elapsed = time.perf_counter() - started
    assert answer.status_code == 303, answer.status_code
    return elapsed


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(0.95 * len(values)) - 1)]


def test_bench_signin(site: Site) -> None:  # noqa: F811
    hashed = hash_password(GOOD_PASSWORD)
    started = time.perf_counter()
    for _ in range(20):
        verify_password(hashed, GOOD_PASSWORD)
    per_hash = (time.perf_counter() - started) / 20

    users = []
    for n in range(CONCURRENT_CLIENTS):
        email = f"bench{n}@example.org"
        person_id = invited_person(site.db, email=email, fase=f"{9000 + n}", last_name=f"B{n}x")
        assert activate(site, invitation_token(site.db, person_id)).status_code == 200
        users.append(email)

    sequential = [_sign_in(site, users[0]) for _ in range(SEQUENTIAL)]

    latencies: list[float] = []
    lock = threading.Lock()

    def worker(email: str) -> None:
        for _ in range(PER_CLIENT):
            elapsed = _sign_in(site, email)
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=worker, args=(email,)) for email in users]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started

    print()
    print(f"argon2id verify (19 MiB, t=2, p=1): {per_hash * 1000:.1f} ms")
    print(
        f"sign-in POST, sequential x{SEQUENTIAL}: median {_ms(statistics.median(sequential))},"
        f" p95 {_ms(_p95(sequential))}"
    )
    total = CONCURRENT_CLIENTS * PER_CLIENT
    print(
        f"sign-in POST, {CONCURRENT_CLIENTS} clients x{PER_CLIENT}: {total / wall:.1f} sign-ins/s,"
        f" median {_ms(statistics.median(latencies))}, p95 {_ms(_p95(latencies))}"
    )


# --- Lockout race, memory under failed sign-ins, reset timing (issue 16, items 2–4) ---

RACE_CLIENTS = 30
RACE_ROUNDS = 5
MEMORY_FAILURES = 80
RESET_TRIES = 60


def _form_token(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


def test_bench_lockout_race(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """30 visitors at once for one address, 29 wrong passwords and the right one, each with
    its own CSRF session and its own address: how many passwords were checked, and was the
    right one let in after the tenth failure?"""
    checks = CallCounter(signin.verify_password)
    monkeypatch.setattr(signin, "verify_password", checks)
    print()
    for round_ in range(RACE_ROUNDS):
        email = f"race{round_}@example.org"
        person_id = invited_person(site.db, email=email, fase=f"{8000 + round_}", last_name="R")
        assert activate(site, invitation_token(site.db, person_id)).status_code == 200
        checks.calls = 0
        passwords = [f"mauvais essai {n}" for n in range(RACE_CLIENTS - 1)] + [GOOD_PASSWORD]
        answers = submit_together(
            site,
            "/connexion",
            [{"username": email, "password": p} for p in passwords],
            headers=lambda n, r=round_: {"X-Forwarded-For": f"81.246.{r}.{n + 1}"},
        )
        with site.db.transaction() as session:
            attempts = session.execute(
                select(LoginAttempt.id, LoginAttempt.success)
                .where(LoginAttempt.email_key == email_key(email))
                .order_by(LoginAttempt.id)
            ).all()
        failures = [row.id for row in attempts if not row.success]
        successes = [row.id for row in attempts if row.success]
        right = answers[-1].status_code
        statuses = [answer.status_code for answer in answers]
        counted = {status: statuses.count(status) for status in sorted(set(statuses))}
        before = len([f for f in failures if successes and f < successes[0]])
        print(
            f"{RACE_CLIENTS} concurrent sign-ins (29 wrong, 1 right): {checks.calls} passwords"
            f" checked, {len(failures)} failures recorded, the right password answered {right}"
            + (f" after {before} recorded failures" if right == 303 else "")
            + f"; answers {counted}"
        )


def _rss_mib(process: psutil.Process) -> float:
    return process.memory_info().rss / 2**20


def _served_process(port: int) -> psutil.Process:
    for child in psutil.Process().children(recursive=True):
        if str(port) in " ".join(child.cmdline()):
            return child
    raise RuntimeError("the served process was not found")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("visitors", ["loopback", "forwarded"])
def test_bench_memory_under_failed_signins(
    db: Database, cli_env: dict[str, str], visitors: str
) -> None:
    """RSS of `extranet-bot serve` (its own process) before, during and after 80 concurrent
    failed sign-ins: from loopback (one client), or from 80 visitors named by X-Forwarded-For
    (uvicorn trusts loopback), so that no per-client limit applies."""
    with serve_process(cli_env) as base:
        served = _served_process(int(base.rsplit(":", 1)[1]))
        clients = [httpx.Client(base_url=base, timeout=60) for _ in range(MEMORY_FAILURES)]
        tokens_ = [_form_token(client, "/connexion") for client in clients]
        time.sleep(0.5)
        before = _rss_mib(served)
        peak = [before]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], _rss_mib(served))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()
        barrier = threading.Barrier(MEMORY_FAILURES)

        def post(n: int) -> int:
            headers = {"X-Forwarded-For": f"81.246.{n // 200}.{n % 200 + 1}"}
            barrier.wait()
            return (
                clients[n]
                .post(
                    "/connexion",
                    data={
                        "csrf_token": tokens_[n],
                        "username": f"personne{n}@example.org",
                        "password": "mauvais mot de passe",
                    },
                    headers=headers if visitors == "forwarded" else None,
                )
                .status_code
            )

        started = time.perf_counter()
        with ThreadPoolExecutor(MEMORY_FAILURES) as pool:
            statuses = list(pool.map(post, range(MEMORY_FAILURES)))
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        time.sleep(2)
        after = _rss_mib(served)
        for client in clients:
            client.close()
    counted = {status: statuses.count(status) for status in sorted(set(statuses))}
    print(
        f"\n{MEMORY_FAILURES} concurrent failed sign-ins ({visitors}) in {wall:.2f} s,"
        f" answers {counted}: RSS before {before:.0f} MiB, peak {peak[0]:.0f} MiB,"
        f" 2 s after {after:.0f} MiB"
    )


def _reset_post(client: httpx.Client, email: str, visitor: str) -> float:
    token = _form_token(client, "/mot-de-passe-oublie")
    started = time.perf_counter()
    answer = client.post(
        "/mot-de-passe-oublie",
        data={"csrf_token": token, "email": email},
        headers={"X-Forwarded-For": visitor},
    )
    elapsed = time.perf_counter() - started
    assert answer.status_code == 200, answer.status_code
    return elapsed


def _handled(live: Site) -> None:
    """Wait until the link of every accepted request is written (it follows the answer)."""
    unhandled = select(func.count()).where(
        LoginAttempt.kind == signin.RESET, LoginAttempt.success.is_(False)
    )
    while live.db.call(lambda session: session.scalar(unhandled)):
        time.sleep(0.002)


def _medians(known: list[float], unknown: list[float]) -> str:
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    gap = abs(known_median - unknown_median) / min(known_median, unknown_median)
    return (
        f"active account median {_ms(known_median)}, no account median {_ms(unknown_median)},"
        f" gap {gap:.0%}"
    )


def test_bench_reset_request_timing(site: Site) -> None:  # noqa: F811
    """POST /mot-de-passe-oublie for an address with an active account and for one without,
    interleaved, each from its own visitor and below the limits: medians and the gap. First
    each request alone (the link written after the previous answer is done), then each right
    after a request for the other address (what a prober timing a second request would see
    of the first one's link being written)."""
    person_id = invited_person(site.db, email="reset.bench@example.org", last_name="Rb")
    assert activate(site, invitation_token(site.db, person_id)).status_code == 200
    names = {"known": "reset.bench@example.org", "unknown": "personne.inconnue@example.org"}
    for settle in (True, False):
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        with site.client() as client:
            for n in range(RESET_TRIES + 4):
                _handled(site)
                with site.db.transaction() as session:
                    session.execute(delete(LoginAttempt).where(LoginAttempt.kind == signin.RESET))
                order = ("known", "unknown") if n % 2 else ("unknown", "known")
                for which in order:
                    if settle:
                        _handled(site)
                    elapsed = _reset_post(client, names[which], f"81.247.{n}.{len(which)}")
                    if n >= 4:  # the first rounds warm the templates and the connections up
                        times[which].append(elapsed)
        what = "alone" if settle else "right after the other"
        print(
            f"\nreset request x{len(times['known'])} each, {what}: "
            + _medians(times["known"], times["unknown"])
        )
