"""The newcomer's first hour (issue 17), story by story, the way the person typed it: the demo,
then every other command on the same database; the demo's state kept across runs; e-mails
written at once by the console; choice numbers that keep their meaning; the helpdesk agent's
console. Commands run in this process (`run_cli`), console sessions through the console's
own engine (`Dialog`); `tests/chat/test_demo_console.py` is the one smoke test on a terminal."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email.policy import default as default_policy
from pathlib import Path

import pytest
import sqlalchemy as sa

from access.accounts.activation import activate
from access.demo import (
    DEMO_DIRECTOR_EMAIL,
    DEMO_FASE,
    Contents,
    database_contents,
    erase_demo,
    generate_rows,
    load_demo_data,
)
from access.directory.models import Account, Person
from access.directory.profiles import DEFAULT_PROFILES_FILE, load_profiles
from access.directory.team import TeamStatus, team_of
from access.errors import AccessError
from access.mail.outbox import deliver_due
from access.persistence.database import Database
from access.proeco.sync import import_export
from bot.commands.demo import DEMO_TEACHER_EMAIL
from bot.settings import Settings
from helpdesk.models import Ticket, TicketEvent
from tests.access.exports import export_csv
from tests.conftest import run_cli
from tests.dialog import Dialog

PASSWORD = "Cartable-Vert-2026!"


@pytest.fixture
def newcomer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh directory and no setting at all: what someone who just cloned the project has.
    Returns the database file the defaults point at."""
    monkeypatch.chdir(tmp_path)
    return tmp_path / "extranet-bot.db"


def number_of(shown: str, label: str) -> str:
    """The number the console shows in front of a choice."""
    found = re.search(r"\[(\d+)\] " + re.escape(label), shown)
    assert found, f"no choice {label!r} in:\n{shown}"
    return found.group(1)


def mails_to(folder: Path, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
        if address in str(message["To"]):
            found.append(message)
    return found


def link_in(message: email.message.EmailMessage, path: str) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    found = re.search(rf"/{path}/([\w-]+)", body.get_content())
    assert found, body.get_content()
    return found.group(1)


# -- 1. one database for the whole walkthrough ----------------------------------------------


def test_after_the_demo_every_command_reads_the_demo_database(newcomer: Path) -> None:
    demo = run_cli({}, "demo", stdin=b"/invite-team\n1\no\n/quitter\n", text=True)
    assert demo.returncode == 0, demo.stderr
    assert f"Database: {newcomer}; every other command run here uses it too" in demo.stdout
    assert "Emails d'invitation envoyés : 11" in demo.stdout

    team = run_cli({}, "team", DEMO_FASE, "--status", "invited", text=True)
    assert team.returncode == 0, team.stderr
    assert "Lambert Marc" in team.stdout and "invited" in team.stdout
    invite = run_cli({}, "invite", DEMO_FASE, "--as", DEMO_DIRECTOR_EMAIL, text=True)
    assert invite.returncode == 0, invite.stderr
    assert "0 invitation(s) sent" in invite.stdout  # all sent from the demo already
    console = run_cli({}, "console", "--as", DEMO_TEACHER_EMAIL, stdin=b"/whoami\n", text=True)
    assert console.returncode == 0, console.stderr
    assert "Vous parlez en tant que Marc Lambert" in console.stdout
    stats = run_cli({}, "tickets", "stats", text=True)
    assert "open total" in stats.stdout
    assert "No ticket open, none opened in the last 30 days." in stats.stdout
    report = run_cli({}, "faq", "report", text=True)
    assert report.returncode == 0
    assert "No question was asked: nothing to report." in report.stdout
    assert not Path("extranet-demo.db").exists()


def test_commands_on_a_missing_database_say_so_and_create_none(newcomer: Path) -> None:
    for args in (
        ("team", DEMO_FASE),
        ("invite", DEMO_FASE, "--as", DEMO_DIRECTOR_EMAIL),
        ("tickets", "stats"),
        ("faq", "report"),
    ):
        result = run_cli({}, *args, text=True)
        assert result.returncode == 1, args
        assert f"Error: no database at {newcomer}: `extranet-bot demo` creates it" in (
            result.stderr
        )
        assert result.stdout == ""
    assert not newcomer.exists()


def test_commands_on_an_unmigrated_or_empty_database_say_so(db_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": db_url, "MAIL_DIR": str(tmp_path / "mail-out")}
    Database(db_url).engine.connect().close()  # the file exists (SQLite), no table in it
    for args in (("team", DEMO_FASE), ("tickets", "stats"), ("faq", "report")):
        result = run_cli(env, *args, text=True)
        assert result.returncode == 1, args
        assert "is not migrated; run `extranet-bot db upgrade`" in result.stderr

    assert run_cli(env, "db", "upgrade").returncode == 0
    for args in (("team", DEMO_FASE), ("invite", DEMO_FASE, "--as", DEMO_DIRECTOR_EMAIL)):
        result = run_cli(env, *args, text=True)
        assert result.returncode == 1, args
        assert "holds no establishment and no person; `extranet-bot demo` loads" in result.stderr
        assert result.stdout == ""
    # The measures have nothing to measure yet, and say why.
    for args, nothing in (
        (("tickets", "stats"), "No ticket open, none opened in the last 30 days."),
        (("faq", "report"), "No question was asked: nothing to report."),
    ):
        result = run_cli(env, *args, text=True)
        assert result.returncode == 0, result.stderr
        assert nothing in result.stdout
        assert "holds no establishment and no person; `extranet-bot demo` loads" in result.stdout
    console = run_cli(env, "console", stdin=b"", text=True)
    assert console.returncode == 0
    assert "It holds no establishment and no person yet" in console.stdout


def test_a_command_on_a_database_without_the_demo_names_the_database(
    db: Database, cli_env: dict[str, str]
) -> None:
    import_export(db, export_csv(generate_rows(30, 3, seed=2)), profiles=_profiles())
    team = run_cli(cli_env, "team", DEMO_FASE, text=True)
    assert team.returncode == 1
    assert f"no establishment with FASE {DEMO_FASE} in the database" in team.stderr
    console = run_cli(cli_env, "console", "--as", DEMO_TEACHER_EMAIL, text=True)
    assert f"no person with the e-mail {DEMO_TEACHER_EMAIL} in the database" in console.stderr


# -- 1 and 2. the demo uses the database, keeps its state, refuses other data -----------------


def test_the_demo_keeps_what_was_done_and_reset_starts_over(
    db: Database, cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = run_cli(cli_env, "demo", stdin=b"/invite-team\n1\no\n", text=True)
    assert first.returncode == 0, first.stderr
    assert "Emails d'invitation envoyés : 11" in first.stdout

    again = run_cli(cli_env, "demo", stdin=b"", text=True)
    assert again.returncode == 0, again.stderr
    assert "what you did there is kept" in again.stdout
    assert "`extranet-bot demo --reset` starts over." in again.stdout
    assert "to invite" not in again.stdout
    with db.session() as session:
        assert team_of(session, DEMO_FASE).counts[TeamStatus.INVITED] == 11

    reset = run_cli(cli_env, "demo", "--reset", stdin=b"", text=True)
    assert reset.returncode == 0, reset.stderr
    assert "Demo reset: what earlier runs did in" in reset.stdout
    assert "to invite: 11" in reset.stdout
    with db.session() as session:
        team = team_of(session, DEMO_FASE)
        assert team.counts.get(TeamStatus.INVITED, 0) == 0
        assert team.counts[TeamStatus.WILL_BE_INVITED] == 11


def test_the_demo_neither_loads_into_nor_erases_other_data(
    db: Database, cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    import_export(db, export_csv(generate_rows(30, 3, seed=2)), profiles=_profiles())
    with db.session() as session:
        before = database_contents(session)
    assert before.kind is Contents.OTHER

    for args in (("demo",), ("demo", "--reset")):
        refused = run_cli(cli_env, *args, stdin=b"", text=True)
        assert refused.returncode == 1, args
        assert "holds data that is not the demo's (3 establishment(s)" in refused.stderr
        assert "DATABASE_URL=sqlite:///extranet-demo.db extranet-bot demo" in refused.stderr
    with pytest.raises(AccessError):
        erase_demo(db)
    with db.session() as session:
        assert database_contents(session) == before


# -- 3. e-mails written at once, and where ---------------------------------------------------


def test_the_console_writes_the_persons_emails_at_once_and_names_them(
    db: Database, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    load_demo_data(settings, db, tmp_path)
    folder = Path(settings.mail_dir).resolve()

    # Marc is not invited yet: the direction sends invitations, he reminds it (issue 17,
    # item 19), and the e-mail to the director is written at once.
    reminded = run_cli(
        cli_env, "console", "--as", DEMO_TEACHER_EMAIL, stdin=b"/extranet\n1\n", text=True
    )
    assert reminded.returncode == 0, reminded.stderr
    assert f"E-mails sent from the console are written at once into {folder}/." in reminded.stdout
    assert "[1] Prévenir ma direction" in reminded.stdout
    assert "C'est fait" in reminded.stdout
    assert f"[1 e-mail(s) écrit(s) dans {folder}/]" in reminded.stdout
    [reminder] = mails_to(folder, DEMO_DIRECTOR_EMAIL)
    assert f"à {reminder['To']} — « {reminder['Subject']} »" in reminded.stdout

    # The director invites the team; Marc asks for his invitation again from the console.
    invited = run_cli(cli_env, "invite", DEMO_FASE, "--as", DEMO_DIRECTOR_EMAIL, text=True)
    assert invited.returncode == 0, invited.stderr
    with db.transaction() as session:  # an hour ago: the resend cooldown is over
        for account in session.scalars(sa.select(Account).where(Account.invited_at.is_not(None))):
            account.invited_at -= timedelta(hours=1)
    deliver_due(settings, db)
    before = {str(m["Message-ID"]) for m in mails_to(folder, DEMO_TEACHER_EMAIL)}
    resent = run_cli(
        cli_env, "console", "--as", DEMO_TEACHER_EMAIL, stdin=b"/extranet\n1\n", text=True
    )
    assert "[1] Renvoyer mon invitation" in resent.stdout
    assert "C'est fait : votre invitation part vers" in resent.stdout
    assert f"[1 e-mail(s) écrit(s) dans {folder}/]" in resent.stdout
    [invitation] = [
        m for m in mails_to(folder, DEMO_TEACHER_EMAIL) if str(m["Message-ID"]) not in before
    ]
    assert f"à {invitation['To']} — « {invitation['Subject']} »" in resent.stdout

    # Marc activates from the e-mail, then asks for a reset link in the console.
    activated = activate(
        db, settings, link_in(invitation, "activer"), password=PASSWORD, confirmation=PASSWORD
    )
    assert activated.ok
    deliver_due(settings, db)  # the worker's job outside a console: « compte activé »
    before = {str(m["Message-ID"]) for m in mails_to(folder, DEMO_TEACHER_EMAIL)}
    reset = run_cli(
        cli_env, "console", "--as", DEMO_TEACHER_EMAIL, stdin=b"/extranet\n1\n", text=True
    )
    assert "[1] M'envoyer un lien de réinitialisation" in reset.stdout
    assert f"[1 e-mail(s) écrit(s) dans {folder}/]" in reset.stdout
    [reset_mail] = [
        m for m in mails_to(folder, DEMO_TEACHER_EMAIL) if str(m["Message-ID"]) not in before
    ]
    assert link_in(reset_mail, "reinitialiser")
    assert f"« {reset_mail['Subject']} »" in reset.stdout


# -- 4. a choice keeps its number ------------------------------------------------------------


def test_a_choice_keeps_its_number_from_screen_to_screen(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    load_demo_data(settings, db, tmp_path)
    # No cooldown: right after the send, « Renvoyer » is offered (and promises an e-mail).
    settings = settings.model_copy(update={"invitation_cooldown_seconds": 0})
    dialog = Dialog(db, settings, as_email=DEMO_DIRECTOR_EMAIL, files_dir=tmp_path / "exports")

    before = dialog.say("/invite-team")
    send = number_of(before, "Envoyer les emails d'invitation destinés à mon équipe (11)")
    csv = number_of(before, "Télécharger la liste complète (CSV)")
    assert "Envoyer ? (o/n)" in dialog.say(send)
    assert "Emails d'invitation envoyés : 11" in dialog.say("o")

    after = dialog.say("/invite-team")
    assert number_of(after, "Télécharger la liste complète (CSV)") == csv
    resend = number_of(after, "Renvoyer aux personnes qui n'ont pas encore activé leur compte")
    assert resend not in (send, csv)
    assert "fichier enregistré" in dialog.say(csv)

    # Each person's own button keeps their number, on the list and on a filtered list.
    listed = dialog.say("/team")
    filtered = dialog.say("/team Lambert")
    pattern = r"Lambert Marc[^\[]*\[(\d+)\] Renvoyer l'invitation"
    assert re.search(pattern, listed, re.S) and re.search(pattern, filtered, re.S)
    assert re.search(pattern, listed, re.S).group(1) == re.search(pattern, filtered, re.S).group(1)

    first = dialog.say("j'ai oublié mon mot de passe")
    second = dialog.say("je n'ai pas reçu le mail d'activation")
    assert number_of(first, "Ça m'aide") == number_of(second, "Ça m'aide")
    assert "Aucun choix [99] pour l'instant" in dialog.say("99")


# -- 5. the helpdesk agent's console ---------------------------------------------------------


def test_an_agent_takes_a_ticket_through_the_cards_choices(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    load_demo_data(settings, db, tmp_path)
    teacher = Dialog(db, settings, as_email=DEMO_TEACHER_EMAIL)
    teacher.say("/helpdesk ticket")
    # The last Enter sends it past the FAQ's answer on expired links.
    opened = teacher.fill("", "", "", "", "", "1", "Lien expiré", "Mon lien a expiré.", "")
    number = re.search(r"T-\d{4}-\d{5}", opened).group(0)  # type: ignore[union-attr]
    # Not an agent: /tickets lists her own requests.
    mine = teacher.say("/tickets")
    assert "Vos demandes au helpdesk (1)" in mine and number in mine

    agent = Dialog(db, settings, agent=True)
    assert "Vous parlez en tant qu'agent du helpdesk." in agent.say("/whoami")
    assert "Agents du helpdesk : les tickets ouverts" in agent.say("/helpdesk")
    assert number in agent.say("/tickets")
    card = agent.say(f"/tickets {number}")
    for label in ("Prendre en charge", "Répondre", "Note interne", "Priorité Haute", "Résolu"):
        number_of(card, label)

    taken = agent.say(number_of(card, "Prendre en charge"))
    assert "Statut             : En cours" in taken
    assert "Pris en charge par : agent" in taken
    raised = agent.say(number_of(taken, "Priorité Haute"))
    assert "Priorité           : Haute" in raised
    assert "Priorité Normale" in raised  # the card offers what it is not

    assert "Votre note" in agent.say(number_of(raised, "Note interne"))
    assert "Note interne enregistrée" in agent.say("Lien renvoyé par le directeur ?")
    assert "Votre réponse" in agent.say(number_of(raised, "Répondre"))
    assert "Réponse transmise au demandeur par e-mail." in agent.say(
        "Bonjour, un nouveau lien vous attend."
    )
    resolved = agent.say(number_of(raised, "Résolu"))
    assert "Statut             : Résolu" in resolved
    assert "Lien renvoyé par le directeur ?" in resolved  # the note, in the history

    deliver_due(settings, db)
    to_teacher = mails_to(Path(settings.mail_dir), DEMO_TEACHER_EMAIL)
    texts = [m.get_body(("plain",)).get_content() for m in to_teacher]  # type: ignore[union-attr]
    assert any("Bonjour, un nouveau lien vous attend." in text for text in texts)
    assert all("Lien renvoyé par le directeur" not in text for text in texts)
    with db.session() as session:
        ticket = session.scalars(sa.select(Ticket)).one()
        kinds = session.execute(
            sa.select(TicketEvent.kind, TicketEvent.internal).order_by(TicketEvent.id)
        ).all()
    assert ticket.status == "resolu" and ticket.assignee_ref == "console:agent"
    assert ("note", True) in kinds and ("reply", False) in kinds


def test_the_agent_console_command_lists_and_opens_a_card(
    db: Database, settings: Settings, cli_env: dict[str, str], tmp_path: Path
) -> None:
    load_demo_data(settings, db, tmp_path)
    Dialog(db, settings, as_email=DEMO_TEACHER_EMAIL).fill(
        "/helpdesk ticket", "", "", "", "", "", "2", "Mot de passe", "Refusé."
    )
    with db.session() as session:
        number = session.scalars(sa.select(Ticket.number)).one()
    typed = f"/tickets\n/tickets {number}\n1\n".encode()
    shown = run_cli(cli_env, "console", "--agent", "--as", "alice@helpdesk.example", stdin=typed)
    out = shown.stdout.decode()
    assert shown.returncode == 0, shown.stderr
    assert "Vous parlez en tant que alice@helpdesk.example (agent du helpdesk)." in out
    assert "Console d'agent du helpdesk" in out
    assert "[1] Prendre en charge" in out and "[3] Note interne" in out
    assert "Pris en charge par : alice@helpdesk.example" in out


def _profiles():  # type: ignore[no-untyped-def]
    return load_profiles(DEFAULT_PROFILES_FILE)


def test_demo_people_are_counted_as_demo_data(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    with db.session() as session:
        assert database_contents(session).kind is Contents.EMPTY
    load_demo_data(settings, db, tmp_path)
    with db.session() as session:
        contents = database_contents(session)
        assert contents.kind is Contents.DEMO
        assert contents.people == session.scalar(sa.select(sa.func.count()).select_from(Person))
