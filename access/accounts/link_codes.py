"""Link codes: someone in a chat proves who they are with a code mailed to their address.

They type a name and a FASE number; the code goes to the address on file for the one person
who matches, so only that person can type it back. The chat remembers who waits for which
person (`bot.conversation.links`); this module finds the person, issues, mails and checks the
code, and writes the audit entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from access.accounts import tokens
from access.accounts.models import SecretToken
from access.clock import utcnow
from access.config import AccessSettings
from access.directory.models import Assignment, Establishment, Person
from access.mail import outbox
from access.mail import templates as mail
from access.text import fold

CODE_TTL = timedelta(minutes=10)
CODE_VALID_MINUTES = int(CODE_TTL.total_seconds() // 60)
CODES_PER_HOUR = 3
_CODE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class CodeRequest:
    """`throttled`: too many codes asked lately, nothing done; else `person_id` is the person a
    code was mailed to (None when nobody matched or they have no address on file)."""

    throttled: bool
    person_id: int | None = None


def is_code_shaped(code: str) -> bool:
    """Six digits: anything else is refused before it costs an attempt."""
    return _CODE.match(code) is not None


def codes_sent_lately(session: Session, subject: str, *, now: datetime | None = None) -> int:
    """Link codes asked for by this chat user (`subject`) in the last hour."""
    since = (now or utcnow()) - timedelta(hours=1)
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


def find_by_name(session: Session, fase: str, last_name: str, first_name: str) -> Person | None:
    """The one person working at `fase` under this name (accents, case and hyphens aside)."""
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


def address_on_file(person: Person) -> str | None:
    """Where a code may go: the account's reference address, else a valid ProECO address."""
    account = person.account
    if account is not None and account.reference_email:
        return account.reference_email
    return person.proeco_email if person.proeco_email_valid else None


def send_link_code(
    session: Session,
    settings: AccessSettings,
    *,
    subject: str,
    fase: str,
    last_name: str,
    first_name: str,
    channel_label: str,
    actor: str,
) -> CodeRequest:
    """Mail a code to the person named, if exactly one matches and has an address on file.

    `subject` names the chat user asking (throttle and check are per chat user);
    `channel_label` is printed in the e-mail (« Slack »).
    """
    if codes_sent_lately(session, subject) >= CODES_PER_HOUR:
        return CodeRequest(throttled=True)
    person = find_by_name(session, fase, last_name, first_name)
    address = address_on_file(person) if person is not None else None
    sent_to = None
    if person is not None and address is not None:
        _mail_code(session, settings, person, address, subject, channel_label)
        sent_to = person.id
    audit.record(
        session,
        actor=actor,
        action="chat.link_code_requested",
        target_type="person",
        target_id=sent_to,
        after={"code_sent": sent_to is not None},
    )
    return CodeRequest(throttled=False, person_id=sent_to)


def _mail_code(
    session: Session,
    settings: AccessSettings,
    person: Person,
    address: str,
    subject: str,
    channel_label: str,
) -> None:
    code = tokens.issue_code(
        session, person_id=person.id, email=address, subject=subject, ttl=CODE_TTL
    )
    message = mail.render(
        settings,
        "link_code",
        to=(person.display_name, address),
        context={
            "code": code,
            "valid_minutes": CODE_VALID_MINUTES,
            "channel_label": channel_label,
            "person_name": person.display_name,
        },
    )
    outbox.enqueue(session, message, kind="link_code", person_id=person.id)


def check_link_code(
    session: Session, *, person_id: int, code: str, subject: str, actor: str
) -> bool:
    """True once for the code last mailed to `person_id` for this chat user; audited."""
    ok = is_code_shaped(code) and tokens.check_code(
        session, person_id=person_id, code=code, subject=subject
    )
    audit.record(
        session,
        actor=actor,
        action="chat.linked" if ok else "chat.link_code_rejected",
        target_type="person",
        target_id=person_id,
    )
    return ok
