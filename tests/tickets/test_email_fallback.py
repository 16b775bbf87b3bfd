"""The help address stays the safety net: tickets and updates reach people by e-mail."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from access.clock import utcnow
from access.mail.outbox import deliver_due
from access.persistence.database import Database
from bot.settings import Settings
from helpdesk import tickets
from helpdesk.actors import Actor, Requester
from helpdesk.models import Ticket
from tests.conftest import run_cli
from tests.smtp_server import SmtpServer
from tests.tickets.conftest import Directory, make_form

AGENT = Actor.slack("UAGENT1", "Agent Alice")


def test_without_a_triage_channel_the_helpdesk_receives_the_whole_ticket_by_email(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer, directory: Directory
) -> None:
    form = make_form(phone="+32 470 12 34 56", fase="9999", fase_unknown=True)
    with db.transaction() as session:
        opened = tickets.open_ticket(
            session,
            mail_settings,
            form,
            source="slack",
            requester=Requester(slack_user_id="UREQ1"),
            proposed_faq_ids=["mot-de-passe-oublie"],
            triage_enabled=False,
        )
        number = opened.ticket.number
    report = deliver_due(mail_settings, db)
    assert report.sent == 1
    mail = smtp_server.messages[0]
    assert mail.rcpt_tos == ["help.extranet@segec.be"]
    message = mail.message
    assert number in str(message["Subject"])
    assert "Mot de passe refusé" in str(message["Subject"])
    assert str(message["Reply-To"]) == "emilie.dupont@ecole.be"
    text = mail.text()
    for expected in (
        "Nom : Dupont",
        "Prénom : Émilie",
        "9999 (FASE inconnu de l'annuaire",
        "E-mail de contact : emilie.dupont@ecole.be",
        "Téléphone : +32 470 12 34 56",
        "Catégorie : Mot de passe",
        "Mon mot de passe est refusé depuis ce matin.",
        "mot-de-passe-oublie",
    ):
        assert expected in text
    assert "<th" in mail.html() and "Dupont" in mail.html()


def test_a_failed_triage_post_falls_back_to_email_once(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer, directory: Directory
) -> None:
    with db.transaction() as session:
        number = tickets.open_ticket(
            session, mail_settings, make_form(), source="slack", triage_enabled=True
        ).ticket.number
    assert deliver_due(mail_settings, db).sent == 0
    with db.transaction() as session:
        assert tickets.fall_back_to_email(session, mail_settings, number, reason="slack down")
    with db.transaction() as session:
        assert not tickets.fall_back_to_email(session, mail_settings, number, reason="again")
    deliver_due(mail_settings, db)
    assert len(smtp_server.messages) == 1
    assert number in str(smtp_server.messages[0].message["Subject"])


def test_a_web_requester_gets_the_number_then_replies_by_email(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer, directory: Directory
) -> None:
    with db.transaction() as session:
        number = tickets.open_ticket(
            session, mail_settings, make_form(), source="web", triage_enabled=True
        ).ticket.number
    with db.transaction() as session:
        _, notice = tickets.reply(
            session, mail_settings, number, AGENT, "Avez-vous essayé « Mot de passe oublié » ?"
        )
        assert notice is not None and not notice.via_slack
    with db.transaction() as session:
        _, resolved = tickets.resolve(session, mail_settings, number, AGENT, "Réinitialisé.")
        assert resolved is not None and not resolved.via_slack
    deliver_due(mail_settings, db)
    acknowledged, replied, closed = smtp_server.messages
    for mail in (acknowledged, replied, closed):
        assert mail.rcpt_tos == ["emilie.dupont@ecole.be"]
        assert f"[{number}]" in str(mail.message["Subject"])
        # Answers go to the help address, tagged with the ticket and a key of this e-mail.
        reply_to = str(mail.message["Reply-To"])
        assert reply_to.startswith(f"help.extranet+{number}.") and reply_to.endswith("@segec.be")
    assert len({str(m.message["Reply-To"]) for m in (acknowledged, replied, closed)}) == 3
    assert number in acknowledged.text()
    assert "Agent Alice" in replied.text()
    assert "Avez-vous essayé « Mot de passe oublié » ?" in replied.text()
    assert "Votre problème est-il résolu ?" in closed.text()
    assert "la demande sera rouverte" in closed.text()


def test_an_internal_note_never_leaves_by_email(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer, directory: Directory
) -> None:
    with db.transaction() as session:
        number = tickets.open_ticket(
            session, mail_settings, make_form(), source="console", triage_enabled=True
        ).ticket.number
        tickets.internal_note(session, number, AGENT, "Ne pas répondre avant lundi")
    assert deliver_due(mail_settings, db).sent == 0


def test_a_dm_that_cannot_be_delivered_goes_by_email(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer, directory: Directory
) -> None:
    with db.transaction() as session:
        number = tickets.open_ticket(
            session,
            mail_settings,
            make_form(),
            source="slack",
            requester=Requester(slack_user_id="UREQ1"),
            triage_enabled=True,
        ).ticket.number
        _, notice = tickets.reply(session, mail_settings, number, AGENT, "Bonjour !")
    assert notice is not None and notice.via_slack
    assert deliver_due(mail_settings, db).sent == 0
    with db.transaction() as session:
        tickets.deliver_notice_by_email(session, mail_settings, notice, reason="DM refused")
    deliver_due(mail_settings, db)
    (mail,) = smtp_server.messages
    assert "Bonjour !" in mail.text()


def test_a_ticket_left_unannounced_by_a_crash_reaches_the_helpdesk_with_the_worker(
    db: Database,
    mail_settings: Settings,
    smtp_server: SmtpServer,
    directory: Directory,
    cli_env: dict[str, str],
) -> None:
    with db.transaction() as session:
        # Saved for the triage channel, then the process died before posting it.
        number = tickets.open_ticket(
            session, mail_settings, make_form(), source="slack", triage_enabled=True
        ).ticket.number
        session.execute(sa.update(Ticket).values(created_at=utcnow() - timedelta(minutes=10)))
    env = {
        **cli_env,
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": mail_settings.smtp_host,
        "SMTP_PORT": str(mail_settings.smtp_port),
        "TRIAGE_CHANNEL": "CTRIAGE",  # set, but no Slack token: the help address is the net
    }
    for _ in range(2):  # a second run announces nothing more
        result = run_cli(env, "worker", "--once")
        assert result.returncode == 0, result.stderr.decode()
    (mail,) = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["help.extranet@segec.be"]
    assert number in str(mail.message["Subject"])
