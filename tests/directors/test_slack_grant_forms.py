"""Mission access forms over signed HTTP against the real Slack app: they check what they can
when they open or at each field, not only at the end."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from access.directory.grants import live_grants
from access.directory.models import AuditEntry
from access.persistence.database import Database
from bot.settings import Settings
from tests.directors import factories
from tests.directors.test_slack_directors import DIRECTOR, running_site, wait_text
from tests.slack_app import slack_settings
from tests.slack_client import API_APP_ID, SlackClient
from tests.slack_fake import FakeSlack, block_text

FASE = "01234"
TEACHER_RESOURCES = {"ressources_pedagogiques", "programmes", "formations", "actualites"}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.add_user(DIRECTOR, email="claire.dupont@ecole01234.be", name="Claire Dupont")
        yield slack


@pytest.fixture
def school(db: Database) -> factories.School:
    with db.transaction() as session:
        return factories.school(session, FASE, staff=2)


@pytest.fixture
def slack(
    settings: Settings, db: Database, fake: FakeSlack, school: factories.School
) -> Iterator[SlackClient]:
    with running_site(slack_settings(settings, fake), db) as url:
        client = SlackClient(url, "test-signing-secret", fake)
        try:
            yield client
        finally:
            client.close()


def _open_grant_form(slack: SlackClient, fake: FakeSlack) -> dict[str, Any]:
    slack.command(DIRECTOR, "/access", "x001")
    shown = wait_text(fake, "Selon sa fonction dans ProECO")
    slack.press(DIRECTOR, shown, "Ajouter un accès de mission")
    [opened] = fake.wait_for("views.open")
    view = dict(opened.params["view"])
    return {**view, "id": "VGRANT", "hash": "h1"}


def _pick_date(slack: SlackClient, view: dict[str, Any], day: date) -> None:
    """What Slack sends when a day is picked in a date picker of an open modal."""
    payload = {
        "type": "block_actions",
        "user": {"id": DIRECTOR, "username": "udir", "team_id": slack.team_id},
        "api_app_id": API_APP_ID,
        "token": "legacy-verification-token",
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": "trigger.1",
        "team": {"id": slack.team_id, "domain": "fake"},
        "view": {**view, "state": {"values": {}}},
        "actions": [
            {
                "type": "datepicker",
                "action_id": "date",
                "block_id": "ends_on",
                "selected_date": day.isoformat(),
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    assert slack.post_payload(payload).status_code == 200


def _notes(view: dict[str, Any]) -> list[str]:
    return [block_text(b) for b in view["blocks"] if b.get("block_id") == "ends_on.error"]


def test_a_past_end_date_is_refused_as_soon_as_it_is_picked(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    view = _open_grant_form(slack, fake)
    ends_on = next(b for b in view["blocks"] if b.get("block_id") == "ends_on")
    assert ends_on["dispatch_action"] is True

    _pick_date(slack, view, date.today() - timedelta(days=3))
    [update] = fake.wait_for("views.update")
    assert update.params["view_id"] == "VGRANT"
    updated = update.params["view"]
    assert _notes(updated) == [
        "⚠️ Cette date est déjà passée : choisissez aujourd'hui ou une date à venir."
    ]
    blocks = [b.get("block_id") for b in updated["blocks"]]
    assert blocks.index("ends_on.error") == blocks.index("ends_on") + 1

    # A good day then takes the note away again.
    _pick_date(slack, {**updated, "id": "VGRANT", "hash": "h2"}, date.today() + timedelta(days=30))
    again = fake.wait_for("views.update", 2)[-1].params["view"]
    assert _notes(again) == []

    # Submitted anyway, it is refused by the field, and nothing is granted.
    response = slack.submit_view(
        DIRECTOR,
        view,
        {
            "mission": "Coordination",
            "resources": ["comptabilite"],
            "ends_on": (date.today() - timedelta(days=3)).isoformat(),
        },
    )
    assert response.json()["errors"] == {
        "ends_on": "Cette date est déjà passée : choisissez aujourd'hui ou une date à venir."
    }


def test_resources_the_function_gives_are_not_offered_but_named(
    slack: SlackClient, fake: FakeSlack
) -> None:
    view = _open_grant_form(slack, fake)
    resources = next(b for b in view["blocks"] if b.get("block_id") == "resources")
    offered = {o["value"] for o in resources["element"]["options"]}
    assert offered and offered.isdisjoint(TEACHER_RESOURCES)
    intro = " ".join(block_text(b) for b in view["blocks"] if b.get("type") != "input")
    assert "Déjà donné par sa fonction (non proposé ci-dessous)" in intro
    assert "Programmes" in intro


def test_no_grant_is_offered_on_the_directors_own_row(
    slack: SlackClient, fake: FakeSlack, db: Database
) -> None:
    slack.command(DIRECTOR, "/access", "Dupont")
    own = wait_text(fake, "Accès de Claire Dupont")
    labels = [b["text"]["text"] for b in own.buttons()]
    assert "Ajouter un accès de mission" not in labels
    assert "un accès de mission ne se donne pas à soi-même" in own.all_text()


def test_the_reason_is_shown_and_removing_asks_for_one(
    slack: SlackClient, fake: FakeSlack, db: Database, school: factories.School
) -> None:
    view = _open_grant_form(slack, fake)
    slack.submit_view(
        DIRECTOR,
        view,
        {"mission": "Coordination", "resources": ["comptabilite"], "reason": "Projet lecture"},
    )
    listed = wait_text(fake, "Motif : Projet lecture")
    slack.press(DIRECTOR, listed, "Retirer « Coordination »")
    opened = fake.wait_for("views.open", 2)[-1].params["view"]
    reason = next(b for b in opened["blocks"] if b.get("block_id") == "reason")
    assert reason["optional"] is False
    with db.session() as session:
        assert len(live_grants(session, school.staff_ids[1])) == 1  # nothing removed yet
    refused = slack.submit_view(DIRECTOR, {**opened, "id": "VREMOVE"}, {"reason": ""})
    assert "reason" in refused.json()["errors"]
    done = slack.submit_view(DIRECTOR, {**opened, "id": "VREMOVE"}, {"reason": "Fin du projet"})
    assert done.status_code == 200
    wait_text(fake, "Accès de mission « Coordination » retiré")
    with db.session() as session:
        assert live_grants(session, school.staff_ids[1]) == []
        removed = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "mission_grant.removed")
        ).one()
    assert removed.reason == "Fin du projet"
    assert json.loads(opened["private_metadata"])["c"]["g"]
