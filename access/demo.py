"""Demo data: a small deterministic ProECO export, and large generated ones for benchmarks.

Both are written the way real exports arrive: Windows-1252, `;` delimiters, CRLF line ends,
French header names with accents. Addresses use the reserved `.example` top-level domain, so
no demo e-mail can ever reach a real mailbox.
"""

from __future__ import annotations

import csv
import enum
import random
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.config import AccessSettings
from access.directory.models import Establishment, Person
from access.errors import AccessError
from access.persistence.database import Database

if TYPE_CHECKING:
    from access.proeco.sync import SyncReport

HEADER = ("Matricule", "Nom", "Prénom", "Fonction", "E-mail", "N° FASE", "Établissement")
DEMO_FILE_NAME = "proeco-demo.csv"

# FASE numbers are identifiers: the first one keeps its leading zeros.
DEMO_SCHOOLS: tuple[tuple[str, str, str], ...] = (
    ("00931", "École fondamentale Saint-Joseph, Namur", "saint-joseph-namur.example"),
    ("5623", "Institut Sainte-Marie, Liège", "sainte-marie-liege.example"),
    ("3310", "Collège Saint-Michel, Etterbeek", "saint-michel.example"),
    ("4471", "École Notre-Dame des Champs, Tournai", "notre-dame-tournai.example"),
)
DEMO_FASE = DEMO_SCHOOLS[0][0]
DEMO_DIRECTOR_EMAIL = "anne.dubois@saint-joseph-namur.example"
# Directs the last two schools at once.
DEMO_SHARED_DIRECTOR_EMAIL = "bernard.lejeune@saint-michel.example"

# matricule, nom, prénom, fonction (as ProECO spells it), e-mail, school index
_DEMO_PEOPLE: tuple[tuple[str, str, str, str, str | None, int], ...] = (
    ("10001", "Dubois", "Anne", "Directrice", DEMO_DIRECTOR_EMAIL, 0),
    ("10002", "Lambert", "Marc", "Enseignant", None, 0),
    ("10003", "Peeters", "Sophie", "Enseignante", None, 0),
    ("10004", "Janssens", "Luc", "Enseignant", None, 0),
    ("10005", "Maes", "Julie", "Institutrice", None, 0),
    ("10006", "Renard", "Nathalie", "Éducatrice", None, 0),
    ("10007", "Dumont", "Philippe", "Econome", None, 0),
    ("10008", "Leroy", "Isabelle", "Secrétaire de direction", None, 0),
    ("10009", "Lemaire", "Benoît", "Personnel ouvrier", None, 0),
    ("10010", "Collignon", "Véronique", "Personnel paramédical", "veronique.collignon@gmail", 0),
    ("10011", "Gérard", "Thierry", "Enseignant", "", 0),
    ("10012", "Fontaine", "Céline", "Personnel administratif", None, 0),
    ("10013", "Hubert", "Olivier", "Enseignant", None, 0),
    ("20001", "Martin", "Catherine", "Direction", None, 1),
    ("20002", "Jacobs", "Didier", "Enseignant", None, 1),
    ("20003", "Mertens", "Amandine", "Enseignante", None, 1),
    ("20004", "Willems", "Jérôme", "Educateur", None, 1),
    ("20005", "Claes", "Aurélie", "Enseignante", None, 1),
    ("20006", "Goossens", "Geoffrey", "Econome", None, 1),
    ("20007", "Wouters", "Manon", "Secrétaire de direction", None, 1),
    ("20008", "De Smet", "Quentin", "Personnel administratif", None, 1),
    ("20009", "Lejeune", "Françoise", "Personnel paramédical", None, 1),
    ("20010", "Simon", "Michel", "Ouvrier", None, 1),
    ("20011", "Laurent", "Laurence", "Coordinatrice pédagogique", None, 1),
    ("20012", "Denis", "Pascal", "Enseignant", "pascal.denis@@sainte-marie-liege.example", 1),
    ("30001", "Lejeune", "Bernard", "Directeur", DEMO_SHARED_DIRECTOR_EMAIL, 2),
    ("30002", "Masson", "Sandrine", "Enseignante", None, 2),
    ("30003", "Dupont", "Cédric", "Enseignant", None, 2),
    ("30004", "Michel", "Hélène", "Educatrice", None, 2),
    ("30005", "Mathieu", "Xavier", "Enseignant", None, 2),
    ("30006", "François", "Delphine", "Secrétaire de direction", None, 2),
    ("30007", "Delvaux", "Arnaud", "Personnel ouvrier", None, 2),
    ("30008", "Piron", "Pauline", "Enseignante", None, 2),
    ("40001", "Henrard", "Grégory", "Enseignant", None, 3),
    ("40002", "Thiry", "Noémie", "Enseignante", None, 3),
    ("40003", "Remacle", "Sébastien", "Educateur", None, 3),
    ("40004", "Goffin", "Chloé", "Personnel administratif", None, 3),
    ("40005", "Lhoest", "Maxime", "Econome", None, 3),
    ("40006", "Debroux", "Élodie", "Enseignante", None, 3),
    ("40007", "Wauters", "Marie-Claire", "Enseignante", None, 3),
)


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch if ch.isalnum() else "-" for ch in kept).strip("-")


def _address(first_name: str, last_name: str, domain: str) -> str:
    return f"{_ascii(first_name)}.{_ascii(last_name)}@{domain}"


def demo_rows() -> list[tuple[str, ...]]:
    """The demo export's rows: four schools, 40 people, every function, a few bad rows."""
    rows: list[tuple[str, ...]] = []
    for matricule, last, first, function, email, school in _DEMO_PEOPLE:
        fase, name, domain = DEMO_SCHOOLS[school]
        address = _address(first, last, domain) if email is None else email
        rows.append((matricule, last, first, function, address, fase, name))
    shared = next(row for row in rows if row[0] == "30001")
    fase, name, _ = DEMO_SCHOOLS[3]
    rows.append((*shared[:5], fase, name))
    # A teacher in two schools, with a different function in each.
    teacher = next(row for row in rows if row[0] == "30003")
    rows.append((teacher[0], teacher[1], teacher[2], "Educateur", teacher[4], fase, name))
    # Bad rows, as they happen in real exports.
    fase, name, domain = DEMO_SCHOOLS[1]
    rows.append(("", "Vandamme", "Louise", "Enseignante", f"louise.vandamme@{domain}", fase, name))
    rows.append(next(row for row in rows if row[0] == "20002"))
    rows.append(("20013", "Lecomte", "Arthur", "Enseignant", f"a.lecomte@{domain}", "56A3", name))
    return rows


def write_export(path: Path, rows: Iterable[Sequence[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="cp1252", errors="replace", newline="") as stream:
        writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def write_demo_export(path: Path) -> Path:
    return write_export(path, demo_rows())


@dataclass(frozen=True)
class DemoLoad:
    path: Path
    report: SyncReport


def load_demo_data(
    settings: AccessSettings, db: Database, directory: Path | None = None
) -> DemoLoad:
    """Write the demo export and import it (again: no change) into a migrated database."""
    # Here, not at the top: the commands that only ask what the database holds
    # (`database_contents`) need not load the import.
    from access.directory.profiles import load_profiles
    from access.proeco.sync import import_export

    path = write_demo_export((directory or Path.cwd()) / DEMO_FILE_NAME)
    report = import_export(db, path, profiles=load_profiles(settings.profiles_file))
    return DemoLoad(path, report)


def load_demo(settings: AccessSettings, db: Database, directory: Path | None = None) -> Path:
    """`load_demo_data` for callers that only need the demo loaded; returns the export."""
    return load_demo_data(settings, db, directory).path


# -- which data a database holds ------------------------------------------------------------


class Contents(enum.StrEnum):
    EMPTY = "empty"  # no establishment, no person
    DEMO = "demo"  # the demo's schools and people, nothing else
    OTHER = "other"  # anything else: real data the demo must never touch


@dataclass(frozen=True)
class DatabaseContents:
    kind: Contents
    establishments: int
    people: int


def database_contents(session: Session) -> DatabaseContents:
    """Whether a migrated database is empty, holds the demo data only, or other data."""
    fases = set(session.scalars(sa.select(Establishment.fase)))
    matricules = set(session.scalars(sa.select(Person.matricule)))
    if not fases and not matricules:
        kind = Contents.EMPTY
    elif fases <= {fase for fase, _, _ in DEMO_SCHOOLS} and matricules <= {
        row[0] for row in _DEMO_PEOPLE
    }:
        kind = Contents.DEMO
    else:
        kind = Contents.OTHER
    return DatabaseContents(kind, len(fases), len(matricules))


def erase_demo(db: Database) -> None:
    """Delete every row of a database that holds the demo data and nothing else (the schema
    and its migration history stay); `AccessError("not_demo_data")` on any other data."""
    with db.transaction() as session:
        if database_contents(session).kind is Contents.OTHER:
            raise AccessError(
                "not_demo_data", detail="the database holds data that is not the demo's"
            )
        tables = sa.MetaData()
        tables.reflect(session.connection())
        for table in reversed(tables.sorted_tables):
            if table.name != "alembic_version":
                session.execute(table.delete())


# -- large exports for benchmarks ---------------------------------------------------------

_LAST_NAMES = [
    "Dubois",
    "Lambert",
    "Martin",
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De-Smet",
    "Leroy",
    "Lejeune",
    "Renard",
    "Dumont",
    "Simon",
    "Laurent",
    "Lemaire",
    "Denis",
    "Masson",
    "Hubert",
    "Collignon",
    "Gérard",
    "Lecomte",
    "Fontaine",
    "Dupont",
    "Michel",
    "Mathieu",
    "François",
    "Delvaux",
    "Piron",
    "Henrard",
    "Thiry",
    "Remacle",
    "Goffin",
    "Lhoest",
    "Wauters",
    "Debroux",
    "Vandamme",
    "Dethier",
    "Bodart",
    "Lallemand",
    "Pirard",
]
_FIRST_NAMES = [
    "Anne",
    "Marc",
    "Sophie",
    "Luc",
    "Julie",
    "Nathalie",
    "Philippe",
    "Isabelle",
    "Benoît",
    "Catherine",
    "Thierry",
    "Véronique",
    "Olivier",
    "Céline",
    "Didier",
    "Amandine",
    "Jérôme",
    "Aurélie",
    "Geoffrey",
    "Manon",
    "Quentin",
    "Françoise",
    "Michel",
    "Laurence",
    "Pascal",
    "Sandrine",
    "Cédric",
    "Hélène",
    "Xavier",
    "Delphine",
    "Arnaud",
    "Pauline",
    "Grégory",
    "Noémie",
    "Sébastien",
    "Chloé",
    "Maxime",
    "Élodie",
    "Bernard",
    "Louise",
    "Arthur",
    "Emma",
    "Lucas",
    "Léa",
    "Hugo",
]
_STAFF_FUNCTIONS = (
    ("Enseignant", 60),
    ("Educateur", 10),
    ("Personnel administratif", 6),
    ("Secrétaire de direction", 4),
    ("Econome", 3),
    ("Personnel paramédical", 3),
    ("Personnel ouvrier", 6),
)


def generate_rows(
    rows: int, establishments: int, seed: int, change_fraction: float = 0.0
) -> list[tuple[str, ...]]:
    """`rows` assignment rows over `establishments` schools, one director each, about one
    person in twelve working in two schools. The same seed gives the same base export;
    `change_fraction` then changes that share of the rows (e-mail, function, name, departure,
    arrival), as a nightly export does."""
    rng = random.Random(seed)
    schools = [
        (f"{rng.randrange(1, 99_999):05d}" if i % 7 == 0 else str(10_000 + i * 37), f"École {i}")
        for i in range(establishments)
    ]
    schools = list({fase: (fase, name) for fase, name in schools}.values())
    labels = [label for label, _ in _STAFF_FUNCTIONS]
    weights = [weight for _, weight in _STAFF_FUNCTIONS]
    result: list[tuple[str, ...]] = []
    person = 0
    while len(result) < rows:
        person += 1
        last, first = rng.choice(_LAST_NAMES), rng.choice(_FIRST_NAMES)
        matricule = str(10_000_000 + person)
        email = f"{_ascii(first)}.{_ascii(last)}.{person}@ecoles.example"
        index = (person - 1) % len(schools) if person <= len(schools) else None
        places = [index if index is not None else rng.randrange(len(schools))]
        if index is None and rng.random() < 0.08:
            places.append(rng.randrange(len(schools)))
        for place in dict.fromkeys(places):
            fase, name = schools[place]
            function = "Direction" if index is not None else rng.choices(labels, weights)[0]
            result.append((matricule, last, first, function, email, fase, name))
    del result[rows:]
    if change_fraction > 0:
        _apply_changes(result, change_fraction, random.Random(seed + 1), person, schools)
    return result


def _apply_changes(
    rows: list[tuple[str, ...]],
    fraction: float,
    rng: random.Random,
    last_person: int,
    schools: list[tuple[str, str]],
) -> None:
    count = max(1, round(len(rows) * fraction))
    for position in sorted(rng.sample(range(len(rows)), count), reverse=True):
        matricule, last, first, function, email, fase, name = rows[position]
        kind = rng.choice(("email", "function", "name", "departure", "arrival"))
        if kind == "email":
            rows[position] = (matricule, last, first, function, f"nouvelle.{email}", fase, name)
        elif kind == "function" and function != "Direction":
            new_function = "Educateur" if function != "Educateur" else "Enseignant"
            rows[position] = (matricule, last, first, new_function, email, fase, name)
        elif kind == "name":
            rows[position] = (
                matricule,
                f"{last}-{rng.choice(_LAST_NAMES)}",
                first,
                *rows[position][3:],
            )
        elif kind == "departure" and function != "Direction":
            del rows[position]
        else:
            last_person += 1
            new_fase, new_name = rng.choice(schools)
            rows.append(
                (
                    str(10_000_000 + last_person),
                    rng.choice(_LAST_NAMES),
                    rng.choice(_FIRST_NAMES),
                    "Enseignant",
                    f"nouveau.{last_person}@ecoles.example",
                    new_fase,
                    new_name,
                )
            )


def generate_export(
    path: Path, rows: int, establishments: int, seed: int = 1, change_fraction: float = 0.0
) -> Path:
    return write_export(path, generate_rows(rows, establishments, seed, change_fraction))
