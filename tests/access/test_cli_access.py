"""`extranet-bot proeco import` and `extranet-bot team`, run as an operator would."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.access.exports import export_csv, person
from tests.conftest import run_cli

ROWS = [
    person("1", "Dubois", "Anne", "Directrice"),
    person("2", "Lambert", "Marc"),
    person("3", "Peeters", "Sophie", "Éducatrice", email="faux"),
    person("", "Sans", "Matricule"),
]


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(env, *args, text=True)


def _export(tmp_path: Path, rows: list[tuple[str, ...]], name: str = "export.csv") -> str:
    path = tmp_path / name
    path.write_bytes(export_csv(rows, encoding="cp1252"))
    return str(path)


def test_import_prints_counts_and_rejected_rows(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = _export(tmp_path, ROWS)

    result = _run(cli_env, "proeco", "import", path)

    assert result.returncode == 0, result.stderr
    assert "applied" in result.stdout
    assert re.search(r"^added\s+3$", result.stdout, re.MULTILINE)
    assert re.search(r"^rejected\s+1$", result.stdout, re.MULTILINE)
    assert re.search(r"^5\s+01234\s+no matricule$", result.stdout, re.MULTILINE)

    again = _run(cli_env, "proeco", "import", path, "--json")

    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert (report["added"], report["unchanged"], report["changed"]) == (0, 3, False)
    assert report["rejected_rows"][0]["line"] == 5


def test_dry_run_writes_nothing(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = _export(tmp_path, ROWS)

    dry = _run(cli_env, "proeco", "import", path, "--dry-run", "--json")
    real = _run(cli_env, "proeco", "import", path, "--json")

    assert json.loads(dry.stdout)["added"] == 3
    assert json.loads(real.stdout)["added"] == 3


def test_refused_file_exits_non_zero_with_one_line(cli_env: dict[str, str], tmp_path: Path) -> None:
    _run(cli_env, "proeco", "import", _export(tmp_path, ROWS))
    truncated = _export(tmp_path, ROWS[:1], "truncated.csv")

    refused = _run(cli_env, "proeco", "import", truncated)

    assert refused.returncode != 0
    assert refused.stderr.strip().count("\n") == 0
    assert "2 of the 3 known people" in refused.stderr
    allowed = _run(cli_env, "proeco", "import", truncated, "--allow-mass-departure", "--json")
    assert json.loads(allowed.stdout)["left"] == 2

    missing = _run(cli_env, "proeco", "import", str(tmp_path / "absent.csv"))
    assert missing.returncode != 0
    assert "No such file" in missing.stderr


def test_team_shows_status_name_role_and_email(cli_env: dict[str, str], tmp_path: Path) -> None:
    _run(cli_env, "proeco", "import", _export(tmp_path, ROWS))

    result = _run(cli_env, "team", "01234")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "École Saint-Joseph (FASE 01234) — 3 personne(s)"
    assert "Statut" in lines[3] and "E-mail renseigné dans ProECO" in lines[3]
    assert any(
        "Recevra un email d'invitation" in line and "Dubois Anne" in line and "Direction" in line
        for line in lines
    )
    as_json = json.loads(
        _run(cli_env, "team", "01234", "--json", "--status", "email_to_fix").stdout
    )
    assert [row["last_name"] for row in as_json["rows"]] == ["Peeters"]
    assert as_json["counts"]["will_be_invited"] == 2
    teachers = json.loads(
        _run(cli_env, "team", "01234", "--json", "--function", "enseignant").stdout
    )
    assert [row["last_name"] for row in teachers["rows"]] == ["Lambert"]

    named = json.loads(_run(cli_env, "team", "01234", "--json", "--name", "ANNE").stdout)
    assert [row["last_name"] for row in named["rows"]] == ["Dubois"]

    unknown = _run(cli_env, "team", "99999")
    assert unknown.returncode != 0
    assert "no establishment with FASE 99999" in unknown.stderr
