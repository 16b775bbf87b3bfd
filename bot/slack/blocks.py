"""Pure Block Kit builders: neutral replies in, Slack payloads out (no I/O here).

Slack's limits are enforced here, never left to chance: 50 blocks a message (longer content
becomes several messages), 100 in a modal or the Home tab, 3,000 characters a section text,
25 buttons an actions block, 24 characters a modal title. All text is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from bot.conversation import messages as slack_messages
from bot.conversation.forms import check_field, check_form
from bot.conversation.replies import (
    Block,
    Button,
    Choices,
    Field,
    FieldKind,
    Fields,
    FieldValue,
    Form,
    Heading,
    Message,
    Note,
    Option,
    Table,
    Text,
)
from bot.slack.escape import escape, split_text

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_CHARS = 3000
HEADER_CHARS = 150
BUTTONS_PER_BLOCK = 25
METADATA_CHARS = 3000

Payload = dict[str, Any]


def _plain(text: str, limit: int) -> dict[str, Any]:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text, "emoji": True}


def _mrkdwn(escaped: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": escaped}


def _sections(text: str, style: str = "") -> list[dict[str, Any]]:
    """Sections of at most 3,000 characters, styled after escaping (style wraps each piece)."""
    room = SECTION_CHARS - 2 * len(style)
    return [
        {"type": "section", "text": _mrkdwn(f"{style}{escape(piece)}{style}")}
        for piece in split_text(text, room)
        if piece.strip()
    ]


def _packed_sections(lines: Iterable[str]) -> list[dict[str, Any]]:
    """Already-escaped lines packed into as few 3,000-character sections as possible."""
    sections: list[dict[str, Any]] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if current and size + len(line) + 1 > SECTION_CHARS:
            sections.append({"type": "section", "text": _mrkdwn("\n".join(current))})
            current, size = [], 0
        current.append(line[:SECTION_CHARS])
        size += len(line) + 1
    if current:
        sections.append({"type": "section", "text": _mrkdwn("\n".join(current))})
    return sections


def render_block(block: Block, action_ids: dict[str, int]) -> list[dict[str, Any]]:
    if isinstance(block, Text):
        return _sections(block.text)
    if isinstance(block, Heading):
        return [{"type": "header", "text": _plain(block.text, HEADER_CHARS)}]
    if isinstance(block, Note):
        return [
            {"type": "context", "elements": [_mrkdwn(escape(piece))]}
            for piece in split_text(block.text, SECTION_CHARS)
        ]
    if isinstance(block, Fields):
        return _packed_sections(f"*{escape(k)}* : {escape(v)}" for k, v in block.pairs)
    if isinstance(block, Table):
        return render_table(block)
    if isinstance(block, Choices):
        elements = [render_button(b, action_ids) for b in block.buttons]
        return [
            {"type": "actions", "elements": elements[i : i + BUTTONS_PER_BLOCK]}
            for i in range(0, len(elements), BUTTONS_PER_BLOCK)
        ]
    raise TypeError(f"unknown block {block!r}")


def render_table(table: Table) -> list[dict[str, Any]]:
    """One line a row (first column in bold), under a line naming the columns."""
    blocks: list[dict[str, Any]] = []
    if table.title:
        blocks.extend(_sections(table.title, "*"))
    blocks.append({"type": "context", "elements": [_mrkdwn(escape(" · ".join(table.columns)))]})
    lines = []
    for row in table.rows:
        cells = [escape(" ".join(c.split())) or "—" for c in row]
        lines.append(" · ".join([f"*{cells[0]}*", *cells[1:]]) if cells else "")
    if not lines:
        lines = [escape(slack_messages.EMPTY_TABLE)]
    blocks.extend(_packed_sections(lines))
    return blocks


def render_button(button: Button, action_ids: dict[str, int]) -> dict[str, Any]:
    # Slack wants unique action_ids in a message; the router ignores the ":n" suffix.
    seen = action_ids.get(button.action_id, 0)
    action_ids[button.action_id] = seen + 1
    action_id = button.action_id if seen == 0 else f"{button.action_id}:{seen}"
    element: dict[str, Any] = {
        "type": "button",
        "text": _plain(button.label, 75),
        "action_id": action_id,
        "value": button.value[:2000],
    }
    if button.url:
        element["url"] = button.url
    if button.style:
        element["style"] = button.style
    if button.confirm:
        element["confirm"] = {
            "title": _plain(button.confirm.title, 100),
            "text": _plain(button.confirm.text, 300),
            "confirm": _plain(button.confirm.confirm, 30),
            "deny": _plain(button.confirm.deny, 30),
        }
    return element


def render_blocks(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    action_ids: dict[str, int] = {}
    return [b for block in blocks for b in render_block(block, action_ids)]


def render_message(message: Message) -> list[Payload]:
    """`text` (notification fallback) and `blocks`, split into messages of 50 blocks at most."""
    blocks = render_blocks(message.blocks)
    text = escape(message.plain_text()) or " "
    if not blocks:
        return [{"text": text, "blocks": []}]
    return [
        {"text": text, "blocks": blocks[i : i + MESSAGE_BLOCKS]}
        for i in range(0, len(blocks), MESSAGE_BLOCKS)
    ]


def _fit_view(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(blocks) <= VIEW_BLOCKS:
        return blocks
    note = {"type": "context", "elements": [_mrkdwn(escape(slack_messages.TRUNCATED))]}
    return [*blocks[: VIEW_BLOCKS - 1], note]


def render_home(blocks: Sequence[Block]) -> Payload:
    return {"type": "home", "blocks": _fit_view(render_blocks(blocks))}


# -- forms as modals -----------------------------------------------------------------------


def render_form(form: Form, origin: Mapping[str, Any] | None = None) -> Payload:
    data: dict[str, Any] = {"c": dict(form.context), "o": dict(origin or {})}
    # What a field checks beyond its kind travels with the view: the submission and the
    # live check of a date picker are read from the payload alone, in any process.
    earliest = {f.name: f.min_date.isoformat() for f in form.fields if f.min_date is not None}
    if earliest:
        data["m"] = earliest
    metadata = json.dumps(data, default=str)
    if len(metadata) > METADATA_CHARS:
        raise ValueError(f"form {form.form_id}: context too large for Slack ({len(metadata)})")
    blocks = [*render_blocks(form.intro), *(render_field(f) for f in form.fields)]
    return {
        "type": "modal",
        "callback_id": form.form_id,
        "title": _plain(form.title, 24),
        "submit": _plain(form.submit_label, 24),
        "close": _plain(slack_messages.CANCEL, 24),
        "private_metadata": metadata,
        "blocks": _fit_view(blocks),
    }


def _option(option: Option) -> dict[str, Any]:
    return {"text": _plain(option.label, 75), "value": option.value[:150]}


def render_field(field: Field) -> dict[str, Any]:
    # The element's action_id carries the field kind, so a submission can be checked from
    # the payload alone, whatever process receives it.
    element: dict[str, Any] = {"action_id": field.kind.value, **_ELEMENTS[field.kind](field)}
    if field.placeholder and element["type"] != "datepicker":
        element["placeholder"] = _plain(field.placeholder, 150)
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field.name,
        "optional": not field.required,
        "label": _plain(field.label, 2000),
        "element": element,
    }
    if field.min_date is not None:
        # Slack tells the app as soon as a day is picked: a past one is refused at once.
        block["dispatch_action"] = True
    if field.hint:
        block["hint"] = _plain(field.hint, 2000)
    return block


def _text_input(field: Field) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": field.kind is FieldKind.MULTILINE,
    }
    if field.max_length:
        element["max_length"] = field.max_length
    if field.initial:
        element["initial_value"] = str(field.initial)
    return element


def _email_input(field: Field) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "email_text_input"}
    if field.initial:
        element["initial_value"] = str(field.initial)
    return element


def _date_picker(field: Field) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker"}
    if isinstance(field.initial, date):
        element["initial_date"] = field.initial.isoformat()
    return element


def _static_select(field: Field) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "static_select",
        "options": [_option(o) for o in field.options[:100]],
    }
    chosen = [o for o in field.options if o.value == field.initial]
    if chosen:
        element["initial_option"] = _option(chosen[0])
    return element


def _multi_static_select(field: Field) -> dict[str, Any]:
    initial = field.initial
    element: dict[str, Any] = {
        "type": "multi_static_select",
        "options": [_option(o) for o in field.options[:100]],
    }
    chosen = [o for o in field.options if isinstance(initial, list) and o.value in initial]
    if chosen:
        element["initial_options"] = [_option(o) for o in chosen]
    return element


# The Block Kit element each field kind is entered with.
_ELEMENTS: dict[FieldKind, Callable[[Field], dict[str, Any]]] = {
    FieldKind.TEXT: _text_input,
    FieldKind.MULTILINE: _text_input,
    FieldKind.PHONE: _text_input,
    FieldKind.EMAIL: _email_input,
    FieldKind.DATE: _date_picker,
    FieldKind.SELECT: _static_select,
    FieldKind.MULTI_SELECT: _multi_static_select,
}


def read_submission(
    view: Mapping[str, Any],
) -> tuple[str, dict[str, FieldValue], dict[str, str], dict[str, Any], dict[str, Any]]:
    """(form_id, checked values, errors by field, form context, origin) of a submitted modal."""
    fields: list[Field] = []
    raw: dict[str, object] = {}
    state = view.get("state", {}).get("values", {})
    metadata = _metadata(view)
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        field = _field_of(block, metadata)
        fields.append(field)
        raw[field.name] = _state_value(state.get(field.name, {}).get(field.kind.value, {}))
    values, errors = check_form(fields, raw)
    return view.get("callback_id", ""), values, errors, metadata.get("c", {}), metadata.get("o", {})


def _metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return metadata if isinstance(metadata, dict) else {}


def _field_of(block: Mapping[str, Any], metadata: Mapping[str, Any]) -> Field:
    """The field an input block of a rendered view stands for (as far as checking needs)."""
    element = block["element"]
    name = block["block_id"]
    options = tuple(Option(o["value"], o["text"]["text"]) for o in element.get("options", []))
    earliest = (metadata.get("m") or {}).get(name)
    return Field(
        name,
        name,
        FieldKind(element["action_id"]),
        required=not block.get("optional", False),
        options=options,
        min_date=date.fromisoformat(earliest) if isinstance(earliest, str) else None,
    )


FIELD_ERROR_SUFFIX = ".error"


def checked_view(view: Mapping[str, Any], block_id: str, value: object) -> Payload | None:
    """The view to show after a field changed: a note under it when its value is refused,
    none once it is accepted. None when nothing changes (no views.update needed)."""
    metadata = _metadata(view)
    blocks = list(view.get("blocks", []))
    found = next((b for b in blocks if b.get("block_id") == block_id), None)
    if found is None or found.get("type") != "input":
        return None
    field = _field_of(found, metadata)
    _, error = check_field(field, value)
    if error == slack_messages.FIELD_REQUIRED:
        error = None  # an emptied optional field, or one not filled yet: said at submission
    note_id = block_id + FIELD_ERROR_SUFFIX
    shown = next((b for b in blocks if b.get("block_id") == note_id), None)
    shown_text = shown["elements"][0]["text"] if shown else None
    wanted_text = f"⚠️ {escape(error)}" if error else None
    if shown_text == wanted_text:
        return None
    blocks = [b for b in blocks if b.get("block_id") != note_id]
    if wanted_text is not None:
        at = blocks.index(found) + 1
        note = {"type": "context", "block_id": note_id, "elements": [_mrkdwn(wanted_text)]}
        blocks.insert(at, note)
    kept = ("type", "callback_id", "title", "submit", "close", "private_metadata")
    return {**{k: view[k] for k in kept if k in view}, "blocks": blocks}


def _state_value(state: Mapping[str, Any]) -> object:
    kind = state.get("type")
    if kind == "datepicker":
        return state.get("selected_date")
    if kind == "static_select":
        option = state.get("selected_option")
        return option["value"] if option else None
    if kind == "multi_static_select":
        return [o["value"] for o in state.get("selected_options") or []]
    return state.get("value")
