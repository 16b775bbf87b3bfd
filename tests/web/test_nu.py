"""The tests' Nu checker (tests/web/nu.py): one service per run, started by the first caller,
replaced when it died or hangs, stopped at the run's end. A stand-in `java` plays the service
(cheap); one test asks the real checker about a broken page."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.web import nu

# Serves like the Nu service: each page's one error is its text, plus an info and a warning;
# counts its starts; hangs on its first page if told to.
FAKE_JAVA = """#!{python}
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

here = Path(__file__).parent
with (here / "starts").open("a") as starts:
    starts.write(sys.argv[-1] + "\\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.reply(b"<!DOCTYPE html>")

    def do_POST(self):
        page = self.rfile.read(int(self.headers["Content-Length"])).decode()
        if (here / "hang").exists():
            (here / "hang").unlink()
            time.sleep(3600)
        messages = [
            {{"type": "error", "lastLine": 1, "message": page}},
            {{"type": "info", "lastLine": 1, "message": "not reported"}},
            {{"type": "info", "subType": "warning", "lastLine": 2, "message": "a warning"}},
        ]
        self.reply(json.dumps({{"messages": messages}}).encode())

    def reply(self, body):
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[-1])), Handler).serve_forever()
"""


@pytest.fixture
def fake_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A run of its own, whose `java` is the stand-in; the folder where it counts its starts."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    java = bin_folder / "java"
    java.write_text(FAKE_JAVA.format(python=sys.executable))
    java.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_folder}{os.pathsep}{os.environ['PATH']}")
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setenv(nu.RUN_FOLDER_VARIABLE, str(run))
    yield bin_folder
    nu.end_run()


def _starts(bin_folder: Path) -> int:
    starts = bin_folder / "starts"
    return len(starts.read_text().splitlines()) if starts.exists() else 0


def _service() -> nu.Service:
    service = nu._recorded(Path(os.environ[nu.RUN_FOLDER_VARIABLE]))
    assert service is not None
    return service


def test_callers_of_a_run_share_one_service_started_by_the_first(fake_run: Path) -> None:
    assert _starts(fake_run) == 0  # nothing checked, nothing started
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda i: nu.html_errors({f"p{i}": f"e{i}", "q": "f"}), range(4)))
    assert answers == [
        [f"p{i}: line 1: e{i}", f"p{i}: line 2: a warning", "q: line 1: f", "q: line 2: a warning"]
        for i in range(4)
    ]
    assert _starts(fake_run) == 1


def test_a_dead_service_is_replaced(fake_run: Path) -> None:
    assert nu.html_errors({"p": "e"}) == ["p: line 1: e", "p: line 2: a warning"]
    dead = _service()
    os.kill(dead.pid, signal.SIGKILL)
    assert nu.html_errors({"p": "e"}) == ["p: line 1: e", "p: line 2: a warning"]
    assert _starts(fake_run) == 2 and _service() != dead


def test_a_service_that_does_not_answer_is_replaced(
    fake_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert nu.html_errors({"p": "e"}) == ["p: line 1: e", "p: line 2: a warning"]
    hung = _service()
    (fake_run / "hang").touch()
    monkeypatch.setattr(nu, "CHECK_TIMEOUT", 0.5)
    assert nu.html_errors({"p": "e"}) == ["p: line 1: e", "p: line 2: a warning"]
    assert _starts(fake_run) == 2 and not nu._is_service(hung.pid)


def test_the_end_of_the_run_stops_its_service_and_removes_its_folder(fake_run: Path) -> None:
    nu.html_errors({"p": "e"})
    service = _service()
    folder = Path(os.environ[nu.RUN_FOLDER_VARIABLE])
    assert nu._is_service(service.pid)
    nu.end_run()
    assert not nu._is_service(service.pid) and not folder.exists()


def test_without_java_the_check_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="needs Java"):
        nu.html_errors({"p": "<!DOCTYPE html>"})


def test_the_real_checker_reports_a_broken_page() -> None:
    page = (
        '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><title>Cassée</title>'
        '</head>\n<body><main><p>un <div>bloc</div></p>\n<img src="x.png">\n'
        "<section><p>sans titre</p></section></main></body></html>\n"
    )
    assert nu.html_errors({"cassée": page, "vide": "<!DOCTYPE html>"}) == [
        "cassée: line 3: No “p” element in scope but a “p” end tag seen.",
        "cassée: line 4: An “img” element must have an “alt” attribute, except under certain "
        "conditions. For details, consult guidance on providing text alternatives for images.",
        "cassée: line 5: Section lacks heading. Consider using “h2”-“h6” elements to add "
        "identifying headings to all sections, or else use a “div” element instead for any "
        "cases where no heading is needed.",
        "vide: line 1: Element “head” is missing a required instance of child element “title”.",
        "vide: line 1: Consider adding a “lang” attribute to the “html” start tag to declare the "
        "language of this document.",
    ]
