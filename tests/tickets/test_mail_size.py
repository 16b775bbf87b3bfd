"""Size limits on inbound e-mail (issue 16, item 13).

A message over MAIL_INGEST_MAX_BYTES is refused whole, with a message for the operator; a long
text is cut in the ticket to the web form's 10,000 characters and kept whole for agents; the
triage card stays one Slack message whatever the e-mail's length.
"""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from access.persistence.database import Database
from bot.settings import Settings
from helpdesk import tickets
from helpdesk.errors import MessageTooLarge
from helpdesk.inbound import InboundOptions
from helpdesk.queries import full_texts
from helpdesk.validation import MAX_LENGTHS
from tests.conftest import run_cli
from tests.tickets.conftest import Directory
from tests.tickets.inbound import events, raw, reply_address, run_ingest, ticket_count

LIMIT = MAX_LENGTHS["description"]


def plain_message(body: str, *, message_id: str = "<long@ecole.be>", to: str = "") -> bytes:
    headers = [
        "From: =?utf-8?q?=C3=89milie_Dupont?= <emilie.dupont@ecole.be>",
        f"To: {to or 'help.extranet@segec.be'}",
        "Subject: Un long message",
        f"Message-ID: {message_id}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode("utf-8")


def test_a_message_over_the_size_limit_is_refused_with_a_message_for_the_operator(
    db: Database, cli_env: dict[str, str], directory: Directory
) -> None:
    message = plain_message("x" * 300_000)
    env = {**cli_env, "MAIL_INGEST_MAX_BYTES": "200000"}
    done = run_cli(env, "mail", "ingest", stdin=message, text=False)
    assert done.returncode == 1
    error = done.stderr.decode().strip().splitlines()
    assert len(error) == 1
    assert "message too large" in error[0] and "200,000 bytes" in error[0]
    assert "MAIL_INGEST_MAX_BYTES" in error[0]
    assert ticket_count(db) == 0
    # Under the limit, the same command takes it.
    assert run_cli(cli_env, "mail", "ingest", stdin=message).returncode == 0
    assert ticket_count(db) == 1


def test_the_size_limit_is_checked_before_the_message_is_read(
    db: Database, settings: Settings, directory: Directory
) -> None:
    message = plain_message("x" * 2_000)
    with pytest.raises(MessageTooLarge) as refused, db.transaction() as session:
        from helpdesk.inbound import ingest

        ingest(session, settings, message, triage_enabled=False, options=InboundOptions(1_000))
    assert refused.value.size == len(message) and refused.value.limit == 1_000
    assert ticket_count(db) == 0


def test_a_long_text_is_cut_to_the_form_limit_and_kept_whole_for_agents(
    db: Database, settings: Settings, cli_env: dict[str, str], directory: Directory
) -> None:
    body = "\n".join(f"Ligne {n} : le message d'erreur se répète." for n in range(3_000))
    result = run_ingest(db, settings, plain_message(body))
    number = result.number or ""
    with db.session() as session:
        ticket = tickets.get_ticket(session, number)
        assert len(ticket.description) <= LIMIT
        assert ticket.description.startswith("Ligne 0 : le message")
        assert "Message tronqué" in ticket.description
        (kept,) = full_texts(session, number)
        assert kept.body == body and kept.chars == len(body) and kept.event_id is None
    (opened,) = events(db, number, "opened")
    assert len(opened.body or "") <= LIMIT
    shown = run_cli(cli_env, "tickets", "full-text", number, text=True)
    assert shown.returncode == 0, shown.stderr
    assert body in shown.stdout


def test_a_long_reply_is_cut_the_same_way(
    db: Database, settings: Settings, cli_env: dict[str, str], directory: Directory
) -> None:
    number = run_ingest(db, settings, plain_message("Bonjour")).number or ""
    body = "Suite : " + "très " * 50_000
    reply = plain_message(body, message_id="<reply@ecole.be>", to=reply_address(db, number))
    assert run_ingest(db, settings, reply).outcome == "appended"
    (event,) = events(db, number, "requester_reply")
    assert len(event.body or "") <= LIMIT and "Message tronqué" in (event.body or "")
    with db.session() as session:
        (kept,) = full_texts(session, number)
        assert kept.event_id == event.id and kept.body == body.strip()


def test_full_text_says_when_nothing_was_cut(
    db: Database, settings: Settings, cli_env: dict[str, str], directory: Directory
) -> None:
    number = run_ingest(db, settings, plain_message("Bonjour")).number or ""
    shown = run_cli(cli_env, "tickets", "full-text", number, text=True)
    assert shown.returncode == 0 and "nothing was cut" in shown.stdout
    unknown = run_cli(cli_env, "tickets", "full-text", "T-1999-00001", text=True)
    assert unknown.returncode == 1 and "not found" in unknown.stderr


def test_a_huge_single_line_message_makes_a_one_message_triage_card(
    db: Database, cli_env: dict[str, str], directory: Directory, tmp_path: Path
) -> None:
    from tests.slack_fake import FakeSlack

    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(mailbox.MaildirMessage(plain_message("a" * (1024 * 1024))))
    with FakeSlack() as fake:
        env = {
            **cli_env,
            "TRIAGE_CHANNEL": "CTRIAGE",
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": fake.api_url,
        }
        done = run_cli(env, "mail", "ingest", "--maildir", str(tmp_path / "Maildir"))
        assert done.returncode == 0, done.stderr.decode()
        posts = fake.calls_to("chat.postMessage")
    assert len(posts) == 1
    assert "Message tronqué" in str(posts[0].params["blocks"])


def test_the_sample_messages_fit_whole(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = run_ingest(db, settings, raw("outlook_multipart_qp.eml")).number or ""
    with db.session() as session:
        assert "Message tronqué" not in tickets.get_ticket(session, number).description
        assert full_texts(session, number) == []


def test_quoted_history_is_still_cut_from_a_very_long_reply() -> None:
    from helpdesk.inbound import strip_quoted

    quoted = "\n".join(["> Bonjour, avez-vous essayé de vider le cache ?"] * 50_000)
    reply = f"Bonjour,\nToujours bloquée.\n\nLe 25/11/2026 à 19:02, Helpdesk a écrit :\n{quoted}"
    assert strip_quoted(reply) == "Bonjour,\nToujours bloquée."
    # New text longer than where the history is looked for is kept whole.
    long_new = "Suite. " * 30_000
    assert strip_quoted(long_new) == long_new.strip()


def test_a_large_html_only_message_reads_as_its_text(
    db: Database, settings: Settings, directory: Directory
) -> None:
    paragraphs = "".join(f"<p>Paragraphe {n} &amp; <b>suite</b></p>" for n in range(40_000))
    message = plain_message(f"<html><body>{paragraphs}</body></html>").replace(
        b"text/plain", b"text/html"
    )
    number = run_ingest(db, settings, message).number or ""
    with db.session() as session:
        ticket = tickets.get_ticket(session, number)
        assert ticket.description.startswith("Paragraphe 0 & suite\nParagraphe 1 & suite")
        (kept,) = full_texts(session, number)
        assert kept.body.endswith("Paragraphe 39999 & suite")
