"""A forged sender cannot write into someone else's ticket (issue 16, item 11).

A reply joins its ticket only from the requester's address *and* sent to the reply address of
one of our e-mails (a key only the requester's mailbox received), or, opted in, when the MTA's
Authentication-Results says DMARC passed for that From. Anything else opens a new ticket, and
the agent reads why.
"""

from __future__ import annotations

from email.message import EmailMessage

import sqlalchemy as sa

from access.mail.outbox import deliver_due
from access.persistence.database import Database
from bot.settings import Settings
from helpdesk import reply_keys, tickets
from helpdesk.actors import Actor
from helpdesk.inbound import InboundOptions
from helpdesk.models import TicketReplyKey
from tests.smtp_server import SmtpServer
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

SOPHIE = "sophie.lemaitre@gmail.com"
MX = "mx.segec.be"


def _sophies_ticket(db: Database, settings: Settings) -> str:
    return run_ingest(db, settings, raw("gmail_html_only.eml")).number or ""


def _reply(number: str, *, to: str = HELP, sender: str = SOPHIE, headers: str = "") -> bytes:
    data = raw("thunderbird_reply.eml.tmpl", number, reply_to=to)
    data = data.replace(SOPHIE.encode(), sender.encode())
    return headers.encode() + data


def test_a_forged_from_citing_the_number_opens_a_new_ticket_and_the_agent_sees_why(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _sophies_ticket(db, settings)
    # The attacker writes From: Sophie, [T-…] in the subject, to the help address.
    result = run_ingest(db, settings, _reply(number))
    assert result.outcome == "created" and result.number != number
    assert result.cited == number
    assert events(db, number, "requester_reply") == []
    (note,) = events(db, result.number or "", "unverified_mail")
    assert note.internal
    assert f"cite le ticket {number}" in (note.body or "")
    assert "ne répond pas à un e-mail du helpdesk" in (note.body or "")
    (on_cited,) = events(db, number, "unverified_mail")
    assert on_cited.internal and f"la demande {result.number}" in (on_cited.body or "")


def test_reply_to_is_where_answers_go_never_who_wrote(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer, directory: Directory
) -> None:
    number = _sophies_ticket(db, mail_settings)
    forged = _reply(number, sender="intrus@example.org").replace(
        b"Message-ID:", f"Reply-To: {SOPHIE}\r\nMessage-ID:".encode(), 1
    )
    result = run_ingest(db, mail_settings, forged)
    assert result.outcome == "created"
    assert events(db, number, "requester_reply") == []
    with db.session() as session:
        opened = tickets.get_ticket(session, result.number or "")
        assert opened.contact_email == "intrus@example.org"
        assert opened.reply_email == SOPHIE
    (note,) = events(db, result.number or "", "answer_address")
    assert SOPHIE in (note.body or "") and "intrus@example.org" in (note.body or "")
    (doubt,) = events(db, result.number or "", "unverified_mail")
    assert "n'est pas le demandeur" in (doubt.body or "")
    # The acknowledgement of that new ticket goes to the address asked for.
    deliver_due(mail_settings, db)
    about = [m for m in smtp_server.messages if result.number in str(m.message["Subject"])]
    assert [m.rcpt_tos for m in about if m.rcpt_tos != [HELP]] == [[SOPHIE]]
    # The help address reads both addresses, and its own answer goes where it was asked.
    (to_helpdesk,) = [m for m in about if m.rcpt_tos == [HELP]]
    assert "Réponses envoyées à" in to_helpdesk.text() and SOPHIE in to_helpdesk.text()
    assert str(to_helpdesk.message["Reply-To"]) == SOPHIE


def test_a_reply_to_the_reply_address_of_our_email_joins_its_ticket(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _sophies_ticket(db, settings)
    to = reply_address(db, number)
    assert to.startswith(f"help.extranet+{number}.") and to.endswith("@segec.be")
    assert run_ingest(db, settings, _reply(number, to=to)).outcome == "appended"
    assert len(events(db, number, "requester_reply")) == 1
    assert events(db, number, "unverified_mail") == []


def test_mail_systems_that_lower_the_case_of_the_address_still_match(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _sophies_ticket(db, settings)
    to = reply_address(db, number).lower()
    assert run_ingest(db, settings, _reply(number, to=to)).outcome == "appended"


def test_the_reply_address_of_an_agent_reply_also_proves_the_sender(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _sophies_ticket(db, settings)
    with db.transaction() as session:
        tickets.reply(session, settings, number, Actor("slack:U1", "Alice"), "Essayez ceci.")
    first, latest = (m["Reply-To"].addresses[0].addr_spec for m in _to_sophie(db, number))
    assert first != latest
    # A key found in Cc or Delivered-To counts as well (reply-all, the MTA's delivery header).
    cc = _reply(number).replace(b"Message-ID:", f"Cc: {latest}\r\nMessage-ID:".encode(), 1)
    assert run_ingest(db, settings, cc).outcome == "appended"


def _to_sophie(db: Database, number: str) -> list[EmailMessage]:
    return [m for m in outbox_messages(db, number) if str(m["To"]) != HELP]


def test_the_key_of_the_reply_address_from_another_sender_opens_a_new_ticket(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _sophies_ticket(db, settings)
    to = reply_address(db, number)
    # Sophie forwarded our e-mail to a colleague, who answers it.
    result = run_ingest(db, settings, _reply(number, to=to, sender="collegue@ecole.be"))
    assert result.outcome == "created" and result.cited == number
    assert events(db, number, "requester_reply") == []


def test_a_made_up_key_or_the_key_of_another_ticket_joins_nothing(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _sophies_ticket(db, settings)
    other = run_ingest(
        db,
        settings,
        raw("gmail_html_only.eml").replace(b"<CAJx8sL+", b"<other-"),
    ).number
    assert other is not None and other != number
    guessed = reply_keys.reply_address(HELP, number, reply_keys.new_key())
    assert run_ingest(db, settings, _reply(number, to=guessed)).outcome == "created"
    # The key of Sophie's other ticket, with this ticket's number written in front of it.
    key = reply_address(db, other).partition("@")[0].rpartition(".")[2]
    mixed = reply_keys.reply_address(HELP, number, key)
    second = _reply(number, to=mixed).replace(b"<c0ffee12", b"<c0ffee13")
    assert run_ingest(db, settings, second).outcome == "created"
    assert events(db, number, "requester_reply") == []


def test_only_a_hash_of_each_key_is_stored(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _sophies_ticket(db, settings)
    key = reply_address(db, number).partition("@")[0].rpartition(".")[2]
    assert len(key) >= 26
    with db.session() as session:
        stored = session.scalars(sa.select(TicketReplyKey.key_hash)).all()
    assert stored == [reply_keys.hash_key(key)]
    assert key not in stored[0]


def _authenticated(number: str, result: str) -> bytes:
    return _reply(number, headers=f"Authentication-Results: {result}\r\n")


def test_dmarc_pass_from_our_mta_proves_the_sender_when_the_operator_opts_in(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _sophies_ticket(db, settings)
    passed = _authenticated(
        number,
        f"{MX}; spf=pass smtp.mailfrom=gmail.com;\r\n dkim=pass header.d=gmail.com;"
        "\r\n dmarc=pass (p=NONE sp=QUARANTINE dis=NONE) header.from=gmail.com",
    )
    # Not opted in: the header proves nothing.
    assert run_ingest(db, settings, passed).outcome == "created"
    options = InboundOptions(dmarc_authserv_id=MX)
    again = passed.replace(b"<c0ffee12", b"<c0ffee14")
    assert run_ingest(db, settings, again, options).outcome == "appended"


def test_dmarc_results_that_prove_nothing_are_not_believed(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _sophies_ticket(db, settings)
    options = InboundOptions(dmarc_authserv_id=MX)
    forged = [
        # Written by the sender: another server's name.
        "evil.example; dmarc=pass header.from=gmail.com",
        f"{MX}; dmarc=fail (p=REJECT) header.from=gmail.com",
        f"{MX}; dmarc=pass header.from=example.org",
        f"{MX}; dmarc=pass",
        f"{MX}; spf=pass smtp.mailfrom=gmail.com",
    ]
    for index, result in enumerate(forged):
        message = _authenticated(number, result).replace(b"<c0ffee12", f"<forged{index}".encode())
        assert run_ingest(db, settings, message, options).outcome == "created", result
    # Our MTA's header comes first (it is added on top); a "pass" below it was the sender's.
    both = _reply(
        number,
        headers=f"Authentication-Results: {MX}; dmarc=fail header.from=gmail.com\r\n"
        f"Authentication-Results: {MX}; dmarc=pass header.from=gmail.com\r\n",
    ).replace(b"<c0ffee12", b"<forged-both")
    assert run_ingest(db, settings, both, options).outcome == "created"
    assert events(db, number, "requester_reply") == []
    assert ticket_count(db) == 1 + len(forged) + 1


def test_a_message_with_two_authors_joins_no_ticket(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _sophies_ticket(db, settings)
    to = reply_address(db, number)
    data = _reply(number, to=to).replace(
        f"From: Sophie Lemaitre <{SOPHIE}>".encode(),
        f"From: Sophie Lemaitre <{SOPHIE}>, intrus@example.org".encode(),
    )
    assert run_ingest(db, settings, data).outcome == "created"
