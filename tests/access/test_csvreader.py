"""Reading ProECO exports as Excel writes them on Belgian Windows machines."""

from __future__ import annotations

from pathlib import Path

import pytest

from access.proeco.reader import UnreadableExport, read_export
from tests.access.exports import export_csv, person

ROW = person(
    "1001", "Dubois", "Anne-Françoise", "Éducatrice", fase="00123", establishment="École Saint-Éloi"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_encodings_and_delimiters_are_recognised(encoding: str, delimiter: str) -> None:
    export = read_export(export_csv([ROW], delimiter=delimiter, encoding=encoding))

    assert export.rejected == []
    [row] = export.rows
    assert (row.first_name, row.function, row.establishment) == (
        "Anne-Françoise",
        "Éducatrice",
        "École Saint-Éloi",
    )
    assert row.fase == "00123"
    assert export.delimiter == delimiter


@pytest.mark.parametrize(
    "header",
    [
        ("Matricule", "Nom", "Prénom", "Fonction", "E-mail", "N° FASE", "Établissement"),
        ("MATRICULE", "NOM", "PRENOM", "FONCTION", "EMAIL", "FASE", "ETABLISSEMENT"),
        (" matricule ", "nom", " prénom", "fonction", "Adresse e-mail", "Numéro FASE", "École"),
        (
            "N° matricule",
            "Nom de famille",
            "Prenom",
            "Rôle",
            "Courriel",
            "n_fase",
            "Nom établissement",
        ),
    ],
)
def test_header_names_in_any_spelling(header: tuple[str, ...]) -> None:
    export = read_export(export_csv([ROW], header=header, encoding="cp1252"))
    assert [r.matricule for r in export.rows] == ["1001"]


def test_columns_may_come_in_any_order_with_extra_columns() -> None:
    header = (
        "FASE",
        "Remarque",
        "Email",
        "Nom",
        "Prénom",
        "Matricule",
        "Fonction",
        "Etablissement",
    )
    row = ("00123", "à voir", "a@b.be", "Dubois", "Anne", "1001", "Direction", "École")
    [parsed] = read_export(export_csv([row], header=header)).rows
    assert (parsed.matricule, parsed.fase, parsed.email, parsed.function) == (
        "1001",
        "00123",
        "a@b.be",
        "Direction",
    )


def test_blank_lines_and_surrounding_spaces_are_ignored() -> None:
    data = (
        "\r\n\r\nmatricule;nom;prenom;fonction;email;fase;etablissement\r\n"
        "  1001 ;  Dubois  ; Anne ; Directrice ; anne@ecole.be ; 00123 ;  École  A \r\n"
        "\r\n;;;;;;\r\n   \r\n"
        "1002;Lambert;Marc;Enseignant;marc@ecole.be;00123;École A\r\n"
    ).encode("cp1252")

    export = read_export(data)

    assert export.rejected == []
    first, second = export.rows
    assert (first.line, first.matricule, first.last_name, first.email, first.establishment) == (
        4,
        "1001",
        "Dubois",
        "anne@ecole.be",
        "École A",
    )
    assert second.line == 8


def test_quoted_values_may_hold_the_delimiter_and_line_breaks() -> None:
    data = (
        "matricule;nom;prenom;fonction;email;fase;etablissement\n"
        '1001;"Dubois; dite ""Nanou""";Anne;Direction;a@b.be;00123;"École\nA"\n'
        "1002;Lambert;Marc;Enseignant;m@b.be;00123;École A\n"
    ).encode()
    first, second = read_export(data).rows
    assert first.last_name == 'Dubois; dite "Nanou"'
    assert first.establishment == "École A"
    assert second.line == 4


def test_bad_rows_are_rejected_with_their_line_and_reason() -> None:
    rows = [
        person("", "Sans", "Matricule"),
        person("2", "Sans", "Fase", fase=""),
        person("3", "Mauvais", "Fase", fase="12-34"),
        person("4", "Dubois", "Anne"),
        person("4", "Dubois", "Anne"),
        person("5", "", "Sans nom"),
        person("6", "Sans", "Fonction", function=""),
        ("7", "Trop", "De", "Champs", "a@b.be", "00123", "École", "encore"),
        person("8", "Mauvais", "Courriel", email="pas une adresse"),
    ]
    export = read_export(export_csv(rows))

    assert [(r.line, r.code, r.matricule) for r in export.rejected] == [
        (2, "missing_matricule", None),
        (3, "missing_fase", "2"),
        (4, "invalid_fase", "3"),
        (6, "duplicate", "4"),
        (7, "missing_name", "5"),
        (8, "missing_function", "6"),
        (9, "extra_fields", "7"),
    ]
    assert all(r.reason for r in export.rejected)
    # An invalid e-mail is not the reader's business: the person is kept.
    assert [r.matricule for r in export.rows] == ["4", "8"]


def test_unicode_digits_are_not_a_fase_number() -> None:
    export = read_export(export_csv([person("1", "A", "B", fase="١٢٣")]))
    assert [r.code for r in export.rejected] == ["invalid_fase"]


def test_a_file_without_the_expected_columns_is_refused() -> None:
    with pytest.raises(UnreadableExport, match="no column email, fase"):
        read_export(b"matricule;nom;prenom;fonction;etablissement\n1;A;B;C;D\n")


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b"\xef\xbb\xbf", b";;;;\n"])
def test_an_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(UnreadableExport) as refused:
        read_export(data)
    assert refused.value.code == "empty_file"


def test_a_missing_file_is_refused_with_a_clear_reason(tmp_path: Path) -> None:
    with pytest.raises(UnreadableExport, match="No such file"):
        read_export(tmp_path / "absent.csv")


def test_reads_a_file_path(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(export_csv([ROW], encoding="cp1252"))
    assert read_export(path).encoding == "cp1252"
    assert read_export(str(path)).rows[0].first_name == "Anne-Françoise"
