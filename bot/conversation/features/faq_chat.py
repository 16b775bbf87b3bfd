"""Questions to the FAQ (DM, mention, `/helpdesk question`) and the help text (`/helpdesk`).

Not every message is a question (faq.kinds): politeness gets a friendly word and the help
hint, another subject is told this helpdesk covers the Extranet only, and a fault of the
Extranet itself is offered a ticket whose description asks for the browser, the device and
the time, rather than a FAQ entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from access.messages import BRUSSELS
from bot.conversation import action, command, home, message, router
from bot.conversation import messages as msg
from bot.conversation.features.diagnosis import situation_after_answer
from bot.conversation.features.tickets_views import contact_button, ticket_form
from bot.conversation.replies import (
    Block,
    Button,
    Choices,
    Form,
    Heading,
    Message,
    Note,
    Text,
)
from bot.conversation.turn import Turn
from bot.faq_facts import faq_facts
from faq.facts import fill
from faq.kinds import MessageKind
from helpdesk.prefill import prefill_for_person

log = logging.getLogger(__name__)

HELPFUL = "helpful"
NOT_HELPFUL = "not_helpful"
MAX_QUESTION_CHARS = 1500
REPORT_PROBLEM = "faq.report_problem"


# -- help ----------------------------------------------------------------------------------------


def help_blocks(turn: Turn) -> list[Block]:
    lines = [msg.HELP_LINES["question"], msg.HELP_LINES["extranet"], msg.HELP_LINES["lier"]]
    for name, sub in (("/helpdesk", "ticket"), ("/invite-team", None), ("/team", None)):
        if router.knows_command(name, sub):
            lines.append(msg.HELP_LINES[sub or name.lstrip("/")])
    for name in ("/access", "/tickets", "/diagnostic"):
        if router.knows_command(name):
            lines.append(msg.HELP_LINES[name.lstrip("/")])
    addresses = msg.HELP_ADDRESSES.format(
        extranet_url=turn.settings.extranet_url, helpdesk_email=turn.settings.helpdesk_email
    )
    return [Heading(msg.HELP_TITLE), Text(msg.HELP_INTRO), Text("\n".join(lines)), Text(addresses)]


def help_message(turn: Turn) -> Message:
    return Message(*help_blocks(turn))


@home(order=90)
def help_section(turn: Turn) -> list[Block]:
    return help_blocks(turn)


# -- entry points -------------------------------------------------------------------------------


def _is_help(text: str) -> bool:
    return " ".join(text.casefold().strip(" !?.").split()) in msg.HELP_WORDS or text.strip() == "?"


@message()
def on_text(turn: Turn) -> Message | None:
    text = turn.text.strip()
    if not text:
        return help_message(turn) if turn.mentioned else None
    if _is_help(text):
        return help_message(turn)
    if turn.mentioned and turn.message is not None:
        # Asked in a channel: answer in the thread of the question, for everyone to read;
        # the person's own situation only for them.
        reply = answer(turn, text, with_situation=False)
        public = Message(*reply.blocks, private=False, thread=turn.message)
        situation = situation_after_answer(turn, _answered_entry(reply), text)
        return [public, Message(*situation)] if situation else public
    return answer(turn, text)


@command("/helpdesk")
def on_helpdesk(turn: Turn) -> Message:
    text = turn.text.strip()
    if not text or _is_help(text):
        return help_message(turn)
    return answer(turn, text)


@command("/helpdesk", "aide", "help")
def on_helpdesk_help(turn: Turn) -> Message:
    return help_message(turn)


@command("/helpdesk", "question", "q")
def on_question(turn: Turn) -> Message:
    if not turn.text.strip():
        return Message(msg.FAQ_EMPTY_QUESTION)
    return answer(turn, turn.text)


# -- answering ------------------------------------------------------------------------------------


def _matcher() -> Any:
    import faq

    return faq.load_default()


def _entry(entry_id: str) -> Any | None:
    for entry in _matcher().kb.entries:
        if entry.id == entry_id:
            return entry
    return None


# Slack allows 2,000 characters in a button value: the question is shortened to fit.
VALUE_LIMIT = 1900


def _value(usage_id: object, entry_id: str | None, question: str = "") -> str:
    """A button's value: the usage log's id, the FAQ entry, and the person's own question
    (« Contacter le helpdesk » puts it in the ticket, not the entry's title)."""
    data: dict[str, Any] = {"u": usage_id, "e": entry_id}
    text = question
    while True:
        if text:
            data["q"] = text
        value = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if len(value) <= VALUE_LIMIT or not text:
            return value
        text = text[: max(0, len(text) - (len(value) - VALUE_LIMIT) - 1)]


def _parse(value: str) -> tuple[Any, str | None, str]:
    try:
        data = json.loads(value)
    except ValueError:
        return None, None, ""
    if not isinstance(data, dict):
        return None, None, ""
    return data.get("u"), data.get("e"), str(data.get("q") or "")


def answer(turn: Turn, question: str, *, with_situation: bool = True) -> Message:
    """The FAQ's answer; on an access topic, followed by the person's own situation
    (`features.diagnosis`), which only they read: the reply is private."""
    question = " ".join(question.split())[:MAX_QUESTION_CHARS]
    result = _matcher().match(question)
    if result.kind.social:
        # Politeness is no question: nothing to log for the FAQ's report, no ticket to offer.
        return Message(Text(msg.SOCIAL_REPLIES[result.kind.value]), Note(msg.SOCIAL_HINT))
    usage_id = record_question(turn, question, result)
    if result.kind is MessageKind.OFF_TOPIC:
        return off_topic_message(turn)
    if result.kind is MessageKind.PROBLEM:
        return problem_message(question, usage_id)
    entry = result.entry or next((s.entry for s in result.suggestions), None)
    entry_id = entry.id if entry is not None else None
    situation = situation_after_answer(turn, entry_id, question) if with_situation else []
    if result.entry is not None:
        answered = answer_message(
            result.entry, usage_id, facts=faq_facts(turn.settings), question=question
        )
        return Message(*answered.blocks, *situation)
    suggestions = list(result.suggestions)[:3]
    ids = [s.entry.id for s in suggestions]
    if suggestions:
        buttons = [
            Button(s.entry.question, "faq.show", _value(usage_id, s.entry.id, question))
            for s in suggestions
        ]
        return Message(
            Text(msg.FAQ_UNSURE),
            Choices(buttons),
            Choices([contact_button(question, ids, usage_id)]),
            *situation,
        )
    return Message(
        Text(msg.FAQ_NO_ANSWER),
        Choices([contact_button(question, ids, usage_id)]),
        Note(
            msg.HELP_ADDRESSES.format(
                extranet_url=turn.settings.extranet_url, helpdesk_email=turn.settings.helpdesk_email
            )
        ),
        *situation,
    )


def off_topic_message(turn: Turn) -> Message:
    """Another subject: this helpdesk covers the Extranet only; its address as a last resort."""
    return Message(
        Text(msg.FAQ_OFF_TOPIC),
        Note(msg.FAQ_OFF_TOPIC_LAST_RESORT.format(helpdesk_email=turn.settings.helpdesk_email)),
    )


def problem_message(question: str, usage_id: object) -> Message:
    """A fault of the Extranet: a ticket, whose form asks for the details that find it."""
    value = json.dumps({"q": question[:500], "u": usage_id}, ensure_ascii=False)
    return Message(
        Text(msg.FAQ_PROBLEM),
        Choices([Button(msg.FAQ_PROBLEM_BUTTON, REPORT_PROBLEM, value, style="primary")]),
    )


@action(REPORT_PROBLEM)
def on_report_problem(turn: Turn) -> Form:
    """The helpdesk's ticket form (features.tickets handles its submission), its description
    ready for the browser, the device and the time of the problem."""
    assert turn.action is not None
    try:
        data = json.loads(turn.action.value)
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    now = datetime.now(BRUSSELS)
    description = msg.PROBLEM_DETAILS.format(
        question=str(data.get("q") or "")[:500],
        date=now.strftime("%d/%m/%Y"),
        time=now.strftime("%H:%M"),
    )
    prefill = None
    if turn.speaker.person_id is not None:
        with turn.db.session() as session:
            prefill = prefill_for_person(session, person_id=turn.speaker.person_id)
    return ticket_form(
        prefill=prefill, values={"description": description}, context={"f": [], "u": data.get("u")}
    )


def _answered_entry(reply: Message) -> str | None:
    """The FAQ entry a reply answers (its feedback buttons carry it), if any."""
    for button in reply.buttons:
        if button.action_id == "faq.helpful":
            return _parse(button.value)[1]
    return None


def answer_message(
    entry: Any,
    usage_id: object,
    *,
    facts: Mapping[str, str],
    feedback: bool = True,
    question: str = "",
) -> Message:
    """The entry's answer, its delays and rules those of this deployment (faq.facts);
    `question`: the person's own words, carried by the buttons to a ticket."""
    blocks: list[Block] = [Heading(entry.question), Text(fill(entry.answer, facts))]
    if feedback:
        value = _value(usage_id, entry.id, question)
        blocks += [
            Note(msg.FAQ_DID_IT_HELP),
            Choices(
                [
                    Button(msg.FAQ_HELPFUL, "faq.helpful", value, "primary"),
                    Button(msg.FAQ_NOT_HELPFUL, "faq.not_helpful", value),
                ]
            ),
        ]
    return Message(*blocks)


@action("faq.helpful")
def on_helpful(turn: Turn) -> Message:
    return _feedback(turn, HELPFUL)


@action("faq.not_helpful")
def on_not_helpful(turn: Turn) -> Message:
    return _feedback(turn, NOT_HELPFUL)


def _feedback(turn: Turn, outcome: str) -> Message:
    assert turn.action is not None
    usage_id, entry_id, question = _parse(turn.action.value)
    record_outcome(turn, usage_id, outcome)
    entry = _entry(entry_id) if entry_id else None
    blocks: list[Block] = []
    if entry is not None:
        facts = faq_facts(turn.settings)
        blocks += answer_message(entry, usage_id, facts=facts, feedback=False).blocks
    if outcome == HELPFUL:
        blocks.append(Note(msg.FAQ_THANKS))
    else:
        blocks.append(Text(msg.FAQ_SORRY))
        # The person's own words go to the ticket; the answer that did not help follows them.
        shown = entry.id if entry is not None else None
        button = contact_button(
            question, [entry_id] if entry_id else [], usage_id, not_helpful=shown
        )
        blocks.append(Choices([button]))
    return Message(*blocks, replace=True)


@action("faq.show")
def on_suggestion(turn: Turn) -> Message:
    assert turn.action is not None
    usage_id, entry_id, question = _parse(turn.action.value)
    entry = _entry(entry_id) if entry_id else None
    if entry is None:
        return Message(msg.EXPIRED_ACTION)
    return answer_message(entry, usage_id, facts=faq_facts(turn.settings), question=question)


# The address-only button of messages posted before the tickets feature still answers.
@action("faq.contact")
def on_contact(turn: Turn) -> Message:
    return Message(msg.FAQ_CONTACT_BY_EMAIL.format(helpdesk_email=turn.settings.helpdesk_email))


# -- learning from use (faq.usage) ----------------------------------------------------------------


def record_question(turn: Turn, question: str, result: Any) -> object:
    """Log the exchange for the helpdesk's report; a logging failure never blocks the answer."""
    from faq import usage  # here: the FAQ and NumPy load with the first question, not at start

    try:
        return usage.record_question(
            turn.db.engine,
            user_ref=user_ref(turn),
            question=question,
            entry_id=result.entry.id if result.entry is not None else None,
            score=min(1.0, max(0.0, float(result.score))),
            suggestions=[s.entry.id for s in result.suggestions],
            channel=turn.speaker.transport,
        )
    except Exception:
        log.exception("could not record the FAQ question")
        return None


def record_outcome(turn: Turn, usage_id: object, outcome: str) -> None:
    if not isinstance(usage_id, int):
        return
    from faq import usage

    try:
        usage.record_outcome(turn.db.engine, question_id=usage_id, outcome=outcome)  # type: ignore[arg-type]
    except Exception:
        log.exception("could not record the FAQ outcome")


def user_ref(turn: Turn) -> str:
    """An opaque reference to who asked: never an address (console users are named by one)."""
    if turn.speaker.person_id is not None or "@" not in turn.actor:
        return turn.actor
    digest = hashlib.sha256(turn.speaker.user_id.encode()).hexdigest()[:16]
    return f"{turn.speaker.transport}:{digest}"
