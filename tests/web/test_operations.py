"""What an operator sees: `/readyz`, `/metrics` (read with prometheus-client's own parser),
request ids, and JSON log lines free of personal data."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from access.mail import outbox
from access.mail import templates as mail
from access.mail.outbox import deliver_due
from access.persistence.database import Database
from bot.settings import Settings
from bot.web.app import create_app
from bot.web.metrics import serve_on_own_port
from common.logs import RequestIdFilter
from faq import usage as faq_usage
from helpdesk import tickets
from helpdesk.actors import Requester
from tests.conftest import free_port, run_cli, run_cli_process
from tests.outbox.test_outbox import queue
from tests.outbox.test_worker_process import worker_env
from tests.slack_app import serve_process
from tests.smtp_server import SmtpServer
from tests.tickets.conftest import make_form
from tests.web.conftest import (
    GOOD_PASSWORD,
    LiveServer,
    Site,
    activate,
    invitation_token,
    invited_person,
    send_invitation,
    sign_in,
)
from tests.web.test_app import _get

TOKEN = "metrics-test-token"


def _values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _scrape(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return _values(answer.text)


def _one(values: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    return values.get((name, tuple(sorted(labels.items()))), 0.0)


# --- /readyz ---------------------------------------------------------------------------------


async def test_readyz_is_ready_only_on_a_reachable_database_at_its_newest_revision(
    settings: Settings, db: Database, db_url: str, tmp_path: Path
) -> None:
    ready = await _get(create_app(settings, db), "/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})

    secret = settings.model_copy(update={"session_secret": SecretStr("s")})
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    pending = await _get(create_app(secret, empty), "/readyz")
    assert pending.status_code == 503
    assert pending.json()["database"] == "migrations pending"
    # /healthz only says the process and its database answer: it stays as it was.
    assert (await _get(create_app(secret, empty), "/healthz")).status_code == 200

    gone = Database(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    unreachable = await _get(create_app(secret, gone), "/readyz")
    assert unreachable.status_code == 503
    assert unreachable.json()["database"] == "unreachable"


# --- /metrics --------------------------------------------------------------------------------


async def test_metrics_are_not_served_without_a_token_nor_with_a_wrong_one(
    settings: Settings, db: Database
) -> None:
    assert (await _get(create_app(settings, db), "/metrics")).status_code == 404
    guarded = create_app(settings.model_copy(update={"metrics_token": SecretStr(TOKEN)}), db)
    for header in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {TOKEN}"}):
        answer = await _get(guarded, "/metrics", headers=header)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert "extranet_" not in answer.text


def test_metrics_count_what_happened_and_show_the_backlog(
    settings: Settings, db: Database, smtp_server: SmtpServer
) -> None:
    port = free_port()
    live = settings.model_copy(
        update={
            **smtp_server.settings_update(),
            "public_base_url": f"http://127.0.0.1:{port}",
            "metrics_token": SecretStr(TOKEN),
        }
    )
    with LiveServer(create_app(live, db), port) as server:
        site = Site(url=server.url, settings=live, db=db, smtp=smtp_server)
        with site.client() as client:
            before = _scrape(client)
            person_id = invited_person(db)
            send_invitation(site, person_id)
            # The invitation waits in the outbox: the backlog shows it, and its age.
            waiting = _scrape(client)
            assert _one(waiting, "extranet_outbox_messages", status="pending") == 1
            assert _one(waiting, "extranet_outbox_oldest_due_age_seconds") >= 0
            site.deliver(1)
            activate(site, invitation_token(db, person_id))
            sign_in(client, "marie.curie@example.org", "not the password")
            sign_in(client, "marie.curie@example.org", GOOD_PASSWORD)
            with db.transaction() as session:
                tickets.open_ticket(
                    session,
                    live,
                    make_form(),
                    source="web",
                    requester=Requester(),
                    triage_enabled=False,
                )
                faq_usage.record_question(
                    session,
                    user_ref="U1",
                    question="je n'ai pas reçu l'invitation",
                    entry_id=None,
                    score=0.1,
                    suggestions=[],
                    channel="slack",
                )
            deliver_due(live, db)  # the activation's confirmation, among others
            after = _scrape(client)

    def grew(name: str, **labels: str) -> float:
        return _one(after, name, **labels) - _one(before, name, **labels)

    assert grew("extranet_mail_deliveries_total", result="sent") >= 1
    assert grew("extranet_activations_total") == 1
    assert grew("extranet_sign_ins_total", outcome="failed") == 1
    assert grew("extranet_sign_ins_total", outcome="ok") == 1
    assert grew("extranet_faq_questions_total", result="abstained") == 1
    assert grew("extranet_tickets_opened_total", source="web") == 1
    assert _one(after, "extranet_tickets_open", status="nouveau") == 1
    assert _one(after, "extranet_outbox_messages", status="pending") == 0
    assert _one(after, "extranet_outbox_oldest_due_age_seconds") == 0


def test_a_rolled_back_event_is_not_counted(settings: Settings, db: Database) -> None:
    from common import metrics

    def opened() -> float:
        return metrics.TICKETS_OPENED.labels(source="web")._value.get()

    before = opened()
    with pytest.raises(RuntimeError), db.transaction() as session:
        tickets.open_ticket(
            session,
            settings,
            make_form(),
            source="web",
            requester=Requester(),
            triage_enabled=False,
        )
        raise RuntimeError("the caller fails after opening")
    assert opened() == before
    with db.transaction() as session:
        tickets.open_ticket(
            session,
            settings,
            make_form(),
            source="web",
            requester=Requester(),
            triage_enabled=False,
        )
    assert opened() == before + 1


def test_metrics_on_a_port_of_their_own(settings: Settings, db: Database) -> None:
    port = free_port()
    server = serve_on_own_port(settings.model_copy(update={"metrics_port": port}), db)
    assert server is not None
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    finally:
        server.shutdown()
    values = _values(answer.text)
    assert ("extranet_outbox_messages", (("status", "pending"),)) in values
    assert ("extranet_activations_total", ()) in values


def test_with_a_token_the_port_of_their_own_wants_it_too(settings: Settings, db: Database) -> None:
    port = free_port()
    guarded = settings.model_copy(update={"metrics_port": port, "metrics_token": SecretStr(TOKEN)})
    server = serve_on_own_port(guarded, db)
    assert server is not None
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        anonymous = httpx.get(url, timeout=10)
        wrong = httpx.get(url, headers={"Authorization": "Bearer guessed"}, timeout=10)
        right = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    finally:
        server.shutdown()
    assert anonymous.status_code == wrong.status_code == 401
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="metrics"'
    assert TOKEN not in anonymous.text
    assert right.status_code == 200
    assert ("extranet_activations_total", ()) in _values(right.text)


def _scrape_until(url: str, ready: Callable[[dict], bool]) -> dict:  # type: ignore[type-arg]
    """The metrics at `url` once `ready` holds for them (a process's start, a count that
    follows its work)."""
    deadline = time.monotonic() + 120
    while True:
        try:
            answer = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
            if answer.status_code == 200 and ready(values := _values(answer.text)):
                return values
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} never showed what was awaited"
        time.sleep(0.2)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_worker_serves_its_own_deliveries_on_its_metrics_port(
    cli_env: dict[str, str],
    settings: Settings,
    db: Database,
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    """A `worker` on a machine of its own: with METRICS_PORT, Prometheus scrapes it there
    (behind METRICS_TOKEN) and sees its deliveries, not the database's states (the web
    serves those). PROMETHEUS_MULTIPROC_DIR left empty is unset: no files in the working
    directory."""
    port = free_port()
    env = {
        **worker_env(cli_env, smtp_server),
        "METRICS_PORT": str(port),
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": "",
    }
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    queue(db, settings, 1)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        assert len(smtp_server.wait_for(1, timeout=120)) == 1
        values = _scrape_until(
            url, lambda values: _one(values, "extranet_mail_deliveries_total", result="sent") == 1
        )
        anonymous = httpx.get(url, timeout=10)
        wrong = httpx.get(url, headers={"Authorization": "Bearer guessed"}, timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert anonymous.status_code == wrong.status_code == 401
    names = {name for name, _ in values}
    for state in (
        "extranet_outbox_messages",
        "extranet_outbox_oldest_due_age_seconds",
        "extranet_tickets_open",
        "extranet_job_runs_total",
    ):
        assert state not in names
    # Its own process's figures: a target of its own, not a sum.
    assert "process_cpu_seconds_total" in names
    assert list(workdir.iterdir()) == []


def _families(client: httpx.Client) -> list[Metric]:
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    return list(text_string_to_metric_families(answer.text))


def _total(families: list[Metric], name: str, **labels: str) -> float:
    return sum(
        sample.value
        for family in families
        for sample in family.samples
        if sample.name == name and sample.labels == labels
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_any_web_process_reports_what_every_process_of_the_machine_counted(
    cli_env: dict[str, str], settings: Settings, db: Database, tmp_path: Path
) -> None:
    """Two `serve` processes and a `worker --once` sharing PROMETHEUS_MULTIPROC_DIR and one
    database: /metrics on either web process adds up all their counters, an ended process's
    included, and shows each state read from the database once."""
    # Not created beforehand: the processes make the folder they are given.
    env = {
        **cli_env,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "METRICS_TOKEN": TOKEN,
    }
    letter = mail.render(
        settings,
        "link_code",
        to=("Jean Dupont", "jean.dupont@example.org"),
        context={
            "person_name": "Jean Dupont",
            "code": "123456",
            "valid_minutes": 10,
            "channel_label": "Slack",
        },
    )
    with db.transaction() as session:
        outbox.enqueue(session, letter, kind="link_code")
    with (
        serve_process(env) as first_url,
        httpx.Client(base_url=first_url, timeout=10) as first,
    ):
        with (
            serve_process(env) as second_url,
            httpx.Client(base_url=second_url, timeout=10) as second,
        ):
            for browser, address in (
                (first, "anne@example.org"),
                (first, "paul@example.org"),
                (second, "anne@example.org"),
            ):
                assert sign_in(browser, address, "not the password").status_code == 401
            delivered = run_cli_process(env, "worker", "--once", text=True)
            assert delivered.returncode == 0, delivered.stderr
            assert delivered.stdout.startswith("1 sent"), delivered.stdout
            scrapes = {"first": _families(first), "second": _families(second)}
        # The second web process has ended (and the worker before it): still counted.
        scrapes["first, the second ended"] = _families(first)

    for which, families in scrapes.items():
        assert _total(families, "extranet_sign_ins_total", outcome="failed") == 3, which
        assert _total(families, "extranet_mail_deliveries_total", result="sent") == 1, which
        # States come once, not once per process: no family twice, no sample per pid.
        names = [family.name for family in families]
        assert len(names) == len(set(names)), which
        sent = [
            sample
            for family in families
            for sample in family.samples
            if sample.name == "extranet_outbox_messages" and sample.labels["status"] == "sent"
        ]
        assert [sample.value for sample in sent] == [1], which
        assert not [s for f in families for s in f.samples if "pid" in s.labels], which


# --- request ids and log lines -----------------------------------------------------------------


async def test_each_response_names_its_request_and_the_log_lines_carry_it(
    settings: Settings, db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    secret = settings.model_copy(update={"session_secret": SecretStr("s")})
    app = create_app(secret, Database(f"sqlite:///{tmp_path / 'empty.db'}"))
    with caplog.at_level(logging.WARNING):
        answer = await _get(app, "/readyz", headers={"X-Request-ID": "req-42.abc"})
    assert answer.headers["x-request-id"] == "req-42.abc"
    assert [r.request_id for r in caplog.records if "readiness" in r.getMessage()] == ["req-42.abc"]

    for hostile in ("a b", "x" * 65, "id\r\nSet-Cookie: y=1", ""):
        given = await _get(app, "/healthz", headers={"X-Request-ID": hostile} if hostile else {})
        assert given.headers["x-request-id"] != hostile
        assert len(given.headers["x-request-id"]) == 32


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_json_logs_are_one_object_per_line_without_personal_data_or_secrets(
    cli_env: dict[str, str], db: Database, tmp_path: Path
) -> None:
    address = "marie.curie@example.org"
    person_id = invited_person(db, email=address)
    link_token = invitation_token(db, person_id)
    log_path = tmp_path / "serve.log"
    with (
        log_path.open("wb") as log,
        serve_process({**cli_env, "LOG_FORMAT": "json"}, log=log) as url,
        httpx.Client(base_url=url, timeout=10) as browser,
    ):
        sign_in(browser, address, "wrong password")
        answer = browser.get(f"/activer/{link_token}")
        assert answer.status_code == 200
        request_id = browser.get("/readyz").headers["x-request-id"]
    lines = [line for line in log_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert records and all({"level", "logger", "message"} <= set(r) for r in records)
    assert any(r.get("request_id") == request_id for r in records)
    written = log_path.read_text(encoding="utf-8")
    for secret in (address, "marie.curie", link_token, "wrong password"):
        assert secret not in written


async def test_metrics_show_each_jobs_runs_and_last_success(
    settings: Settings, db: Database, cli_env: dict[str, str]
) -> None:
    app = create_app(settings.model_copy(update={"metrics_token": SecretStr(TOKEN)}), db)
    ran = run_cli(cli_env, "jobs", "run", "housekeeping", text=True)
    assert ran.returncode == 0, ran.stderr
    answer = await _get(app, "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    values = _values(answer.text)
    assert _one(values, "extranet_job_runs_total", job="housekeeping", outcome="success") == 1
    last = _one(values, "extranet_job_last_success_timestamp_seconds", job="housekeeping")
    assert abs(last - time.time()) < 600
