"""An agent acts on the account of a ticket's requester, from the triage card.

The requester is the person the directory matches for the ticket (never a person a button
names: the button names the ticket only). The action goes through the access module's rules
(`access.diagnosis.actions`); it is audited with the agent and the ticket number, recorded in
the ticket's history, and the requester is told like any answer (their chat thread or
e-mail). `helpdesk.account_action_stats` counts the tickets resolved after such an action.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy.orm import Session

from access import audit
from access.config import AccessSettings
from access.diagnosis import actions
from access.diagnosis.matching import Confidence, Match, match_person
from access.diagnosis.model import Action, Diagnosis
from access.diagnosis.service import HELPDESK_ACTOR_PREFIX, diagnose
from access.directory.models import AccountStatus
from access.emails import mask_address
from access.invitations.service import resend_own_invitation
from helpdesk import messages, tickets
from helpdesk.account_action_stats import EVENT_DONE
from helpdesk.actors import Actor
from helpdesk.models import Ticket, TicketEvent

EVENT_NOT_DONE = "account_action_refused"
# Sure enough to act on: the agent's card says how the match was made in every case.
ACTIONABLE = frozenset({Confidence.LINKED, Confidence.EMAIL, Confidence.NAME_FASE})


class AccountAction(enum.StrEnum):
    RESEND = "resend"
    RESET = "reset"
    UNLOCK = "unlock"
    REMIND = "remind"


def requester_match(session: Session, ticket: Ticket) -> Match:
    return match_person(
        session,
        person_id=ticket.requester_person_id,
        email=ticket.contact_email,
        last_name=ticket.last_name,
        first_name=ticket.first_name,
        fase=ticket.fase,
    )


def allowed_actions(diagnosis: Diagnosis) -> list[AccountAction]:
    """What the rules let an agent do for this person now."""
    allowed = []
    if diagnosis.next.action in (Action.RESEND_INVITATION, Action.ACTIVATE):
        allowed.append(AccountAction.RESEND)
    if diagnosis.status == AccountStatus.ACTIVE:
        allowed.append(AccountAction.RESET)
    if diagnosis.locked_until is not None:
        allowed.append(AccountAction.UNLOCK)
    if diagnosis.next.action in actions.REMINDABLE:
        allowed.append(AccountAction.REMIND)
    return allowed


@dataclass(frozen=True)
class ActionResult:
    done: bool
    # What the agent reads (and the triage thread).
    summary: str
    notice: tickets.Notice | None = None


def act_on_account(
    session: Session,
    settings: AccessSettings,
    number: str,
    agent: Actor,
    action: AccountAction | str,
) -> ActionResult:
    """Carry out `action` for the requester of ticket `number`, in the caller's transaction."""
    chosen = AccountAction(action)
    ticket = tickets.get_ticket(session, number, for_update=True)
    match = requester_match(session, ticket)
    if match.person_id is None or match.confidence not in ACTIONABLE:
        return ActionResult(False, messages.ACCOUNT_NOT_IDENTIFIED)
    person_id = match.person_id
    diagnosis = diagnose(session, person_id, fase=ticket.fase or None)
    assert diagnosis is not None
    if chosen not in allowed_actions(diagnosis):
        return _record(session, ticket, agent, chosen, person_id, False, None)
    actor = f"{HELPDESK_ACTOR_PREFIX}{agent.ref}"[:64]
    reason = f"ticket {ticket.number}"
    done, told, refusal = _carry_out(session, settings, chosen, diagnosis, actor, reason)
    if not done:
        return _record(session, ticket, agent, chosen, person_id, False, refusal)
    _, notice = tickets.reply(session, settings, ticket.number, agent, told)
    result = _record(session, ticket, agent, chosen, person_id, True, told)
    return ActionResult(True, result.summary, notice)


def _carry_out(
    session: Session,
    settings: AccessSettings,
    action: AccountAction,
    diagnosis: Diagnosis,
    actor: str,
    reason: str,
) -> tuple[bool, str, str | None]:
    """(done, what the requester is told, why not)."""
    person_id = diagnosis.person_id
    if action is AccountAction.RESEND:
        fase = diagnosis.next.fase
        outcome = resend_own_invitation(
            session, settings, person_id=person_id, actor=actor, fase=fase
        )
        told = messages.ACCOUNT_TOLD["resend"].format(email=mask_address(outcome.email))
        return outcome.reason is None, told, outcome.label
    if action is AccountAction.RESET:
        started = actions.send_reset_link(session, settings, person_id, actor=actor, reason=reason)
        told = messages.ACCOUNT_TOLD["reset"].format(email=mask_address(diagnosis.reference_email))
        return started.sent, told, started.message
    if action is AccountAction.UNLOCK:
        done = actions.lift_lockout(session, person_id, actor=actor, reason=reason)
        return done.done, messages.ACCOUNT_TOLD["unlock"], done.message
    done = actions.remind_direction(session, settings, person_id, actor=actor, reason=reason)
    return done.done, messages.ACCOUNT_TOLD["remind"], done.message


def _record(
    session: Session,
    ticket: Ticket,
    agent: Actor,
    action: AccountAction,
    person_id: int,
    done: bool,
    detail: str | None,
) -> ActionResult:
    label = messages.ACCOUNT_BUTTONS[action.value]
    summary = (
        messages.ACCOUNT_DONE.format(label=label, told=detail or "")
        if done
        else messages.ACCOUNT_NOT_DONE.format(
            label=label, reason=detail or messages.ACCOUNT_NOT_ALLOWED
        )
    ).strip()
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            author_ref=agent.ref,
            author_name=agent.name,
            kind=EVENT_DONE if done else EVENT_NOT_DONE,
            body=summary,
            internal=True,
            data={"action": action.value, "person_id": person_id, "done": done},
        )
    )
    audit.record(
        session,
        actor=agent.ref,
        action="helpdesk.account_action",
        target_type="person",
        target_id=person_id,
        after={"ticket": ticket.number, "action": action.value, "done": done},
        reason=f"ticket {ticket.number}",
    )
    return ActionResult(done, summary)
