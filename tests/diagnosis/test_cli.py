"""`extranet-bot diagnose EMAIL [--json]` (also NOM PRÉNOM FASE) for operators."""

from __future__ import annotations

import json

from access.persistence.database import Database
from bot.settings import Settings
from tests.conftest import run_cli
from tests.diagnosis.school import FASE, School, invite_team


def test_diagnose_prints_the_facts_and_the_next_step(
    db: Database, settings: Settings, school: School, cli_env: dict[str, str]
) -> None:
    invite_team(db, settings, school)
    shown = run_cli(cli_env, "diagnose", school.teacher_email, text=True)
    assert shown.returncode == 0, shown.stderr
    assert "Situation de Nadia Lambert (match: email)" in shown.stdout
    assert f"à {school.teacher_email} par Claire Directrice ; elle est en cours d'envoi." in (
        shown.stdout
    )
    assert "Par : personne : patienter" in shown.stdout
    by_name = run_cli(cli_env, "diagnose", "Lambert", "Nadia", FASE, text=True)
    assert "(match: name_fase)" in by_name.stdout


def test_diagnose_as_json(
    db: Database, settings: Settings, school: School, cli_env: dict[str, str]
) -> None:
    shown = run_cli(cli_env, "diagnose", "PAUL", "sansmail", FASE, "--json")  # any order, any case
    data = json.loads(shown.stdout)
    assert data["name"] == "Paul Sansmail" and data["match"] == "name_fase"
    assert data["next"] == {"action": "fix_email_in_proeco", "who": "secretariat", "fase": FASE}
    assert data["proeco_email"] is None and data["invitation"] is None
    assert any("Aucune adresse e-mail" in fact for fact in data["facts"])


def test_diagnose_refuses_in_one_line(
    db: Database, school: School, cli_env: dict[str, str]
) -> None:
    nobody = run_cli(cli_env, "diagnose", "personne@nulle-part.example", text=True)
    assert nobody.returncode == 1
    assert nobody.stderr.startswith("Error: nobody in the directory matches, in the database")
    assert len(nobody.stderr.strip().splitlines()) == 1
    wrong = run_cli(cli_env, "diagnose", "Lambert", text=True)
    assert wrong.returncode == 2 and "LAST_NAME FIRST_NAME FASE" in wrong.stderr
