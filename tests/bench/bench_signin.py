"""Benchmark of signing in (not in the default test run).

    pytest tests/bench/bench_signin.py -s

The argon2id cost (19 MiB, 2 iterations, 1 lane) is what bounds how many sign-ins a web
process serves; this prints the cost of one hash, then sign-ins over real HTTP (uvicorn on
loopback, one process, SQLite) made one after another and by 8 clients at once.
No assertion on timings: the figures go in the note.
"""

from __future__ import annotations

import statistics
import threading
import time

import httpx

from access.accounts.passwords import hash_password, verify_password
from tests.smtp_server import smtp_server  # noqa: F401  (fixture)
from tests.web.conftest import (
    GOOD_PASSWORD,
    Site,
    activate,
    invitation_token,
    invited_person,
    site,  # noqa: F401  (fixture)
)

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
