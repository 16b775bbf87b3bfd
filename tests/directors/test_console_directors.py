"""The terminal console runs the director's walk-through: list, send, progress, summary, list."""

from __future__ import annotations

import subprocess
import sys

import sqlalchemy as sa

from access.db import Database
from access.outbox import OutboxMessage
from tests.conftest import REPO_ROOT
from tests.directors import factories


def test_console_lists_the_team_sends_the_invitations_and_shows_them_sent(
    db: Database, cli_env: dict[str, str]
) -> None:
    with db.transaction() as session:
        factories.school(session, "04321", staff=4)
        factories.person(session, "04321", last_name="Sansadresse", email=None)
    script = "\n".join(["/invite-team", "1", "o", "/invite-team", "/quitter", ""])
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--as", "claire.dupont@ecole04321.be"],
        input=script,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=cli_env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    first, _, after_send = out.partition("Envoi des invitations en cours")
    assert "Accès de mon équipe à l'Extranet" in first
    assert "[1] Envoyer les emails d'invitation destinés à mon équipe (4)" in first
    assert "Sansadresse Alex — (aucune adresse)" in first
    assert "Envoi : 4 / 4" in after_send
    assert "Emails d'invitation envoyés" in after_send
    assert "Invitation envoyée le" in after_send
    assert "Renvoyer aux personnes qui n'ont pas encore activé leur compte (4)" in after_send
    with db.session() as session:
        sent = session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "invitation")
        )
    assert sent == 4
