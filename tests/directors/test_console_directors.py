"""The terminal console runs the director's walk-through: list, send, progress, summary; the
worker writes the e-mails; a link is followed over HTTP; the list then says « Compte activé »."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser

import httpx
import sqlalchemy as sa

from access.directory.models import Account, AccountStatus
from access.mail.outbox import OutboxMessage
from access.persistence.database import Database
from bot.settings import Settings
from bot.web.app import create_app
from tests.conftest import TLS, run_cli
from tests.directors import factories
from tests.slack_app import serve_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "cheval agrafe batterie correcte"
DIRECTOR = "claire.dupont@ecole04321.be"


def console(cli_env: dict[str, str], *lines: str) -> str:
    typed = "\n".join([*lines, "/quitter", ""]).encode()
    result = run_cli(cli_env, "console", "--as", DIRECTOR, stdin=typed, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def activation_link_for(settings: Settings, address: str) -> str:
    for path in sorted(settings.mail_dir.glob("*.eml")):
        mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if address in str(mail["To"]):
            body = mail.get_body(preferencelist=("plain",))
            assert body is not None
            links = re.findall(r"https?://\S+/activer/\S+", str(body.get_content()))
            if links:
                return links[0]
    raise AssertionError(f"no invitation e-mail to {address}")


def test_console_walk_through_from_the_list_to_an_activated_account(
    db: Database, settings: Settings, cli_env: dict[str, str]
) -> None:
    with db.transaction() as session:
        school = factories.school(session, "04321", staff=4)
        factories.person(session, "04321", last_name="Sansadresse", email=None)

    out = console(cli_env, "/invite-team", "1", "o", "/invite-team")
    first, _, after_send = out.partition("Envoi des invitations en cours")
    assert "Accès de mon équipe à l'Extranet" in first
    assert "[1] Envoyer les emails d'invitation destinés à mon équipe (4)" in first
    assert "Sansadresse Alex — (aucune adresse)" in first
    assert "Envoi : 4 / 4" in after_send
    assert "Emails d'invitation envoyés" in after_send
    assert "Invitation envoyée le" in after_send
    # Just sent: within the cooldown, no reminder is promised; the four are named instead.
    assert "Renvoyer aux personnes" not in after_send
    assert after_send.count("Invitation envoyée il y a moins de 3 minutes") == 4
    with db.session() as session:
        queued = session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "invitation")
        )
    assert queued == 4

    worker = run_cli(cli_env, "worker", "--once", text=True)
    assert worker.returncode == 0, worker.stderr
    link = activation_link_for(settings, "sam.prof04321x000@ecole04321.be")

    with (
        serve_app(create_app(settings, db)) as url,
        httpx.Client(verify=TLS, base_url=url) as browser,
    ):
        path = httpx.URL(link).raw_path.decode()
        page = browser.get(path)
        token = CSRF.search(page.text)
        assert token is not None
        browser.post(
            path,
            data={
                "csrf_token": token.group(1),
                "password": PASSWORD,
                "password_confirmation": PASSWORD,
            },
        )
    with db.session() as session:
        status = session.scalar(
            sa.select(Account.status).where(Account.person_id == school.staff_ids[0])
        )
    assert status == AccountStatus.ACTIVE.value

    listed = console(cli_env, "/team activé")
    assert "Prof04321x000 Sam" in listed and "Compte activé" in listed


def test_console_refuses_a_past_end_date_as_soon_as_it_is_typed(
    db: Database, cli_env: dict[str, str]
) -> None:
    with db.transaction() as session:
        factories.school(session, "04321", staff=1)
    out = console(
        cli_env,
        "/access x000",
        "1",  # « Ajouter un accès de mission »
        "Coordination",
        "comptabilite",
        "01/01/2020",
        "",  # no end date after all
        "Projet lecture",
    )
    # The refusal comes right after the date, before the next field, which is asked again.
    after_date = out.split("Jusqu'au (facultatif) :", 1)[1]
    refusal = after_date.split("(JJ/MM/AAAA)\n> ", 1)[1]
    assert refusal.startswith("! Cette date est déjà passée")
    assert refusal.index("Jusqu'au (facultatif) :") < refusal.index("Motif (facultatif) :")
    assert "Motif : Projet lecture" in out and "sans date de fin" in out
