"""`extranet-bot faq report|accept|reject`: what people ask that the FAQ does not settle, and
the phrasings agents proposed for it (faq.learning)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.commands.context import AppContext, pass_app
from bot.commands.lazy import LazyDefault
from bot.commands.output import table

if TYPE_CHECKING:
    from faq import learning
    from faq.usage import UnansweredQuestion

# Who decided, in the proposals table: an opaque reference, never a login or a name.
CLI_ACTOR = "cli"


@click.group(help="The FAQ: questions asked, how well they were answered, what to add.")
def faq() -> None:
    pass


def _group(g: UnansweredQuestion) -> dict[str, Any]:
    return {
        "question": g.example,
        "topic": g.topic,
        "count": g.count,
        "unanswered": g.unanswered,
        "not_helpful": g.not_helpful,
        "tickets": g.tickets,
        "last_asked": g.last_asked.isoformat(),
        "proposed": g.proposed,
    }


@faq.command(
    help="Deflection, proposed phrasings per entry, new subjects, answers judged unhelpful "
    "and abstentions."
)
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=None,
    help="Only the questions of the last N days (default: all).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def report(app: AppContext, limit: int, days: int | None, as_json: bool) -> None:
    from faq import learning
    from faq.usage import deflection, unanswered_report
    from helpdesk.faq_followup import ticket_traces

    since = datetime.now(UTC) - timedelta(days=days) if days else None
    database = app.checked_database()
    with database.session() as session:
        totals = deflection(session, since=since, tickets=ticket_traces(session, since))
        unsettled = unanswered_report(session, limit=limit, since=since)
        abstained = unanswered_report(session, limit=limit, since=since, kind="abstained")
        unhelpful = unanswered_report(session, limit=limit, since=since, kind="not_helpful")
        proposals = learning.proposals_by_entry(session, since=since)
        topics = learning.new_topics(session, since=since, limit=limit)
        reviewed = learning.counts(session)
    if as_json:
        payload = {
            "since": since.isoformat() if since else None,
            "deflection": totals,
            "unanswered": [_group(g) for g in unsettled],
            "abstentions": [_group(g) for g in abstained],
            "not_helpful": [_group(g) for g in unhelpful],
            "proposals": [
                {
                    "entry": e.entry_id,
                    "count": e.count,
                    "phrasings": [
                        {"text": p.text, "count": p.count, "ids": list(p.ids)} for p in e.phrasings
                    ],
                }
                for e in proposals
            ],
            "new_topics": [
                {"topic": t.topic, "example": t.example, "count": t.count, "ids": list(t.ids)}
                for t in topics
            ],
            "proposal_counts": reviewed,
        }
        click.echo(json.dumps(payload, ensure_ascii=False))
        return
    if not totals["asked"]:
        when = f" in the last {days} days" if days else ""
        click.echo(f"No question was asked{when}: nothing to report.")
        click.echo(app.empty_hint(database))
        return
    _print_deflection(totals)
    _print_unsettled(unsettled)
    _print_settlement(totals)
    click.echo(
        f"\nProposed phrasings: {reviewed['proposed']} to review, {reviewed['accepted']} "
        f"accepted, {reviewed['rejected']} rejected."
    )
    _print_proposals(proposals)
    _print_topics(topics)
    _print_groups("Answered, but judged not helpful:", unhelpful)
    _print_groups("No answer (abstentions):", abstained)


def _print_deflection(totals: dict[str, Any]) -> None:
    click.echo(
        f"{totals['asked']} questions, {totals['answered']} answered by the FAQ, "
        f"{totals['deflected']} settled without the helpdesk ({totals['deflection_rate']:.0%}): "
        f"{totals['helpful']} judged helpful, the others with nothing asked or opened within "
        "a day."
    )


def _print_unsettled(groups: list[UnansweredQuestion]) -> None:
    if not groups:
        click.echo("\nNo unanswered question.")
        return
    click.echo("\nMost frequent unanswered or unhelpful questions (as people typed them):")
    rows = []
    for g in groups:
        example = g.example.replace("\n", " ")
        if len(example) > 80:
            example = example[:79] + "…"
        rows.append((g.count, g.unanswered, g.not_helpful, g.tickets, example, g.proposed or "-"))
    click.echo(
        table(
            ("asked", "unanswered", "not helpful", "tickets", "question", "entry proposed"),
            rows,
        )
    )


def _print_settlement(totals: dict[str, Any]) -> None:
    click.echo(
        f"\nNot settled: {totals['not_helpful']} judged not helpful, "
        f"{totals['answered_then_ticket']} answers followed by a ticket on the same subject, "
        f"{totals['followed_up']} followed by another question or ticket; "
        f"{totals['pending']} answers of the last day not judged yet, "
        f"{totals['untraceable']} of unknown askers. {totals['tickets']} tickets opened "
        "from the FAQ."
    )


def _print_proposals(proposals: list[learning.EntryProposals]) -> None:
    if not proposals:
        click.echo("\nNo proposed phrasing.")
        return
    click.echo("\nProposed phrasings (extranet-bot faq accept ID, or reject ID):")
    for entry in proposals:
        click.echo(f"  {entry.entry_id} ({entry.count})")
        for phrasing in entry.phrasings:
            ids = ",".join(str(i) for i in phrasing.ids)
            # In full: it is what `accept` writes.
            click.echo(f"    [{ids}] x{phrasing.count}  {' '.join(phrasing.text.split())}")


def _print_topics(topics: list[learning.NewTopic]) -> None:
    if not topics:
        return
    click.echo("\nAsked, with no entry to answer it (new subjects):")
    for topic in topics:
        ids = ",".join(str(i) for i in topic.ids)
        click.echo(f"  [{ids}] x{topic.count}  {_line(topic.example)}")


def _print_groups(title: str, groups: list[UnansweredQuestion]) -> None:
    if not groups:
        return
    click.echo(f"\n{title}")
    for g in groups:
        proposed = f" ({g.proposed})" if g.proposed else ""
        click.echo(f"  {g.count:>4}  {_line(g.example)}{proposed}")


def _line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 90 else text[:89] + "…"


def _default_data_dir() -> Path:
    from faq.kb import DEFAULT_DATA_DIR

    return DEFAULT_DATA_DIR


_DATA = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=LazyDefault(_default_data_dir),
    show_default=True,
    help="Knowledge base directory to write to (a checkout's data/faq, to commit).",
)


@faq.command(help="Write proposed phrasings into their entries' YAML, then check and refit.")
@click.argument("ids", type=click.IntRange(1), nargs=-1, required=True)
@_DATA
@click.option(
    "--no-refit",
    is_flag=True,
    help="Only write the phrasings (run python -m faq check, fit and calibrate --write later).",
)
@pass_app
def accept(app: AppContext, ids: tuple[int, ...], data_dir: Path, no_refit: bool) -> None:
    from faq import learning

    written = 0
    for proposal_id in ids:
        try:
            with app.database().transaction() as session:
                done = learning.accept(
                    session, proposal_id, data_dir=data_dir, decided_by=CLI_ACTOR
                )
        except learning.LearningError as error:
            raise click.ClickException(str(error)) from error
        written += done.edit.added
        also = f" (and proposals {', '.join(map(str, done.also))})" if done.also else ""
        where = done.edit.path if done.edit.added else "already in the entry"
        click.echo(
            f'{proposal_id}{also}: "{done.proposal.phrasing}" -> {done.proposal.entry_id}, {where}'
        )
    if no_refit or not written:
        return
    _refit(data_dir)


@faq.command(help="Set proposed phrasings aside without writing them.")
@click.argument("ids", type=click.IntRange(1), nargs=-1, required=True)
@pass_app
def reject(app: AppContext, ids: tuple[int, ...]) -> None:
    from faq import learning

    for proposal_id in ids:
        try:
            with app.database().transaction() as session:
                learning.reject(session, proposal_id, decided_by=CLI_ACTOR)
        except learning.LearningError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"{proposal_id}: rejected")


def _refit(data_dir: Path) -> None:
    """`python -m faq check`, `fit` and `calibrate --write` on the edited base."""
    from faq.__main__ import main as faq_main

    for step in (["check"], ["fit"], ["calibrate", "--write"]):
        click.echo(f"python -m faq --data {data_dir} {' '.join(step)}")
        code = faq_main(["--data", str(data_dir), *step])
        if code != 0:
            raise click.ClickException(
                f"`python -m faq {' '.join(step)}` failed; the phrasings are written, fix the "
                "base and run it again"
            )
