"""« Ma situation » for someone who cannot sign in: their diagnosis by e-mail, to the address
on file, with a link for the one action that fits.

Asked from a public page with an address only, so nothing may tell a stranger whether the
address is on file. As for a password reset (`access.accounts.signin`): the request is
counted per client and per typed address before anything is looked up, answered with the
same words, and only then (`carry_out_situation_request`, after the answer) is the address
looked up, the diagnosis made and the e-mail written to the outbox. Over the per-address
limit the answer stays the same; only the e-mail is held back.

The e-mail's action link (resend my invitation, remind my direction) is a token of the
tokens module: stored as its hash, bound to that one action, single use, expiring after
`ACTION_LINK_TTL`, and replaced by the next e-mail's. Opening it spends nothing (mail
scanners open links); the form behind it spends it and runs the action through the same
domain function as the chat (`access.diagnosis.self_service.act`), whose rules, cooldowns
and audit apply again at that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy.orm import Session

from access import audit
from access import messages as msg
from access.accounts import tokens
from access.accounts.models import SecretToken
from access.accounts.throttle import PendingRequest, accept_request, mark_done
from access.clock import utcnow
from access.config import AccessSettings
from access.diagnosis.actions import Outcome
from access.diagnosis.explain import Topic, explain
from access.diagnosis.self_service import OwnAction, act, own_action
from access.diagnosis.service import diagnose, find_person_ids_by_email
from access.directory.models import Person
from access.mail import outbox
from access.mail import templates as mail

# The throttle's kind for these requests (login_attempts.kind).
KIND = "situation"
PER_ADDRESS = 3
PER_CLIENT = 10
WINDOW = timedelta(hours=1)
ACTION_LINK_TTL = timedelta(hours=24)
# The actions an e-mailed link may carry out; the others are pages anyone may open.
LINKED_ACTIONS = frozenset({OwnAction.RESEND, OwnAction.REMIND})
# The public pages the e-mail sends to for the other actions (bot.web routes).
PAGE = "/ma-situation"
ACTION_PAGE = "/ma-situation/action/"
RESET_PAGE = "/mot-de-passe-oublie"
SUPPORT_PAGE = "/support"
AUDIT_SENT = "situation.sent"


@dataclass(frozen=True)
class SituationRequest:
    accepted: bool
    message: str
    pending: PendingRequest | None = None


def request_situation(
    session: Session,
    settings: AccessSettings,
    email: str,
    client: str,
    *,
    now: datetime | None = None,
) -> SituationRequest:
    """Record a request and answer it the same way whether `email` is on file or not:
    nothing here looks the address up. Refused only when the client asked too often."""
    accepted, pending = accept_request(
        session,
        KIND,
        email,
        client,
        window=WINDOW,
        per_client=PER_CLIENT,
        per_address=PER_ADDRESS,
        now=now or utcnow(),
    )
    if not accepted:
        return SituationRequest(False, msg.SITUATION_TOO_MANY)
    return SituationRequest(True, msg.SITUATION_REQUESTED, pending)


def carry_out_situation_request(
    session: Session, settings: AccessSettings, pending: PendingRequest
) -> bool:
    """Send the situation to the address if it is exactly one person's reference or ProECO
    address (a shared address tells nobody anything); either way mark the request done.
    True when an e-mail was written to the outbox."""
    mark_done(session, pending)
    people = find_person_ids_by_email(session, pending.address)
    if len(people) != 1:
        return False
    send_situation(session, settings, people[0], pending.address, now=pending.at)
    return True


def send_situation(
    session: Session,
    settings: AccessSettings,
    person_id: int,
    address: str,
    *,
    now: datetime | None = None,
) -> None:
    """The e-mail « Votre situation » to `address` (one of the person's addresses on file):
    the whole diagnosis (only the mailbox's owner reads it) and the link that fits."""
    now = now or utcnow()
    person = session.get(Person, person_id)
    diagnosis = diagnose(session, person_id, now=now)
    assert person is not None and diagnosis is not None
    told = explain(diagnosis, Topic.GENERAL, owner=True, show_addresses=True, now=now)
    action = own_action(diagnosis)
    tokens.revoke_for_person(
        session, person_id, purposes=[tokens.SITUATION], reason="new situation sent", now=now
    )
    link = None
    if action is not None and action in LINKED_ACTIONS:
        raw = tokens.issue(
            session,
            purpose=tokens.SITUATION,
            person_id=person_id,
            email=address,
            ttl=ACTION_LINK_TTL,
            subject=action.value,
            payload={"action": action.value, "fase": diagnosis.next.fase},
            now=now,
        )
        link = action_link(settings, raw)
    elif action is OwnAction.RESET:
        link = mail.link(settings, RESET_PAGE)
    elif action is OwnAction.HELPDESK:
        link = mail.link(settings, SUPPORT_PAGE)
    letter = mail.render(
        settings,
        "situation",
        to=(person.display_name, address),
        context={
            "person_name": person.display_name,
            "facts": told.facts,
            "next_label": msg.DIAGNOSIS_NEXT_LABEL,
            "next_step": told.next_step,
            "action": action.value if action is not None else None,
            "link": link,
            "expires_at": now + ACTION_LINK_TTL,
            "page": mail.link(settings, PAGE),
        },
    )
    outbox.enqueue(session, letter, kind="situation", person_id=person_id, now=now)
    audit.record(
        session,
        actor=audit.SYSTEM,
        action=AUDIT_SENT,
        target_type="person",
        target_id=person_id,
        after={"next": diagnosis.next.action.value, "link": action.value if action else None},
    )


def action_link(settings: AccessSettings, raw: str) -> str:
    return mail.link(settings, ACTION_PAGE + quote(raw, safe=""))


@dataclass(frozen=True)
class LinkedAction:
    """What a live action link offers, for the page that asks to confirm it."""

    action: OwnAction
    person_name: str


def peek_action(session: Session, raw: str) -> LinkedAction | None:
    """The link's action if the link is live; spends nothing."""
    token = tokens.peek(session, purpose=tokens.SITUATION, raw=raw)
    return _linked(session, token)


def _linked(session: Session, token: SecretToken | None) -> LinkedAction | None:
    if token is None:
        return None
    payload = token.payload or {}
    try:
        action = OwnAction(str(payload.get("action", "")))
    except ValueError:
        return None
    person = session.get(Person, token.person_id)
    if action not in LINKED_ACTIONS or person is None:
        return None
    return LinkedAction(action, person.display_name)


@dataclass(frozen=True)
class LinkOutcome:
    link_invalid: bool
    outcome: Outcome | None = None


def use_action_link(
    session: Session, settings: AccessSettings, raw: str, *, now: datetime | None = None
) -> LinkOutcome:
    """Spend the link and do its action for the person it was sent to; the action's own
    rules decide again (a second press, by any way, is told when it was done)."""
    now = now or utcnow()
    token = tokens.consume(session, purpose=tokens.SITUATION, raw=raw, now=now)
    linked = _linked(session, token)
    if token is None or linked is None:
        return LinkOutcome(link_invalid=True)
    fase = (token.payload or {}).get("fase")
    outcome = act(
        session,
        settings,
        token.person_id,
        linked.action,
        fase=fase if isinstance(fase, str) else None,
        reason="situation e-mail",
        now=now,
    )
    return LinkOutcome(link_invalid=False, outcome=outcome)
