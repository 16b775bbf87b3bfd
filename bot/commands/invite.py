"""`extranet-bot invite FASE --as DIRECTOR_EMAIL [--resend] [--json]`: the director's button,
for scripts. Same service, same checks as in chat."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import click

from bot.commands import labels
from bot.commands.context import AppContext, pass_app
from bot.commands.output import table

if TYPE_CHECKING:
    from access.invitations.service import InvitationReport


@click.command(help="Send the invitation e-mails of establishment FASE, as its director.")
@click.argument("fase")
@click.option("--as", "as_email", required=True, help="E-mail of the director sending.")
@click.option("--resend", is_flag=True, help="Invite again who was invited but has not activated.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_app
def invite(app: AppContext, fase: str, as_email: str, resend: bool, as_json: bool) -> None:
    from access.directory.establishments import canonical_fase
    from access.directory.people import find_person_by_email
    from access.errors import AccessError
    from access.invitations.service import send_invitations

    database = app.database_with_data()
    with database.session() as session:
        director = find_person_by_email(session, as_email)
        # « 931 » or « 00931 »: the directory's spelling from here on.
        fase = canonical_fase(session, fase)
    if director is None:
        raise click.ClickException(
            f"no person has the e-mail given to --as in the database {app.database_name()}"
        )
    try:
        report = send_invitations(
            database,
            app.settings,
            actor_person_id=director.id,
            fase=fase,
            mode="resend" if resend else "new",
            # One run of the command is one request.
            idempotency_key=f"cli:{uuid.uuid4().hex}",
        )
    except AccessError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        json.dumps(report.to_json(), ensure_ascii=False, indent=2)
        if as_json
        else render(report, cooldown_seconds=app.settings.invitation_cooldown_seconds)
    )


def render(report: InvitationReport, *, cooldown_seconds: int) -> str:
    """The send for an operator, in English (bot.commands.labels)."""
    lines = [
        f"{report.establishment_name} (FASE {report.fase}): "
        f"{len(report.sent)} invitation(s) sent, {len(report.skipped)} skipped, "
        f"{len(report.to_fix)} e-mail(s) to fix in ProECO."
    ]
    rows = [
        (o.name, o.email or "", labels.skip_reason(o.reason, cooldown_seconds=cooldown_seconds))
        for o in report.sent + report.to_fix + report.skipped
    ]
    if rows:
        lines += ["", table(("name", "e-mail", "result"), rows)]
    return "\n".join(lines)
