from __future__ import annotations

import json
import subprocess
from pathlib import Path

from access.persistence.database import Database
from access.proeco.sync import import_export
from tests.access.exports import export_csv, person
from tests.conftest import run_cli, run_cli_smoke

STAFF = [
    person("1001", "Dubois", "Anne", "Directrice"),
    person("1002", "Lambert", "Marc"),
    person("1003", "Peeters", "Sophie", email="pas une adresse"),
]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(env, *args, text=True)


def test_invite_sends_through_the_outbox_and_reports_as_json(
    db: Database, cli_env: dict[str, str]
) -> None:
    import_export(db, export_csv(STAFF))
    # The one run of `invite` in a process of its own (on SQLite); the others in this one.
    result = run_cli_smoke(
        cli_env, "invite", "01234", "--as", "Anne.Dubois@ecoles.be", "--json", text=True
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert sorted(o["name"] for o in report["sent"]) == ["Dubois Anne", "Lambert Marc"]
    assert [o["name"] for o in report["to_fix"]] == ["Peeters Sophie"]

    again = run(cli_env, "invite", "01234", "--as", "anne.dubois@ecoles.be", "--resend")
    assert again.returncode == 0, again.stderr
    assert "0 invitation(s) sent" in again.stdout
    assert "invited less than 3 minutes ago" in again.stdout
    assert "envoy" not in again.stdout  # operators read English only

    delivered = run(cli_env, "worker", "--once")
    assert delivered.stdout.strip() == "2 sent, 0 to retry later, 0 failed."
    assert len(list(Path(cli_env["MAIL_DIR"]).glob("*.eml"))) == 2


def test_invite_refuses_who_is_not_the_director_in_one_line(
    db: Database, cli_env: dict[str, str]
) -> None:
    import_export(db, export_csv(STAFF))
    for email in ("marc.lambert@ecoles.be", "nobody@ecoles.be"):
        result = run(cli_env, "invite", "01234", "--as", email)
        assert result.returncode != 0
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("Error: ")
    assert not Path(cli_env["MAIL_DIR"]).exists() or not list(
        Path(cli_env["MAIL_DIR"]).glob("*.eml")
    )
