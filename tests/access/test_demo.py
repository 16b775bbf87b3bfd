"""The demo export: deterministic, realistic, and it loads; the large-export generator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from access.demo import (
    DEMO_DIRECTOR_EMAIL,
    DEMO_FASE,
    DEMO_SHARED_DIRECTOR_EMAIL,
    generate_rows,
    load_demo,
    load_demo_data,
    write_demo_export,
)
from access.directory.authz import managed_establishments
from access.directory.people import find_person_by_email
from access.directory.profiles import DEFAULT_PROFILES_FILE, load_profiles
from access.directory.team import TeamStatus, team_of
from access.persistence.database import Database
from access.proeco.reader import read_export
from access.proeco.sync import import_export
from bot.settings import Settings
from tests.access.exports import export_csv
from tests.conftest import run_cli, run_cli_smoke


def test_demo_export_is_a_windows_excel_file_and_is_deterministic(tmp_path: Path) -> None:
    first = write_demo_export(tmp_path / "a.csv").read_bytes()
    second = write_demo_export(tmp_path / "b.csv").read_bytes()

    assert first == second
    assert first.startswith("Matricule;Nom;Prénom;".encode("cp1252"))
    assert b"\r\n" in first
    export = read_export(first)
    assert export.encoding == "cp1252"
    assert len({row.matricule for row in export.rows}) == 40
    assert {r.code for r in export.rejected} == {"missing_matricule", "duplicate", "invalid_fase"}


def test_demo_covers_every_function_and_the_interesting_cases(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    loaded = load_demo_data(settings, db, tmp_path)
    path, report = loaded.path, loaded.report

    assert path.exists()
    assert report.added == 40
    assert len(report.emails_to_fix) == 3
    profiles = load_profiles(DEFAULT_PROFILES_FILE)
    with db.session() as session:
        codes = set(session.scalars(sa.text("select distinct function_code from assignments")))
        assert set(profiles.functions) <= codes
        assert DEMO_FASE.startswith("0")
        team = team_of(session, DEMO_FASE)
        assert team.counts[TeamStatus.EMAIL_TO_FIX] == 2
        director = find_person_by_email(session, DEMO_DIRECTOR_EMAIL)
        assert [e.fase for e in managed_establishments(session, director.id)] == [DEMO_FASE]
        shared = find_person_by_email(session, DEMO_SHARED_DIRECTOR_EMAIL)
        assert len(managed_establishments(session, shared.id)) == 2
        # One director per school.
        directors = session.execute(
            sa.text(
                "select e.fase, count(*) from assignments a join establishments e "
                "on e.id = a.establishment_id where a.function_code = 'direction' group by e.fase"
            )
        ).all()
        assert sorted(count for _, count in directors) == [1, 1, 1, 1]

    assert load_demo(settings, db, tmp_path) == path
    assert not load_demo_data(settings, db, tmp_path).report.changed


def test_generated_export_has_the_requested_shape() -> None:
    rows = generate_rows(3000, 100, seed=3)

    assert len(rows) == 3000
    assert len({row[5] for row in rows}) == 100
    assert any(row[5].startswith("0") for row in rows)
    matricules = [row[0] for row in rows]
    assert len(set(matricules)) < len(matricules)  # some people work in two schools
    assert generate_rows(3000, 100, seed=3) == rows


def test_a_later_export_changes_about_the_requested_share(db: Database) -> None:
    profiles = load_profiles(DEFAULT_PROFILES_FILE)
    base = generate_rows(2000, 50, seed=5)
    later = generate_rows(2000, 50, seed=5, change_fraction=0.05)

    import_export(db, export_csv(base), profiles=profiles)
    report = import_export(db, export_csv(later), profiles=profiles)

    touched = report.added + report.updated + report.left
    assert 50 <= touched <= 110
    assert report.rejected == 0


def test_demo_and_generate_commands(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In this process (tests/chat/test_demo_console.py starts the demo as a process of its
    # own); the demo writes its export in the current folder, and opens the console, which
    # the end of the (empty) input closes.
    monkeypatch.chdir(tmp_path)
    demo = run_cli(cli_env, "demo", text=True)
    assert demo.returncode == 0, demo.stderr
    assert f"(FASE {DEMO_FASE})" in demo.stdout
    assert "to invite: " in demo.stdout
    assert (tmp_path / "proeco-demo.csv").exists()

    target = tmp_path / "big.csv"
    # The smoke tests of `proeco generate` and `proeco import` (processes on SQLite).
    generated = run_cli_smoke(
        cli_env,
        *("proeco", "generate", str(target), "--rows", "500", "--establishments", "20"),
        *("--seed", "4"),
        text=True,
    )
    assert generated.returncode == 0, generated.stderr
    assert len(read_export(target).rows) == 500
    dry = run_cli_smoke(cli_env, "proeco", "import", str(target), "--dry-run", "--json", text=True)
    # The demo data is in the database: a different file would empty it, and is refused.
    assert dry.returncode != 0
    assert json.loads(dry.stdout)["refused"] == "mass_departure"
