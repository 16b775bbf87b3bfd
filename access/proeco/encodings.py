"""Which encoding a ProECO export is in, and a refusal when it is in more than one.

Excel on Belgian Windows machines writes Windows-1252; other tools write UTF-8, with or
without a byte order mark, or UTF-16 with one. A file pieced together from two of them (an
ASCII header, UTF-8 rows, then Windows-1252 rows) has no right reading: read as Windows-1252,
« Benoît » of the UTF-8 rows becomes « BenoÃ®t »; read as UTF-8, the other rows cannot be
read. Such a file is refused with the line numbers of each part, never guessed.

Every byte string is valid Windows-1252, so a file is read as Windows-1252 only when it is
not UTF-8 and holds nothing that reads as UTF-8 text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import Enum

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UTF8_BOM = b"\xef\xbb\xbf"

# UTF-8 sequences of the characters an export holds: accented Latin letters, Greek, Cyrillic,
# typographic punctuation, the euro sign. Read as Windows-1252 they are mojibake (« Ã© »,
# « â€™ »), which no real name contains; other multi-byte sequences can be a chance pairing
# of Windows-1252 letters (« É€ ») and prove nothing.
_UTF8_TEXT = re.compile(
    rb"\xc2[\xa0-\xbf]|[\xc3-\xc5][\x80-\xbf]|\xc8[\x98-\x9b]|[\xce-\xd3][\x80-\xbf]"
    rb"|\xe2\x80[\x90-\xba]|\xe2\x82\xac|\xef\xbb\xbf"
)
# Within a line that is not UTF-8 as a whole: an accented letter of UTF-8 (« Ã® », « Ã© »)
# or « Œ œ Ÿ », as Windows-1252 reads them; a pairing no French text makes.
_UTF8_LETTER = re.compile(rb"\xc3[\x80-\xbf]|\xc5[\x92\x93\xb8]")

_ASCII = bytes(range(0x80))

# How many ranges of lines a refusal names for each part, to stay one line long.
SHOWN_RANGES = 8


class MixedEncodings(ValueError):
    """The file is not valid in one encoding from start to end; the message says where."""


class _Kind(Enum):
    UTF8 = "UTF-8"
    OTHER = "not UTF-8"
    BOTH = "both"


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in; raises `MixedEncodings`."""
    if data.startswith(UTF16_BOMS):
        return _decode_utf16(data), "utf-16"
    if data.startswith(UTF8_BOM):
        try:
            return data[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise MixedEncodings(
                "the file mixes encodings (it starts with a UTF-8 byte order mark): "
                + _describe(_line_kinds(data, declared_utf8=True))
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _may_hold_utf8_text(data):
        kinds = _line_kinds(data, declared_utf8=False)
        found = {kind for _, kind in kinds}
        if _Kind.BOTH in found or {_Kind.UTF8, _Kind.OTHER} <= found:
            raise MixedEncodings("the file mixes encodings: " + _describe(kinds))
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # The five bytes Windows-1252 leaves undefined: read them as Latin-1 would.
        return data.decode("latin-1"), "latin-1"


def _may_hold_utf8_text(data: bytes) -> bool:
    """False when no byte sequence reads as UTF-8 text: most Windows-1252 files, told apart in
    one pass over their non-ASCII bytes (a sequence in the file stays one once ASCII is gone)."""
    return _UTF8_TEXT.search(data.translate(None, _ASCII)) is not None


def _decode_utf16(data: bytes) -> str:
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-16")
        line = len(re.findall(r"\r\n|\r|\n", before)) + 1
        raise MixedEncodings(
            f"the file starts with a UTF-16 byte order mark but line {line} is not UTF-16 "
            "(a lone surrogate or an odd byte); save the export again in one encoding"
        ) from None


def _lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Numbered lines, split as the CSV reader and a text editor split them (CR, LF, CRLF);
    no byte of a line ending is part of a multi-byte UTF-8 or Windows-1252 character."""
    return enumerate(data.splitlines(), start=1)


def _line_kinds(data: bytes, *, declared_utf8: bool) -> list[tuple[int, _Kind]]:
    """The lines that tell an encoding, in order; ASCII lines (valid in both) are left out.
    Without a byte order mark (part of line 1), a valid UTF-8 line counts only if it reads as
    UTF-8 text."""
    kinds: list[tuple[int, _Kind]] = []
    for number, line in _lines(data):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            kind = _Kind.BOTH if _UTF8_LETTER.search(line) else _Kind.OTHER
            kinds.append((number, kind))
            continue
        if declared_utf8 or _UTF8_TEXT.search(line):
            kinds.append((number, _Kind.UTF8))
    return kinds


def _describe(kinds: list[tuple[int, _Kind]]) -> str:
    """`lines 2-40 are UTF-8, lines 41, 43 are not (Windows-1252?)`."""
    verbs = {
        _Kind.UTF8: ("is UTF-8", "are UTF-8"),
        _Kind.OTHER: ("is not (Windows-1252?)", "are not (Windows-1252?)"),
        _Kind.BOTH: ("mixes both", "mix both"),
    }
    parts = []
    for kind, (singular, plural) in verbs.items():
        numbers = [number for number, of_kind in kinds if of_kind is kind]
        if numbers:
            parts.append(_lines_phrase(numbers, singular, plural))
    return ", ".join(parts) + "; save the export again in one encoding (UTF-8)"


def _lines_phrase(numbers: list[int], singular: str, plural: str) -> str:
    """`line 7 is …`, `lines 2-40, 45 are …`: consecutive numbers as a range, the first
    `SHOWN_RANGES` ranges named and the other lines counted."""
    if len(numbers) == 1:
        return f"line {numbers[0]} {singular}"
    runs: list[list[int]] = []
    for number in numbers:
        if runs and runs[-1][1] == number - 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    shown = [str(first) if first == last else f"{first}-{last}" for first, last in runs]
    text = ", ".join(shown[:SHOWN_RANGES])
    if len(runs) > SHOWN_RANGES:
        hidden = sum(last - first + 1 for first, last in runs[SHOWN_RANGES:])
        text += f" and {hidden} more"
    return f"lines {text} {plural}"
