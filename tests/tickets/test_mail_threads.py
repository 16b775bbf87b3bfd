"""One thread per ticket in every mailbox: the requester's (our e-mails answer theirs) and the
help address's (the requester's later messages follow the ticket's copy there), through
`extranet-bot mail ingest` and the real SMTP test server."""

from __future__ import annotations

import sqlalchemy as sa

from access.mail.letter import thread_id
from access.mail.outbox import deliver_due
from access.persistence.database import Database
from bot.settings import Settings
from helpdesk import tickets
from helpdesk.actors import Actor
from helpdesk.models import TicketEvent
from tests.conftest import run_cli
from tests.smtp_server import Received, SmtpServer
from tests.tickets.conftest import Directory, make_form
from tests.tickets.inbound import HELP, raw, reply_address

OUTLOOK_ID = "<AM0PR02MB5412A1B2C3D4E5F6A7B8C9D0AM0PR02MB5412.eurprd02.prod.outlook.com>"
GMAIL_ID = "<CAJx8sL+Q2v7yWk3nU1mZ4pQ9fH0aB6cD-eF5gH7iJ8kL9mN0p@mail.gmail.com>"
AGENT = Actor("slack:UAGENT", "Alice Agent")


def _ingest(cli_env: dict[str, str], data: bytes, env: dict[str, str] | None = None) -> str:
    done = run_cli({**cli_env, **(env or {})}, "mail", "ingest", stdin=data, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _number(out: str) -> str:
    assert out.startswith("created T-"), out
    return out.split()[1]


def _delivered(settings: Settings, db: Database, smtp: SmtpServer, count: int) -> list[Received]:
    deliver_due(settings, db)
    return smtp.wait_for(count)


def _to(mails: list[Received], address: str) -> list[Received]:
    return [m for m in mails if m.rcpt_tos == [address]]


def _references(mail: Received) -> list[str]:
    return str(mail.message["References"] or "").split()


def test_the_acknowledgement_and_the_answers_thread_with_the_requesters_email(
    db: Database,
    cli_env: dict[str, str],
    mail_settings: Settings,
    smtp_server: SmtpServer,
    directory: Directory,
) -> None:
    number = _number(_ingest(cli_env, raw("outlook_multipart_qp.eml")))
    mails = _delivered(mail_settings, db, smtp_server, 2)
    [acknowledgement] = _to(mails, "Emilie.Dupont@ecole.be")
    [copy] = _to(mails, HELP)
    # An answer to her e-mail, under its subject: her mail program shows one conversation.
    assert acknowledgement.message["In-Reply-To"] == OUTLOOK_ID
    assert _references(acknowledgement) == [OUTLOOK_ID]
    subject = str(acknowledgement.message["Subject"])
    assert subject == f"Re: Impossible de me connecter à l'Extranet [{number}]"
    # The help address received her e-mail too: the ticket's copy joins it.
    assert copy.message["In-Reply-To"] == OUTLOOK_ID

    with db.transaction() as session:
        tickets.reply(session, mail_settings, number, AGENT, "Avez-vous vidé le cache ?")
    [answer] = _to(_delivered(mail_settings, db, smtp_server, 3), "Emilie.Dupont@ecole.be")[1:]
    assert answer.message["In-Reply-To"] == OUTLOOK_ID
    assert "Avez-vous vidé le cache ?" in answer.text()


def test_a_web_tickets_answers_thread_under_its_acknowledgement(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer, directory: Directory
) -> None:
    with db.transaction() as session:
        number = tickets.open_ticket(
            session, mail_settings, make_form(), source="web", triage_enabled=True
        ).ticket.number
    [acknowledgement] = _delivered(mail_settings, db, smtp_server, 1)
    assert acknowledgement.message["In-Reply-To"] is None
    with db.transaction() as session:
        tickets.resolve(session, mail_settings, number, AGENT, "Compte débloqué.")
    resolved = _delivered(mail_settings, db, smtp_server, 2)[-1]
    assert resolved.message["In-Reply-To"] == acknowledgement.message["Message-ID"]


def _reply(
    template: str, number: str, db: Database, *, in_reply_to: str, to: str | None = None
) -> bytes:
    """The requester's answer to our latest e-mail (its reply address: `to`, or the one of
    the e-mail still in the outbox)."""
    return raw(template, number, reply_to=to or reply_address(db, number), in_reply_to=in_reply_to)


def test_replies_reach_the_help_address_in_the_tickets_thread_without_the_quoted_history(
    db: Database,
    cli_env: dict[str, str],
    mail_settings: Settings,
    smtp_server: SmtpServer,
    directory: Directory,
) -> None:
    """No Slack: the help address handles the ticket by e-mail and gets every reply there."""
    number = _number(_ingest(cli_env, raw("outlook_multipart_qp.eml")))
    mails = _delivered(mail_settings, db, smtp_server, 2)
    [copy] = _to(mails, HELP)
    [acknowledgement] = _to(mails, "Emilie.Dupont@ecole.be")
    ack_id = acknowledgement.message["Message-ID"]
    to = acknowledgement.message["Reply-To"].addresses[0].addr_spec

    reply = _reply("outlook_fr_reply_plain.eml.tmpl", number, db, in_reply_to=ack_id, to=to)
    assert _ingest(cli_env, reply) == f"appended {number}"
    [followup] = _to(_delivered(mail_settings, db, smtp_server, 3), HELP)[1:]
    assert str(followup.message["Subject"]) == f"Re: {copy.message['Subject']}"
    assert followup.message["In-Reply-To"] == copy.message["Message-ID"]
    assert _references(followup) == [OUTLOOK_ID, copy.message["Message-ID"]]
    text = followup.text()
    assert "J'ai essayé depuis un autre ordinateur : même message." in text
    # Outlook's « -----Message d'origine----- » and everything under it are cut.
    for quoted in ("Message d'origine", "Envoyé :", "est enregistrée."):
        assert quoted not in text.split("Répondre à ce message")[0], quoted
    with db.session() as session:
        [said] = session.scalars(
            sa.select(TicketEvent.body).where(TicketEvent.kind == "requester_reply")
        ).all()
    assert said == "Bonjour,\n\nJ'ai essayé depuis un autre ordinateur : même message.\n\nÉmilie"


def test_an_english_gmail_reply_loses_its_wrapped_quote_header(
    db: Database,
    cli_env: dict[str, str],
    mail_settings: Settings,
    smtp_server: SmtpServer,
    directory: Directory,
) -> None:
    number = _number(_ingest(cli_env, raw("gmail_html_only.eml")))
    reply = _reply("gmail_en_reply_wrapped.eml.tmpl", number, db, in_reply_to=GMAIL_ID)
    assert _ingest(cli_env, reply) == f"appended {number}"
    followup = _to(_delivered(mail_settings, db, smtp_server, 3), HELP)[-1]
    body = followup.text().split("Répondre à ce message")[0]
    assert "Still nothing in my inbox, not even in the spam folder." in body
    assert "wrote:" not in body and "Votre demande est enregistrée" not in body


def test_with_a_triage_channel_a_reply_by_email_shows_in_the_tickets_thread(
    db: Database, cli_env: dict[str, str], directory: Directory
) -> None:
    from tests.slack_fake import FakeSlack

    with FakeSlack() as fake:
        env = {
            "TRIAGE_CHANNEL": "CTRIAGE",
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": fake.api_url,
        }
        number = _number(_ingest(cli_env, raw("outlook_multipart_qp.eml"), env))
        [card] = fake.calls_to("chat.postMessage")
        reply = _reply("outlook_fr_reply_plain.eml.tmpl", number, db, in_reply_to=OUTLOOK_ID)
        assert _ingest(cli_env, reply, env) == f"appended {number}"
        posted = [c for c in fake.calls_to("chat.postMessage") if c.params.get("thread_ts")]
        [relayed] = posted
        assert relayed.params["channel"] == "CTRIAGE"
        assert "même message" in str(relayed.params["blocks"])
        assert "Message d'origine" not in str(relayed.params["blocks"])
        assert card.params["channel"] == "CTRIAGE"


def test_message_ids_from_outside_go_into_our_headers_only_well_formed() -> None:
    assert thread_id(OUTLOOK_ID) == OUTLOOK_ID
    hostile_ids = ("<a b@c>", "<x@y>\r\nBcc: z@z", "abc@segec.be", "<a<b@c>", "<" + "a" * 300 + ">")
    for hostile in (*hostile_ids, ""):
        assert thread_id(hostile) is None, hostile
