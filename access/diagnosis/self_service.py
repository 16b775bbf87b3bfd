"""The person's own step, whatever the surface: which one action fits their diagnosis, and
doing it through the rules every surface shares.

The chat's « Votre situation » buttons, « Mon accès » and the e-mail « Votre situation »
offer the same action for the same diagnosis (`own_action`); `act` carries it out with the
domain functions the chat calls (the invitations service and its cooldown, the weekly
reminder of the direction, the reset link's limits), so the audit reads the same.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from access import messages as msg
from access.config import AccessSettings
from access.diagnosis.actions import REMINDABLE, Outcome, remind_direction, send_reset_link
from access.diagnosis.explain import explain
from access.diagnosis.model import Action, Diagnosis
from access.diagnosis.service import diagnose
from access.errors import NotFound
from access.invitations.service import resend_own_invitation


class OwnAction(enum.StrEnum):
    """What the person may do about their own access."""

    RESEND = "resend"  # « Renvoyer mon invitation »
    RESET = "reset"  # « M'envoyer un lien de réinitialisation »
    REMIND = "remind"  # « Prévenir ma direction »
    HELPDESK = "helpdesk"  # ask the helpdesk, the diagnosis in the request


def own_action(diagnosis: Diagnosis) -> OwnAction | None:
    """The one action that fits the person's next step (« Prévenir ma direction » only while
    the direction has never been reminded; after that, the helpdesk)."""
    action = diagnosis.next.action
    if action in (Action.RESEND_INVITATION, Action.ACTIVATE):
        return OwnAction.RESEND
    if action in (Action.SIGN_IN, Action.RESET_PASSWORD):
        return OwnAction.RESET
    if action in REMINDABLE:
        if diagnosis.direction_reminded_at is None:
            return OwnAction.REMIND
        return OwnAction.HELPDESK
    if action in (Action.LEFT, Action.CONTACT_HELPDESK):
        return OwnAction.HELPDESK
    return None


def act(
    session: Session,
    settings: AccessSettings,
    person_id: int,
    action: OwnAction,
    *,
    fase: str | None = None,
    reason: str | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Do `action` for the person themself; each action checks its own rules again (the
    invitation only if the direction sent one, the cooldowns, the reset limits)."""
    actor = f"person:{person_id}"
    if action is OwnAction.REMIND:
        return remind_direction(session, settings, person_id, actor=actor, reason=reason, now=now)
    if action is OwnAction.RESET:
        started = send_reset_link(session, settings, person_id, actor=actor, now=now)
        return Outcome(started.sent, started.message)
    if action is OwnAction.RESEND:
        outcome = resend_own_invitation(
            session, settings, person_id=person_id, actor=actor, fase=fase, now=now
        )
        if outcome.reason is None:
            return Outcome(True, msg.OWN_RESENT.format(email=outcome.email))
        if outcome.reason == "not_invited":
            return Outcome(False, msg.OWN_NOT_INVITED)
        return Outcome(False, msg.OWN_NOT_RESENT.format(reason=outcome.label))
    return Outcome(False, msg.OWN_NOTHING_TO_DO)


def act_if_it_fits(
    session: Session,
    settings: AccessSettings,
    person_id: int,
    requested: OwnAction,
    *,
    offered: Callable[[Diagnosis], OwnAction | None] = own_action,
    reason: str | None = None,
    now: datetime | None = None,
) -> Outcome:
    """A button pressed on a page: the diagnosis is made again, and the action is done only
    if it is still the one `offered` for it (a remind pressed again is told when it was
    done). Otherwise the person reads what to do now."""
    diagnosis = diagnose(session, person_id, now=now)
    if diagnosis is None:
        raise NotFound("unknown_person", msg.UNKNOWN_PERSON, detail=f"no person {person_id}")
    again = requested is OwnAction.REMIND and diagnosis.next.action in REMINDABLE
    if requested is OwnAction.HELPDESK or (offered(diagnosis) is not requested and not again):
        step = explain(diagnosis, owner=True, show_addresses=True, now=now).next_step
        return Outcome(False, msg.OWN_NOT_FITTING.format(step=step))
    return act(
        session,
        settings,
        person_id,
        requested,
        fase=diagnosis.next.fase,
        reason=reason,
        now=now,
    )
