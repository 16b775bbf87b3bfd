"""`GET /metrics` (Prometheus text format) and what it reads from the database when scraped.

Never public by default: served on the app's port only with `METRICS_TOKEN` (as a bearer
token), or on a port of its own with `METRICS_PORT` (bound to `METRICS_HOST`, loopback by
default; the token is required there too when it is set); neither set, there are no metrics.
Event counters come from `common.metrics`. The `worker` and the `scheduler` serve their
counters on a port of their own the same way, without the database's states.
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, ThreadingWSGIServer
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from access.clock import utcnow
from access.mail.outbox.store import backlog
from access.persistence.database import Database
from bot.settings import Settings
from common.metrics import MULTIPROC_DIR, PREFIX
from helpdesk.stats import open_by_status
from scheduling import runs

log = logging.getLogger(__name__)


class DatabaseCollector(Collector):
    """States read from the database at each scrape: the same answer whichever process
    serves it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        with self.db.reading() as session:
            outbox = backlog(session, now=now)
            tickets = open_by_status(session)
            successes = runs.last_successes(session)
            outcomes = runs.runs_by_outcome(session)
        messages = GaugeMetricFamily(
            f"{PREFIX}_outbox_messages", "Messages in the outbox, by status.", labels=["status"]
        )
        for status, count in sorted(outbox.by_status.items()):
            messages.add_metric([status], count)
        yield messages
        waiting = 0.0
        if outbox.oldest_due_since is not None:
            waiting = max((now - outbox.oldest_due_since).total_seconds(), 0.0)
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_oldest_due_age_seconds",
            "How long the oldest message that is due now has been waiting (0: none is due).",
            value=waiting,
        )
        open_tickets = GaugeMetricFamily(
            f"{PREFIX}_tickets_open", "Open helpdesk tickets, by status.", labels=["status"]
        )
        for status, count in sorted(tickets.items()):
            open_tickets.add_metric([status], count)
        yield open_tickets
        job_runs = CounterMetricFamily(
            f"{PREFIX}_job_runs",
            "Runs of the scheduled jobs, by outcome.",
            labels=["job", "outcome"],
        )
        for (job, outcome), count in sorted(outcomes.items()):
            job_runs.add_metric([job, outcome], count)
        yield job_runs
        last = GaugeMetricFamily(
            f"{PREFIX}_job_last_success_timestamp_seconds",
            "When each scheduled job last ended well (Unix time).",
            labels=["job"],
        )
        for job, at in sorted(successes.items()):
            last.add_metric([job], at.timestamp())
        yield last


class _Exposition:
    """The process's counters (or every process's, in multi-process mode) and, given the
    database, its states, as one registry for `generate_latest`."""

    def __init__(self, db: Database | None) -> None:
        self.database = DatabaseCollector(db) if db is not None else None
        if MULTIPROC_DIR:
            # Not REGISTRY: it holds this process's counters only, and its process_* metrics
            # would be one process's CPU and memory presented as the machine's.
            self.counters = CollectorRegistry()
            MultiProcessCollector(self.counters, path=MULTIPROC_DIR)
        else:
            self.counters = REGISTRY

    def collect(self) -> Iterator[Metric]:
        yield from self.counters.collect()
        if self.database is not None:
            yield from self.database.collect()


def exposition(db: Database) -> bytes:
    return generate_latest(_Exposition(db))  # type: ignore[arg-type]


_REFUSED = "metrics need the bearer token (METRICS_TOKEN)"


def _bearer_matches(authorization: str, token: str) -> bool:
    scheme, _, given = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def _token(settings: Settings) -> str:
    return settings.metrics_token.get_secret_value() if settings.metrics_token else ""


def _authorized(request: Request, token: str) -> bool:
    return _bearer_matches(request.headers.get("authorization", ""), token)


async def metrics(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    token = _token(settings)
    if not token:
        return PlainTextResponse("Not Found", status_code=404)
    if not _authorized(request, token):
        return PlainTextResponse(
            _REFUSED,
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    body = await run_in_threadpool(exposition, request.app.state.db)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _token_required(app: WsgiApp, token: str) -> WsgiApp:
    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if _bearer_matches(environ.get("HTTP_AUTHORIZATION", ""), token):
            return app(environ, start_response)
        start_response(
            "401 Unauthorized",
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("WWW-Authenticate", 'Bearer realm="metrics"'),
            ],
        )
        return [_REFUSED.encode()]

    return guarded


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not logged: one line every few seconds would bury the others."""


def _bind(host: str, port: int, app: WsgiApp) -> Any:
    """prometheus-client's `start_http_server` (IPv4 or IPv6 as the address says, a thread
    per request, no request log) serving a WSGI app of ours: it takes none."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    server_class = type("MetricsServer", (ThreadingWSGIServer,), {"address_family": family[0][0]})
    return make_server(host, port, app, server_class, handler_class=_QuietHandler)


def serve_on_own_port(settings: Settings, db: Database | None) -> Any | None:
    """With METRICS_PORT: the metrics on that port, in a thread of this process, behind
    METRICS_TOKEN when it is set; with `db`, the database's states too (the web's, not the
    worker's nor the scheduler's: they would be scraped twice). Returns the server (its
    `shutdown()` stops it), or None."""
    if settings.metrics_port is None:
        return None
    app: WsgiApp = make_wsgi_app(_Exposition(db))  # type: ignore[arg-type]
    if token := _token(settings):
        app = _token_required(app, token)
    try:
        server = _bind(settings.metrics_host, settings.metrics_port, app)
    except OSError as error:
        # Processes of one machine given one port: the first serves (with
        # PROMETHEUS_MULTIPROC_DIR, what they all counted).
        log.warning("metrics port %s not served here: %s", settings.metrics_port, error)
        return None
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("metrics on %s:%s", settings.metrics_host, settings.metrics_port)
    return server
