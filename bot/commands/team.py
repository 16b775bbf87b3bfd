"""`extranet-bot team FASE`: the team of an establishment as its director sees it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from access.directory.team_status import TeamStatus
from bot.commands import labels
from bot.commands.context import AppContext, pass_app
from bot.commands.output import table

if TYPE_CHECKING:
    from access.directory.team import Team


@click.command(help="Show the team of the establishment FASE: status, name, role, ProECO e-mail.")
@click.argument("fase")
@click.option("--json", "as_json", is_flag=True, help="Print the team as JSON.")
@click.option(
    "--status",
    type=click.Choice([status.value for status in TeamStatus]),
    help="Only the people with this status.",
)
@click.option("--function", "function", help="Only the people with this function code.")
@click.option("--name", help="Only the people whose name contains this (any case or accents).")
@pass_app
def team(
    app: AppContext,
    fase: str,
    as_json: bool,
    status: str | None,
    function: str | None,
    name: str | None,
) -> None:
    from access.directory.establishments import canonical_fase
    from access.errors import AccessError, NotFound
    from access.invitations.service import team_list

    try:
        with app.database_with_data().session() as session:
            # « 931 » or « 00931 »: the directory's spelling from here on.
            fase = canonical_fase(session, fase)
            found = team_list(session, fase, status=status, function=function, name=name)
    except NotFound as error:
        raise click.ClickException(f"{error} in the database {app.database_name()}") from None
    except AccessError as error:
        raise click.ClickException(str(error)) from None
    click.echo(team_json(found) if as_json else render_team(found))


def render_team(team: Team) -> str:
    """The team for an operator, in English (bot.commands.labels); names, functions and
    e-mails as ProECO gives them."""
    establishment = team.establishment
    counts = ", ".join(
        f"{labels.TEAM_STATUSES[status]}: {team.counts[status]}"
        for status in TeamStatus
        if team.counts.get(status)
    )
    header = f"{establishment.name} (FASE {establishment.fase}): {team.total} people"
    body = table(
        ("status", "name", "function", "e-mail in ProECO"),
        [
            (labels.team_status(row), row.full_name, row.function_label, row.proeco_email or "-")
            for row in team.rows
        ],
    )
    return "\n".join([header, counts, "", body])


def team_json(team: Team) -> str:
    return json.dumps(
        {
            "fase": team.establishment.fase,
            "name": team.establishment.name,
            "counts": {status.value: team.counts.get(status, 0) for status in TeamStatus},
            "rows": [
                {
                    "person_id": row.person_id,
                    "last_name": row.last_name,
                    "first_name": row.first_name,
                    "function_code": row.function_code,
                    "function_label": row.function_label,
                    "proeco_email": row.proeco_email,
                    "status": row.status.value,
                    "status_label": row.status_label,
                    "invited_at": row.invited_at.isoformat() if row.invited_at else None,
                    "delivery_error": row.delivery_error,
                }
                for row in team.rows
            ],
        },
        ensure_ascii=False,
        indent=2,
    )
