"""The conversation layer: one set of handlers, rendered by Slack and by the terminal console.

Feature modules (this package's other modules: `helpdesk`, `self_service`, `tickets*`,
`directors*`) register plain **synchronous** functions with decorators; adapters
(`bot.slack`, `bot.console`) build a `Turn`, call the router and render the replies. Handlers
import the domain (`access`, `faq`, `helpdesk`), never Slack or the terminal. Adapters run
handlers in worker threads, so they may use sync SQLAlchemy freely.

Registering (any module placed in this package is imported by `load_features()`)::

    from bot.conversation import action, command, form, home, message
    from bot.conversation.replies import *   # Message, Text, Table, Choices, Button, Form…

    @command("/team")                    # `/team …`; turn.text = the arguments
    @command("/helpdesk", "ticket")      # sub-command `/helpdesk ticket …`; turn.text = the rest
    @message(when=predicate, priority=10)  # free text; default: DMs and mentions, priority 100
    @action("team.resend")               # button action_id (also "team.resend:7", see Button)
    @form("ticket")                      # submitted Form(form_id="ticket", ...)
    @home(order=50)                      # App Home section: (turn) -> list of blocks

    def handler(turn: Turn) -> Replies: ...

The `Turn` (`turn.py`): `speaker` (`Speaker(user_id, person_id|None, transport)`;
`turn.person(session)` loads the Person; `turn.actor` is the audit actor), `db`
(`access.persistence.database.Database`), `settings` (`bot.settings.Settings`),
`place` (`Place(channel, is_direct)`), `text`, `command`/`subcommand`,
`action` (`Action(action_id, value)`),
`submission` (`Submission(form_id, values, context)`), `message` (MessageRef of the incoming
message or of the message holding the pressed button), `thread` (thread root), `mentioned`,
and `services` (`Services`: `send(Recipient, Message, thread=None) -> MessageRef|None`,
`update(MessageRef, Message)`, `is_member(channel, user_id)`, `person_of(user_id)`,
`user_of(person_id)`; they raise `DeliveryFailed` when the transport refuses).

Replies (`replies.py`), returned as one reply, a list, a str (a private text) or None:

- `Message(*blocks, private=True, replace=False, thread=None)`; blocks: `Text`, `Heading`,
  `Note`, `Fields({label: value})`, `Table(columns, rows, title=None)`,
  `Choices([Button(label, action_id, value, style=, confirm=Confirm(title, text))])`.
  All text is plain: adapters escape it (nobody can inject `<!channel>`). `private` = only the
  speaker sees it; `replace=True` updates the message the turn came from (a pressed button's
  message) and `replace=MessageRef(...)` updates that message.
- `Form(form_id, title, fields, submit_label=, intro=, context=, errors=)` with
  `Field(name, label, kind=FieldKind.TEXT|MULTILINE|EMAIL|PHONE|SELECT|MULTI_SELECT|DATE,
  required=, initial=, options=(Option(value, label),), hint=, placeholder=, max_length=)`.
  Slack opens a modal (return it first: a trigger lives 3 s), the console asks field by field.
  Values are checked for their kind (`forms.check_field`) before the `@form` handler runs, which
  gets `turn.submission.values` (str, list[str] for multi-select, datetime.date, None) and
  `turn.submission.context`. It returns replies, `FormErrors({field: message})` to keep the
  form open with messages by the fields, or another `Form` to replace it.
- `Job(start=Message(...), run=fn, label="Envoi")`: `start` is shown at once; `fn(progress)`
  runs in a worker thread, calls `progress.report(done, total)` (the message then reads
  « Envoi : 120 / 300 ») or `progress.update(Message)`, and returns the final replies (a
  `Message(replace=True)` replaces the progress message with the summary).
- `File(filename, content, title)`: a file for the speaker (Slack upload; console: saved).

Testing: `tests/dialog.py` drives the same handlers in process (`Dialog`, `verify_dialog`);
`tests/slack_fake.py` and `tests/slack_client.py` drive the real Slack app over HTTP.
"""

from __future__ import annotations

import importlib
import pkgutil

from bot.conversation.replies import (
    Block,
    Button,
    Choices,
    Confirm,
    Field,
    FieldKind,
    Fields,
    File,
    Form,
    FormErrors,
    Heading,
    Job,
    Message,
    MessageRef,
    Note,
    Option,
    Progress,
    Recipient,
    Replies,
    Reply,
    Table,
    Text,
)
from bot.conversation.router import Router
from bot.conversation.turn import (
    Action,
    DeliveryFailed,
    Place,
    Services,
    Speaker,
    Submission,
    Turn,
)

# Modules of this package that are infrastructure, not features.

router = Router()
command = router.command
message = router.message
action = router.action
form = router.form
home = router.home


def load_features() -> Router:
    """Import every module of `features` (their decorators register on `router`)."""
    from bot.conversation import features

    for info in pkgutil.iter_modules(features.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{features.__name__}.{info.name}")
    return router


__all__ = [
    "Action",
    "Block",
    "Button",
    "Choices",
    "Confirm",
    "DeliveryFailed",
    "Field",
    "FieldKind",
    "Fields",
    "File",
    "Form",
    "FormErrors",
    "Heading",
    "Job",
    "Message",
    "MessageRef",
    "Note",
    "Option",
    "Place",
    "Progress",
    "Recipient",
    "Replies",
    "Reply",
    "Router",
    "Services",
    "Speaker",
    "Submission",
    "Table",
    "Text",
    "Turn",
    "action",
    "command",
    "form",
    "home",
    "load_features",
    "message",
    "router",
]
