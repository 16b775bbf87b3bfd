"""The diagnosis in French: the facts that matter for a topic and the one step to take.

Every surface (chat, console, triage card, CLI) shows these same sentences. Said to the
person (« Votre lien a expiré ») or about them (« Le lien a expiré »); addresses whole only
where nobody else than their owner can read (`show_addresses`), masked elsewhere.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from access import messages as msg
from access.clock import utcnow
from access.diagnosis.model import Action, Delivery, Diagnosis, Failure, LinkState, Who
from access.diagnosis.service import REMINDER_INTERVAL
from access.directory.models import AccountStatus
from access.emails import mask_address
from access.messages import BRUSSELS


class Topic(enum.StrEnum):
    """What the question was about: it decides which facts are worth saying."""

    GENERAL = "general"  # /extranet, /diagnostic, the triage card: everything
    INVITATION = "invitation"  # not received, activation, link expired, missing from the list
    SIGN_IN = "sign_in"  # locked account, forgotten password
    EMAIL = "email"  # wrong or missing address, change of reference address
    SCHOOLS = "schools"  # several schools, leaving
    STATUS = "status"  # /extranet, which lists the schools already: everything else


@dataclass(frozen=True)
class Explanation:
    title: str
    facts: tuple[str, ...]
    next_step: str
    who: str
    action: Action


@dataclass(frozen=True)
class _Voice:
    owner: bool
    show_addresses: bool
    name: str
    now: datetime

    def say(self, pair: tuple[str, ...], **values: str) -> str:
        return pair[0 if self.owner else 1].format(name=self.name, **values)

    def address(self, email: str | None) -> str:
        return (email or "") if self.show_addresses else mask_address(email)


def explain(
    diagnosis: Diagnosis,
    topic: Topic = Topic.GENERAL,
    *,
    owner: bool,
    show_addresses: bool,
    now: datetime | None = None,
) -> Explanation:
    voice = _Voice(owner, show_addresses, diagnosis.name, now or utcnow())
    facts = [
        fact
        for topics, fact in _facts(diagnosis, voice)
        if topic in topics or (topic is Topic.STATUS and topics is not PLACES)
    ]
    step = diagnosis.next
    sentence = msg.DIAGNOSIS_NEXT[step.action.value]
    reminded = diagnosis.direction_reminded_at
    if (
        step.action == Action.REMIND_DIRECTION
        and reminded is not None
        and voice.now - reminded < REMINDER_INTERVAL
    ):
        sentence = msg.DIAGNOSIS_NEXT_REMINDED
    return Explanation(
        title=msg.DIAGNOSIS_TITLE if owner else msg.DIAGNOSIS_TITLE_OF.format(name=diagnosis.name),
        facts=tuple(facts),
        next_step=voice.say(sentence),
        who=msg.DIAGNOSIS_WHO[step.who.value],
        action=step.action,
    )


def day(moment: datetime, now: datetime) -> str:
    """« 12/09 » this year, « 12/09/2025 » another year (Brussels time)."""
    local = moment.astimezone(BRUSSELS)
    if local.year == now.astimezone(BRUSSELS).year:
        return local.strftime("%d/%m")
    return local.strftime("%d/%m/%Y")


def clock_time(moment: datetime) -> str:
    """« 10 h 42 » (Brussels time)."""
    local = moment.astimezone(BRUSSELS)
    return f"{local.hour} h {local.minute:02d}"


def failure_text(failure: Failure | None, server_reply: str | None) -> str:
    """« boîte inconnue », or the server's own words when they say more than a category."""
    if failure is not None and failure.value in msg.DIAGNOSIS_FAILURES:
        return msg.DIAGNOSIS_FAILURES[failure.value]
    return (server_reply or "").strip()[:200] or msg.DELIVERY_UNREACHABLE


ALL = frozenset(Topic)
PLACES = frozenset({Topic.GENERAL, Topic.SCHOOLS, Topic.INVITATION})
INVITATION_FACTS = frozenset({Topic.GENERAL, Topic.INVITATION, Topic.EMAIL})


def _facts(d: Diagnosis, voice: _Voice) -> Iterator[tuple[frozenset[Topic], str]]:
    active = d.status == AccountStatus.ACTIVE
    for place in d.places:
        if place.current:
            yield (
                PLACES,
                msg.DIAGNOSIS_PLACE.format(
                    school=place.name, fase=place.fase, function=place.function
                ),
            )
        else:
            yield (
                PLACES,
                msg.DIAGNOSIS_PLACE_ENDED.format(
                    school=place.name,
                    fase=place.fase,
                    function=place.function,
                    date=day(place.ended_at, voice.now),  # type: ignore[arg-type]
                ),
            )
    if d.left:
        yield ALL, voice.say(msg.DIAGNOSIS_LEFT)
        return
    yield from _account(d, voice)
    if not active:
        yield from _not_sent(d, voice)
    yield from _addresses(d, voice)
    if d.invitation is not None and not active:
        yield from _invitation(d, voice)
    if d.locked_until is not None:
        yield ALL, voice.say(msg.DIAGNOSIS_LOCKED, time=clock_time(d.locked_until))
    if d.email_change_to is not None and d.email_change_until is not None:
        yield (
            frozenset({Topic.GENERAL, Topic.EMAIL}),
            voice.say(
                msg.DIAGNOSIS_EMAIL_CHANGE,
                email=voice.address(d.email_change_to),
                date=day(d.email_change_until, voice.now),
            ),
        )
    if d.direction_reminded_at is not None and not active:
        yield (
            INVITATION_FACTS,
            voice.say(msg.DIAGNOSIS_REMINDED, date=day(d.direction_reminded_at, voice.now)),
        )


def _account(d: Diagnosis, voice: _Voice) -> Iterator[tuple[frozenset[Topic], str]]:
    if d.status == AccountStatus.ACTIVE:
        if d.activated_at is not None:
            yield ALL, voice.say(msg.DIAGNOSIS_ACTIVE, date=day(d.activated_at, voice.now))
        else:
            yield ALL, voice.say(msg.DIAGNOSIS_ACTIVE_UNDATED)
    elif d.status == AccountStatus.DISABLED:
        yield ALL, voice.say(msg.DIAGNOSIS_DISABLED)


def _not_sent(d: Diagnosis, voice: _Voice) -> Iterator[tuple[frozenset[Topic], str]]:
    """Not invited yet: has each school's direction sent its invitations at all?"""
    if d.invitation is not None or d.status != AccountStatus.NOT_INVITED:
        return
    for place in d.current_places:
        if place.direction_sent_at is None:
            yield ALL, voice.say(msg.DIAGNOSIS_NOT_SENT, school=place.name)
        else:
            yield (
                ALL,
                voice.say(
                    msg.DIAGNOSIS_NOT_YOU_YET,
                    school=place.name,
                    date=day(place.direction_sent_at, voice.now),
                ),
            )


def _addresses(d: Diagnosis, voice: _Voice) -> Iterator[tuple[frozenset[Topic], str]]:
    email_topics = frozenset({Topic.GENERAL, Topic.EMAIL, Topic.INVITATION})
    if d.status == AccountStatus.ACTIVE and d.reference_email:
        yield (
            frozenset({Topic.GENERAL, Topic.EMAIL, Topic.SIGN_IN}),
            voice.say(msg.DIAGNOSIS_EMAIL_REFERENCE, email=voice.address(d.reference_email)),
        )
        if d.proeco_email and d.proeco_email.casefold() != d.reference_email.casefold():
            yield (
                frozenset({Topic.GENERAL, Topic.EMAIL}),
                voice.say(msg.DIAGNOSIS_EMAIL_PROECO, email=voice.address(d.proeco_email)),
            )
        return
    if not d.proeco_email:
        yield email_topics, voice.say(msg.DIAGNOSIS_EMAIL_MISSING)
    elif not d.proeco_email_valid:
        # An invalid address is shown as typed: it is what the secretariat must find.
        yield email_topics, voice.say(msg.DIAGNOSIS_EMAIL_INVALID, email=d.proeco_email)
    elif d.invitation is None or d.invitation.address.casefold() != d.proeco_email.casefold():
        yield (
            email_topics,
            voice.say(msg.DIAGNOSIS_EMAIL_PROECO, email=voice.address(d.proeco_email)),
        )


def _invitation(d: Diagnosis, voice: _Voice) -> Iterator[tuple[frozenset[Topic], str]]:
    invitation = d.invitation
    assert invitation is not None
    if invitation.sent_by_self:
        by = voice.say(msg.DIAGNOSIS_INVITED_BY_SELF)
    elif invitation.sent_by_helpdesk:
        by = msg.DIAGNOSIS_INVITED_BY_HELPDESK
    elif invitation.sent_by:
        by = msg.DIAGNOSIS_INVITED_BY.format(sender=invitation.sent_by)
    else:
        by = ""
    sentence = voice.say(
        msg.DIAGNOSIS_INVITED,
        date=day(invitation.sent_at, voice.now),
        email=voice.address(invitation.address),
        by=by,
    )
    when = invitation.delivery_at
    sentence += msg.DIAGNOSIS_DELIVERY[invitation.delivery.value].format(
        reason=failure_text(invitation.failure, invitation.server_reply),
        when=f"{day(when, voice.now)} à {clock_time(when)}" if when else "",
        time=clock_time(invitation.next_attempt_at) if invitation.next_attempt_at else "",
    )
    yield INVITATION_FACTS, sentence
    yield from _link(d, voice)


def _link(d: Diagnosis, voice: _Voice) -> Iterator[tuple[frozenset[Topic], str]]:
    invitation = d.invitation
    assert invitation is not None
    link = invitation.link
    if invitation.delivery in (Delivery.REFUSED, Delivery.BOUNCED, Delivery.QUEUED):
        return  # the link never reached anyone: its dates would only confuse
    moment = {
        LinkState.VALID: invitation.link_expires_at,
        LinkState.EXPIRED: invitation.link_expires_at,
        LinkState.USED: invitation.link_used_at,
    }.get(link)
    if link == LinkState.REVOKED:
        yield INVITATION_FACTS, voice.say(msg.DIAGNOSIS_LINK["revoked"])
    elif moment is not None:
        yield (
            INVITATION_FACTS,
            voice.say(msg.DIAGNOSIS_LINK[link.value], date=day(moment, voice.now)),
        )


def who_label(who: Who) -> str:
    return msg.DIAGNOSIS_WHO[who.value]
