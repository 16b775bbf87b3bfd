"""`/extranet`: a person's own situation and the actions that fit it; `/extranet lier`; App Home."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from access.clock import as_utc, utcnow
from access.directory.models import AccountStatus, Assignment, Establishment, Person
from bot.conversation import action, command, form, home
from bot.conversation import messages as msg
from bot.conversation.forms import format_date
from bot.conversation.links import METHOD_CODE, get_link, link_row, save_link
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

log = logging.getLogger(__name__)

CODE_TTL = timedelta(minutes=10)
CODES_PER_HOUR = 3
_CODE = re.compile(r"^\d{6}$")


# -- the situation -------------------------------------------------------------------------------


def situation_blocks(turn: Turn) -> list[Block]:
    """What /extranet and the App Home show: who, status, where, what access; fitting actions."""
    if turn.speaker.person_id is None:
        return [
            Heading(msg.SELF_TITLE),
            Text(msg.SELF_UNKNOWN),
            Choices([Button(msg.LINK_ACCOUNT, "self.link", style="primary")]),
        ]
    from access.directory.people import effective_access
    from access.directory.profiles import default_profiles

    with turn.db.session() as session:
        person = turn.person(session)
        if person is None:
            return [Heading(msg.SELF_TITLE), Text(msg.SELF_UNKNOWN)]
        account = person.account
        status = account.status if account is not None else AccountStatus.NOT_INVITED.value
        pairs = [(msg.SELF_NAME, person.display_name), (msg.SELF_ACCOUNT, _status_label(person))]
        if account is not None and account.reference_email and status == AccountStatus.ACTIVE:
            pairs.append((msg.SELF_EMAIL, account.reference_email))
        else:
            shown = person.proeco_email if person.proeco_email_valid else None
            pairs.append((msg.SELF_EMAIL_PROECO, shown or msg.SELF_NO_EMAIL))
        access = effective_access(session, person.id)
        profiles = default_profiles()
        functions = {
            a.establishment.fase: a.function.label for a in person.assignments if a.is_active
        }
        rows = []
        notes = []
        for fase, place in sorted(access.establishments.items()):
            labels = [profiles.label_of_resource(code) for code in sorted(place.function_resources)]
            rows.append(
                (
                    place.name,
                    fase,
                    functions.get(fase, "—"),
                    ", ".join(labels) or msg.SELF_NO_RESOURCE,
                )
            )
            for grant in place.grants:
                until = (
                    msg.SELF_GRANT_UNTIL.format(date=format_date(grant.ends_at.date()))
                    if grant.ends_at
                    else ""
                )
                resources = ", ".join(
                    profiles.label_of_resource(c) for c in sorted(grant.resources)
                )
                notes.append(
                    msg.SELF_GRANT.format(
                        mission=grant.mission, fase=fase, resources=resources, until=until
                    )
                )
        can_resend = status in (AccountStatus.NOT_INVITED, AccountStatus.INVITED) and bool(
            person.proeco_email_valid and person.left_at is None and rows
        )
    blocks: list[Block] = [Heading(msg.SELF_TITLE), Fields(pairs)]
    if rows:
        blocks.append(Table(msg.SELF_COLUMNS, rows))
    else:
        blocks.append(Text(msg.SELF_NO_ESTABLISHMENT))
    blocks.extend(Note(note) for note in notes)
    buttons = []
    if can_resend:
        buttons.append(Button(msg.RESEND_INVITATION, "self.resend_invitation", style="primary"))
    if status == AccountStatus.ACTIVE:
        buttons.append(Button(msg.RESET_PASSWORD, "self.reset_password"))
    if buttons:
        blocks.append(Choices(buttons))
    return blocks


def _status_label(person: Person) -> str:
    if person.left_at is not None and not any(a.is_active for a in person.assignments):
        return msg.ACCOUNT_LEFT
    account = person.account
    status = account.status if account is not None else AccountStatus.NOT_INVITED.value
    when = ""
    if account is not None and account.invited_at is not None:
        invited = as_utc(account.invited_at)
        assert invited is not None
        when = msg.ACCOUNT_INVITED_ON.format(date=format_date(invited.date()))
    return msg.ACCOUNT_LABELS.get(status, status).format(when=when)


@command("/extranet")
def on_extranet(turn: Turn) -> Message:
    return Message(*situation_blocks(turn))


@home(order=10)
def home_situation(turn: Turn) -> list[Block]:
    return situation_blocks(turn)


@action("self.resend_invitation")
def on_resend_invitation(turn: Turn) -> Message:
    if turn.speaker.person_id is None:
        return Message(msg.SELF_NEEDS_LINK)
    from access.invitations.service import resend_own_invitation

    outcome = resend_own_invitation(turn.db, turn.settings, person_id=turn.speaker.person_id)
    if outcome.reason is None:
        return Message(msg.INVITATION_RESENT.format(email=outcome.email))
    return Message(msg.INVITATION_NOT_RESENT.format(reason=outcome.label))


@action("self.reset_password")
def on_reset_password(turn: Turn) -> Message:
    if turn.speaker.person_id is None:
        return Message(msg.SELF_NEEDS_LINK)
    from access.accounts.signin import start_password_reset_for

    return Message(start_password_reset_for(turn.db, turn.settings, turn.speaker.person_id).message)


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
        from bot.conversation.identity import describe_person

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
    if not _CODE.match(code):
        return FormErrors({"code": msg.LINK_CODE_FORMAT})
    return confirm_code(turn, code)


@form("self.link")
def on_link_form(turn: Turn) -> Message | FormErrors:
    assert turn.submission is not None
    values = turn.submission.values
    fase = str(values["fase"]).strip()
    if not fase.isdigit():
        return FormErrors({"fase": msg.LINK_FASE_INVALID})
    subject = _subject(turn)
    with turn.db.transaction() as session:
        if _codes_sent_lately(session, subject) >= CODES_PER_HOUR:
            return Message(msg.LINK_TOO_MANY.format(helpdesk_email=turn.settings.helpdesk_email))
        person = _find_by_name(session, fase, str(values["last_name"]), str(values["first_name"]))
        link = link_row(session, turn.speaker.transport, turn.speaker.user_id)
        link.pending_person_id = None
        address = _address_on_file(person) if person is not None else None
        if person is not None and address is not None:
            _send_code(session, turn, person, address, subject)
            link.pending_person_id = person.id
        audit.record(
            session,
            actor=turn.actor,
            action="chat.link_code_requested",
            target_type="person",
            target_id=person.id if person is not None and address else None,
            after={"code_sent": address is not None},
        )
    # The same answer whether or not someone matched: names and FASE numbers are no secret,
    # and the answer must not tell who is in the directory.
    return Message(
        Text(msg.LINK_CODE_SENT.format(minutes=int(CODE_TTL.total_seconds() // 60))),
        Choices([Button(msg.LINK_ENTER_CODE, "self.link_code", style="primary")]),
    )


def confirm_code(turn: Turn, code: str) -> Message:
    from access.accounts import tokens
    from bot.conversation.identity import describe_person

    transport, user_id = turn.speaker.transport, turn.speaker.user_id
    with turn.db.transaction() as session:
        link = get_link(session, transport, user_id)
        person_id = link.pending_person_id if link is not None else None
        if person_id is None:
            ok = False
        else:
            ok = _CODE.match(code) is not None and tokens.check_code(
                session, person_id=person_id, code=code, subject=_subject(turn)
            )
            audit.record(
                session,
                actor=turn.actor,
                action="chat.linked" if ok else "chat.link_code_rejected",
                target_type="person",
                target_id=person_id,
            )
    if person_id is None:
        if turn.speaker.person_id is not None:
            name = describe_person(turn.db, turn.speaker.person_id)
            return Message(msg.LINK_ALREADY.format(name=name))
        return Message(msg.LINK_NO_PENDING)
    if not ok:
        return Message(msg.LINK_BAD_CODE)
    with turn.db.transaction() as session:
        save_link(session, transport, user_id, person_id, method=METHOD_CODE)
    channel = msg.CHANNEL_LABELS.get(transport, transport)
    return Message(msg.LINK_DONE.format(channel=channel, name=describe_person(turn.db, person_id)))


def _subject(turn: Turn) -> str:
    return f"{turn.speaker.transport}:{turn.speaker.user_id}"[:64]


def _codes_sent_lately(session: Session, subject: str) -> int:
    from access.accounts import tokens
    from access.accounts.models import SecretToken

    since = utcnow() - timedelta(hours=1)
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(SecretToken)
            .where(
                SecretToken.purpose == tokens.LINK_CODE,
                SecretToken.subject == subject,
                SecretToken.created_at >= since,
            )
        )
        or 0
    )


def _find_by_name(session: Session, fase: str, last_name: str, first_name: str) -> Person | None:
    from access.text import fold

    people = session.scalars(
        sa.select(Person)
        .join(Assignment, Assignment.person_id == Person.id)
        .join(Establishment, Establishment.id == Assignment.establishment_id)
        .where(Establishment.fase == fase, Assignment.ended_at.is_(None))
    ).all()

    def key(value: str) -> str:
        return " ".join(fold(value).replace("-", " ").split())

    matches = [
        p
        for p in people
        if key(p.last_name) == key(last_name) and key(p.first_name) == key(first_name)
    ]
    # Two namesakes in one school: nobody can tell them apart from a name, so send nothing.
    return matches[0] if len(matches) == 1 else None


def _address_on_file(person: Person) -> str | None:
    account = person.account
    if account is not None and account.reference_email:
        return account.reference_email
    return person.proeco_email if person.proeco_email_valid else None


def _send_code(session: Session, turn: Turn, person: Person, address: str, subject: str) -> None:
    from access.accounts import tokens
    from access.mail import outbox
    from access.mail import templates as mail

    code = tokens.issue_code(
        session, person_id=person.id, email=address, subject=subject, ttl=CODE_TTL
    )
    message = mail.render(
        turn.settings,
        "link_code",
        to=(person.display_name, address),
        context={
            "code": code,
            "valid_minutes": int(CODE_TTL.total_seconds() // 60),
            "channel_label": msg.CHANNEL_LABELS.get(turn.speaker.transport, turn.speaker.transport),
            "person_name": person.display_name,
        },
    )
    outbox.enqueue(session, message, kind="link_code", person_id=person.id)
