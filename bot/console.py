"""The terminal console: the same conversation layer as Slack, rendered as text.

`ConsoleSession.handle(line)` turns one typed line into printed text; the REPL (`run`) and the
in-process test driver (`tests/dialog.py`) both use it, so the tests exercise what people use.
Buttons become numbered choices, forms are asked field by field with the same checks. A choice
keeps its number for the whole session (« CSV » is [2] on every screen that offers it), so a
number read on one screen never does something else on the next.

`agent=True` (`extranet-bot console --agent`): whoever types is a helpdesk agent; the console
reaches no triage channel, so a ticket opened here goes to the help address by e-mail, and the
agent works from `/tickets NUMBER`, whose card carries the triage buttons.
"""

from __future__ import annotations

import itertools
import re
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import TextIO

from access.persistence.database import Database
from bot.conversation import forms, load_features
from bot.conversation import messages as conv_messages
from bot.conversation.replies import (
    Block,
    Button,
    Choices,
    Field,
    FieldKind,
    Fields,
    FieldValue,
    File,
    FollowUp,
    Form,
    FormErrors,
    Heading,
    Job,
    Message,
    MessageRef,
    Note,
    Recipient,
    Reply,
    Table,
    Text,
    as_replies,
)
from bot.conversation.router import Router, action_key
from bot.conversation.turn import Action, DeliveryFailed, Place, Speaker, Submission, Turn
from bot.settings import Settings
from helpdesk import messages as helpdesk_messages

TRANSPORT = "console"
CHANNEL = "console"
PROMPT = "> "
CELL_WIDTH = 42
PROGRESS_INTERVAL_SECONDS = 0.5
# The agent's name on cards and in the history when no directory address was given.
AGENT_USER = "agent"
# Stands for the triage channel when none is configured: agents need one to be agents.
CONSOLE_TRIAGE = "console-triage"
MAILS_LISTED = 3

HELP = """\
Commandes de la console :
  /whoami            qui parle
  /as ADRESSE        parler en tant qu'une autre personne de l'annuaire
  /accueil           l'accueil (comme l'onglet Home de Slack)
  /quitter           quitter
Tapez une question, une commande (/helpdesk, /extranet…), ou le numéro d'un choix."""
AGENT_HELP = """\
Console d'agent du helpdesk :
  /tickets           les tickets ouverts (/tickets mes, /tickets FASE, /tickets en_attente…)
  /tickets NUMÉRO    la fiche d'un ticket : prendre en charge, répondre, note interne,
                     priorité, statut (les numéros entre crochets)
  /tickets stats     les mesures du helpdesk"""
AGENT_CONSOLE_HINT = (
    "(Console : les agents du helpdesk travaillent dans « extranet-bot console --agent ».)"
)
UNKNOWN_CHOICE = "Aucun choix [{number}] pour l'instant : tapez un numéro affiché entre crochets."
MAIL_WRITTEN = "[{count} e-mail(s) écrit(s) dans {folder}/]"
MAIL_LINE = "  {name} — à {to} — « {subject} »"
MAIL_MORE = "  … et {count} autre(s)"


# -- text rendering -----------------------------------------------------------------------


def render_blocks(blocks: Sequence[Block], numbering: Callable[[Button], int] | None) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"== {block.text} ==")
        elif isinstance(block, Text):
            parts.append(plain(block.text))
        elif isinstance(block, Note):
            parts.append(textwrap.indent(plain(block.text), "  "))
        elif isinstance(block, Fields):
            width = max((len(label) for label, _ in block.pairs), default=0)
            parts.append("\n".join(f"{label.ljust(width)} : {v}" for label, v in block.pairs))
        elif isinstance(block, Table):
            parts.append(render_table(block))
        elif isinstance(block, Choices):
            lines = []
            for button in block.buttons:
                number = numbering(button) if numbering else None
                prefix = f"[{number}] " if number is not None else "- "
                suffix = f" ({button.url})" if button.url else ""
                lines.append(f"  {prefix}{button.label}{suffix}")
            parts.append("\n".join(lines))
    return "\n".join(parts)


_EMPHASIS = re.compile(r"(?<![\w*`])([*`])(?=\S)([^*`\n]*?\S)\1(?![\w*`])")


def plain(text: str) -> str:
    """FAQ answers are written for Slack: show *bold* and `code` without their markers."""
    return _EMPHASIS.sub(r"\2", text)


def render_table(table: Table) -> str:
    """Aligned columns; a long cell wraps onto the next lines of its column, never cut."""

    def wrap(value: str) -> list[str]:
        return textwrap.wrap(" ".join(value.split()), CELL_WIDTH) or [""]

    rows = [[wrap(c) for c in table.columns], *[[wrap(c) for c in row] for row in table.rows]]
    count = len(table.columns)
    widths = [
        max(len(line) for row in rows if i < len(row) for line in row[i]) for i in range(count)
    ]
    lines = [table.title] if table.title else []
    for index, row in enumerate(rows):
        height = max(len(cell) for cell in row)
        for n in range(height):
            parts = [
                (cell[n] if n < len(cell) else "").ljust(widths[i]) for i, cell in enumerate(row)
            ]
            lines.append("  ".join(parts).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    if not table.rows:
        lines.append(conv_messages.EMPTY_TABLE)
    return "\n".join(lines)


# -- services ------------------------------------------------------------------------------


class ConsoleServices:
    """What handlers send elsewhere is shown in the transcript: there is nobody else here."""

    def __init__(self, session: ConsoleSession) -> None:
        self._session = session

    def send(
        self, to: Recipient, message: Message, *, thread: MessageRef | None = None
    ) -> MessageRef | None:
        if to.kind == "channel":
            # No channel lives in a terminal: a ticket's card must reach the helpdesk by
            # e-mail (the caller's fallback) rather than vanish into this transcript.
            raise DeliveryFailed("the console reaches no channel")
        ref = self._session.new_ref()
        where = {"person": "personne", "user": "utilisateur"}[to.kind]
        self._session.emit(
            f"[message envoyé ({where} {to.id})]\n" + render_blocks(message.blocks, None)
        )
        return ref

    def update(self, ref: MessageRef, message: Message) -> None:
        self._session.emit(f"[message {ref.ts} mis à jour]\n" + render_blocks(message.blocks, None))

    def is_member(self, channel: str, user_id: str) -> bool:
        # In `console --agent` whoever types is a member of the triage channel; else nobody.
        session = self._session
        return (
            session.agent
            and channel == session.settings.triage_channel
            and user_id == session.speaker.user_id
        )

    def person_of(self, user_id: str) -> int | None:
        if user_id == self._session.speaker.user_id:
            return self._session.speaker.person_id
        return None

    def user_of(self, person_id: int) -> str | None:
        return (
            self._session.speaker.user_id if person_id == self._session.speaker.person_id else None
        )


# -- the session -------------------------------------------------------------------------


@dataclass
class _PendingForm:
    form: Form
    values: dict[str, FieldValue] = field(default_factory=dict)
    queue: list[Field] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    origin: MessageRef | None = None


@dataclass
class _Choice:
    button: Button
    message: MessageRef


class _ConsoleProgress:
    def __init__(self, session: ConsoleSession, job: Job, ref: MessageRef) -> None:
        self._session, self._job, self._ref = session, job, ref
        self._last = 0.0

    def report(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < PROGRESS_INTERVAL_SECONDS:
            return
        self._last = now
        self._session.emit(self._job.progress_message(done, total).blocks[0].text)  # type: ignore[union-attr]

    def update(self, message: Message) -> None:
        self._session.emit(render_blocks(message.blocks, None))


class ConsoleSession:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        as_email: str | None = None,
        router: Router | None = None,
        files_dir: Path | None = None,
        agent: bool = False,
    ) -> None:
        self.db = db
        self.agent = agent
        if agent and not settings.triage_channel:
            settings = settings.model_copy(update={"triage_channel": CONSOLE_TRIAGE})
        self.settings = settings
        self.router = router or load_features()
        self.files_dir = files_dir or Path("exports")
        self.output: list[str] = []
        # A number per action for the whole session, and the button it last stood for.
        self.numbers: dict[tuple[str, ...], int] = {}
        self.choices: dict[int, _Choice] = {}
        self._per_row: set[tuple[str, ...]] = set()
        self.pending_form: _PendingForm | None = None
        self.pending_confirm: _Choice | None = None
        self._refs = itertools.count(1)
        self.speaker = Speaker(f"{TRANSPORT}:anonyme", None, TRANSPORT)
        self.switch(as_email)

    # -- identity ---------------------------------------------------------------------------

    def switch(self, email: str | None) -> str:
        from bot.conversation.identity import default_console_email, find_person_id

        if self.agent:
            # Agents are rarely in the schools' directory: any address names them.
            label = (email or AGENT_USER).strip().casefold()
            self.speaker = Speaker(label, find_person_id(self.db, email), TRANSPORT)
            return self.whoami()
        email = email or default_console_email(self.db)
        person_id = find_person_id(self.db, email) if email else None
        label = (email or "anonyme").strip().casefold()
        self.speaker = Speaker(f"{TRANSPORT}:{label}", person_id, TRANSPORT)
        return self.whoami()

    def _refresh_speaker(self) -> None:
        """An unknown speaker who linked with `/extranet lier` is known from then on."""
        if self.speaker.person_id is not None:
            return
        from bot.conversation.links import get_link

        with self.db.session() as session:
            link = get_link(session, TRANSPORT, self.speaker.user_id)
            person_id = link.person_id if link is not None else None
        if person_id is not None:
            self.speaker = Speaker(self.speaker.user_id, person_id, TRANSPORT)

    def whoami(self) -> str:
        from bot.conversation.identity import describe_person

        role = " (agent du helpdesk)" if self.agent else ""
        if self.speaker.person_id is None:
            if self.agent and self.speaker.user_id == AGENT_USER:
                return "Vous parlez en tant qu'agent du helpdesk."
            if self.agent:
                return f"Vous parlez en tant que {self.speaker.user_id}{role}."
            return f"Vous parlez en tant qu'utilisateur inconnu ({self.speaker.user_id})."
        who = describe_person(self.db, self.speaker.person_id)
        return f"Vous parlez en tant que {who}{role}."

    # -- input ------------------------------------------------------------------------------

    def handle(self, line: str) -> str:
        """Process one typed line; return everything printed in response."""
        self.output = []
        line = line.strip()
        self._refresh_speaker()
        try:
            self._handle(line)
        except Exception:
            import logging

            logging.getLogger(__name__).exception("console turn failed")
            self.emit(conv_messages.INTERNAL_ERROR)
        return "\n".join(self.output)

    def _handle(self, line: str) -> None:
        if self.pending_form is not None:
            self._continue_form(line)
        elif self.pending_confirm is not None:
            self._answer_confirmation(line)
        elif line and not self._console_command(line):
            self._say(line)

    def _continue_form(self, line: str) -> None:
        if line.casefold() in {"/annuler", "/cancel"}:
            self.pending_form = None
            self.emit("Formulaire annulé.")
        else:
            self._answer_field(line)

    def _answer_confirmation(self, line: str) -> None:
        choice, self.pending_confirm = self.pending_confirm, None
        assert choice is not None
        if line.casefold() in {"o", "oui", "y", "yes"}:
            self._press(choice)
        else:
            self.emit("Annulé.")

    def _console_command(self, line: str) -> bool:
        """Run what only the console offers (identity, help, home, numbered choices)."""
        lowered = line.casefold()
        if lowered in {"/whoami", "/moi"}:
            self.emit(self.whoami())
        elif lowered.startswith("/as ") or lowered == "/as":
            self.emit(self.switch(line[3:].strip() or None))
        elif lowered in {"/aide-console", "/?"}:
            self.emit(HELP + ("\n" + AGENT_HELP if self.agent else ""))
        elif lowered in {"/accueil", "/home"}:
            blocks = self.router.home_blocks(self._turn())
            self.emit(render_blocks(blocks, self._numbering(blocks)))
        elif line.isdigit():
            choice = self.choices.get(int(line))
            if choice is None:
                self.emit(UNKNOWN_CHOICE.format(number=int(line)))
            else:
                self._choose(choice)
        else:
            return False
        return True

    def _choose(self, choice: _Choice) -> None:
        confirm = choice.button.confirm
        if confirm is None:
            self._press(choice)
            return
        self.pending_confirm = choice
        self.emit(f"{confirm.title} — {confirm.text}\n{confirm.confirm} ? (o/n)")

    def _say(self, line: str) -> None:
        """A slash command or a message, as the person would type it in chat."""
        if line.startswith("/"):
            name, _, text = line.partition(" ")
            self._deliver(self._dispatch(self._turn(command=name.casefold(), text=text)))
        else:
            self._deliver(self._dispatch(self._turn(text=line)))

    def _press(self, choice: _Choice) -> None:
        if choice.button.url:
            self.emit(f"Ouvrez : {choice.button.url}")
            return
        turn = self._turn(
            action=Action(choice.button.action_id, choice.button.value), message=choice.message
        )
        self._deliver(self._dispatch(turn), origin=choice.message)

    def _turn(self, **kwargs: object) -> Turn:
        return Turn(
            speaker=self.speaker,
            db=self.db,
            settings=self.settings,
            services=ConsoleServices(self),
            place=Place(CHANNEL, is_direct=True),
            **kwargs,  # type: ignore[arg-type]
        )

    def _dispatch(self, turn: Turn) -> list[Reply]:
        return self.router.dispatch(turn)

    # -- output -----------------------------------------------------------------------------

    def emit(self, text: str) -> None:
        if text:
            self.output.append(text)

    def new_ref(self) -> MessageRef:
        return MessageRef(CHANNEL, str(next(self._refs)))

    def _numbering(self, blocks: Sequence[Block]) -> Callable[[Button], int]:
        """Number the buttons of one message: an action met before keeps its number."""
        buttons = [b for block in blocks if isinstance(block, Choices) for b in block.buttons]
        repeated = Counter(_action_identity(b) for b in buttons)
        self._per_row.update(identity for identity, count in repeated.items() if count > 1)
        ref = self._current_ref

        def number(button: Button) -> int:
            identity = _action_identity(button)
            if identity in self._per_row:
                # One button per row (« Renvoyer l'invitation » of each person): its row too.
                identity = (*identity, button.value)
            n = self.numbers.setdefault(identity, len(self.numbers) + 1)
            self.choices[n] = _Choice(button, ref)
            return n

        return number

    _current_ref: MessageRef = MessageRef(CHANNEL, "0")

    def _deliver(self, replies: list[Reply], origin: MessageRef | None = None) -> None:
        for reply in replies:
            if isinstance(reply, Message):
                ref = self.new_ref()
                if reply.replace is not False:
                    ref = reply.replace if isinstance(reply.replace, MessageRef) else origin or ref
                self._current_ref = ref
                numbering = self._numbering(reply.blocks) if reply.buttons else None
                self.emit(render_blocks(reply.blocks, numbering))
                if not self.agent and _says(reply, helpdesk_messages.AGENTS_ONLY):
                    self.emit(AGENT_CONSOLE_HINT)
            elif isinstance(reply, Form):
                self._start_form(reply, origin)
            elif isinstance(reply, FormErrors):
                self.emit("\n".join(reply.errors.values()))
            elif isinstance(reply, File):
                self._save_file(reply)
            elif isinstance(reply, Job):
                self._run_job(reply, origin)
            elif isinstance(reply, FollowUp):
                self._deliver(as_replies(reply.run()), origin=origin)

    def _run_job(self, job: Job, origin: MessageRef | None) -> None:
        ref = self.new_ref()
        self.emit(render_blocks(job.start.blocks, None))
        result = job.run(_ConsoleProgress(self, job, ref))
        self._deliver(as_replies(result), origin=ref)

    def _save_file(self, file: File) -> None:
        self.files_dir.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.\-]", "_", file.filename) or "export"
        path = self.files_dir / safe
        path.write_bytes(file.content)
        self.emit(f"{file.title} : fichier enregistré dans {path}")

    # -- forms ------------------------------------------------------------------------------

    def _start_form(self, form: Form, origin: MessageRef | None) -> None:
        pending = _PendingForm(form=form, origin=origin, errors=dict(form.errors))
        for f in form.fields:
            pending.values[f.name] = f.initial
        pending.queue = (
            [f for f in form.fields if f.name in form.errors] if form.errors else list(form.fields)
        )
        self.pending_form = pending
        header = [f"== {form.title} ==", render_blocks(form.intro, None)]
        header.append("(Tapez /annuler pour abandonner.)")
        self.emit("\n".join(part for part in header if part))
        self._ask_next()

    def _ask_next(self) -> None:
        pending = self.pending_form
        assert pending is not None
        if not pending.queue:
            self._submit_form()
            return
        current = pending.queue[0]
        lines = []
        if current.name in pending.errors:
            lines.append(f"! {pending.errors[current.name]}")
        lines.append(_field_prompt(current, pending.values.get(current.name)))
        self.emit("\n".join(lines))

    def _answer_field(self, line: str) -> None:
        pending = self.pending_form
        assert pending is not None
        current = pending.queue[0]
        previous = pending.values.get(current.name)
        raw: object = line
        if not line and previous not in (None, "", []):
            raw = previous  # Enter keeps what is there (prefilled or typed before).
        elif current.kind in (FieldKind.SELECT, FieldKind.MULTI_SELECT) and line:
            raw = _pick_options(current, line)
        value, error = forms.check_field(current, raw)
        if error:
            pending.errors[current.name] = error
            self.emit(f"! {error}")
            self.emit(_field_prompt(current, previous))
            return
        pending.errors.pop(current.name, None)
        pending.values[current.name] = value
        pending.queue.pop(0)
        self._ask_next()

    def _submit_form(self) -> None:
        pending = self.pending_form
        assert pending is not None
        self.pending_form = None
        submission = Submission(pending.form.form_id, dict(pending.values), pending.form.context)
        replies = self._dispatch(self._turn(submission=submission, message=pending.origin))
        for reply in replies:
            if isinstance(reply, FormErrors):
                pending.errors = dict(reply.errors)
                pending.queue = [f for f in pending.form.fields if f.name in reply.errors]
                self.pending_form = pending
                self.emit("Le formulaire contient des erreurs :")
                self._ask_next()
                return
        self._deliver(replies, origin=pending.origin)


_COUNT = re.compile(r"\s*\(\d+\)")


def _action_identity(button: Button) -> tuple[str, ...]:
    """What a button does, as the person sees it: its action and its label without the count
    (« Renvoyer les invitations (11) » and « … (9) » are one action)."""
    return (action_key(button.action_id), _COUNT.sub("", button.label).strip())


def _says(message: Message, text: str) -> bool:
    return any(isinstance(block, Text) and block.text == text for block in message.blocks)


def _field_prompt(field_: Field, current: FieldValue) -> str:
    optional = "" if field_.required else " (facultatif)"
    lines = [f"{field_.label}{optional} :"]
    if field_.hint:
        lines.append(f"  {field_.hint}")
    if field_.options:
        lines.extend(f"  [{i}] {o.label}" for i, o in enumerate(field_.options, 1))
        if field_.kind is FieldKind.MULTI_SELECT:
            lines.append("  (plusieurs numéros séparés par des virgules)")
    if field_.kind is FieldKind.DATE:
        lines.append("  (JJ/MM/AAAA)")
    if current not in (None, "", []):
        shown = _show_value(field_, current)
        lines.append(f"  [actuel : {shown}] (Entrée pour garder)")
    return "\n".join(lines)


def _show_value(field_: Field, value: FieldValue) -> str:
    if isinstance(value, date):
        return forms.format_date(value)
    labels = {o.value: o.label for o in field_.options}
    if isinstance(value, list):
        return ", ".join(labels.get(v, v) for v in value)
    return labels.get(str(value), str(value))


def _pick_options(field_: Field, line: str) -> object:
    """Numbers typed for options become their values; anything else is checked as typed."""
    parts = [p.strip() for p in line.split(",") if p.strip()]
    picked: list[str] = []
    for part in parts:
        if part.isdigit() and 1 <= int(part) <= len(field_.options):
            picked.append(field_.options[int(part) - 1].value)
        else:
            picked.append(part)
    if field_.kind is FieldKind.SELECT:
        return picked[0] if len(picked) == 1 else line
    return picked


# -- e-mail written at once --------------------------------------------------------------


class MailFolder:
    """`MAIL_BACKEND=file` in a console: no worker runs beside it, so what a turn queued is
    written out at once, and the new files are named with their recipient and subject."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings, self.db = settings, db
        self.folder = Path(settings.mail_dir).resolve()

    def deliver(self) -> str | None:
        from access.mail.outbox import deliver_due

        before = self._files()
        if not deliver_due(self.settings, self.db).sent:
            return None
        new = sorted(set(self._files()) - set(before), key=lambda path: path.stat().st_mtime)
        lines = [MAIL_WRITTEN.format(count=len(new), folder=self.folder)]
        lines += [_mail_line(path) for path in new[:MAILS_LISTED]]
        if len(new) > MAILS_LISTED:
            lines.append(MAIL_MORE.format(count=len(new) - MAILS_LISTED))
        return "\n".join(lines)

    def _files(self) -> list[Path]:
        return list(self.folder.glob("*.eml")) if self.folder.is_dir() else []


def _mail_line(path: Path) -> str:
    with path.open("rb") as stream:
        headers = BytesHeaderParser(policy=default_policy).parse(stream)
    return MAIL_LINE.format(
        name=path.name, to=headers.get("To", ""), subject=headers.get("Subject", "")
    )


# -- the REPL ------------------------------------------------------------------------------


def run(
    session: ConsoleSession,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    *,
    after_turn: Callable[[], str | None] | None = None,
) -> None:
    """The read-answer loop; `after_turn` may add a line after each answer (mail sent…)."""

    def say(text: str) -> None:
        if text:
            stdout.write(text + "\n")
            stdout.flush()

    say(session.whoami())
    say(HELP)
    if session.agent:
        say(AGENT_HELP)
    while True:
        # The prompt also tells a program driving the console that the answer is complete.
        stdout.write(PROMPT)
        stdout.flush()
        line = stdin.readline()
        if not line or line.strip().casefold() in {"/quitter", "/quit", "/exit"}:
            break
        say(session.handle(line))
        if after_turn is not None:
            say(after_turn() or "")
