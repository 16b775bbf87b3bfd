"""Benchmarks of the director commands (run: pytest tests/bench/bench_directors.py -s).

1. `/invite-team` acknowledgement latency for a school of 300 people: 200 signed slash
   commands over HTTP to the real Slack app, one after another; p50 / p99 of the time until
   the HTTP answer (Slack's 3-second budget; target p99 ≤ 300 ms).
2. 50 directors of 50 schools (100 people to invite each) press « Envoyer » within one second: every
   invitation reaches the local SMTP server through the outbox worker, none twice; time from
   the first press to the last delivery.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter

import pytest

from access.persistence.database import Database
from bot.settings import Settings
from tests.directors import factories
from tests.outbox_thread import outbox_worker
from tests.slack_app import serve_slack
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack, Sent
from tests.smtp_server import SmtpServer, smtp_server  # noqa: F401  (fixture)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _wait_for_list(fake: FakeSlack, user: str, timeout: float = 60) -> Sent:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for sent in reversed(fake.sent()):
            if sent.channel == "D" + user.removeprefix("U") and sent.buttons():
                return sent
        time.sleep(0.05)
    raise AssertionError(f"no team list for {user}")


def test_invite_team_acknowledgement_latency_for_300_people(
    db: Database, settings: Settings
) -> None:
    with db.transaction() as session:
        factories.school(session, "00300", staff=299)
    with FakeSlack() as fake:
        fake.add_user("UDIR", email="claire.dupont@ecole00300.be", name="Claire Dupont")
        with serve_slack(settings, db, fake) as slack:
            slack.command("UDIR", "/invite-team")  # warm up: identity lookup, imports
            _wait_for_list(fake, "UDIR")
            latencies = []
            started = time.perf_counter()
            for _ in range(200):
                t0 = time.perf_counter()
                response = slack.command("UDIR", "/invite-team")
                latencies.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
            fake.wait_for("chat.postMessage", count=201, timeout=300)
            answered = time.perf_counter() - started
    print(
        f"\n[{db.engine.dialect.name}] /invite-team ack, 300 people, 200 signed requests: "
        f"p50 {statistics.median(latencies):.1f} ms, p99 {_percentile(latencies, 0.99):.1f} ms, "
        f"max {max(latencies):.1f} ms; all 200 lists posted after {answered:.1f} s"
    )


def test_fifty_directors_press_send_within_one_second(
    db: Database,
    settings: Settings,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    schools = 50
    with db.transaction() as session:
        for i in range(schools):
            factories.school(session, f"{10000 + i}", staff=100, director_last_name=f"Dir{i:02d}")
    live = settings.model_copy(update={**smtp_server.settings_update(), "outbox_concurrency": 8})
    with FakeSlack() as fake:
        users = [f"U{i:03d}" for i in range(schools)]
        for i, user in enumerate(users):
            fake.add_user(user, email=f"claire.dir{i:02d}@ecole{10000 + i}.be", name=f"Dir {i}")
        with serve_slack(live, db, fake) as slack, outbox_worker(live, db):
            lists: dict[str, Sent] = {}
            for user in users:
                slack.command(user, "/invite-team")
                lists[user] = _wait_for_list(fake, user)
            barrier = threading.Barrier(schools)
            pressed: list[float] = []

            def press(user: str, client: SlackClient = slack) -> None:
                sent = lists[user]
                label = next(
                    b["text"]["text"]
                    for b in sent.buttons()
                    if b["text"]["text"].startswith("Envoyer")
                )
                barrier.wait()
                pressed.append(time.perf_counter())
                assert client.press(user, sent, label).status_code == 200

            threads = [threading.Thread(target=press, args=(u,)) for u in users]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            first_press = min(pressed)
            expected = schools * 100  # each director (already active) invites 100 people
            deadline = time.monotonic() + 300
            while len(smtp_server.messages) < expected and time.monotonic() < deadline:
                time.sleep(0.05)
            last_delivery = time.perf_counter() - first_press
            time.sleep(1.0)  # anything sent twice would arrive now
            per_address = Counter(r for m in smtp_server.messages for r in m.rcpt_tos)
    assert len(per_address) == expected, f"{len(per_address)} of {expected} delivered"
    assert max(per_address.values()) == 1, "someone received two invitations"
    print(
        f"\n[{db.engine.dialect.name}] 50 directors x 100 people pressed within "
        f"{(max(pressed) - first_press) * 1000:.0f} ms: {len(smtp_server.messages)} e-mails "
        f"delivered, none twice; last delivery {last_delivery:.1f} s after the first press "
        f"({len(smtp_server.messages) / last_delivery:.0f} mails/s)"
    )


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
