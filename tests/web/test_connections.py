"""What reaches the server below the pages, over real sockets: HSTS over https, clients that
send their request too slowly or too much, and clients that go away mid-request."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from access.persistence.database import Database
from bot.settings import Settings
from bot.web.app import create_app
from bot.web.limits import HttpLimits
from tests.conftest import TLS, free_port
from tests.web.conftest import LiveServer, Served, Site

QUICK = HttpLimits(header_seconds=1.0, body_seconds=1.0, keep_alive_seconds=1)


@pytest.fixture
def quick(settings: Settings, db: Database) -> Iterator[Site]:
    """The site with one-second limits, so a test sees them act."""
    port = free_port()
    live = settings.model_copy(update={"public_base_url": f"http://127.0.0.1:{port}"})
    with LiveServer(create_app(live, db, limits=QUICK), port, limits=QUICK) as server:
        yield Site(url=server.url, settings=live, db=db, smtp=None)  # type: ignore[arg-type]


def connect(site: Site) -> socket.socket:
    host, port = site.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def trickle(sock: socket.socket, data: bytes, every: float, limit: float) -> float:
    """Send `data` a byte at a time until the server closes (returns how long it took) or
    `limit` seconds pass (returns `limit`)."""
    start = time.monotonic()
    for byte in data:
        if time.monotonic() - start > limit:
            return limit
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            return time.monotonic() - start
        time.sleep(every)
        if _closed(sock):
            return time.monotonic() - start
    return limit


def _closed(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) is not None
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)
        sock.settimeout(10)


def answer_of(sock: socket.socket) -> bytes:
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except OSError:
        pass
    return received


FOREVER = b"X-Padding: " + b"a" * 400


def test_a_client_sending_its_headers_slowly_is_cut_off(quick: Site) -> None:
    with connect(quick) as sock:
        sock.sendall(b"GET /connexion HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        took = trickle(sock, FOREVER, every=0.05, limit=8)
        answer = answer_of(sock)
    assert took < 4, "the server waited for the headers without limit"
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"trop de temps" in answer


def test_a_connection_that_sends_nothing_is_closed(quick: Site) -> None:
    with connect(quick) as sock:
        start = time.monotonic()
        answer = answer_of(sock)
        took = time.monotonic() - start
    assert took < 4 and b"HTTP/1.1 408 " in answer


def test_the_next_request_on_a_kept_alive_connection_has_the_same_deadline(quick: Site) -> None:
    with connect(quick) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        sock.sendall(b"GET /connexion HTTP/1.1\r\n")
        took = trickle(sock, FOREVER, every=0.05, limit=8)
        answer = answer_of(sock)
    assert took < 4 and b"HTTP/1.1 408 " in answer


def test_a_client_sending_its_body_slowly_gets_408(quick: Site) -> None:
    body = b"username=marie.curie%40example.org&password=" + b"p" * 300
    head = (
        "POST /connexion HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with connect(quick) as sock:
        sock.sendall(head)
        took = trickle(sock, body, every=0.05, limit=8)
        answer = answer_of(sock)
    assert took < 4, "the server waited for the body without limit"
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"connection: close" in answer.lower()
    with httpx.Client(verify=TLS, base_url=quick.url) as client:
        assert client.get("/connexion").status_code == 200  # others are served as usual


def test_a_body_over_the_limit_is_refused_before_it_is_read(quick: Site) -> None:
    too_much = QUICK.max_body_bytes + 1
    with connect(quick) as sock:
        sock.sendall(
            b"POST /connexion HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {too_much}\r\n\r\n".encode()
        )
        answer = answer_of(sock)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_body_without_length_is_counted_as_it_comes(quick: Site) -> None:
    chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
    with connect(quick) as sock:
        sock.sendall(
            b"POST /support HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        for _ in range(QUICK.max_body_bytes // 65536 + 2):
            if _closed(sock):
                break
            sock.sendall(chunk)
            time.sleep(0.02)
        answer = answer_of(sock)
    assert answer.startswith(b"HTTP/1.1 413 ")


def _send_head(sock: socket.socket, head: bytes, pieces: int) -> None:
    """The head in one write, or in `pieces` writes a moment apart (as a slow network cuts
    it): the server must answer the same either way. It may answer and close before the end
    of an oversized head, as servers do."""
    size = -(-len(head) // pieces)
    for start in range(0, len(head), size):
        try:
            sock.sendall(head[start : start + size])
        except OSError:
            return
        if pieces > 1:
            time.sleep(0.01)


LONG_TARGET = b"/support/faq?objet=" + b"mot+de+passe+" * 5000


@pytest.mark.parametrize("pieces", [1, 8], ids=["one-write", "eight-writes"])
def test_an_address_over_the_head_limit_is_refused_as_too_long(quick: Site, pieces: int) -> None:
    assert len(LONG_TARGET) > QUICK.max_head_bytes
    with connect(quick) as sock:
        _send_head(sock, b"GET " + LONG_TARGET + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", pieces)
        answer = answer_of(sock)
    assert answer.startswith(b"HTTP/1.1 414 "), answer[:200]
    assert "trop longue" in answer.decode("utf-8")


@pytest.mark.parametrize("pieces", [1, 8], ids=["one-write", "eight-writes"])
def test_headers_over_the_head_limit_are_refused_as_too_large(quick: Site, pieces: int) -> None:
    padding = b"".join(b"X-Padding-%d: %s\r\n" % (i, b"a" * 1000) for i in range(20))
    with connect(quick) as sock:
        _send_head(
            sock, b"GET /connexion HTTP/1.1\r\nHost: 127.0.0.1\r\n" + padding + b"\r\n", pieces
        )
        answer = answer_of(sock)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert "trop volumineux" in answer.decode("utf-8")


def test_a_long_address_under_the_head_limit_is_served(quick: Site) -> None:
    subject = "mot de passe " * 1000
    with httpx.Client(verify=TLS, base_url=quick.url) as client:
        answer = client.get("/support/faq", params={"objet": subject})
    assert answer.status_code == 200
    assert answer.json()["suggestions"][0]["id"] == "mot-de-passe-regles"


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record not in self.records:
            self.records.append(record)


@pytest.fixture
def server_log() -> Iterator[Records]:
    """What uvicorn and the app log, whatever uvicorn's own logging configuration."""
    handler = Records()
    # uvicorn's loggers do not propagate to the root: each tree gets the handler.
    trees = [logging.getLogger("uvicorn"), logging.getLogger()]
    for tree in trees:
        tree.addHandler(handler)
    limits_log = logging.getLogger("bot.web.limits")
    level = limits_log.level
    limits_log.setLevel(logging.DEBUG)
    yield handler
    limits_log.setLevel(level)
    for tree in trees:
        tree.removeHandler(handler)


@pytest.mark.parametrize("path", ["/connexion", "/support", "/mot-de-passe-oublie"])
def test_a_client_that_leaves_mid_body_is_no_application_error(
    quick: Site, server_log: Records, path: str
) -> None:
    with connect(quick) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
            + b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
            + b"username=marie"
        )
        time.sleep(0.2)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(
        "disconnected" in record.getMessage() for record in server_log.records
    ):
        time.sleep(0.05)
    problems = [record for record in server_log.records if record.levelno >= logging.WARNING]
    assert problems == [], [record.getMessage() for record in problems]
    assert not any(record.exc_info for record in server_log.records)
    (left,) = [record for record in server_log.records if "disconnected" in record.getMessage()]
    assert left.levelno == logging.DEBUG and path in left.getMessage()


def test_hsts_is_sent_when_the_public_address_is_https(settings: Settings, db: Database) -> None:
    port = free_port()
    secure = settings.model_copy(update={"public_base_url": "https://extranet.example"})
    with LiveServer(create_app(secure, db), port) as server, httpx.Client(verify=TLS) as client:
        for path in ("/connexion", "/static/site.css", "/healthz", "/page-inconnue"):
            answer = client.get(f"{server.url}{path}")
            assert answer.headers["strict-transport-security"] == (
                "max-age=31536000; includeSubDomains"
            ), path


def test_no_hsts_over_plain_http(site: Site) -> None:
    with site.client() as client:
        assert "strict-transport-security" not in client.get("/connexion").headers


def test_the_serve_command_cuts_off_slow_clients(served: Served) -> None:
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"GET /connexion HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        took = trickle(sock, FOREVER, every=0.1, limit=HttpLimits().header_seconds + 10)
        answer = answer_of(sock)
    assert took < HttpLimits().header_seconds + 5
    assert answer.startswith(b"HTTP/1.1 408 ")
