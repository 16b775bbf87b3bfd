"""The team list as a CSV file a director opens in Excel.

Belgian Excel splits on `;` and only reads UTF-8 when the file starts with a BOM. Names and
addresses come from ProECO, so a cell starting with `=`, `+`, `-` or `@` (or a tab or carriage
return, which Excel also treats as formula starters) is prefixed with `'`: opening the file
never runs a formula someone typed into a ProECO field.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from access.directory.team import Team, TeamRow
from access.messages import EXPORT_HEADER

FORMULA_STARTERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object | None) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTERS) else text


def team_csv(team: Team) -> bytes:
    """The whole team (every row, whatever the page shown in chat), ready to download."""
    return rows_csv(team.rows)


def rows_csv(rows: Iterable[TeamRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(EXPORT_HEADER)
    for row in rows:
        writer.writerow(
            [
                safe_cell(row.status_label),
                safe_cell(row.last_name),
                safe_cell(row.first_name),
                safe_cell(row.function_label),
                safe_cell(row.proeco_email),
                safe_cell(row.delivery_error),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def export_filename(team: Team) -> str:
    return f"equipe-{team.establishment.fase}.csv"
