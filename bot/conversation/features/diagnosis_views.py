"""Pure builders of what the diagnosis looks like in chat: « Votre situation » after an
access question, a colleague's situation for a director, the triage card's « Compte »
section, the addresses to fix. No I/O: the handlers (`diagnosis.py`) read, these render.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from access.diagnosis.explain import Explanation
from access.diagnosis.model import Action, Diagnosis
from access.diagnosis.self_service import OwnAction, own_action
from bot.conversation import messages as msg
from bot.conversation.features.tickets_views import OPEN, QUESTION_LIMIT
from bot.conversation.replies import Block, Button, Choices, Heading, Message, Note, Text
from helpdesk import messages as helpdesk_msg

REMIND = "diagnosis.remind"
COLLEAGUE = "diagnosis.colleague"
TO_FIX = "diagnosis.to_fix"
AGENT = "diagnosis.agent"
# The person's own actions already have their handlers in self_service.py.
SELF_RESEND = "self.resend_invitation"
SELF_RESET = "self.reset_password"
# A director's resend of one colleague: the /team button and its handler.
DIRECTOR_RESEND = "directors.resend_one"


def encode(**values: object) -> str:
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def as_text(explanation: Explanation) -> str:
    """The whole diagnosis as plain lines (a ticket's description, an e-mail)."""
    lines = [f"• {fact}" for fact in explanation.facts]
    lines.append(msg.DIAG_NEXT.format(step=explanation.next_step))
    return "\n".join(lines)


def situation_blocks(
    explanation: Explanation, buttons: Sequence[Button] = (), *, show_who: bool = False
) -> list[Block]:
    """The title, the facts, the next step (and who takes it), and the fitting buttons."""
    blocks: list[Block] = [Heading(explanation.title)]
    if explanation.facts:
        blocks.append(Text("\n".join(f"• {fact}" for fact in explanation.facts)))
    blocks.append(Text(msg.DIAG_NEXT.format(step=explanation.next_step)))
    if show_who:
        blocks.append(Note(msg.DIAG_WHO.format(who=explanation.who)))
    if buttons:
        blocks.append(Choices(list(buttons)))
    return blocks


def ticket_button(question: str, explanation: Explanation) -> Button:
    """« Ouvrir une demande avec ce diagnostic »: the ticket form, the diagnosis in it."""
    text = msg.DIAG_TICKET_QUESTION.format(question=question, diagnosis=as_text(explanation))
    value = json.dumps(
        {"q": text.strip()[:QUESTION_LIMIT], "f": [], "u": None},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return Button(msg.DIAG_TICKET, OPEN, value)


def person_buttons(
    diagnosis: Diagnosis, explanation: Explanation, question: str = ""
) -> list[Button]:
    """The one action that fits the person's next step (« Prévenir ma direction » only while
    the weekly reminder is still to send; else the ticket)."""
    fase = diagnosis.next.fase or ""
    own = own_action(diagnosis)
    if own is OwnAction.RESEND:
        return [Button(msg.RESEND_INVITATION, SELF_RESEND, fase, style="primary")]
    if own is OwnAction.RESET:
        return [Button(msg.DIAG_RESET, SELF_RESET, style="primary")]
    if own is OwnAction.REMIND:
        return [Button(msg.DIAG_REMIND, REMIND, fase, style="primary")]
    if own is OwnAction.HELPDESK:
        return [ticket_button(question, explanation)]
    return []


def colleague_buttons(diagnosis: Diagnosis, fase: str) -> list[Button]:
    """A director's actions on a colleague: resend, or the addresses to have fixed."""
    action = diagnosis.next.action
    buttons = []
    if action in (Action.RESEND_INVITATION, Action.ACTIVATE, Action.REMIND_DIRECTION):
        first = action == Action.REMIND_DIRECTION
        buttons.append(
            Button(
                msg.DIAG_SEND_COLLEAGUE if first else msg.DIAG_RESEND_COLLEAGUE,
                DIRECTOR_RESEND,
                encode(f=fase, p=diagnosis.person_id),
                style="primary",
            )
        )
    if action == Action.FIX_EMAIL_IN_PROECO:
        buttons.append(Button(msg.DIAG_TO_FIX_BUTTON, TO_FIX, encode(f=fase), style="primary"))
    return buttons


def colleague_choice(choices: Sequence[tuple[str, int, str]]) -> Message:
    """Several colleagues named: one button each, as (fase, person id, name)."""
    buttons = [
        Button(f"{name} ({fase})"[:75], COLLEAGUE, encode(f=fase, p=person_id))
        for fase, person_id, name in choices[:10]
    ]
    return Message(msg.DIAG_CHOOSE_COLLEAGUE, Choices(buttons))


def to_fix_message(school: str, lines: Sequence[tuple[str, str, str]]) -> Message:
    """(name, address as in ProECO, why) for each address the secretariat must correct."""
    if not lines:
        return Message(msg.DIAG_TO_FIX_NONE.format(school=school))
    text = "\n".join(
        msg.DIAG_TO_FIX_LINE.format(name=name, email=email, reason=reason)
        for name, email, reason in lines
    )
    return Message(Heading(msg.DIAG_TO_FIX_TITLE.format(school=school)), Text(text))


# --- the triage card -------------------------------------------------------------------------


def account_section(
    *, number: str, match_line: str, explanation: Explanation | None, allowed: Sequence[str]
) -> list[Block]:
    """« Compte »: who the requester is in the directory (and how sure), their diagnosis,
    and the actions the rules allow (each names the ticket only)."""
    blocks: list[Block] = [Heading(helpdesk_msg.ACCOUNT_TITLE), Text(match_line)]
    if explanation is None:
        return blocks
    blocks.extend(situation_blocks(explanation, show_who=True)[1:])
    if allowed:
        blocks.append(
            Choices(
                [
                    Button(helpdesk_msg.ACCOUNT_BUTTONS[name], AGENT, f"{number}|{name}")
                    for name in allowed
                ]
            )
        )
    return blocks
