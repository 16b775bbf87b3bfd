"""One FASE everywhere: « 931 » typed for the school the directory numbers « 00931 » is stored
as « 00931 », and either spelling finds it in tickets, chat commands and the CLI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from access.persistence.database import Database
from bot.settings import Settings
from helpdesk import tickets
from helpdesk.models import Ticket
from tests.conftest import run_cli
from tests.directors import factories
from tests.slack_app import serve_slack
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack
from tests.tickets.conftest import make_form
from tests.tickets.inbound import raw, reply_address, run_ingest

DIRECTOR = "claire.dupont@ecole00931.be"
REQUESTER = "UCLAIRE"
AGENT = "UAGENT"
TRIAGE = "CTRIAGE"


@pytest.fixture
def school(db: Database) -> factories.School:
    with db.transaction() as session:
        return factories.school(session, "00931", staff=2)


@pytest.fixture
def fake(school: factories.School) -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.add_user(REQUESTER, email=DIRECTOR, name="Claire Dupont")
        slack.add_user(AGENT, email="agent@helpdesk.test", name="Alice Agent")
        slack.set_members(TRIAGE, [AGENT])
        yield slack


@pytest.fixture
def slack(mail_settings: Settings, db: Database, fake: FakeSlack) -> Iterator[SlackClient]:
    with serve_slack(mail_settings, db, fake, triage_channel=TRIAGE) as client:
        yield client


def _agent_answer(slack: SlackClient, fake: FakeSlack, text: str, expect: str) -> str:
    slack.command(AGENT, "/tickets", text)
    calls = fake.wait_for("chat.postMessage", where=lambda c: expect in str(c.params.get("blocks")))
    return str(calls[-1].params.get("blocks"))


def test_a_fase_typed_without_its_zeros_is_stored_and_found_in_either_spelling(
    slack: SlackClient, fake: FakeSlack, db: Database, mail_settings: Settings
) -> None:
    # A ticket written before FASE numbers were normalised keeps « 931 ».
    with db.transaction() as session:
        old = tickets.open_ticket(
            session, mail_settings, make_form(fase="931"), source="web", triage_enabled=True
        ).ticket.number

    slack.command(REQUESTER, "/helpdesk", "ticket")
    view = fake.wait_for("views.open")[-1].params["view"]
    typed = {
        "fase": "931",
        "subject": "Erreur 500 sur la page des documents",
        "description": "Depuis hier.",
    }
    assert slack.submit_view(REQUESTER, view, typed).status_code == 200
    fake.wait_for("chat.postMessage", where=lambda c: c.params.get("channel") == TRIAGE)
    with db.session() as session:
        new = session.scalars(sa.select(Ticket).where(Ticket.number != old)).one()
    assert (new.fase, new.fase_unknown) == ("00931", False)

    for spelling in ("00931", "931", "0931"):
        found = _agent_answer(slack, fake, spelling, f"FASE {spelling} (2)")
        assert new.number in found and old in found, spelling
    # The card names the school whichever way the number was typed.
    history = _agent_answer(slack, fake, old, "Historique")
    assert "École 00931" in history


def test_the_cli_and_the_directors_commands_take_either_spelling(
    db: Database, cli_env: dict[str, str], school: factories.School
) -> None:
    team = run_cli(cli_env, "team", "931", text=True)
    assert team.returncode == 0, team.stderr
    assert "FASE 00931" in team.stdout and "Prof00931x000" in team.stdout
    as_json = run_cli(cli_env, "team", "0931", "--json", text=True)
    assert '"fase": "00931"' in as_json.stdout

    sent = run_cli(cli_env, "invite", "931", "--as", DIRECTOR, "--json", text=True)
    assert sent.returncode == 0, sent.stderr
    assert '"fase": "00931"' in sent.stdout

    unknown = run_cli(cli_env, "team", "932", text=True)
    assert unknown.returncode != 0 and "932" in unknown.stderr

    typed = "\n".join(["/team 931", "/quitter", ""]).encode()
    console = run_cli(cli_env, "console", "--as", DIRECTOR, stdin=typed, text=True)
    assert console.returncode == 0, console.stderr
    assert "Prof00931x000" in console.stdout


def test_an_unknown_fase_sent_by_email_is_flagged_as_the_web_form_flags_it(
    db: Database, mail_settings: Settings, school: factories.School
) -> None:
    """The first e-mail had no FASE; the reply gives one the directory does not have, then
    (on another ticket) one it has without its zeros."""
    unknown = run_ingest(db, mail_settings, raw("gmail_html_only.eml")).number or ""
    reply = raw("thunderbird_reply.eml.tmpl", unknown, reply_to=reply_address(db, unknown)).replace(
        b"5432", b"77777"
    )
    assert run_ingest(db, mail_settings, reply).outcome == "appended"
    with db.session() as session:
        ticket = tickets.get_ticket(session, unknown)
        assert (ticket.fase, ticket.fase_unknown) == ("77777", True)

    known = run_ingest(
        db, mail_settings, raw("gmail_html_only.eml").replace(b"Message-ID: <", b"Message-ID: <2")
    ).number
    assert known and known != unknown
    reply = (
        raw("thunderbird_reply.eml.tmpl", known, reply_to=reply_address(db, known))
        .replace(b"5432", b"931")
        .replace(b"<c0ffee12", b"<c0ffee13")  # another message
    )
    assert run_ingest(db, mail_settings, reply).outcome == "appended"
    with db.session() as session:
        ticket = tickets.get_ticket(session, known)
        assert (ticket.fase, ticket.fase_unknown) == ("00931", False)

    # Agents see the flag where the web form's shows: the card and the help address's copy.
    from bot.conversation.features.tickets_views import triage_message
    from helpdesk.mailing import identification_rows

    with db.session() as session:
        flagged = tickets.get_ticket(session, unknown)
        card = str(triage_message(flagged).blocks)
        assert "77777 ⚠ inconnu de l'annuaire (donné par e-mail, à vérifier)" in card
        assert (
            "N° FASE de l'établissement",
            "77777 (FASE inconnu de l'annuaire (donné par e-mail, à vérifier))",
        ) in identification_rows(flagged)


def test_the_upgrade_writes_old_tickets_fase_as_the_directory_does(db_url: str) -> None:
    from migrations import upgrade, upgrade_database

    database = Database(db_url)
    upgrade(database.engine, "0010_web_sessions")
    with database.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO establishments (fase, name, created_at, updated_at) "
                "VALUES ('00931', 'A', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        for number, fase in (
            ("T-2025-00001", "931"),
            ("T-2025-00002", "777"),
            ("T-2025-00003", ""),
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO tickets (number, year, sequence, status, priority, category, "
                    "source, last_name, first_name, fase, fase_unknown, contact_email, "
                    "identification_missing, subject, description, proposed_faq_ids, "
                    "created_at, updated_at) VALUES (:number, 2025, :seq, 'nouveau', 'normale', "
                    "'other', 'web', 'D', 'E', :fase, false, 'e@x.be', '[]', 'S', 'D', '[]', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"number": number, "seq": int(number[-1]), "fase": fase},
            )
    upgrade_database(database)
    with database.session() as session:
        stored = dict(session.execute(sa.select(Ticket.number, Ticket.fase)).all())
    assert stored == {"T-2025-00001": "00931", "T-2025-00002": "777", "T-2025-00003": ""}
    database.dispose()
