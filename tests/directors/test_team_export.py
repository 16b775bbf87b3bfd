"""The team list download: Excel-friendly and safe to open."""

from __future__ import annotations

import csv
import io

from access.directory.team import TeamRow, TeamStatus
from access.directory.team_export import rows_csv, safe_cell


def _row(**overrides: object) -> TeamRow:
    values: dict[str, object] = dict(
        person_id=1,
        last_name="Lemaître",
        first_name="Zoé",
        function_code="enseignant",
        function_label="Enseignant-e",
        proeco_email="zoe.lemaitre@ecole.be",
        status=TeamStatus.WILL_BE_INVITED,
        status_label="Recevra un email d'invitation",
        invited_at=None,
        delivery_error=None,
    )
    values.update(overrides)
    return TeamRow(**values)  # type: ignore[arg-type]


def _read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_export_opens_in_excel_with_accents_and_semicolons() -> None:
    data = rows_csv([_row()])
    assert data.startswith("\ufeff".encode())
    assert b"\r\n" in data
    header, row = _read(data)
    assert header[0] == "Statut" and header[1] == "Nom"
    assert header[4].startswith("E-mail renseigné dans ProECO")
    assert row[:5] == [
        "Recevra un email d'invitation",
        "Lemaître",
        "Zoé",
        "Enseignant-e",
        "zoe.lemaitre@ecole.be",
    ]


def test_cells_that_excel_would_run_as_formulas_are_neutralised() -> None:
    data = rows_csv(
        [
            _row(last_name='=HYPERLINK("http://x";"clic")', first_name="+1", proeco_email="@x"),
            _row(last_name="-2+3", first_name="\tTab", delivery_error="=cmd|' /C calc'!A0"),
        ]
    )
    _, first, second = _read(data)
    assert first[1].startswith("'=") and first[2] == "'+1" and first[4] == "'@x"
    assert second[1] == "'-2+3" and second[2] == "'\tTab" and second[5].startswith("'=")


def test_delimiters_and_quotes_inside_names_stay_in_their_cell() -> None:
    _, row = _read(rows_csv([_row(last_name='De "la" Haye; Van', first_name="Jean\nLuc")]))
    assert row[1] == 'De "la" Haye; Van'
    assert row[2] == "Jean\nLuc"


def test_missing_email_is_an_empty_cell_and_plain_values_are_unchanged() -> None:
    _, row = _read(rows_csv([_row(proeco_email=None)]))
    assert row[4] == ""
    assert safe_cell("Dupont") == "Dupont"
    assert safe_cell(None) == ""
