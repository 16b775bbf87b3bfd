"""Pure builders of what directors see: the team screen, a person's access, send summaries.

No database and no side effect here: handlers (`directors.py`) load the data, these functions
turn it into neutral replies, so both transports show the same thing and tests compare
structures. Every button carries its full context (FASE, page, person) in its value; handlers
never trust it and check authorization again.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from access.directory.people import MemberAccess
from access.directory.profiles import Profiles
from access.directory.team import Team, TeamRow, TeamStatus
from access.directory.team_export import export_filename, team_csv
from access.invitations.jobs import JobState, JobStatus, SendSummary
from access.invitations.preview import SendPreview
from access.messages import BRUSSELS, french_date
from bot.conversation import messages as msg
from bot.conversation.replies import (
    Block,
    Button,
    Choices,
    Confirm,
    Field,
    FieldKind,
    Fields,
    File,
    Form,
    Heading,
    Message,
    Note,
    Option,
    Table,
    Text,
)

# A Slack message holds 50 blocks and a section 3,000 characters; the table adapter spends
# about one block per few rows, so 25 rows a page leaves room for counts and buttons.
TEAM_PAGE_SIZE = 25
# /team shows one block of text + one row of buttons per person.
MEMBERS_PAGE_SIZE = 10
TO_FIX_SHOWN = 15
SUMMARY_SHOWN = 15

ACTION_CHOOSE = "directors.choose"
ACTION_PAGE = "directors.page"
ACTION_CSV = "directors.csv"
ACTION_SEND = "directors.send"
ACTION_JOB_STATUS = "directors.job_status"
ACTION_MEMBERS_PAGE = "directors.members_page"
ACTION_RESEND_ONE = "directors.resend_one"
ACTION_ACCESS = "directors.access"
ACTION_ADD_GRANT = "directors.add_grant"
ACTION_REMOVE_GRANT = "directors.remove_grant"
FORM_GRANT = "directors.grant"
FORM_REMOVE_GRANT = "directors.remove_grant"

MODE_NEW = "new"
MODE_RESEND = "resend"


def encode(**values: Any) -> str:
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def decode(raw: str) -> dict[str, Any]:
    """The context a button carries; {} when it is not ours (then the handler refuses)."""
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


# -- choosing an establishment --------------------------------------------------------------


def choose_establishment(
    establishments: Sequence[tuple[str, str]], *, then: str, query: str = ""
) -> Message:
    """`establishments`: (fase, name). `then`: "invite", "team" or "access"."""
    buttons = [
        Button(
            msg.ESTABLISHMENT_BUTTON.format(name=name, fase=fase),
            ACTION_CHOOSE,
            encode(f=fase, then=then, q=query),
        )
        for fase, name in establishments
    ]
    return Message(msg.CHOOSE_ESTABLISHMENT, Choices(buttons))


# -- the team screen (/invite-team) -----------------------------------------------------------


def email_cell(row: TeamRow) -> str:
    return row.proeco_email or msg.NO_EMAIL


def team_page(
    team: Team,
    page: int = 1,
    *,
    preview: SendPreview | None = None,
    nonce: str = "",
    replace: bool = False,
) -> Message:
    """`nonce` names this list: presses of its send buttons share one idempotency key.
    `preview` (access.invitations.preview): who a send would really write to now; the
    buttons count only them, and the others are named apart."""
    establishment = team.establishment
    fase = establishment.fase
    pages = max(1, math.ceil(len(team.rows) / TEAM_PAGE_SIZE))
    page = min(max(1, page), pages)
    blocks: list[Block] = [
        Heading(msg.TEAM_TITLE.format(name=establishment.name, fase=fase)),
        _counts(team),
    ]
    blocks.extend(_to_fix(team.rows))
    blocks.extend(_held(preview))
    if not team.rows:
        blocks.append(Text(msg.TEAM_EMPTY))
    else:
        shown = team.rows[(page - 1) * TEAM_PAGE_SIZE : page * TEAM_PAGE_SIZE]
        blocks.append(
            Table(
                (msg.COL_STATUS, msg.COL_NAME, msg.COL_ROLE, msg.COL_EMAIL),
                [
                    (row.status_label, row.full_name, row.function_label, email_cell(row))
                    for row in shown
                ],
            )
        )
        blocks.append(Note(msg.PAGE_NOTE.format(page=page, pages=pages, count=len(team.rows))))
    buttons = send_buttons(team, nonce, preview)
    if page > 1:
        buttons.append(Button(msg.PREVIOUS_PAGE, ACTION_PAGE, encode(f=fase, p=page - 1, n=nonce)))
    if page < pages:
        buttons.append(Button(msg.NEXT_PAGE, ACTION_PAGE, encode(f=fase, p=page + 1, n=nonce)))
    if team.rows:
        buttons.append(Button(msg.CSV_BUTTON, ACTION_CSV, encode(f=fase)))
    if buttons:
        blocks.append(Choices(buttons))
    return Message(*blocks, replace=replace)


def team_file(team: Team) -> File:
    """The whole team as a CSV to open in Excel."""
    establishment = team.establishment
    return File(
        filename=export_filename(team),
        content=team_csv(team),
        title=msg.CSV_TITLE.format(name=establishment.name, fase=establishment.fase),
        comment=msg.CSV_COMMENT.format(count=len(team.rows)),
    )


def send_buttons(team: Team, nonce: str = "", preview: SendPreview | None = None) -> list[Button]:
    fase = team.establishment.fase
    if preview is not None:
        to_invite, to_remind = preview.new, preview.resend
    else:
        to_invite = team.counts.get(TeamStatus.WILL_BE_INVITED, 0)
        to_remind = team.counts.get(TeamStatus.INVITED, 0)
    buttons = []
    if to_invite:
        buttons.append(
            Button(
                msg.SEND_BUTTON.format(count=to_invite),
                ACTION_SEND,
                encode(f=fase, m=MODE_NEW, n=nonce),
                style="primary",
                confirm=Confirm(
                    msg.SEND_CONFIRM_TITLE,
                    msg.SEND_CONFIRM_TEXT.format(count=to_invite),
                    msg.CONFIRM,
                    msg.DENY,
                ),
            )
        )
    if to_remind:
        buttons.append(
            Button(
                msg.RESEND_BUTTON.format(count=to_remind),
                ACTION_SEND,
                encode(f=fase, m=MODE_RESEND, n=nonce),
                confirm=Confirm(
                    msg.RESEND_CONFIRM_TITLE,
                    msg.RESEND_CONFIRM_TEXT.format(count=to_remind),
                    msg.CONFIRM,
                    msg.DENY,
                ),
            )
        )
    return buttons


def _counts(team: Team) -> Fields:
    pairs = [
        (msg.COUNT_LABELS[status.value], str(team.counts.get(status, 0)))
        for status in TeamStatus
        if team.counts.get(status, 0) or status is not TeamStatus.LEFT
    ]
    failures = sum(1 for row in team.rows if row.delivery_error)
    if failures:
        pairs.append((msg.DELIVERY_FAILURES_COUNT, str(failures)))
    return Fields(pairs)


def _to_fix(rows: Sequence[TeamRow]) -> list[Block]:
    to_fix = [row for row in rows if row.status is TeamStatus.EMAIL_TO_FIX]
    if not to_fix:
        return []
    lines = [msg.TO_FIX_TITLE]
    lines.extend(
        msg.TO_FIX_LINE.format(name=row.full_name, email=email_cell(row))
        for row in to_fix[:TO_FIX_SHOWN]
    )
    if len(to_fix) > TO_FIX_SHOWN:
        lines.append(msg.TO_FIX_MORE.format(count=len(to_fix) - TO_FIX_SHOWN))
    return [Text("\n".join(lines)), Note(msg.TO_FIX_HINT)]


def _held(preview: SendPreview | None) -> list[Block]:
    if preview is None or not preview.held:
        return []
    lines = [msg.HELD_TITLE]
    lines.extend(
        msg.HELD_LINE.format(name=held.name, reason=held.label)
        for held in preview.held[:TO_FIX_SHOWN]
    )
    if len(preview.held) > TO_FIX_SHOWN:
        lines.append(msg.SUMMARY_MORE.format(count=len(preview.held) - TO_FIX_SHOWN))
    return [Text("\n".join(lines))]


# -- /team: the list with per-person actions --------------------------------------------------


def members_page(team: Team, query: str, page: int = 1, *, replace: bool = False) -> Message:
    establishment = team.establishment
    fase = establishment.fase
    pages = max(1, math.ceil(len(team.rows) / MEMBERS_PAGE_SIZE))
    page = min(max(1, page), pages)
    blocks: list[Block] = [
        Heading(msg.TEAM_TITLE.format(name=establishment.name, fase=fase)),
        _counts(team),
    ]
    if query:
        blocks.append(Note(msg.FILTER_NOTE.format(query=query, count=len(team.rows))))
    if not team.rows:
        blocks.append(Text(msg.TEAM_FILTER_EMPTY.format(query=query) if query else msg.TEAM_EMPTY))
        blocks.append(Note(msg.TEAM_HELP.format(fase=fase)))
        return Message(*blocks, replace=replace)
    for row in team.rows[(page - 1) * MEMBERS_PAGE_SIZE : page * MEMBERS_PAGE_SIZE]:
        blocks.append(
            Text(f"{row.full_name} — {row.function_label}\n{row.status_label} · {email_cell(row)}")
        )
        buttons = []
        if row.status in (TeamStatus.INVITED, TeamStatus.WILL_BE_INVITED):
            buttons.append(
                Button(msg.RESEND_ONE, ACTION_RESEND_ONE, encode(f=fase, p=row.person_id))
            )
        if row.status is not TeamStatus.LEFT:
            buttons.append(Button(msg.CUSTOMIZE, ACTION_ACCESS, encode(f=fase, p=row.person_id)))
        if buttons:
            blocks.append(Choices(buttons))
    blocks.append(Note(msg.PAGE_NOTE.format(page=page, pages=pages, count=len(team.rows))))
    nav = []
    if page > 1:
        nav.append(
            Button(msg.PREVIOUS_PAGE, ACTION_MEMBERS_PAGE, encode(f=fase, q=query, p=page - 1))
        )
    if page < pages:
        nav.append(Button(msg.NEXT_PAGE, ACTION_MEMBERS_PAGE, encode(f=fase, q=query, p=page + 1)))
    if nav:
        blocks.append(Choices(nav))
    return Message(*blocks, replace=replace)


# -- sending --------------------------------------------------------------------------------


def summary_message(summary: SendSummary, *, name: str, fase: str, replace: bool = True) -> Message:
    blocks: list[Block] = [Heading(msg.SUMMARY_TITLE.format(name=name, fase=fase))]
    if not summary.sent and not summary.skipped and not summary.failed:
        blocks.append(Text(msg.SUMMARY_NONE))
        return Message(*blocks, replace=replace)
    blocks.append(
        Fields(
            [
                (msg.SUMMARY_SENT, str(summary.sent)),
                (msg.SUMMARY_SKIPPED, str(len(summary.skipped))),
                (msg.SUMMARY_FAILED, str(len(summary.failed))),
            ]
        )
    )
    for title, items in (
        (msg.SUMMARY_SKIPPED, summary.skipped),
        (msg.SUMMARY_FAILED, summary.failed),
    ):
        if items:
            lines = [f"{title} :"]
            lines.extend(
                msg.SUMMARY_LINE.format(name=who, reason=why) for who, why in items[:SUMMARY_SHOWN]
            )
            if len(items) > SUMMARY_SHOWN:
                lines.append(msg.SUMMARY_MORE.format(count=len(items) - SUMMARY_SHOWN))
            blocks.append(Text("\n".join(lines)))
    blocks.append(Note(msg.SUMMARY_HINT))
    return Message(*blocks, replace=replace)


def running_message(job_id: int, done: int, total: int, *, replace: bool = False) -> Message:
    return Message(
        msg.ALREADY_RUNNING.format(done=done, total=total),
        Choices([Button(msg.REFRESH, ACTION_JOB_STATUS, encode(j=job_id))]),
        replace=replace,
    )


def job_message(state: JobState, name: str, *, replace: bool = False) -> Message:
    """A send already asked for: still running, its summary, or how far it got."""
    if state.running:
        return running_message(state.id, state.done, state.total, replace=replace)
    if state.status == JobStatus.DONE and state.result is not None:
        summary = SendSummary.from_json(state.result)
        return summary_message(summary, name=name, fase=state.fase, replace=replace)
    return Message(msg.SEND_FAILED.format(done=state.done, total=state.total), replace=replace)


def interrupted_message(done: int, total: int) -> Message:
    return Message(msg.SEND_FAILED.format(done=done, total=total), replace=True)


# -- a person's access (/access) -------------------------------------------------------------


def resource_labels(profiles: Profiles, codes: Sequence[str] | frozenset[str]) -> str:
    labels = sorted(profiles.label_of_resource(code) for code in codes)
    return ", ".join(labels) if labels else "—"


def last_day(ends_at: datetime) -> date:
    """The last calendar day (Brussels) a grant counts: it ends at the next midnight."""
    return (ends_at.astimezone(BRUSSELS) - timedelta(microseconds=1)).date()


def people_choice(query: str, matches: Sequence[tuple[str, TeamRow]]) -> Message:
    """Several members match `query`: one button each (the first 20), as (fase, row)."""
    buttons = [
        Button(
            f"{row.full_name} — {row.function_label} ({fase})"[:75],
            ACTION_ACCESS,
            encode(f=fase, p=row.person_id),
        )
        for fase, row in matches[:20]
    ]
    return Message(msg.ACCESS_CHOOSE.format(query=query), Choices(buttons))


def access_view(
    seen: MemberAccess,
    profiles: Profiles,
    *,
    viewer_id: int | None = None,
    replace: bool = False,
) -> Message:
    """One member's access: from the function, from mission grants (each removable), in all.
    `viewer_id`: the director looking; on their own row no grant is offered (it would be
    refused)."""
    name, fase, access, grants = seen.member.name, seen.fase, seen.access, seen.grants
    blocks: list[Block] = [
        Heading(
            msg.ACCESS_TITLE.format(name=name, establishment=seen.establishment_name, fase=fase)
        )
    ]
    if access is None or access.function_code is None:
        blocks.append(Text(msg.ACCESS_LEFT))
    else:
        blocks.append(
            Text(
                msg.ACCESS_FUNCTION.format(
                    function=seen.member.function_label or access.function_code
                )
                + "\n"
                + resource_labels(profiles, access.function_resources)
            )
        )
    blocks.append(Text(msg.ACCESS_GRANTS if grants else msg.ACCESS_NO_GRANTS))
    removals = []
    for grant in grants:
        until = (
            msg.ACCESS_UNTIL.format(day=last_day(grant.ends_at).strftime("%d/%m/%Y"))
            if grant.ends_at
            else msg.ACCESS_NO_END
        )
        lines = [
            msg.ACCESS_GRANT.format(
                mission=grant.mission,
                resources=resource_labels(profiles, grant.resources),
                by=msg.UNKNOWN_GRANTOR if grant.granted_by is None else grant.granted_by,
                since=french_date(grant.granted_at),
                until=until,
            )
        ]
        if grant.reason:
            lines.append(msg.ACCESS_GRANT_REASON.format(reason=grant.reason))
        blocks.append(Text("\n".join(lines)))
        # Removing asks for a reason (a form), which is also the confirmation.
        removals.append(
            Button(
                msg.REMOVE_GRANT.format(mission=grant.mission)[:75],
                ACTION_REMOVE_GRANT,
                encode(f=fase, p=seen.member.person_id, g=grant.grant_id),
                style="danger",
            )
        )
    if access is not None:
        blocks.append(
            Note(msg.ACCESS_ALL.format(resources=resource_labels(profiles, access.resources)))
        )
    buttons = []
    own_row = viewer_id is not None and viewer_id == seen.member.person_id
    if own_row:
        blocks.append(Note(msg.ACCESS_SELF))
    elif access is not None and access.function_code is not None:
        buttons.append(
            Button(msg.ADD_GRANT, ACTION_ADD_GRANT, encode(f=fase, p=seen.member.person_id))
        )
    buttons.extend(removals)
    if buttons:
        blocks.append(Choices(buttons))
    return Message(*blocks, replace=replace)


def grant_form(
    *,
    fase: str,
    person_id: int,
    name: str,
    function_label: str,
    profiles: Profiles,
    given: frozenset[str] = frozenset(),
    today: date | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Form:
    """`given`: the resources the person's function already gives, left out of the choice
    and named in the intro. `today` (Brussels): the earliest last day accepted, checked as
    soon as a day is picked."""
    values = values or {}
    offered = [r for r in profiles.all_resources() if r.code not in given]
    intro: list[Block] = [Text(msg.FORM_INTRO.format(name=name, function=function_label))]
    if given:
        intro.append(Note(msg.FORM_GIVEN.format(resources=resource_labels(profiles, given))))
    return Form(
        form_id=FORM_GRANT,
        title=msg.FORM_TITLE,
        submit_label=msg.FORM_SUBMIT,
        intro=tuple(intro),
        fields=(
            Field(
                "mission",
                msg.FIELD_MISSION,
                hint=msg.FIELD_MISSION_HINT,
                max_length=120,
                initial=values.get("mission"),
            ),
            Field(
                "resources",
                msg.FIELD_RESOURCES,
                kind=FieldKind.MULTI_SELECT,
                options=tuple(Option(resource.code, resource.label) for resource in offered),
                initial=values.get("resources"),
            ),
            Field(
                "ends_on",
                msg.FIELD_ENDS_ON,
                kind=FieldKind.DATE,
                required=False,
                hint=msg.FIELD_ENDS_ON_HINT,
                initial=values.get("ends_on"),
                min_date=today,
            ),
            Field(
                "reason",
                msg.FIELD_REASON,
                kind=FieldKind.MULTILINE,
                required=False,
                max_length=500,
                initial=values.get("reason"),
            ),
        ),
        context={"f": fase, "p": person_id},
        errors=errors or {},
    )


def remove_form(*, fase: str, person_id: int, grant_id: int, name: str, mission: str) -> Form:
    """Removing a mission grant: why, kept in the audit log with the removal."""
    return Form(
        form_id=FORM_REMOVE_GRANT,
        title=msg.REMOVE_FORM_TITLE,
        submit_label=msg.REMOVE_CONFIRM,
        intro=(Text(msg.REMOVE_CONFIRM_TEXT.format(name=name, mission=mission)),),
        fields=(
            Field(
                "reason",
                msg.FIELD_REASON,
                kind=FieldKind.MULTILINE,
                hint=msg.REMOVE_REASON_HINT,
                max_length=500,
            ),
        ),
        context={"f": fase, "p": person_id, "g": grant_id},
    )
