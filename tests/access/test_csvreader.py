"""Reading ProECO exports as Excel writes them on Belgian Windows machines."""

from __future__ import annotations

from pathlib import Path

import pytest

from access.proeco.reader import UnreadableExport, read_export
from tests.access.exports import HEADER, export_csv, person

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


# -- a column named twice (issue 16, item 15) -----------------------------------------------


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (
            (
                "Matricule",
                "Nom",
                "Prénom",
                "Fonction",
                "E-mail",
                "N° FASE",
                "Établissement",
                "E-mail",
            ),
            'email: "E-mail" in column 5 (E) and "E-mail" in column 8 (H)',
        ),
        (
            ("matricule", "nom", "prenom", "fonction", "Courriel", "fase", "etablissement", "MAIL"),
            'email: "Courriel" in column 5 (E) and "MAIL" in column 8 (H)',
        ),
        (
            ("Nom", "matricule", "NOM", "prenom", "fonction", "email", "fase", "etablissement"),
            'nom: "Nom" in column 1 (A) and "NOM" in column 3 (C)',
        ),
    ],
)
def test_a_column_named_twice_is_refused_naming_both(header: tuple[str, ...], named: str) -> None:
    row = ("1001", "Dubois", "Anne", "Direction", "", "00123", "École", "a@b.be")

    with pytest.raises(UnreadableExport) as refused:
        read_export(export_csv([row], header=header, encoding="cp1252"))

    assert refused.value.code == "duplicate_columns"
    assert named in str(refused.value)
    assert "\n" not in str(refused.value)


def test_every_column_named_twice_is_listed() -> None:
    header = (*HEADER, "FASE", "Adresse e-mail", "N° FASE")

    with pytest.raises(UnreadableExport) as refused:
        read_export(export_csv([], header=header))

    assert str(refused.value) == (
        "the header names the same column more than once: "
        'email: "email" in column 5 (E) and "Adresse e-mail" in column 9 (I); '
        'fase: "fase" in column 6 (F) and "FASE" in column 8 (H) and "N° FASE" in column 10 (J); '
        "keep one of each and export again"
    )


def test_other_columns_may_repeat() -> None:
    header = (*HEADER, "Remarque", "Remarque")
    export = read_export(export_csv([(*ROW, "x", "y")], header=header))
    assert [r.matricule for r in export.rows] == ["1001"]


def test_columns_past_z_are_named_as_a_spreadsheet_names_them() -> None:
    header = (*HEADER, *(f"Autre {n}" for n in range(22)), "Courriel")

    with pytest.raises(UnreadableExport, match=r'"Courriel" in column 30 \(AD\)'):
        read_export(export_csv([], header=header))


# -- a file in more than one encoding (issue 16, item 17) ------------------------------------

HEADER_LINE = b"matricule;nom;prenom;fonction;email;fase;etablissement\r\n"


def _line(matricule: int, first_name: str, encoding: str) -> bytes:
    return f"{matricule};Dubois;{first_name};Enseignant;;00123;Ecole\r\n".encode(encoding)


def test_utf8_rows_then_windows_1252_rows_are_refused_with_their_lines() -> None:
    # The file that was guessed as Windows-1252: « Benoît » of the UTF-8 rows became « BenoÃ®t ».
    data = (
        HEADER_LINE
        + b"".join(_line(n, "Benoît", "utf-8") for n in range(2, 41))
        + _line(41, "Hélène", "cp1252")
        + _line(42, "Marc", "ascii")
        + _line(43, "Françoise", "cp1252")
    )

    with pytest.raises(UnreadableExport) as refused:
        read_export(data)

    assert refused.value.code == "mixed_encodings"
    assert str(refused.value) == (
        "the file mixes encodings: lines 2-40 are UTF-8, lines 41, 43 are not (Windows-1252?); "
        "save the export again in one encoding (UTF-8)"
    )


def test_windows_1252_rows_then_utf8_rows_are_refused_too() -> None:
    data = HEADER_LINE + _line(2, "Zoé", "cp1252") + _line(3, "Chloé", "utf-8")

    with pytest.raises(UnreadableExport, match="line 3 is UTF-8, line 2 is not"):
        read_export(data)


def test_a_line_holding_both_encodings_is_refused() -> None:
    data = HEADER_LINE + "1;BenoÃ®t;Françoise;Enseignant;;00123;Ecole\r\n".encode("cp1252")

    with pytest.raises(UnreadableExport, match="line 2 mixes both"):
        read_export(data)


def test_a_utf8_byte_order_mark_then_windows_1252_rows_are_refused() -> None:
    data = b"\xef\xbb\xbf" + HEADER_LINE + _line(2, "Benoît", "utf-8") + _line(3, "Zoé", "cp1252")

    with pytest.raises(UnreadableExport) as refused:
        read_export(data)

    assert refused.value.code == "mixed_encodings"
    assert "UTF-8 byte order mark" in str(refused.value)
    assert "lines 1-2 are UTF-8, line 3 is not" in str(refused.value)


@pytest.mark.parametrize(
    "tail",
    [b"x", "1;Zoé\r\n".encode("cp1252"), b"\x00\xd8\x0a\x00"],
    ids=["odd", "cp1252", "surrogate"],
)
def test_a_utf16_file_that_does_not_stay_utf16_is_refused(tail: bytes) -> None:
    data = "matricule;nom;prenom;fonction;email;fase;etablissement\r\n".encode("utf-16") + tail

    with pytest.raises(UnreadableExport) as refused:
        read_export(data)

    assert refused.value.code == "mixed_encodings"
    assert "line 2 is not UTF-16" in str(refused.value)


def test_a_long_list_of_lines_stays_one_line() -> None:
    lines = [
        _line(n, "Zoé" if n % 2 else "Chloé", "cp1252" if n % 2 else "utf-8") for n in range(2, 400)
    ]

    with pytest.raises(UnreadableExport) as refused:
        read_export(HEADER_LINE + b"".join(lines))

    message = str(refused.value)
    assert "\n" not in message
    assert "lines 2, 4, 6, 8, 10, 12, 14, 16 and 191 more are UTF-8" in message
    assert "lines 3, 5, 7, 9, 11, 13, 15, 17 and 191 more are not" in message


def test_windows_1252_typography_stays_windows_1252() -> None:
    name = "Œuvre « Saint-Éloi » – l’école… 5 € ‰"
    export = read_export(
        export_csv([person("1", "Dubois", "Anne", establishment=name)], encoding="cp1252")
    )
    assert export.encoding == "cp1252"
    assert export.rows[0].establishment == name


def test_a_chance_utf8_sequence_in_a_windows_1252_file_is_not_read_as_utf8() -> None:
    # « É€ » in Windows-1252 is C9 80, valid UTF-8 for « ɀ »: no export holds that letter.
    data = HEADER_LINE + _line(2, "É€", "cp1252") + _line(3, "Zoé", "cp1252")

    export = read_export(data)

    assert export.encoding == "cp1252"
    assert [r.first_name for r in export.rows] == ["É€", "Zoé"]


def test_an_ascii_file_is_read_as_utf8() -> None:
    assert read_export(HEADER_LINE + _line(2, "Marc", "ascii")).encoding == "utf-8"
