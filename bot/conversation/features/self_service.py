"""`/extranet`: a person's own situation and the actions that fit it; `/extranet lier`; App Home."""

from __future__ import annotations

from access.accounts.link_codes import CODE_VALID_MINUTES, is_code_shaped
from access.accounts.signin import start_password_reset_for
from access.diagnosis.explain import Topic, explain
from access.diagnosis.service import diagnose
from access.directory.situation import Situation, read_situation
from access.invitations.service import resend_own_invitation
from bot.conversation import action, command, form, home
from bot.conversation import messages as msg
from bot.conversation.features.diagnosis_views import person_buttons, situation_blocks
from bot.conversation.forms import format_date
from bot.conversation.identity import describe_person
from bot.conversation.links import confirm_link_code, request_link_code
from bot.conversation.replies import (
    Block,
    Button,
    Choices,
    Field,
    Fields,
    Form,
    FormErrors,
    Heading,
    Message,
    Note,
    Table,
    Text,
)
from bot.conversation.turn import Turn

# -- the situation -------------------------------------------------------------------------------


def own_situation_blocks(turn: Turn) -> list[Block]:
    """What /extranet and the App Home show: who, status, where, what access; fitting actions."""
    if turn.speaker.person_id is None:
        return [
            Heading(msg.SELF_TITLE),
            Text(msg.SELF_UNKNOWN),
            Choices([Button(msg.LINK_ACCOUNT, "self.link", style="primary")]),
        ]
    with turn.db.session() as session:
        situation = read_situation(session, turn.speaker.person_id)
    if situation is None:
        return [Heading(msg.SELF_TITLE), Text(msg.SELF_UNKNOWN)]
    blocks: list[Block] = [Heading(msg.SELF_TITLE), Fields(_identity_pairs(situation))]
    if situation.places:
        rows = [
            (
                place.name,
                place.fase,
                place.function or "—",
                ", ".join(place.resources) or msg.SELF_NO_RESOURCE,
            )
            for place in situation.places
        ]
        blocks.append(Table(msg.SELF_COLUMNS, rows))
    else:
        blocks.append(Text(msg.SELF_NO_ESTABLISHMENT))
    blocks.extend(Note(note) for note in _mission_notes(situation))
    blocks.extend(_diagnosis_blocks(turn, turn.speaker.person_id))
    return blocks


def _diagnosis_blocks(turn: Turn, person_id: int) -> list[Block]:
    """What is actually wrong and the one action that fits (`access.diagnosis`): someone
    not invited yet is told the direction sends invitations and may remind it, never
    offered to resend one (issue 17, item 19)."""
    with turn.db.session() as session:
        diagnosis = diagnose(session, person_id)
    if diagnosis is None:
        return []
    told = explain(diagnosis, Topic.STATUS, owner=True, show_addresses=True)
    return situation_blocks(told, person_buttons(diagnosis, told))


def _identity_pairs(situation: Situation) -> list[tuple[str, str]]:
    pairs = [(msg.SELF_NAME, situation.name), (msg.SELF_ACCOUNT, _status_label(situation))]
    if situation.email_is_reference:
        pairs.append((msg.SELF_EMAIL, situation.email or ""))
    else:
        pairs.append((msg.SELF_EMAIL_PROECO, situation.email or msg.SELF_NO_EMAIL))
    return pairs


def _mission_notes(situation: Situation) -> list[str]:
    notes = []
    for mission in situation.missions:
        until = (
            msg.SELF_GRANT_UNTIL.format(date=format_date(mission.ends_on))
            if mission.ends_on
            else ""
        )
        notes.append(
            msg.SELF_GRANT.format(
                mission=mission.mission,
                fase=mission.fase,
                resources=", ".join(mission.resources),
                until=until,
            )
        )
    return notes


def _status_label(situation: Situation) -> str:
    if situation.left:
        return msg.ACCOUNT_LEFT
    when = ""
    if situation.invited_on is not None:
        when = msg.ACCOUNT_INVITED_ON.format(date=format_date(situation.invited_on))
    return msg.ACCOUNT_LABELS.get(situation.status, situation.status).format(when=when)


@command("/extranet")
def on_extranet(turn: Turn) -> Message:
    return Message(*own_situation_blocks(turn))


@home(order=10)
def home_situation(turn: Turn) -> list[Block]:
    return own_situation_blocks(turn)


@action("self.resend_invitation")
def on_resend_invitation(turn: Turn) -> Message:
    if turn.speaker.person_id is None:
        return Message(msg.SELF_NEEDS_LINK)
    fase = turn.action.value if turn.action is not None else ""
    outcome = turn.db.call(
        resend_own_invitation,
        turn.settings,
        person_id=turn.speaker.person_id,
        fase=fase if fase.isdigit() else None,
    )
    if outcome.reason is None:
        return Message(msg.INVITATION_RESENT.format(email=outcome.email))
    if outcome.reason == "not_invited":
        return Message(msg.DIAG_NOT_INVITED_YET)
    return Message(msg.INVITATION_NOT_RESENT.format(reason=outcome.label))


@action("self.reset_password")
def on_reset_password(turn: Turn) -> Message:
    if turn.speaker.person_id is None:
        return Message(msg.SELF_NEEDS_LINK)
    reset = turn.db.call(start_password_reset_for, turn.settings, turn.speaker.person_id)
    return Message(reset.message)


# -- linking a chat account with a code ---------------------------------------------------------


def link_form() -> Form:
    return Form(
        "self.link",
        msg.LINK_FORM_TITLE,
        (
            Field("last_name", msg.LINK_LAST_NAME, max_length=255),
            Field("first_name", msg.LINK_FIRST_NAME, max_length=255),
            Field("fase", msg.LINK_FASE, max_length=16),
        ),
        submit_label=msg.LINK_SUBMIT,
        intro=(Text(msg.LINK_FORM_INTRO),),
    )


def code_form() -> Form:
    return Form(
        "self.link_code",
        msg.LINK_CODE_FORM_TITLE,
        (Field("code", msg.LINK_CODE_LABEL, max_length=12),),
        submit_label=msg.LINK_CODE_SUBMIT,
    )


@command("/extranet", "lier", "link")
def on_link(turn: Turn) -> Message | Form:
    code = turn.text.replace(" ", "")
    if code:
        return confirm_code(turn, code)
    if turn.speaker.person_id is not None:
        return Message(
            msg.LINK_ALREADY.format(name=describe_person(turn.db, turn.speaker.person_id))
        )
    return link_form()


@action("self.link")
def on_link_button(turn: Turn) -> Form:
    return link_form()


@action("self.link_code")
def on_code_button(turn: Turn) -> Form:
    return code_form()


@form("self.link_code")
def on_code_form(turn: Turn) -> Message | FormErrors:
    assert turn.submission is not None
    code = str(turn.submission.values.get("code") or "").replace(" ", "")
    if not is_code_shaped(code):
        return FormErrors({"code": msg.LINK_CODE_FORMAT})
    return confirm_code(turn, code)


@form("self.link")
def on_link_form(turn: Turn) -> Message | FormErrors:
    assert turn.submission is not None
    values = turn.submission.values
    fase = str(values["fase"]).strip()
    if not fase.isdigit():
        return FormErrors({"fase": msg.LINK_FASE_INVALID})
    transport = turn.speaker.transport
    with turn.db.transaction() as session:
        request = request_link_code(
            session,
            turn.settings,
            transport,
            turn.speaker.user_id,
            fase=fase,
            last_name=str(values["last_name"]),
            first_name=str(values["first_name"]),
            channel_label=msg.CHANNEL_LABELS.get(transport, transport),
            actor=turn.actor,
        )
    if request.throttled:
        return Message(msg.LINK_TOO_MANY.format(helpdesk_email=turn.settings.helpdesk_email))
    # The same answer whether or not someone matched: names and FASE numbers are no secret,
    # and the answer must not tell who is in the directory.
    return Message(
        Text(msg.LINK_CODE_SENT.format(minutes=CODE_VALID_MINUTES)),
        Choices([Button(msg.LINK_ENTER_CODE, "self.link_code", style="primary")]),
    )


def confirm_code(turn: Turn, code: str) -> Message:
    transport, user_id = turn.speaker.transport, turn.speaker.user_id
    with turn.db.transaction() as session:
        check = confirm_link_code(session, transport, user_id, code, actor=turn.actor)
    if check.person_id is None:
        if turn.speaker.person_id is not None:
            name = describe_person(turn.db, turn.speaker.person_id)
            return Message(msg.LINK_ALREADY.format(name=name))
        return Message(msg.LINK_NO_PENDING)
    if not check.linked:
        return Message(msg.LINK_BAD_CODE)
    channel = msg.CHANNEL_LABELS.get(transport, transport)
    name = describe_person(turn.db, check.person_id)
    return Message(msg.LINK_DONE.format(channel=channel, name=name))
