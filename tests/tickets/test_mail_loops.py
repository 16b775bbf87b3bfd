"""No mail loops, and the helpdesk is no mail cannon (issue 16, item 12).

Automatic messages open no ticket and get no acknowledgement; bounces are recorded against
the e-mail they concern; acknowledgements to one address are limited; our own automatic
answers say they are (RFC 3834).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from access.mail.outbox.models import OutboxMessage
from access.persistence.database import Database
from bot.settings import Settings
from helpdesk.inbound import parse_mail
from tests.tickets.conftest import Directory
from tests.tickets.inbound import (
    HELP,
    events,
    outbox_messages,
    raw,
    reply_address,
    run_ingest,
    ticket_count,
)

PERSON = raw("outlook_multipart_qp.eml")


def _outbox_count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) or 0)


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "Auto-Submitted: auto-notified; owner-email=list@ecole.be",
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: list",
        "Precedence: auto_reply",
        "X-Autoreply: yes",
        "X-Autorespond: Absent du bureau",
        "X-Auto-Response-Suppress: All",
        "Return-Path: <>",
    ],
)
def test_automatic_messages_open_no_ticket_and_get_no_acknowledgement(
    db: Database, settings: Settings, directory: Directory, header: str
) -> None:
    result = run_ingest(db, settings, f"{header}\r\n".encode() + PERSON)
    assert result.outcome == "ignored"
    assert (result.reason or "").startswith("automatic message")
    assert ticket_count(db) == 0 and _outbox_count(db) == 0


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.ecole.be", "Postmaster@ecole.be"])
def test_mail_systems_open_no_ticket(
    db: Database, settings: Settings, directory: Directory, sender: str
) -> None:
    message = PERSON.replace(b"<Emilie.Dupont@ecole.be>", f"<{sender}>".encode(), 1)
    assert run_ingest(db, settings, message).outcome == "ignored"
    assert ticket_count(db) == 0 and _outbox_count(db) == 0


def test_a_person_saying_auto_submitted_no_is_a_person(
    db: Database, settings: Settings, directory: Directory
) -> None:
    message = b"Auto-Submitted: no\r\nPrecedence: first-class\r\n" + PERSON
    assert run_ingest(db, settings, message).outcome == "created"


def _acknowledged_number(db: Database, settings: Settings) -> tuple[str, str]:
    number = run_ingest(db, settings, PERSON).number or ""
    (acknowledgement,) = outbox_messages(db, number, "acknowledged")
    return number, str(acknowledgement["Message-ID"]).strip()


@pytest.mark.parametrize("sample", ["dsn_postfix.eml.tmpl", "ndr_exchange.eml.tmpl"])
def test_a_bounce_is_recorded_against_the_email_it_concerns_and_opens_no_ticket(
    db: Database, settings: Settings, directory: Directory, sample: str
) -> None:
    number, message_id = _acknowledged_number(db, settings)
    bounce = raw(sample, message_id=message_id, recipient="Emilie.Dupont@ecole.be")
    assert parse_mail(bounce).delivery is not None
    result = run_ingest(db, settings, bounce)
    assert (result.outcome, result.number) == ("bounce", number)
    assert ticket_count(db) == 1
    with db.session() as session:
        sent = session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.message_id == message_id)
        ).one()
        others = session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.message_id != message_id)
        ).all()
    assert sent.bounced_at is not None
    assert sent.bounce_status in ("5.1.1", "5.2.2")
    assert "5." in (sent.bounce_reason or "")
    assert all(other.bounced_at is None for other in others)
    # The agent reads in the ticket's history that the requester did not get the e-mail.
    (note,) = events(db, number, "bounced")
    assert note.internal and "Emilie.Dupont@ecole.be" in (note.body or "")
    assert "n'a pas pu être remis" in (note.body or "")
    # The same report again changes nothing.
    assert run_ingest(db, settings, bounce).outcome == "duplicate"
    assert len(events(db, number, "bounced")) == 1


def test_reports_that_concern_no_email_of_ours_or_no_failure_are_only_ignored(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number, message_id = _acknowledged_number(db, settings)
    stranger = raw("dsn_postfix.eml.tmpl", message_id="<unknown@elsewhere>", recipient="x@y.be")
    assert run_ingest(db, settings, stranger).outcome == "ignored"
    delayed = raw("dsn_postfix.eml.tmpl", message_id=message_id, recipient="x@y.be").replace(
        b"Action: failed", b"Action: delayed"
    )
    assert run_ingest(db, settings, delayed).outcome == "ignored"
    receipt = PERSON.replace(
        b"Content-Type: multipart/alternative;",
        b"Content-Type: multipart/report; report-type=disposition-notification;",
        1,
    )
    assert run_ingest(db, settings, receipt).outcome == "ignored"
    assert ticket_count(db) == 1 and events(db, number, "bounced") == []


def test_acknowledgements_to_one_address_are_limited_to_five_an_hour(
    db: Database, settings: Settings, directory: Directory
) -> None:
    numbers = []
    for index in range(7):
        message = PERSON.replace(b"<AM0PR02MB5412A1B2", f"<flood{index}-".encode())
        result = run_ingest(db, settings, message)
        assert result.outcome == "created"
        numbers.append(result.number or "")
    acknowledged = [n for n in numbers if outbox_messages(db, n, "acknowledged")]
    assert acknowledged == numbers[:5]
    for number in numbers[5:]:
        (note,) = events(db, number, "acknowledgement_withheld")
        assert note.internal and "protection contre les envois en masse" in (note.body or "")
    # Every ticket still reaches the help address: only the acknowledgement is held back.
    assert all(outbox_messages(db, n, "helpdesk") for n in numbers)
    # Another address is not held back by the first one's count.
    other = PERSON.replace(b"Emilie.Dupont@ecole.be", b"marc@ecole.be").replace(
        b"<AM0PR02MB5412A1B2", b"<other-"
    )
    assert outbox_messages(db, run_ingest(db, settings, other).number or "", "acknowledged")


def test_the_acknowledgement_says_it_is_an_automatic_answer(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number, _ = _acknowledged_number(db, settings)
    (acknowledgement,) = outbox_messages(db, number, "acknowledged")
    assert str(acknowledgement["Auto-Submitted"]) == "auto-replied"
    (to_helpdesk,) = outbox_messages(db, number, "helpdesk")
    assert str(to_helpdesk["Auto-Submitted"]) == "auto-generated"
    # Fed back to the help address (a forwarding rule, a requester's own robot), it is dropped.
    looped = acknowledgement.as_bytes().replace(b"From: Extranet", b"From: Robot", 1)
    assert run_ingest(db, settings, looped).outcome == "ignored"
    assert str(acknowledgement["To"]) != HELP
    assert reply_address(db, number) != HELP


def test_a_message_from_the_help_address_itself_opens_nothing(
    db: Database, settings: Settings, directory: Directory
) -> None:
    for sender in (HELP, "help.extranet+T-2026-00001.abc@segec.be"):
        message = PERSON.replace(b"<Emilie.Dupont@ecole.be>", f"<{sender}>".encode(), 1)
        assert run_ingest(db, settings, message).outcome == "ignored"
    assert ticket_count(db) == 0 and _outbox_count(db) == 0


def test_a_bounce_of_an_invitation_is_recorded_on_its_outbox_row(
    db: Database, settings: Settings, directory: Directory
) -> None:
    from access.mail.outbox import enqueue
    from access.mail.templates import render

    letter = render(
        settings,
        "tickets_reply",
        to="emilie.dupont@ecole.be",
        context={
            "number": "T-2026-00001",
            "ticket_subject": "x",
            "requester_name": "",
            "body": "x",
            "author_name": "",
            "subject": "x",
        },
    )
    with db.transaction() as session:
        row = enqueue(session, letter, kind="invitation", person_id=directory.person_id)
        session.flush()
        message_id = row.message_id
    # A report without a Message-ID of its own, received twice: recorded once.
    bounce = raw("dsn_postfix.eml.tmpl", message_id=message_id, recipient="e@ecole.be").replace(
        b"Message-Id: <20261126090214.4Zy1Ab2CdEz9sRt@mx.segec.be>\r\n", b""
    )
    first = run_ingest(db, settings, bounce)
    assert (first.outcome, first.number) == ("bounce", None)
    assert run_ingest(db, settings, bounce).outcome == "duplicate"
    with db.session() as session:
        row = session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.message_id == message_id)
        ).one()
        assert row.bounced_at is not None and row.bounce_status == "5.1.1"
        assert "User unknown" in (row.bounce_reason or "")
    assert ticket_count(db) == 0
