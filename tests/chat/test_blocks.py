"""Block Kit builders: pure functions, compared as structures."""

from __future__ import annotations

from bot.conversation import Button, Choices, Field, FieldKind, Form, Message, Option, Table, Text
from bot.slack.blocks import read_submission, render_form, render_message
from bot.slack.escape import escape, split_text


def test_user_text_is_escaped_everywhere_it_is_shown() -> None:
    [payload] = render_message(Message("<!here> & <@U1>", Table(["Nom"], [["<!channel>"]])))
    shown = str(payload)
    assert "<!" not in shown and "<@" not in shown
    assert "&lt;!here&gt; &amp; &lt;@U1&gt;" in payload["text"]


def test_long_text_is_split_into_sections_that_fit() -> None:
    text = ("ligne & <b>\n" * 2000).strip()
    pieces = split_text(text, 3000)
    assert "\n".join(pieces) == text
    assert all(len(escape(p)) <= 3000 for p in pieces)
    payloads = render_message(Message(text))
    assert all(len(b["text"]["text"]) <= 3000 for p in payloads for b in p["blocks"])


def test_a_message_longer_than_fifty_blocks_becomes_several_messages() -> None:
    payloads = render_message(Message(*[Text(f"paragraphe {i}") for i in range(120)]))
    assert [len(p["blocks"]) for p in payloads] == [50, 50, 20]


def test_buttons_sharing_an_action_get_unique_ids_and_keep_their_confirmation() -> None:
    [payload] = render_message(
        Message(Choices([Button(f"Renvoyer {i}", "team.resend", str(i)) for i in range(30)]))
    )
    ids = [e["action_id"] for b in payload["blocks"] for e in b["elements"]]
    assert len(set(ids)) == 30 and ids[:2] == ["team.resend", "team.resend:1"]
    assert [len(b["elements"]) for b in payload["blocks"]] == [25, 5]


def test_a_form_round_trips_through_a_modal() -> None:
    form = Form(
        "demo",
        "Un titre beaucoup trop long pour Slack",
        (
            Field("who", "Nom"),
            Field("kind", "Catégorie", FieldKind.SELECT, options=(Option("a", "A"),)),
            Field("tags", "Étiquettes", FieldKind.MULTI_SELECT, options=(Option("x", "X"),)),
            Field("until", "Jusqu'au", FieldKind.DATE, required=False),
        ),
        context={"q": "question"},
    )
    view = render_form(form, {"channel": "D1"})
    assert len(view["title"]["text"]) <= 24
    state = {
        "who": {"text": {"type": "plain_text_input", "value": " Dupont "}},
        "kind": {"select": {"type": "static_select", "selected_option": {"value": "a"}}},
        "tags": {"multi_select": {"type": "multi_static_select", "selected_options": []}},
        "until": {"date": {"type": "datepicker", "selected_date": None}},
    }
    form_id, values, errors, context, origin = read_submission({**view, "state": {"values": state}})
    assert (form_id, context, origin) == ("demo", {"q": "question"}, {"channel": "D1"})
    assert values["who"] == "Dupont" and values["kind"] == "a"
    assert errors == {"tags": "Ce champ est obligatoire."}


def test_the_console_shows_slack_emphasis_without_its_markers() -> None:
    from bot.console import plain

    assert plain("« *Mot de passe oublié ?* » puis `/extranet`") == (
        "« Mot de passe oublié ? » puis /extranet"
    )
    assert plain("3*4=12 et a*b") == "3*4=12 et a*b"
