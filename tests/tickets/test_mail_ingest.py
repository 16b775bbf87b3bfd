"""`mail ingest`: real-world messages become tickets, replies join their ticket."""

from __future__ import annotations

import mailbox
from pathlib import Path

import sqlalchemy as sa

from access.mail.outbox import deliver_due
from access.persistence.database import Database
from bot.settings import Settings
from helpdesk import tickets
from helpdesk.actors import Actor
from helpdesk.inbound import ingest, parse_mail
from helpdesk.models import Ticket, TicketEvent
from helpdesk.queries import ticket_with_history
from tests.conftest import run_cli, run_cli_smoke
from tests.smtp_server import SmtpServer
from tests.tickets.conftest import Directory, make_form
from tests.tickets.inbound import raw, reply_address


def _ingest(db: Database, settings: Settings, data: bytes):
    with db.transaction() as session:
        return ingest(session, settings, data, triage_enabled=False)


def test_an_outlook_message_in_quoted_printable_opens_an_identified_ticket(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer, directory: Directory
) -> None:
    result = _ingest(db, mail_settings, raw("outlook_multipart_qp.eml"))
    assert result.outcome == "created" and result.missing == []
    with db.session() as session:
        ticket = tickets.get_ticket(session, result.number or "")
        assert ticket.source == "email"
        assert ticket.subject == "Impossible de me connecter à l'Extranet"
        assert (ticket.last_name, ticket.first_name, ticket.fase) == ("Dupont", "Émilie", "5432")
        assert ticket.phone == "+32 470 12 34 56"
        assert ticket.contact_email == "Emilie.Dupont@ecole.be"
        assert ticket.requester_person_id == directory.person_id
        assert "« Identifiant ou mot de passe incorrect »" in ticket.description
    deliver_due(mail_settings, db)
    to_helpdesk, acknowledged = sorted(
        smtp_server.messages, key=lambda m: m.rcpt_tos[0] != "help.extranet@segec.be"
    )
    assert result.number in str(to_helpdesk.message["Subject"])
    assert acknowledged.rcpt_tos == ["Emilie.Dupont@ecole.be"]
    assert "compléter" not in acknowledged.text()


def test_an_html_only_message_without_identification_asks_for_it_by_email(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer, directory: Directory
) -> None:
    result = _ingest(db, mail_settings, raw("gmail_html_only.eml"))
    assert result.outcome == "created"
    assert result.missing == ["N° FASE de l'établissement"]
    with db.session() as session:
        ticket = tickets.get_ticket(session, result.number or "")
        assert ticket.description.startswith("Bonjour,\n\nJe suis la nouvelle éducatrice")
        assert "<div" not in ticket.description and "color:red" not in ticket.description
        assert (ticket.first_name, ticket.last_name) == ("Sophie", "Lemaître")
        assert ticket.identification_missing == ["fase"]
    deliver_due(mail_settings, db)
    asked = next(m for m in smtp_server.messages if m.rcpt_tos == ["sophie.lemaitre@gmail.com"])
    # An answer to her e-mail, under its subject, that says what is missing.
    subject = str(asked.message["Subject"])
    assert subject.startswith("Re: Pas reçu l'e-mail d'activation [T-")
    assert "merci de compléter votre identification" in subject
    assert "N° FASE de l'établissement :" in asked.text()


def test_a_reply_with_the_ticket_number_joins_its_ticket_and_completes_identification(
    db: Database, mail_settings: Settings, directory: Directory
) -> None:
    number = _ingest(db, mail_settings, raw("gmail_html_only.eml")).number or ""
    with db.transaction() as session:
        ticket = tickets.get_ticket(session, number)
        ticket.identification_missing = ["last_name", "first_name", "fase"]
    with db.transaction() as session:
        tickets.set_status(session, mail_settings, number, Actor("slack:U1", "Alice"), "en_attente")

    # The reply goes to the Reply-To of the last e-mail Sophie received about the ticket.
    to = reply_address(db, number)
    result = _ingest(db, mail_settings, raw("thunderbird_reply.eml.tmpl", number, reply_to=to))
    assert (result.outcome, result.number) == ("appended", number)
    with db.session() as session:
        ticket = tickets.get_ticket(session, number)
        assert ticket.status == "en_cours"
        assert (ticket.last_name, ticket.first_name, ticket.fase) == ("Lemaître", "Sophie", "5432")
        assert ticket.identification_missing == []
        reply = [
            e for e in ticket_with_history(session, number).events if e.kind == "requester_reply"
        ]
        assert len(reply) == 1
        # The quoted acknowledgement is cut, the new text kept.
        assert "Voici les informations demandées" in (reply[0].body or "")
        assert "a écrit" not in (reply[0].body or "")


def test_an_outlook_html_reply_keeps_only_the_new_text(
    db: Database, mail_settings: Settings, directory: Directory
) -> None:
    number = _ingest(db, mail_settings, raw("outlook_multipart_qp.eml")).number or ""
    to = reply_address(db, number)
    result = _ingest(db, mail_settings, raw("outlook_reply_html.eml.tmpl", number, reply_to=to))
    assert result.outcome == "appended"
    with db.session() as session:
        body = session.scalars(
            sa.select(TicketEvent.body).where(TicketEvent.kind == "requester_reply")
        ).one()
    assert body == "Bonjour,\nToujours le même message d'erreur après avoir vidé le cache.\nÉmilie"


def test_the_same_message_ingested_twice_is_counted_once(
    db: Database, mail_settings: Settings, directory: Directory
) -> None:
    first = _ingest(db, mail_settings, raw("applemail_attachment.eml"))
    again = _ingest(db, mail_settings, raw("applemail_attachment.eml"))
    assert first.outcome == "created" and again.outcome == "duplicate"
    assert first.number == again.number
    number = first.number or ""
    reply = raw("thunderbird_reply.eml.tmpl", number, reply_to=reply_address(db, number)).replace(
        b"sophie.lemaitre@gmail.com", b"m.janssens@athenee-royal.be"
    )
    assert _ingest(db, mail_settings, reply).outcome == "appended"
    assert _ingest(db, mail_settings, reply).outcome == "duplicate"


def test_a_message_with_an_attachment_reads_its_text_and_fase(
    db: Database, mail_settings: Settings, directory: Directory
) -> None:
    result = _ingest(db, mail_settings, raw("applemail_attachment.eml"))
    with db.session() as session:
        ticket = tickets.get_ticket(session, result.number or "")
        assert ticket.subject == "Accès refusé à la gestion des accès"
        assert ticket.fase == "1010" and ticket.fase_unknown is False
        assert "JVBER" not in ticket.description


def test_automatic_replies_and_our_own_mail_are_ignored(
    db: Database, mail_settings: Settings, directory: Directory
) -> None:
    assert _ingest(db, mail_settings, raw("auto_reply.eml")).outcome == "ignored"
    settings = mail_settings.model_copy(update={"mail_from": "Extranet <no-reply@segec.be>"})
    own = raw("gmail_html_only.eml").replace(
        b"From: =?UTF-8?Q?Sophie_Lema=C3=AEtre?= <sophie.lemaitre@gmail.com>",
        b"From: Extranet <No-Reply@segec.be>",
    )
    assert parse_mail(own).from_address == "No-Reply@segec.be"
    assert _ingest(db, settings, own).outcome == "ignored"
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_a_number_in_the_subject_from_a_stranger_opens_a_new_ticket(
    db: Database, mail_settings: Settings, directory: Directory
) -> None:
    number = _ingest(db, mail_settings, raw("gmail_html_only.eml")).number or ""
    stranger = raw("thunderbird_reply.eml.tmpl", number).replace(
        b"sophie.lemaitre@gmail.com", b"intrus@example.org"
    )
    result = _ingest(db, mail_settings, stranger)
    assert result.outcome == "created" and result.number != number


def test_the_cli_reads_one_message_on_stdin(
    db: Database, cli_env: dict[str, str], directory: Directory
) -> None:
    # The one run of `mail ingest` in a process of its own (on SQLite); the others in this one.
    done = run_cli_smoke(cli_env, "mail", "ingest", stdin=raw("outlook_multipart_qp.eml"))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().startswith("created T-")
    empty = run_cli(cli_env, "mail", "ingest", stdin=b"")
    assert empty.returncode != 0
    assert "no message on standard input" in empty.stderr.decode()


def test_the_cli_processes_a_maildir_once(
    db: Database, cli_env: dict[str, str], directory: Directory, tmp_path: Path
) -> None:
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    for name in ("outlook_multipart_qp.eml", "gmail_html_only.eml", "auto_reply.eml"):
        box.add(mailbox.MaildirMessage(raw(name)))
    done = run_cli(cli_env, "mail", "ingest", "--maildir", str(tmp_path / "Maildir"))
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    assert out.count("created T-") == 2 and "ignored: automatic message" in out
    assert "Maildir processed: 2 created, 1 ignored" in out
    again = run_cli(cli_env, "mail", "ingest", "--maildir", str(tmp_path / "Maildir"))
    assert "nothing new" in again.stdout.decode()
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 2


def test_tickets_stats_cli_prints_the_measures(
    db: Database, cli_env: dict[str, str], directory: Directory
) -> None:
    import json

    run_cli(cli_env, "mail", "ingest", stdin=raw("outlook_multipart_qp.eml"))
    text = run_cli_smoke(cli_env, "tickets", "stats")  # the one run in a process (on SQLite)
    assert text.returncode == 0
    printed = text.stdout.decode()
    assert "Helpdesk: open tickets and times" in printed
    assert "open by status: new" in printed and "median first response" in printed
    assert "Tickets ouverts" not in printed  # operators read English only
    as_json = run_cli(cli_env, "tickets", "stats", "--json")
    data = json.loads(as_json.stdout)
    assert data["open_total"] == 1
    assert data["open_by_status"]["nouveau"] == 1
    # « Impossible de me connecter à l'Extranet »: proposed as a password problem.
    assert data["open_by_category"]["password"] == 1
    assert data["median_first_response_seconds"] is None


def test_with_a_triage_channel_an_ingested_mail_is_posted_to_slack(
    db: Database, cli_env: dict[str, str], directory: Directory
) -> None:
    from tests.slack_fake import FakeSlack

    with FakeSlack() as fake:
        env = {
            **cli_env,
            "TRIAGE_CHANNEL": "CTRIAGE",
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": fake.api_url,
        }
        done = run_cli(env, "mail", "ingest", stdin=raw("applemail_attachment.eml"))
        assert done.returncode == 0, done.stderr.decode()
        (post,) = fake.calls_to("chat.postMessage")
        assert post.params["channel"] == "CTRIAGE"
        assert "Marc Janssens" in str(post.params["blocks"])

        fake.fail("chat.postMessage", "channel_not_found")
        done = run_cli(env, "mail", "ingest", stdin=raw("gmail_html_only.eml"))
        assert done.returncode == 0, done.stderr.decode()
    with db.session() as session:
        posted, emailed = session.execute(
            sa.select(Ticket.triage_ts, Ticket.helpdesk_emailed_at).order_by(Ticket.id)
        ).all()
    assert posted[0] is not None and posted[1] is None
    assert emailed[0] is None and emailed[1] is not None


def test_a_requester_message_on_a_ticket_outside_slack_reaches_the_help_address(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer, directory: Directory
) -> None:
    with db.transaction() as session:
        number = tickets.open_ticket(
            session,
            mail_settings,
            make_form(),
            source="slack",
            triage_enabled=False,
        ).ticket.number
        tickets.forward_to_helpdesk(session, mail_settings, number, "Toujours bloquée.")
    deliver_due(mail_settings, db)
    followup = smtp_server.messages[-1]
    assert followup.rcpt_tos == ["help.extranet@segec.be"]
    assert "Toujours bloquée." in followup.text()
    assert str(followup.message["Reply-To"]) == "emilie.dupont@ecole.be"
