"""Poison messages are quarantined, not retried for ever (issue 16, item 14).

With --maildir, a message that cannot be processed moves to the `.Quarantine` sub-folder with
its reason logged (naming no person), the run goes on, and the exit code and the summary say
how many; on standard input it is refused with a one-line reason. A database outage is not
the message's fault: nothing is quarantined for it.
"""

from __future__ import annotations

import mailbox
import sqlite3
from pathlib import Path

from access.persistence.database import Database
from bot.settings import Settings
from tests.conftest import run_cli
from tests.tickets.conftest import Directory
from tests.tickets.inbound import raw, run_ingest, ticket_count

SECRET_NAME = "Evil"
CRLF_NAME = (
    b"From: =?utf-8?q?" + SECRET_NAME.encode() + b"=0D=0ABcc=3A_victim=40example=2Eorg?= "
    b"<poison@example.org>\r\n"
    b"To: help.extranet@segec.be\r\n"
    b"Subject: hello\r\n"
    b"Message-ID: <crlf@example.org>\r\n"
    b"\r\n"
    b"Bonjour\r\n"
)


def deeply_nested(depth: int = 3_000) -> bytes:
    parts = [
        b"From: Nested <nested@example.org>\r\nTo: help.extranet@segec.be\r\n"
        b"Subject: deep\r\nMessage-ID: <deep@example.org>\r\nMIME-Version: 1.0\r\n"
    ]
    for level in range(depth):
        parts.append(
            b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
        )
    parts.append(b"Content-Type: text/plain\r\n\r\nBonjour\r\n")
    parts.extend(b"--b%d--\r\n" % level for level in reversed(range(depth)))
    return b"".join(parts)


def _maildir(path: Path, *messages: bytes) -> Path:
    box = mailbox.Maildir(path, create=True)
    for message in messages:
        box.add(message)  # the bytes as delivered, never parsed here
    return path


def _files(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else []


def test_poison_messages_are_quarantined_and_the_batch_goes_on(
    db: Database, cli_env: dict[str, str], directory: Directory, tmp_path: Path
) -> None:
    root = _maildir(
        tmp_path / "Maildir",
        raw("outlook_multipart_qp.eml"),
        CRLF_NAME,
        deeply_nested(),
        raw("gmail_html_only.eml"),
    )
    done = run_cli(cli_env, "mail", "ingest", "--maildir", str(root), text=True)
    assert done.returncode == 1
    assert "Maildir processed: 2 created, 2 quarantined" in done.stdout
    assert "2 message(s) could not be processed and were moved to" in done.stderr
    assert ticket_count(db) == 2
    # Both poison messages wait, byte for byte and unseen, in the quarantine folder.
    quarantined = _files(root / ".Quarantine" / "new")
    assert sorted(p.read_bytes() for p in quarantined) == sorted([CRLF_NAME, deeply_nested()])
    assert (root / ".Quarantine" / "maildirfolder").exists()
    assert _files(root / "new") == [] and len(_files(root / "cur")) == 2
    # The reasons are logged, without the sender's name or address.
    assert "ValueError while processing the message" in done.stderr
    assert "RecursionError while processing the message" in done.stderr
    for personal in (SECRET_NAME, "poison@example.org", "nested@example.org", "victim"):
        assert personal not in done.stderr and personal not in done.stdout
    # Nothing is tried again.
    again = run_cli(cli_env, "mail", "ingest", "--maildir", str(root), text=True)
    assert again.returncode == 0 and "nothing new" in again.stdout
    assert len(_files(root / ".Quarantine" / "new")) == 2


def test_a_message_over_the_size_limit_is_quarantined(
    db: Database, cli_env: dict[str, str], directory: Directory, tmp_path: Path
) -> None:
    big = raw("outlook_multipart_qp.eml") + b"x" * 60_000
    root = _maildir(tmp_path / "Maildir", big, raw("gmail_html_only.eml"))
    env = {**cli_env, "MAIL_INGEST_MAX_BYTES": "50000"}
    done = run_cli(env, "mail", "ingest", "--maildir", str(root), text=True)
    assert done.returncode == 1
    assert "quarantined: message too large" in done.stdout
    assert "1 created, 1 quarantined" in done.stdout
    assert [p.read_bytes() for p in _files(root / ".Quarantine" / "new")] == [big]


def test_on_standard_input_a_poison_message_is_refused_with_one_line(
    db: Database, cli_env: dict[str, str], directory: Directory
) -> None:
    for message, kind in ((CRLF_NAME, "ValueError"), (deeply_nested(), "RecursionError")):
        done = run_cli(cli_env, "mail", "ingest", stdin=message, text=False)
        assert done.returncode == 1
        lines = done.stderr.decode().strip().splitlines()
        assert lines == [f"Error: message refused: {kind} while processing the message"]
        assert b"poison@example.org" not in done.stderr
    assert ticket_count(db) == 0


def test_an_unreachable_database_quarantines_nothing(
    cli_env: dict[str, str], directory: Directory, tmp_path: Path
) -> None:
    # An empty database: every query fails, as when the server is down or not migrated.
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    env = {**cli_env, "DATABASE_URL": f"sqlite:///{empty}"}
    root = _maildir(
        tmp_path / "Maildir", raw("outlook_multipart_qp.eml"), raw("gmail_html_only.eml")
    )
    done = run_cli(env, "mail", "ingest", "--maildir", str(root), text=True)
    assert done.returncode == 1 and "database unavailable" in done.stderr
    assert not (root / ".Quarantine").exists()
    assert len(_files(root / "new")) == 2
    piped = run_cli(env, "mail", "ingest", stdin=raw("outlook_multipart_qp.eml"), text=False)
    # EX_TEMPFAIL: the mail server keeps the message and delivers it again later.
    assert piped.returncode == 75
    assert "try again later" in piped.stderr.decode()


def test_a_nul_byte_in_a_message_opens_a_clean_ticket(
    db: Database, settings: Settings, directory: Directory
) -> None:
    message = raw("outlook_multipart_qp.eml").replace(b"Bonjour,", b"Bon\x00jour,\x01", 1)
    message = message.replace(b"Subject: ", b"Subject: \x00", 1)
    result = run_ingest(db, settings, message)
    assert result.outcome == "created"
    from helpdesk import tickets

    with db.session() as session:
        ticket = tickets.get_ticket(session, result.number or "")
        assert "\x00" not in ticket.description and "\x00" not in ticket.subject
        assert ticket.description.startswith("Bonjour,")


def test_a_directory_that_is_not_a_maildir_is_refused(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    done = run_cli(cli_env, "mail", "ingest", "--maildir", str(tmp_path), text=True)
    assert done.returncode == 1 and "is not a Maildir" in done.stderr
