"""Property tests: whatever Excel (or a broken export) produces, the reader never crashes and
accounts for every data row, accepted or rejected with a reason."""

from __future__ import annotations

import operator
import re
import string

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from access.proeco.reader import COLUMNS, UnreadableExport, read_export

SPELLINGS = {
    "matricule": ["matricule", "MATRICULE", "Matricule", " N° matricule "],
    "nom": ["nom", "NOM", "Nom de famille"],
    "prenom": ["prenom", "Prénom", "PRÉNOM", "PRENOM"],
    "fonction": ["fonction", "Fonction", "FONCTION", "Rôle"],
    "email": ["email", "E-mail", "Courriel", "Adresse e-mail", "MAIL"],
    "fase": ["fase", "N° FASE", "FASE", "Numéro FASE", "n° fase"],
    "etablissement": ["etablissement", "Établissement", "ÉTABLISSEMENT", "Ecole"],
}
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252"]
# Characters all three encodings can write, including French accents and the Euro sign.
TEXT = st.text(
    alphabet=string.ascii_letters + string.digits + " -'.@éèêëàâçîïôûùüÉÈÀÇ€œ;,\"",
    max_size=20,
)
# The languages of [0-9]{1,8}, [A-Za-zéèÉ][A-Za-zéè' -]{0,15} and 0{0,2}[0-9]{1,6}, built from
# plain text strategies: drawn far more cheaply than with st.from_regex.
VALID_ROW = st.tuples(
    st.text(string.digits, min_size=1, max_size=8),
    st.builds(
        operator.add,
        st.sampled_from(string.ascii_letters + "éèÉ"),
        st.text(string.ascii_letters + "éè' -", max_size=15),
    ),
    TEXT,
    st.sampled_from(["Enseignant", "Direction", "Éducatrice", "Économe", "Logopède"]),
    st.one_of(st.just(""), st.emails(), TEXT),
    st.builds(
        operator.add, st.text("0", max_size=2), st.text(string.digits, min_size=1, max_size=6)
    ),
    TEXT,
)
JUNK_ROW = st.lists(TEXT, min_size=0, max_size=10)


def _line(values: list[str] | tuple[str, ...], delimiter: str) -> str:
    def quote(value: str) -> str:
        if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return delimiter.join(quote(value) for value in values)


@st.composite
def exports(draw: st.DrawFn) -> tuple[bytes, int, dict[int, str]]:
    delimiter = draw(st.sampled_from([";", ",", "\t"]))
    encoding = draw(st.sampled_from(ENCODINGS))
    newline = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    order = draw(st.permutations(list(COLUMNS)))
    header = [draw(st.sampled_from(SPELLINGS[column])) for column in order]
    lines = [_line(header, delimiter)]
    data_rows = 0
    expected_valid: dict[int, str] = {}  # line number -> matricule
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["valid", "junk", "blank"]))
        if kind == "blank":
            lines.append("")
            continue
        if kind == "valid":
            row = dict(zip(COLUMNS, draw(VALID_ROW), strict=True))
            lines.append(_line([row[column] for column in order], delimiter))
            expected_valid[len(lines)] = row["matricule"]
        else:
            lines.append(_line(draw(JUNK_ROW), delimiter))
        data_rows += 1
    return (newline.join(lines) + newline).encode(encoding), data_rows, expected_valid


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exports())
def test_every_row_is_accepted_or_rejected_with_a_reason(
    case: tuple[bytes, int, list[str]],
) -> None:
    data, data_rows, expected_valid = case
    export = read_export(data)

    assert all(r.reason and r.line >= 2 for r in export.rejected)
    assert len(export.rows) + len(export.rejected) <= data_rows
    lines = [r.line for r in export.rows] + [r.line for r in export.rejected]
    assert len(lines) == len(set(lines))
    accepted = {r.line: r.matricule for r in export.rows}
    duplicates = {r.line for r in export.rejected if r.code == "duplicate"}
    for line, matricule in expected_valid.items():
        # A well-formed row is accepted, with its own line number, unless it repeats an
        # earlier matricule + FASE.
        assert accepted.get(line) == matricule or line in duplicates
    for row in export.rows:
        assert row.matricule and row.fase.isdigit() and row.last_name and row.function


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_the_reader(data: bytes) -> None:
    try:
        export = read_export(data)
    except UnreadableExport as refused:
        assert str(refused)
        return
    assert all(r.reason for r in export.rejected)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sampled_from([*ENCODINGS, "utf-16"]))
# Found by hypothesis: in Windows-1252, « Ã » then a no-break space are the bytes of UTF-8 « à »
# beside a byte UTF-8 cannot read. Such a line is refused as mixing encodings, with the fix.
@example(body="\xa0Ã\xa0", encoding="cp1252")
def test_any_text_after_a_valid_header_never_crashes(body: str, encoding: str) -> None:
    """Rows are read or rejected with a reason; a file that cannot be read safely is refused
    whole with a reason the operator can act on, never an unexpected error."""
    text = "matricule;nom;prenom;fonction;email;fase;etablissement\n" + body
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    try:
        export = read_export(data)
    except UnreadableExport as refused:
        assert "UTF-8" in str(refused)  # says how to save it again
        return
    assert all(r.reason for r in export.rejected)
    assert all(r.fase.isdigit() for r in export.rows)


# A Windows-1252 line made of these letters is never valid UTF-8 (each one is a UTF-8 lead
# byte that no continuation byte follows); a UTF-8 line holds at least one of them or of the
# typographic signs.
ACCENTED = "éèêëàâçîïôûùüÉÈÀÇ"
UTF8_SIGNS = "’«»€œŒ–…"
ASCII_NAME = st.text(alphabet=string.ascii_letters + " -'", max_size=8)


@st.composite
def accented_names(draw: st.DrawFn, alphabet: str) -> str:
    return draw(ASCII_NAME) + draw(st.sampled_from(alphabet)) + draw(ASCII_NAME)


@st.composite
def mixed_exports(draw: st.DrawFn) -> tuple[bytes, set[int], set[int]]:
    """An ASCII header, then UTF-8, Windows-1252 and ASCII rows in any order (at least one
    of the first two kinds each); with the line numbers of each kind."""
    delimiter = draw(st.sampled_from([";", ",", "\t"]))
    newline = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    kinds = draw(st.lists(st.sampled_from(["utf-8", "cp1252", "ascii"]), max_size=12))
    kinds = draw(st.permutations(["utf-8", "cp1252", *kinds]))
    lines = [_line(list(COLUMNS), delimiter).encode("ascii")]
    utf8: set[int] = set()
    cp1252: set[int] = set()
    for index, kind in enumerate(kinds):
        if kind == "utf-8":
            name = draw(accented_names(ACCENTED + UTF8_SIGNS))
            utf8.add(len(lines) + 1)
        elif kind == "cp1252":
            name = draw(accented_names(ACCENTED))
            cp1252.add(len(lines) + 1)
        else:
            name = draw(ASCII_NAME)
        row = (str(index + 1), "Dubois", name, "Enseignant", "", "00123", "Ecole")
        lines.append(_line(row, delimiter).encode("ascii" if kind == "ascii" else kind))
    return newline.encode().join(lines) + newline.encode(), utf8, cp1252


def _numbers(listed: str) -> set[int]:
    numbers: set[int] = set()
    for part in listed.split(", "):
        first, _, last = part.partition("-")
        numbers.update(range(int(first), int(last or first) + 1))
    return numbers


@settings(max_examples=300, deadline=None)
@given(mixed_exports())
def test_a_file_mixing_utf8_and_windows_1252_is_refused_naming_every_line(
    case: tuple[bytes, set[int], set[int]],
) -> None:
    data, utf8, cp1252 = case
    try:
        read_export(data)
    except UnreadableExport as refused:
        message = str(refused)
        assert refused.code == "mixed_encodings"
    else:
        raise AssertionError("a file mixing encodings was read")
    said_utf8 = re.search(r"lines? ([0-9, -]+) (?:is|are) UTF-8", message)
    said_other = re.search(r"lines? ([0-9, -]+) (?:is|are) not", message)
    assert said_utf8 is not None and said_other is not None, message
    assert _numbers(said_utf8.group(1)) == utf8
    assert _numbers(said_other.group(1)) == cp1252
    assert "\n" not in message
