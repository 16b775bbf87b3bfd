"""Reading the ProECO export: one CSV row per assignment.

Real exports come from Excel on Belgian Windows machines, so the reader accepts `;`, `,` or
tab delimiters, UTF-8 with or without BOM, UTF-16 with BOM and Windows-1252 (one of them from
start to end: `encodings`), header names in any case with or without accents, spaces or
punctuation (`Prénom`, `PRENOM`, `N° FASE`), blank lines and surrounding spaces. Each data row
is either accepted or rejected with its line number and a reason; only a file whose header
cannot be understood (a column missing or named twice) or whose encoding changes midway is
refused as a whole.

An invalid e-mail address does not reject a row: the person is kept and the director sees
« à corriger dans ProECO ». E-mail validation therefore happens in the sync, not here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from access.errors import InvalidInput
from access.proeco import encodings
from access.text import compact_key

COLUMNS = ("matricule", "nom", "prenom", "fonction", "email", "fase", "etablissement")

# Header spellings seen in exports, compared with `compact_key` (no case, accents, spaces).
HEADER_ALIASES: dict[str, str] = {
    **{key: "matricule" for key in ("matricule", "nomatricule", "nmatricule", "idproeco")},
    **{key: "nom" for key in ("nom", "nomdefamille", "lastname")},
    **{key: "prenom" for key in ("prenom", "firstname")},
    **{key: "fonction" for key in ("fonction", "role", "fonctionproeco")},
    **{
        key: "email"
        for key in ("email", "mail", "courriel", "adresseemail", "adressemail", "emailproeco")
    },
    **{
        key: "fase"
        for key in ("fase", "nfase", "nofase", "numfase", "numerofase", "codefase", "faseecole")
    },
    **{
        key: "etablissement"
        for key in ("etablissement", "nometablissement", "ecole", "nomecole", "etablissementnom")
    },
}

MAX_LENGTHS = {
    "matricule": 32,
    "fase": 16,
    "nom": 255,
    "prenom": 255,
    "fonction": 255,
    "etablissement": 255,
}
_LIMITED = ("matricule", "nom", "prenom", "fonction", "fase", "etablissement")
MAX_EMAIL_LENGTH = 320
DELIMITERS = (";", ",", "\t")


class ExportRow(NamedTuple):
    line: int
    matricule: str
    last_name: str
    first_name: str
    function: str
    email: str
    fase: str
    establishment: str


@dataclass(frozen=True)
class RejectedRow:
    line: int
    code: str
    reason: str
    matricule: str | None = None
    fase: str | None = None


@dataclass
class ExportFile:
    rows: list[ExportRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ";"


class UnreadableExport(InvalidInput):
    default_user_message = "Le fichier ProECO n'a pas pu être lu."


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in; a file in more than one encoding is refused."""
    try:
        return encodings.decode(data)
    except encodings.MixedEncodings as mixed:
        raise UnreadableExport("mixed_encodings", detail=str(mixed)) from None


def read_export(source: Path | bytes | str) -> ExportFile:
    if isinstance(source, bytes):
        data = source
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as error:
            raise UnreadableExport(
                "unreadable_file", detail=f"cannot read {source}: {error.strerror}"
            ) from None
    text, encoding = decode(data)
    return parse_text(text, encoding=encoding)


def parse_text(text: str, *, encoding: str = "utf-8") -> ExportFile:
    # Lines are split the way the csv module splits them (\n, \r, \r\n), so that the
    # line numbers in the report are the ones a text editor shows.
    stream = io.StringIO(text.replace("\0", ""), newline="")
    header_line = 0
    for raw in iter(stream.readline, ""):
        header_line += 1
        if _has_content(raw):
            break
    else:
        raise UnreadableExport("empty_file", detail="the file has no header row")
    delimiter, positions, width = _read_header(raw.rstrip("\r\n"))
    result = ExportFile(encoding=encoding, delimiter=delimiter)
    _read_rows(stream, header_line, delimiter, positions, width, result)
    return result


def _has_content(line: str) -> bool:
    return any(ch not in " \t\r\n;,\"'\ufeff" for ch in line)


def _read_header(line: str) -> tuple[str, dict[str, int], int]:
    best: tuple[int, str, dict[str, list[int]], list[str]] | None = None
    for delimiter in DELIMITERS:
        names = next(csv.reader([line], delimiter=delimiter), [])
        found: dict[str, list[int]] = {}
        for index, name in enumerate(names):
            column = HEADER_ALIASES.get(compact_key(name))
            if column is not None:
                found.setdefault(column, []).append(index)
        if best is None or len(found) > best[0]:
            best = (len(found), delimiter, found, names)
    assert best is not None
    _, delimiter, found, names = best
    missing = [column for column in COLUMNS if column not in found]
    if missing:
        raise UnreadableExport(
            "missing_columns",
            detail=(
                f"the header names no column {', '.join(missing)} (expected: {', '.join(COLUMNS)})"
            ),
        )
    _refuse_repeated_columns(found, names)
    return delimiter, {column: indexes[0] for column, indexes in found.items()}, len(names)


def _refuse_repeated_columns(found: dict[str, list[int]], names: list[str]) -> None:
    """Two columns read as one (`E-mail` and `Courriel`): which holds the data is a guess, and
    a wrong guess empties or replaces every e-mail, so the file is refused."""
    repeated = [
        f"{column}: "
        + " and ".join(
            f'"{names[index].strip()}" in column {_column_label(index)}' for index in indexes
        )
        for column in COLUMNS
        if len(indexes := found[column]) > 1
    ]
    if repeated:
        raise UnreadableExport(
            "duplicate_columns",
            detail=(
                f"the header names the same column more than once: {'; '.join(repeated)}; "
                "keep one of each and export again"
            ),
        )


def _column_label(index: int) -> str:
    """`5 (E)`: the position and the spreadsheet letter of a 0-based column index."""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return f"{index + 1} ({letters})"


def _read_rows(
    stream: io.StringIO,
    header_line: int,
    delimiter: str,
    positions: dict[str, int],
    width: int,
    result: ExportFile,
) -> None:
    reader = csv.reader(stream, delimiter=delimiter, strict=False)
    first_line_of: dict[tuple[str, str], int] = {}
    order = tuple(positions[column] for column in COLUMNS)
    previous_end = header_line
    while True:
        line = previous_end + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            previous_end = header_line + reader.line_num
            result.rejected.append(RejectedRow(line, "unreadable", f"unreadable row: {error}"))
            continue
        previous_end = header_line + reader.line_num
        if not any(value.strip() for value in fields):
            continue
        row = _check_row(line, fields, width, order, first_line_of)
        if isinstance(row, RejectedRow):
            result.rejected.append(row)
        else:
            result.rows.append(row)


def _check_row(
    line: int,
    fields: list[str],
    width: int,
    order: tuple[int, ...],
    first_line_of: dict[tuple[str, str], int],
) -> ExportRow | RejectedRow:
    count = len(fields)
    matricule, nom, prenom, fonction, email, fase, etablissement = (
        fields[index].strip() if index < count else "" for index in order
    )

    def reject(code: str, reason: str) -> RejectedRow:
        return RejectedRow(line, code, reason, matricule or None, fase or None)

    if count > width and any(value.strip() for value in fields[width:]):
        return reject(
            "extra_fields",
            f"{count} fields where the header has {width} "
            "(a value containing the delimiter without quotes?)",
        )
    problem = _field_problem(matricule, nom, prenom, fonction, fase, etablissement)
    if problem is not None:
        return reject(*problem)
    key = (matricule, fase)
    if key in first_line_of:
        return reject(
            "duplicate",
            f"same matricule and FASE as line {first_line_of[key]} (this row is ignored)",
        )
    first_line_of[key] = line
    return ExportRow(
        line,
        matricule,
        " ".join(nom.split()),
        " ".join(prenom.split()),
        fonction,
        email[:MAX_EMAIL_LENGTH],
        fase,
        " ".join(etablissement.split()),
    )


def _field_problem(
    matricule: str, nom: str, prenom: str, fonction: str, fase: str, etablissement: str
) -> tuple[str, str] | None:
    """(code, reason) of the first field that makes the row unusable, or None."""
    if not matricule:
        return "missing_matricule", "no matricule"
    if not fase:
        return "missing_fase", "no FASE number"
    if not fase.isascii() or not fase.isdigit():
        return "invalid_fase", f"the FASE number {fase!r} is not made of digits only"
    values = (matricule, nom, prenom, fonction, fase, etablissement)
    for column, value in zip(_LIMITED, values, strict=True):
        if len(value) > MAX_LENGTHS[column]:
            return "too_long", f"{column} longer than {MAX_LENGTHS[column]} characters"
    if not nom:
        return "missing_name", "no last name (nom)"
    if not fonction:
        return "missing_function", "no function (fonction)"
    return None
