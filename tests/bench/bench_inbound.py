"""Benchmark of inbound e-mail with huge single-line messages (not in the default test run).

    pytest tests/bench/bench_inbound.py -s          (SQLite; PostgreSQL too with TEST_POSTGRES_URL)

For a 4 MiB and a 24 MiB message whose text is one line, times the steps of `ingest` (parse,
the whole transaction), the triage card's rendering (and how many Slack messages it makes),
and `extranet-bot mail ingest` end to end, posting to a fake Slack. The 24 MiB message is over
the default MAIL_INGEST_MAX_BYTES (10 MiB): the limit is raised to time the work itself, and
the refusal at the default limit is timed too. Prints figures, asserts only outcomes.
"""

from __future__ import annotations

import mailbox
import time
from pathlib import Path

import pytest

from access.persistence.database import Database
from bot.conversation.features.tickets_views import triage_message
from bot.settings import Settings
from bot.slack.blocks import render_message
from helpdesk import tickets
from helpdesk.errors import MessageTooLarge
from helpdesk.inbound import InboundOptions, ingest, parse_mail
from tests.conftest import run_cli
from tests.slack_fake import FakeSlack

MIB = 1024 * 1024
RAISED = InboundOptions(max_bytes=32 * MIB)


def single_line_message(size: int, tag: str) -> bytes:
    headers = (
        "From: Emilie Dupont <emilie.dupont@ecole.be>\r\n"
        "To: help.extranet@segec.be\r\n"
        f"Subject: Un message de {size // MIB} Mio\r\n"
        f"Message-ID: <bench-{tag}-{size}@ecole.be>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode()
    word = b"erreur & <code> "
    body = word * ((size - len(headers)) // len(word))
    return headers + body + b"\r\n"


@pytest.mark.parametrize("mib", [4, 24])
def test_bench_ingest_a_single_line_message(
    db: Database, settings: Settings, cli_env: dict[str, str], tmp_path: Path, mib: int
) -> None:
    kind = "sqlite" if db.is_sqlite else "postgresql"
    raw = single_line_message(mib * MIB, "domain")

    t0 = time.perf_counter()
    parse_mail(raw)
    parsed = time.perf_counter() - t0

    t0 = time.perf_counter()
    with db.transaction() as session:
        result = ingest(session, settings, raw, triage_enabled=True, options=RAISED)
    ingested = time.perf_counter() - t0
    assert result.outcome == "created"

    with db.session() as session:
        ticket = tickets.get_ticket(session, result.number or "")
        t0 = time.perf_counter()
        payloads = render_message(triage_message(ticket))
        rendered = time.perf_counter() - t0

    t0 = time.perf_counter()
    with pytest.raises(MessageTooLarge), db.transaction() as session:
        ingest(session, settings, raw, triage_enabled=True, options=InboundOptions(len(raw) - 1))
    refused = time.perf_counter() - t0

    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(single_line_message(mib * MIB, "cli"))
    with FakeSlack() as fake:
        env = {
            **cli_env,
            "TRIAGE_CHANNEL": "CTRIAGE",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_API_URL": fake.api_url,
            "MAIL_INGEST_MAX_BYTES": str(RAISED.max_bytes),
        }
        # The same command on an empty Maildir: what starting the process costs.
        mailbox.Maildir(tmp_path / "Empty", create=True)
        t0 = time.perf_counter()
        run_cli(env, "mail", "ingest", "--maildir", str(tmp_path / "Empty"))
        startup = time.perf_counter() - t0
        t0 = time.perf_counter()
        done = run_cli(env, "mail", "ingest", "--maildir", str(tmp_path / "Maildir"))
        end_to_end = time.perf_counter() - t0
        posts = len(fake.calls_to("chat.postMessage"))
    assert done.returncode == 0, done.stderr.decode()

    print(
        f"\n[{kind}] {mib} MiB single line: parse {parsed:.2f} s, ingest {ingested:.2f} s, "
        f"triage card {rendered * 1000:.1f} ms ({len(payloads)} Slack message(s)), "
        f"refused over a limit {refused * 1000:.1f} ms; "
        f"`mail ingest --maildir` end to end {end_to_end:.2f} s (an empty run {startup:.2f} s), "
        f"{posts} post(s) to Slack"
    )


@pytest.mark.parametrize("mib", [4, 10])
def test_bench_html_only_message(db: Database, settings: Settings, mib: int) -> None:
    kind = "sqlite" if db.is_sqlite else "postgresql"
    paragraph = b"<p>erreur &amp; <b>code</b></p>"
    raw = (
        b"From: Emilie Dupont <emilie.dupont@ecole.be>\r\nTo: help.extranet@segec.be\r\n"
        b"Subject: HTML\r\nMessage-ID: <bench-html@ecole.be>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        + paragraph
        * (mib * MIB // len(paragraph) - 10)
    )
    t0 = time.perf_counter()
    with db.transaction() as session:
        result = ingest(session, settings, raw, triage_enabled=True, options=RAISED)
    elapsed = time.perf_counter() - t0
    assert result.outcome == "created"
    print(f"\n[{kind}] {mib} MiB of HTML paragraphs: ingest {elapsed:.2f} s")
