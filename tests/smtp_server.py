"""A real SMTP server (aiosmtpd) for tests: receives on a free loopback port and keeps what it
receives; can slow every answer down, refuse recipients, fail the next messages, go down
and come back up on the same port; can require a login, over STARTTLS or TLS with a
certificate from a test authority (`ca_file`, to trust through SSL_CERT_FILE).

    with SmtpServer() as smtp:              # or the `smtp_server` fixture
        settings = settings.model_copy(update=smtp.settings_update())
        ...
        smtp.wait_for(3)
        mail = smtp.messages[0].message     # email.message.EmailMessage
"""

from __future__ import annotations

import asyncio
import re
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Literal

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import SecretStr

from tests.conftest import free_port


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    encrypted: bool = False
    logged_in: bool = False

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.data)
        return parsed  # type: ignore[return-value]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"]).strip()

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())

    def links(self) -> list[str]:
        return re.findall(r"https?://\S+", self.text())


class _SlowSMTP(SMTP):
    """Waits `delay` before every answer, as a distant relay does."""

    def __init__(self, handler: Any, *, owner: SmtpServer, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._owner = owner

    async def push(self, status: str) -> None:
        if self._owner.delay:
            await asyncio.sleep(self._owner.delay)
        await super().push(status)


class _Controller(Controller):
    def __init__(self, owner: SmtpServer, **kwargs: Any) -> None:
        super().__init__(owner, **kwargs)
        self._owner = owner

    def factory(self) -> SMTP:
        return _SlowSMTP(self.handler, owner=self._owner, **self.SMTP_kwargs)


class SmtpServer:
    """The server; also its own aiosmtpd handler."""

    def __init__(
        self,
        port: int | None = None,
        *,
        delay: float = 0.0,
        utf8: bool = True,
        login: tuple[str, str] | None = None,
        tls: Literal["none", "starttls", "tls"] = "none",
        ca_dir: Path | None = None,
    ) -> None:
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.delay = delay
        self.utf8 = utf8
        self.received: list[Received] = []
        # address (lower case) -> SMTP answer, e.g. "550 5.1.1 User unknown"
        self.refuse: dict[str, str] = {}
        self._next_failures: list[str] = []
        self._next_stalls: list[float] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._controller: _Controller | None = None
        self.connections = 0
        # (user, password) the server accepts; every AUTH is counted, and each message
        # records whether its session was encrypted and logged in.
        self.login = login
        self.logins_tried = 0
        self.tls = tls
        self.ca_file: Path | None = None
        self._tls_context: ssl.SSLContext | None = None
        if tls != "none":
            authority = trustme.CA()
            self._tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            authority.issue_cert(self.host).configure_cert(self._tls_context)
            self.ca_file = (ca_dir or Path(tempfile.mkdtemp())) / f"smtp-test-ca-{self.port}.pem"
            authority.cert_pem.write_to_path(str(self.ca_file))

    # --- control -------------------------------------------------------------------------

    def start(self) -> SmtpServer:
        if self._controller is None:
            secure: dict[str, Any] = {}
            if self.tls == "starttls":
                secure = {"tls_context": self._tls_context, "require_starttls": True}
            elif self.tls == "tls":
                secure = {"ssl_context": self._tls_context}
            if self.login is not None:
                secure |= {
                    "authenticator": self._authenticate,
                    "auth_required": True,
                    # aiosmtpd knows of STARTTLS only: on a TLS connection it would never
                    # offer AUTH if told to require encryption, which TLS already gives.
                    "auth_require_tls": self.tls == "starttls",
                }
            controller = _Controller(
                self,
                hostname=self.host,
                port=self.port,
                ready_timeout=10,
                enable_SMTPUTF8=self.utf8,
                **secure,
            )
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        """Down: connections are refused until `start()` again (same port)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(self, answer: str, count: int = 1) -> None:
        """The next `count` messages get `answer` (e.g. "451 4.3.0 Try again later") at DATA."""
        with self._lock:
            self._next_failures.extend([answer] * count)

    def stall_next(self, seconds: float, count: int = 1) -> None:
        """The next `count` messages get no answer at the end of DATA for `seconds`, then a
        451 (the relay hung and dropped them)."""
        with self._lock:
            self._next_stalls.extend([seconds] * count)

    def settings_update(self) -> dict[str, Any]:
        update: dict[str, Any] = {
            "mail_backend": "smtp",
            "smtp_host": self.host,
            "smtp_port": self.port,
            "smtp_tls": self.tls,
            "smtp_timeout_seconds": 10.0,
        }
        if self.login is not None:
            update |= {
                "smtp_username": self.login[0],
                "smtp_password": SecretStr(self.login[1]),
            }
        return update

    # --- what arrived --------------------------------------------------------------------

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} messages arrived, not {count}")
                self._arrived.wait(left)
            return list(self.received)

    def clear(self) -> None:
        with self._lock:
            self.received.clear()

    # --- aiosmtpd handler hooks ----------------------------------------------------------

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        with self._lock:
            self.logins_tried += 1
        given = (
            (data.login.decode(), data.password.decode())
            if isinstance(data, LoginPassword)
            else None
        )
        return AuthResult(success=given == self.login, handled=False)

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: Any
    ) -> Any:
        session.host_name = hostname
        with self._lock:
            self.connections += 1
        return responses

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        answer = self.refuse.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            stall = self._next_stalls.pop(0) if self._next_stalls else None
        if stall is not None:
            await asyncio.sleep(stall)
            return "451 4.4.2 Timeout"
        with self._lock:
            if self._next_failures:
                return self._next_failures.pop(0)
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode("utf-8")
        with self._arrived:
            self.received.append(
                Received(
                    mail_from=str(envelope.mail_from),
                    rcpt_tos=list(envelope.rcpt_tos),
                    data=data,
                    encrypted=server.transport.get_extra_info("ssl_object") is not None,
                    logged_in=bool(session.authenticated),
                )
            )
            self._arrived.notify_all()
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


# --- a relay in its own process (benchmarks) ---------------------------------------------


def serve_counting(
    port: int, delay: float, counter: Any, last_arrival: Any, ready: Any, stop: Any
) -> None:
    """Run in a child process: count arrivals in shared values until `stop` is set."""

    class Counting(SmtpServer):
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            with counter.get_lock():
                counter.value += 1
                last_arrival.value = time.time()
            return "250 Message accepted for delivery"

    server = Counting(port, delay=delay).start()
    ready.set()
    stop.wait()
    server.stop()
