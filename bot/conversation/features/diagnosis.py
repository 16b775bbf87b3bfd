"""The diagnosis in chat: « Votre situation » after an access question, a colleague's
situation for a director, `/diagnostic` for helpdesk agents, and the actions that fit.

The person's own resend and reset buttons are `self_service`'s; the director's resend is
`/team`'s (`directors.resend_one`); this module adds « Prévenir ma direction », the
directors' colleague view and addresses to fix, and the agents' account actions on the
triage card. Every action asks the server again who may do what; refusals are audited.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from access import audit
from access import messages as access_msg
from access.diagnosis import actions
from access.diagnosis.explain import explain
from access.diagnosis.matching import (
    Confidence,
    Match,
    match_by_name,
    match_person,
    people_named_in,
)
from access.diagnosis.service import diagnose
from access.directory.authz import managed_establishments
from access.directory.models import Person
from access.directory.team import TeamStatus
from access.invitations.service import team_list
from bot.conversation import action, command
from bot.conversation import messages as msg
from bot.conversation.features import diagnosis_views as views
from bot.conversation.features.directors import _person_of, directing, guarded
from bot.conversation.features.tickets import (
    _agent,
    card_in_place,
    deliver_notice,
    post_in_triage_thread,
    refresh_triage,
)
from bot.conversation.replies import Block, Button, Choices, Message, Replies, Text, as_replies
from bot.conversation.turn import DeliveryFailed, Turn
from bot.faq_topics import ACCESS_TOPICS
from helpdesk import messages as helpdesk_msg
from helpdesk.account_actions import AccountAction, act_on_account

log = logging.getLogger(__name__)

AUDIT_REFUSED = "diagnosis.refused"

# FAQ entries about access, and what the person's situation should say after them.
TOPICS = ACCESS_TOPICS


# -- after a FAQ answer ------------------------------------------------------------------


def situation_after_answer(turn: Turn, entry_id: str | None, question: str) -> list[Block]:
    """What follows the FAQ answer: a director's colleague named in the question, else the
    speaker's own situation on an access topic (or how to be recognised)."""
    if turn.speaker.person_id is not None:
        colleague = colleague_blocks(turn, question)
        if colleague:
            return colleague
    topic = TOPICS.get(entry_id or "")
    if topic is None:
        return []
    if turn.speaker.person_id is None:
        return [
            Text(msg.DIAG_UNKNOWN),
            Choices([Button(msg.LINK_ACCOUNT, "self.link", style="primary")]),
        ]
    with turn.db.session() as session:
        diagnosis = diagnose(session, turn.speaker.person_id)
    if diagnosis is None:
        return []
    told = explain(diagnosis, topic, owner=True, show_addresses=True)
    return views.situation_blocks(told, views.person_buttons(diagnosis, told, question))


def colleague_blocks(turn: Turn, question: str) -> list[Block]:
    """A director who names one person of their establishments gets that person's
    situation (the same authorization as /team); nobody else learns anything about others."""
    director = turn.speaker.person_id
    with turn.db.session() as session:
        fases = [e.fase for e in managed_establishments(session, director)]
        named = people_named_in(session, question, fases, besides=director)
        if not named:
            return []
        if len(named) > 1:
            choices = [(fase, pid, _name(session, pid)) for fase, pid in named]
            return list(views.colleague_choice(choices).blocks)
        fase, person_id = named[0]
        return _colleague_view(session, person_id, fase)


def _name(session: Session, person_id: int) -> str:
    person = session.get(Person, person_id)
    return person.display_name if person is not None else "?"


def _colleague_view(session: Session, person_id: int, fase: str) -> list[Block]:
    diagnosis = diagnose(session, person_id, fase=fase)
    if diagnosis is None:
        return []
    # Only the director reads this (a private reply): the addresses they correct in ProECO.
    told = explain(diagnosis, owner=False, show_addresses=True)
    return views.situation_blocks(told, views.colleague_buttons(diagnosis, fase), show_who=True)


@action(views.COLLEAGUE)
@guarded("diagnosis-colleague")
def show_colleague(turn: Turn) -> Replies:
    with directing(turn, check=_person_of) as director:
        member = director.member(_person_of(director.context))
        return Message(*_colleague_view(director.session, member.person_id, director.fase))


@action(views.TO_FIX)
@guarded("diagnosis-to-fix")
def addresses_to_fix(turn: Turn) -> Replies:
    """The addresses of the team that the secretariat must correct in ProECO, and why."""
    with directing(turn) as director:
        team = team_list(director.session, director.fase)
        school = director.establishment.name
    lines = []
    for row in team.rows:
        if row.status is TeamStatus.EMAIL_TO_FIX:
            reason = msg.DIAG_TO_FIX_INVALID if row.proeco_email else msg.DIAG_TO_FIX_MISSING
            lines.append((row.full_name, row.proeco_email or "—", reason))
        elif row.delivery_error and row.status is TeamStatus.INVITED:
            lines.append((row.full_name, row.proeco_email or "—", row.status_label))
    return views.to_fix_message(school, lines)


# -- the person's « Prévenir ma direction » ---------------------------------------------------


@action(views.REMIND)
def remind_direction(turn: Turn) -> Replies:
    if turn.speaker.person_id is None:
        return Message(msg.SELF_NEEDS_LINK)
    outcome = turn.db.call(
        actions.remind_direction, turn.settings, turn.speaker.person_id, actor=turn.actor
    )
    return Message(outcome.message)


# -- helpdesk agents: /diagnostic and the card's actions --------------------------------------


def _is_agent(turn: Turn) -> bool:
    """A member of the triage channel; when the transport cannot tell, not an agent."""
    channel = turn.settings.triage_channel
    try:
        return bool(channel) and turn.services.is_member(channel, turn.speaker.user_id)
    except DeliveryFailed as error:
        log.warning("could not check the members of the triage channel: %s", error)
        return False


def _refuse(turn: Turn, request: str, given: str) -> Message:
    with turn.db.transaction() as session:
        audit.record(
            session,
            actor=turn.actor,
            action=AUDIT_REFUSED,
            target_type="request",
            target_id=request,
            after={"input": given[:100], "transport": turn.speaker.transport},
            reason="not_agent",
        )
    return Message(msg.DIAG_AGENTS_ONLY)


def _match_query(session: Session, query: str) -> Match:
    """An address, or « NOM PRÉNOM FASE » (the name in either order)."""
    if "@" in query:
        return match_person(session, email=query)
    words = query.split()
    if len(words) < 3 or not words[-1].isdigit():
        return Match(None, Confidence.NONE)
    return match_by_name(session, last_name=" ".join(words[:-1]), first_name="", fase=words[-1])


@command("/diagnostic")
def diagnostic(turn: Turn) -> Replies:
    query = " ".join(turn.text.split())
    if not _is_agent(turn):
        # What was typed may name someone: the audit keeps its kind, not the name.
        return _refuse(turn, "diagnostic", "email" if "@" in query else "name")
    if not query:
        return Message(msg.DIAG_USAGE)
    with turn.db.session() as session:
        match = _match_query(session, query)
        if match.confidence == Confidence.AMBIGUOUS:
            return Message(msg.DIAG_SEVERAL.format(count=match.candidates, query=query))
        if match.person_id is None:
            words = query.split()
            if "@" not in query and (len(words) < 3 or not words[-1].isdigit()):
                return Message(msg.DIAG_USAGE)
            return Message(msg.DIAG_NOBODY.format(query=query))
        diagnosis = diagnose(session, match.person_id)
    assert diagnosis is not None
    how = access_msg.DIAGNOSIS_MATCH[match.confidence.value].format(count=match.candidates)
    told = explain(diagnosis, owner=False, show_addresses=False)
    return Message(
        Text(msg.DIAG_MATCH.format(name=diagnosis.name, how=how)),
        *views.situation_blocks(told, show_who=True),
    )


@action(views.AGENT)
def agent_action(turn: Turn) -> Replies:
    assert turn.action is not None
    number, _, name = turn.action.value.partition("|")
    if not _is_agent(turn):
        return _refuse(turn, f"account-{name}"[:64], number)
    try:
        chosen = AccountAction(name)
    except ValueError:
        return Message(msg.EXPIRED_ACTION)
    agent = _agent(turn)
    with turn.db.transaction() as session:
        result = act_on_account(session, turn.settings, number, agent, chosen)
    if result.notice is not None:
        deliver_notice(turn.services, turn.db, turn.settings, result.notice)
    post_in_triage_thread(
        turn.services,
        turn.db,
        number,
        helpdesk_msg.ACCOUNT_THREAD.format(agent=agent.name or agent.ref, outcome=result.summary),
    )
    refresh_triage(turn.services, turn.db, number)
    # A card shown elsewhere than the triage channel (/tickets NUMBER, the console) is
    # replaced by the ticket as it now is.
    return [Message(result.summary), *as_replies(card_in_place(turn, number))]
