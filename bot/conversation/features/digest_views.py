"""The directors' weekly digest as a chat message (pure: the scheduler's Slack notifier sends
it, tests compare structures).

Each school's lists come with their actions: the `/invite-team` screen (where the send and
resend buttons are) and the team's CSV, through the directors' own buttons, whose handlers
check again that the one pressing directs that school.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from access.directory.digest import DirectorDigest, SchoolDigest
from access.messages import french_date
from bot.conversation import messages as msg
from bot.conversation.features.directors_views import (
    ACTION_CHOOSE,
    ACTION_CSV,
    encode,
    last_day,
)
from bot.conversation.replies import Block, Button, Choices, Heading, Message, Note, Text

ACTION_DIGEST_OFF = "digest.off"
# Each list shows this many people; the CSV has them all.
SHOWN = 10

T = TypeVar("T")


def digest_message(digest: DirectorDigest) -> Message:
    blocks: list[Block] = [Heading(msg.DIGEST_TITLE)]
    for school in digest.schools:
        blocks += school_blocks(school)
    blocks.append(Choices([Button(msg.DIGEST_OFF_BUTTON, ACTION_DIGEST_OFF)]))
    blocks.append(Note(msg.DIGEST_FOOTER))
    return Message(*blocks, private=False)


def school_blocks(school: SchoolDigest) -> list[Block]:
    blocks: list[Block] = [Heading(msg.DIGEST_SCHOOL.format(name=school.name, fase=school.fase))]
    if school.to_invite:
        blocks.append(
            _list(
                msg.DIGEST_TO_INVITE,
                school.to_invite,
                lambda row: msg.DIGEST_PERSON_FUNCTION.format(
                    name=row.full_name, function=row.function_label
                ),
            )
        )
    if school.to_fix:
        blocks.append(
            _list(
                msg.DIGEST_TO_FIX,
                school.to_fix,
                lambda row: msg.DIGEST_PERSON_EMAIL.format(
                    name=row.full_name, email=row.proeco_email or msg.DIGEST_NO_EMAIL
                ),
            )
        )
        blocks.append(Note(msg.TO_FIX_HINT))
    if school.not_activated:
        blocks.append(
            _list(
                msg.DIGEST_NOT_ACTIVATED,
                school.not_activated,
                lambda row: (
                    msg.DIGEST_PERSON_SINCE.format(
                        name=row.full_name, since=french_date(row.invited_at)
                    )
                    if row.invited_at
                    else msg.DIGEST_PERSON.format(name=row.full_name)
                ),
            )
        )
        blocks.append(Note(msg.DIGEST_REMINDERS))
    if school.grants_ending:
        blocks.append(
            _list(
                msg.DIGEST_GRANTS_ENDING,
                school.grants_ending,
                lambda grant: msg.DIGEST_GRANT.format(
                    name=grant.name,
                    mission=grant.mission,
                    day=last_day(grant.ends_at).strftime("%d/%m/%Y"),
                ),
            )
        )
    buttons = [Button(msg.DIGEST_INVITE_BUTTON, ACTION_CHOOSE, encode(f=school.fase))]
    buttons.append(Button(msg.CSV_BUTTON, ACTION_CSV, encode(f=school.fase)))
    blocks.append(Choices(buttons))
    return blocks


def _list(title: str, items: Sequence[T], line: Callable[[T], str]) -> Text:
    lines = [title.format(count=len(items)), *(line(item) for item in items[:SHOWN])]
    if len(items) > SHOWN:
        lines.append(msg.DIGEST_MORE.format(count=len(items) - SHOWN))
    return Text("\n".join(lines))
