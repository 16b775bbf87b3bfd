"""Building ProECO exports for tests, the way Excel writes them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

HEADER = ("matricule", "nom", "prenom", "fonction", "email", "fase", "etablissement")


def export_csv(
    rows: Iterable[Sequence[str]],
    *,
    header: Sequence[str] = HEADER,
    delimiter: str = ";",
    encoding: str = "utf-8",
    newline: str = "\r\n",
) -> bytes:
    lines = [delimiter.join(header)]
    for row in rows:
        lines.append(delimiter.join(_quoted(value, delimiter) for value in row))
    return (newline.join(lines) + newline).encode(encoding)


def _quoted(value: str, delimiter: str) -> str:
    if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


def person(
    matricule: str,
    last_name: str,
    first_name: str,
    function: str = "Enseignant",
    email: str | None = None,
    fase: str = "01234",
    establishment: str = "École Saint-Joseph",
) -> tuple[str, ...]:
    if email is None:
        email = f"{first_name}.{last_name}@ecoles.be".lower().replace(" ", "")
    return (matricule, last_name, first_name, function, email, fase, establishment)
