"""`extranet-bot proeco import` and `extranet-bot team`, run as an operator would."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import sqlalchemy as sa

from access.directory.models import Account, AccountStatus
from access.persistence.database import Database
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
    # Operators read English; names and functions stay as ProECO gives them.
    assert lines[0] == "École Saint-Joseph (FASE 01234): 3 people"
    assert lines[1].startswith("to invite: 2")
    assert "status" in lines[3] and "e-mail in ProECO" in lines[3]
    assert any(
        line.startswith("to invite") and "Dubois Anne" in line and "Direction" in line
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


def _team_emails(env: dict[str, str]) -> dict[str, str | None]:
    team = json.loads(_run(env, "team", "01234", "--json").stdout)
    return {row["last_name"]: row["proeco_email"] for row in team["rows"]}


def test_a_header_naming_a_column_twice_is_refused(cli_env: dict[str, str], tmp_path: Path) -> None:
    _run(cli_env, "proeco", "import", _export(tmp_path, ROWS))
    before = _team_emails(cli_env)
    # The file that emptied every e-mail: a blank « E-mail » column, the addresses in another.
    header = (
        "Matricule",
        "Nom",
        "Prénom",
        "Fonction",
        "E-mail",
        "N° FASE",
        "Établissement",
        "E-mail",
    )
    rows = [(m, n, p, f, "", fase, etab, email) for m, n, p, f, email, fase, etab in ROWS]
    path = tmp_path / "doubled.csv"
    path.write_bytes(export_csv(rows, header=header, encoding="cp1252"))

    refused = _run(cli_env, "proeco", "import", str(path))

    assert refused.returncode != 0
    assert refused.stderr.strip().count("\n") == 0
    assert (
        'the header names the same column more than once: email: "E-mail" in column 5 (E) '
        'and "E-mail" in column 8 (H)'
    ) in refused.stderr
    as_json = _run(cli_env, "proeco", "import", str(path), "--json", "--allow-mass-email-change")
    assert as_json.returncode != 0
    assert json.loads(as_json.stdout)["refused"] == "duplicate_columns"
    assert _team_emails(cli_env) == before


def test_a_mass_email_change_is_refused_unless_allowed(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    _run(cli_env, "proeco", "import", _export(tmp_path, ROWS))
    changed = [person("1", "Dubois", "Anne", "Directrice", email="anne@autre-ecole.be"), *ROWS[1:]]
    path = _export(tmp_path, changed, "changed.csv")

    refused = _run(cli_env, "proeco", "import", path)

    assert refused.returncode != 0
    assert refused.stderr.strip().count("\n") == 0
    assert "the e-mail of 1 of the 3 people who have one (33%)" in refused.stderr
    assert "--allow-mass-email-change" in refused.stderr
    as_json = json.loads(_run(cli_env, "proeco", "import", path, "--json").stdout)
    assert as_json["refused"] == "mass_email_change"
    assert as_json["report"]["email_changed_or_emptied"] == 1
    assert _team_emails(cli_env)["Dubois"] == "anne.dubois@ecoles.be"

    allowed = _run(cli_env, "proeco", "import", path, "--allow-mass-email-change", "--json")

    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["email_changed"] == 1
    assert _team_emails(cli_env)["Dubois"] == "anne@autre-ecole.be"
    assert "--allow-mass-email-change" in _run(cli_env, "proeco", "import", "--help").stdout


def test_an_active_account_keeps_its_email_when_the_cell_is_emptied(
    cli_env: dict[str, str], db: Database, tmp_path: Path
) -> None:
    staff = [person(str(n), "Agent", f"Prenom{n}") for n in range(1, 11)]
    _run(cli_env, "proeco", "import", _export(tmp_path, staff))
    with db.transaction() as session:
        session.execute(
            sa.update(Account)
            .where(Account.reference_email == "prenom2.agent@ecoles.be")
            .values(status=AccountStatus.ACTIVE.value)
        )
    emptied = [*staff]
    emptied[1] = person("2", "Agent", "Prenom2", email="")

    result = _run(cli_env, "proeco", "import", _export(tmp_path, emptied, "emptied.csv"))

    assert result.returncode == 0, result.stderr
    assert "e-mails emptied by the file: 1" in result.stdout
    assert "sign-in e-mails kept (empty or invalid in ProECO): 1" in result.stdout
    with db.session() as session:
        kept = session.scalar(
            sa.select(sa.func.count())
            .select_from(Account)
            .where(Account.reference_email == "prenom2.agent@ecoles.be")
        )
    assert kept == 1
    again = _run(cli_env, "proeco", "import", _export(tmp_path, emptied, "again.csv"), "--json")
    assert json.loads(again.stdout)["emails_to_fix"] == [
        {"line": 3, "matricule": "2", "email": "", "reference_email_kept": True}
    ]


def test_a_file_mixing_encodings_is_refused(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        export_csv([person("1", "Dubois", "Benoît"), person("2", "Lambert", "Zoé")])
        + "3;Peeters;Hélène;Enseignant;h@ecoles.be;01234;Ecole\r\n".encode("cp1252")
    )

    refused = _run(cli_env, "proeco", "import", str(path), "--dry-run")

    assert refused.returncode != 0
    assert refused.stderr.strip().count("\n") == 0
    assert "the file mixes encodings: lines 2-3 are UTF-8, line 4 is not" in refused.stderr
    assert _run(cli_env, "team", "01234").returncode != 0  # nothing was imported
