"""`extranet-bot diagnose EMAIL [--json]`: what is actually wrong with one person's access,
for operators (also `diagnose NOM PRÉNOM FASE`). The same diagnosis and sentences as the chat
and the triage card (`access.diagnosis`); addresses whole, this is the operator's terminal."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from bot.commands.context import AppContext, pass_app

if TYPE_CHECKING:
    from access.diagnosis.matching import Match


def _match(session: Any, words: tuple[str, ...]) -> Match:
    from access.diagnosis.matching import match_by_name, match_person

    if len(words) == 1 and "@" in words[0]:
        return match_person(session, email=words[0])
    if len(words) >= 3 and words[-1].isdigit():
        return match_by_name(session, last_name=" ".join(words[:-1]), first_name="", fase=words[-1])
    raise click.UsageError("give an e-mail address, or LAST_NAME FIRST_NAME FASE")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


@click.command(help="Diagnose one person's access: EMAIL, or LAST_NAME FIRST_NAME FASE.")
@click.argument("who", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the diagnosis as one JSON object.")
@pass_app
def diagnose(app: AppContext, who: tuple[str, ...], as_json: bool) -> None:
    from access import messages
    from access.diagnosis.explain import explain
    from access.diagnosis.matching import Confidence
    from access.diagnosis.service import diagnose as diagnose_person

    with app.database_with_data().session() as session:
        match = _match(session, who)
        if match.confidence == Confidence.AMBIGUOUS:
            raise click.ClickException(f"{match.candidates} people match; be more precise")
        if match.person_id is None:
            raise click.ClickException(
                f"nobody in the directory matches, in the database {app.database_name()}"
            )
        found = diagnose_person(session, match.person_id)
    assert found is not None
    told = explain(found, owner=False, show_addresses=True)
    if as_json:
        data = _plain(dataclasses.asdict(found))
        data["match"] = match.confidence.value
        data["facts"] = list(told.facts)
        data["next_step_text"] = told.next_step
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{told.title} (match: {match.confidence.value})")
    for fact in told.facts:
        click.echo(f"  • {fact}")
    click.echo(f"  {messages.DIAGNOSIS_NEXT_LABEL} : {told.next_step}")
    click.echo(f"  {messages.DIAGNOSIS_WHO_LABEL} : {told.who}")
