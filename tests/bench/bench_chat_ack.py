"""Acknowledgement latency of the Slack endpoint, and the time to the answers.

    pytest tests/bench/bench_chat_ack.py -s

`extranet-bot serve` runs in its own process (as in production) on a SQLite file; the test
process plays Slack: 200 signed `/extranet` commands from 8 concurrent clients, and the fake
Web API that receives the answers. Prints p50/p99 of the HTTP acknowledgement (Slack allows
3 s) and the time until all answers were posted. Asserts nothing on time.
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from access.directory.models import AccountStatus
from access.persistence.database import Database
from tests.people import establishment, person
from tests.slack_app import SIGNING_SECRET, serve_process
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack

REQUESTS = 200
CLIENTS = 8


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_slash_command_ack_benchmark(db: Database, cli_env: dict[str, str]) -> None:
    with db.transaction() as session:
        school = establishment(session, "4321", "Athénée Saint-Louis")
        for i in range(CLIENTS):
            person(
                session,
                school,
                last_name=f"Bench{i}",
                email=f"bench{i}@ecole.be",
                status=AccountStatus.ACTIVE,
            )
    with FakeSlack() as fake:
        for i in range(CLIENTS):
            fake.add_user(f"U{i:04d}", email=f"bench{i}@ecole.be")
        env = {
            **cli_env,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
        }
        with serve_process(env) as base:
            clients = [SlackClient(base, SIGNING_SECRET, fake) for _ in range(CLIENTS)]
            for i, client in enumerate(clients):  # warm up: one turn per user
                client.command(f"U{i:04d}", "/extranet")
            fake.wait_for("chat.postMessage", count=CLIENTS)
            fake.clear()

            def one(index: int) -> float:
                started = time.perf_counter()
                response = clients[index % CLIENTS].command(f"U{index % CLIENTS:04d}", "/extranet")
                assert response.status_code == 200
                return time.perf_counter() - started

            started = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                acks = list(pool.map(one, range(REQUESTS)))
            fake.wait_for("chat.postMessage", count=REQUESTS, timeout=120)
            answered = time.perf_counter() - started
            for client in clients:
                client.close()
    ms = [a * 1000 for a in acks]
    print(
        f"\n{REQUESTS} signed /extranet commands, {CLIENTS} concurrent clients, bot in its own "
        f"process: ack p50 {statistics.median(ms):.1f} ms, p99 {_percentile(ms, 0.99):.1f} ms, "
        f"max {max(ms):.1f} ms; all answers posted after {answered:.2f} s "
        f"({REQUESTS / answered:.0f} answers/s)"
    )
