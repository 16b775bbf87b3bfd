"""Where feature modules register their handlers, and how a turn finds its handler."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.conversation import messages
from bot.conversation.replies import Block, Message, Replies, Reply, as_replies
from bot.conversation.turn import Turn

log = logging.getLogger(__name__)

Handler = Callable[[Turn], Replies]
HomeSection = Callable[[Turn], Sequence[Block] | None]
Predicate = Callable[[Turn], bool]


def direct_or_mention(turn: Turn) -> bool:
    return turn.place.is_direct or turn.mentioned


@dataclass
class _Command:
    default: Handler | None = None
    subcommands: dict[str, Handler] = field(default_factory=dict)
    help_order: list[str] = field(default_factory=list)


@dataclass(order=True)
class _MessageRoute:
    priority: int
    seq: int
    when: Predicate = field(compare=False)
    handler: Handler = field(compare=False)


def action_key(action_id: str) -> str:
    """Route "team.resend:3" like "team.resend": adapters suffix repeated ids with ":n"."""
    return action_id.split(":", 1)[0]


class Router:
    def __init__(self) -> None:
        self._commands: dict[str, _Command] = {}
        self._messages: list[_MessageRoute] = []
        self._actions: dict[str, Handler] = {}
        self._forms: dict[str, Handler] = {}
        self._home: list[tuple[int, int, HomeSection]] = []

    # -- registration --------------------------------------------------------------------

    def command(self, name: str, *subcommands: str) -> Callable[[Handler], Handler]:
        """`@command("/helpdesk")` handles the command; `@command("/helpdesk", "question", "q")`
        handles `/helpdesk question …` (first word, case-insensitive; aliases allowed), with
        `turn.text` set to what follows the sub-command."""
        if not name.startswith("/"):
            raise ValueError(f"command names start with '/': {name!r}")

        def register(handler: Handler) -> Handler:
            entry = self._commands.setdefault(name, _Command())
            if not subcommands:
                entry.default = handler
            for sub in subcommands:
                key = sub.casefold()
                if key in entry.subcommands:
                    raise ValueError(f"{name} {sub} is registered twice")
                entry.subcommands[key] = handler
                entry.help_order.append(sub)
            return handler

        return register

    def message(
        self, *, when: Predicate = direct_or_mention, priority: int = 100
    ) -> Callable[[Handler], Handler]:
        """Free text. Routes are tried by ascending priority; the first whose `when` accepts
        the turn handles it. The default `when` takes direct messages and mentions only."""

        def register(handler: Handler) -> Handler:
            self._messages.append(_MessageRoute(priority, len(self._messages), when, handler))
            self._messages.sort()
            return handler

        return register

    def action(self, action_id: str) -> Callable[[Handler], Handler]:
        if ":" in action_id:
            raise ValueError("':' is reserved in action ids")

        def register(handler: Handler) -> Handler:
            if action_id in self._actions:
                raise ValueError(f"action {action_id} is registered twice")
            self._actions[action_id] = handler
            return handler

        return register

    def form(self, form_id: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if form_id in self._forms:
                raise ValueError(f"form {form_id} is registered twice")
            self._forms[form_id] = handler
            return handler

        return register

    def home(self, order: int = 100) -> Callable[[HomeSection], HomeSection]:
        """A section of the App Home tab (console: `/accueil`), sorted by `order`."""

        def register(section: HomeSection) -> HomeSection:
            self._home.append((order, len(self._home), section))
            self._home.sort(key=lambda item: (item[0], item[1]))
            return section

        return register

    # -- lookup ----------------------------------------------------------------------------

    @property
    def command_names(self) -> list[str]:
        return sorted(self._commands)

    def knows_command(self, name: str, subcommand: str | None = None) -> bool:
        entry = self._commands.get(name)
        if entry is None or subcommand is None:
            return entry is not None
        return subcommand.casefold() in entry.subcommands

    def resolve_command(self, name: str, text: str) -> tuple[Handler | None, str | None, str]:
        entry = self._commands.get(name)
        if entry is None:
            return None, None, text
        first, _, rest = text.strip().partition(" ")
        handler = entry.subcommands.get(first.casefold()) if first else None
        if handler is not None:
            return handler, first.casefold(), rest.strip()
        return entry.default, None, text.strip()

    def handles_message(self, turn: Turn) -> bool:
        return any(route.when(turn) for route in self._messages)

    # -- dispatch ------------------------------------------------------------------------

    def dispatch(self, turn: Turn) -> list[Reply]:
        """Run the handler this turn is for; errors become a French message, never a crash."""
        handler = self._handler_for(turn)
        if handler is None:
            return self._unhandled(turn)
        return run_handler(handler, turn)

    def home_blocks(self, turn: Turn) -> list[Block]:
        blocks: list[Block] = []
        for _order, _seq, section in self._home:
            try:
                blocks.extend(section(turn) or ())
            except Exception:
                log.exception("home section %s failed", getattr(section, "__name__", section))
        return blocks

    def _handler_for(self, turn: Turn) -> Handler | None:
        if turn.submission is not None:
            return self._forms.get(turn.submission.form_id)
        if turn.action is not None:
            return self._actions.get(action_key(turn.action.action_id))
        if turn.command is not None:
            handler, sub, rest = self.resolve_command(turn.command, turn.text)
            turn.subcommand, turn.text = sub, rest
            return handler
        for route in self._messages:
            if route.when(turn):
                return route.handler
        return None

    def _unhandled(self, turn: Turn) -> list[Reply]:
        if turn.command is not None:
            return [Message(messages.UNKNOWN_COMMAND.format(command=turn.command))]
        if turn.action is not None or turn.submission is not None:
            log.warning("no handler for %s", turn.action or turn.submission)
            return [Message(messages.EXPIRED_ACTION)]
        return []


def run_handler(handler: Handler, turn: Turn) -> list[Reply]:
    try:
        return as_replies(handler(turn))
    except Exception as error:
        user_message = getattr(error, "user_message", None)
        if isinstance(user_message, str):
            # Domain refusals (access.errors.AccessError) carry their French wording.
            log.info("handler %s refused: %s", getattr(handler, "__name__", "?"), error)
            return [Message(user_message)]
        log.exception("handler %s failed", getattr(handler, "__name__", "?"))
        return [Message(messages.INTERNAL_ERROR)]
