"""The helpdesk's side of issue 18, in Slack over signed HTTP: the triage card's « Compte »
section and its actions, `/diagnostic`, `tickets stats`; and every refusal, audited."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from access.accounts.activation import activate
from access.directory.models import AuditEntry
from access.persistence.database import Database
from bot.settings import Settings
from helpdesk.models import Ticket, TicketEvent
from tests.conftest import run_cli
from tests.diagnosis.school import (
    FASE,
    OTHER_FASE,
    School,
    age_invitation,
    deliver,
    invite_team,
)
from tests.diagnosis.test_scenarios import PASSWORD, World
from tests.slack_app import serve_slack
from tests.slack_client import SlackClient, dm_channel
from tests.slack_fake import FakeSlack, Sent
from tests.smtp_server import SmtpServer

TEACHER = "U0NADIA"
STAFF = "U0MARIE"
DIRECTOR = "U0CLAIRE"
AGENT = "UAGENT"
TRIAGE = "CTRIAGE"


@pytest.fixture
def world(
    db: Database,
    mail_settings: Settings,
    smtp_server: SmtpServer,
    school: School,
    cli_env: dict[str, str],
) -> World:
    return World(db, mail_settings, smtp_server, school, cli_env)


@pytest.fixture
def fake(world: World) -> Iterator[FakeSlack]:
    with FakeSlack() as slack:
        slack.add_user(TEACHER, email=world.school.teacher_email, name="Nadia Lambert")
        slack.add_user(STAFF, email=world.school.active_email, name="Marie Dupont")
        slack.add_user(DIRECTOR, email=world.school.director_email, name="Claire Directrice")
        slack.add_user(AGENT, email="alice@helpdesk.example", name="Alice Agent")
        slack.set_members(TRIAGE, [AGENT])
        yield slack


@pytest.fixture
def slack(world: World, fake: FakeSlack) -> Iterator[SlackClient]:
    with serve_slack(world.settings, world.db, fake, triage_channel=TRIAGE) as client:
        yield client


def _answer(fake: FakeSlack, mark: int) -> str:
    """Everything the bot showed since `mark`, once it has shown something and gone quiet."""
    deadline = time.monotonic() + 10
    while len(fake.sent()) <= mark:
        assert time.monotonic() < deadline, "the bot did not answer"
        time.sleep(0.02)
    fake.wait_quiet(0.3)
    return "\n".join(sent.all_text() for sent in fake.sent()[mark:])


def _command(slack: SlackClient, fake: FakeSlack, user: str, line: str) -> str:
    mark = len(fake.sent())
    command, _, text = line.partition(" ")
    assert slack.command(user, command, text).status_code == 200
    return _answer(fake, mark)


def _audited(db: Database, action: str) -> list[AuditEntry]:
    with db.session() as session:
        return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def _open_ticket(slack: SlackClient, fake: FakeSlack, db: Database) -> str:
    slack.command(TEACHER, "/helpdesk", "ticket mon lien d'activation ne marche plus")
    view = fake.wait_for("views.open")[-1].params["view"]
    values = {
        "fase": FASE,
        "category": "activation",
        "subject": "Lien d'activation expiré",
        "description": "Le lien de l'invitation ne fonctionne plus.",
    }
    response = slack.submit_view(TEACHER, view, values)
    assert response.status_code == 200
    if response.text and response.json().get("view", {}).get("callback_id") == "ticket_faq":
        # The FAQ's nearest answers first (the activation link's entry): sent anyway.
        response = slack.submit_view(TEACHER, response.json()["view"], values)
        assert response.status_code == 200
    fake.wait_for("chat.postMessage", 2)
    fake.wait_quiet(0.3)
    with db.session() as session:
        return session.scalars(sa.select(Ticket.number)).one()


def _card(fake: FakeSlack) -> Sent:
    posts = [s for s in fake.sent() if s.channel == TRIAGE and s.thread_ts is None]
    assert posts, "no triage card"
    updates = [s for s in fake.sent() if s.kind == "update" and s.ts == posts[0].ts]
    return updates[-1] if updates else posts[0]


def test_an_expired_link_fixed_from_the_card_counts_in_the_stats(
    world: World, slack: SlackClient, fake: FakeSlack
) -> None:
    school = world.school
    invite_team(world.db, world.settings, school)
    world.deliver()
    age_invitation(world.db, school.teacher, days=world.settings.invitation_ttl_days + 3)
    number = _open_ticket(slack, fake, world.db)

    card = _card(fake).all_text()
    assert "Compte" in card
    assert "Demandeur dans l'annuaire : Nadia Lambert" in card
    # The card's own « E-mail » field is the ticket's contact; the account section masks.
    section = card.split("Demandeur dans l'annuaire", 1)[1]
    assert "reconnu·e par son compte de chat relié (sûr)" in card
    assert "Le lien a expiré le" in card
    assert "n.l***@sj.example.be" in section and school.teacher_email not in section
    assert "Lever le blocage de connexion" not in card  # only what the rules allow

    mark = len(fake.sent())
    assert slack.press(AGENT, _card(fake), "Renvoyer l'invitation").status_code == 200
    told_agent = _answer(fake, mark)
    assert "Renvoyer l'invitation : fait." in told_agent
    # The requester is told in the thread of their ticket.
    dm = [s for s in fake.sent()[mark:] if s.channel == dm_channel(TEACHER)]
    assert dm and "Le helpdesk vous a renvoyé l'invitation" in dm[-1].all_text()
    # The triage thread and the card say it too.
    thread = [s for s in fake.sent()[mark:] if s.channel == TRIAGE and s.thread_ts]
    assert any("Renvoyer l'invitation : fait." in s.all_text() for s in thread)
    assert "elle est en cours d'envoi" in _card(fake).all_text()  # the new one, on its way

    # The new invitation reaches the person, and its link activates the account.
    raw = world.link_token(school.teacher_email, "Activez votre compte", "activer")
    assert activate(world.db, world.settings, raw, password=PASSWORD, confirmation=PASSWORD).ok

    history = _command(slack, fake, AGENT, f"/tickets {number}")
    assert "Action sur le compte" in history and "Renvoyer l'invitation : fait." in history
    with world.db.session() as session:
        (entry,) = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "helpdesk.account_action")
        ).all()
        sent = session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action == "invitation.sent")
            .order_by(AuditEntry.id.desc())
        ).first()
    assert (entry.actor, entry.reason) == (f"slack:{AGENT}", f"ticket {number}")
    assert entry.after == {"ticket": number, "action": "resend", "done": True}
    assert sent is not None and sent.actor == f"helpdesk:slack:{AGENT}"

    mark = len(fake.sent())
    assert slack.press(AGENT, _card(fake), "Résolu").status_code == 200
    _answer(fake, mark)
    stats = run_cli(world.cli_env, "tickets", "stats", text=True)
    assert stats.returncode == 0, stats.stderr
    line = next(
        row for row in stats.stdout.splitlines() if "resolved by account action: resolved" in row
    )
    assert line.split()[-1] == "1"
    as_json = json.loads(run_cli(world.cli_env, "tickets", "stats", "--json", text=True).stdout)
    assert as_json["resolved_by_account_action"]["resolved"] == 1


def test_the_card_of_a_locked_account_lifts_the_lock(
    world: World, slack: SlackClient, fake: FakeSlack
) -> None:
    from access.accounts.signin import blocked_until
    from tests.diagnosis.school import lock_out

    lock_out(world.db, world.school.teacher_email)  # not active: no lock to lift, nor shown
    lock_out(world.db, world.school.active_email)
    slack.command(STAFF, "/helpdesk", "ticket")
    view = fake.wait_for("views.open")[-1].params["view"]
    values = {"fase": FASE, "category": "password", "subject": "Bloqué", "description": "x"}
    assert slack.submit_view(STAFF, view, values).status_code == 200
    fake.wait_for("chat.postMessage", 2)
    fake.wait_quiet(0.3)
    card = _card(fake).all_text()
    assert "Connexion bloquée jusqu'à" in card
    mark = len(fake.sent())
    assert slack.press(AGENT, _card(fake), "Lever le blocage de connexion").status_code == 200
    assert "Lever le blocage de connexion : fait." in _answer(fake, mark)
    with world.db.session() as session:
        assert blocked_until(session, world.school.active_email) is None
    assert "Connexion bloquée" not in _card(fake).all_text()
    (unblocked,) = _audited(world.db, "account.unblocked")
    assert unblocked.actor == f"helpdesk:slack:{AGENT}" and (unblocked.reason or "").startswith(
        "ticket T-"
    )


def test_agents_diagnose_by_address_or_name_and_fase(
    world: World, slack: SlackClient, fake: FakeSlack
) -> None:
    by_address = _command(slack, fake, AGENT, f"/diagnostic {world.school.teacher_email}")
    assert "Situation de Nadia Lambert" in by_address
    assert "reconnu·e par son adresse e-mail (sûr)" in by_address
    assert "La direction n'a pas encore envoyé les invitations" in by_address
    assert "Par : la direction de l'école" in by_address
    by_name = _command(slack, fake, AGENT, f"/diagnostic lambert nadia {FASE}")
    assert "reconnu·e par le nom et le FASE" in by_name
    near = _command(slack, fake, AGENT, f"/diagnostic Lambertt Nadia {FASE}")
    assert "nom proche dans cet établissement (incertain" in near
    assert "Personne de l'annuaire ne correspond" in _command(
        slack, fake, AGENT, f"/diagnostic Personne Inconnue {FASE}"
    )
    assert "Utilisation : /diagnostic" in _command(slack, fake, AGENT, "/diagnostic")


# -- refusals, each audited --------------------------------------------------------------------


def test_only_agents_may_use_diagnostic(world: World, slack: SlackClient, fake: FakeSlack) -> None:
    for user in (STAFF, DIRECTOR):
        shown = _command(slack, fake, user, f"/diagnostic {world.school.teacher_email}")
        assert "réservé aux agents du helpdesk" in shown and "Lambert" not in shown
    refused = _audited(world.db, "diagnosis.refused")
    assert [entry.actor for entry in refused] == [
        f"person:{world.school.active}",
        f"person:{world.school.director}",
    ]
    assert all(world.school.teacher_email not in json.dumps(e.after) for e in refused)


def _forged(slack: SlackClient, user: str, action_id: str, value: str) -> None:
    button: dict[str, Any] = {
        "action_id": action_id,
        "text": {"type": "plain_text", "text": "?"},
        "value": value,
    }
    assert slack.block_actions(user, button).status_code == 200


def test_a_non_agent_cannot_act_on_an_account(
    world: World, slack: SlackClient, fake: FakeSlack
) -> None:
    invite_team(world.db, world.settings, world.school)
    world.deliver()
    age_invitation(world.db, world.school.teacher, days=30)
    number = _open_ticket(slack, fake, world.db)
    mark = len(fake.sent())
    _forged(slack, TEACHER, "diagnosis.agent", f"{number}|resend")
    assert "réservé aux agents du helpdesk" in _answer(fake, mark)
    (refused,) = _audited(world.db, "diagnosis.refused")
    assert refused.target_id == "account-resend"
    with world.db.session() as session:
        kinds = session.scalars(sa.select(TicketEvent.kind)).all()
    assert "account_action" not in kinds
    assert not _audited(world.db, "helpdesk.account_action")


def test_a_staff_member_cannot_diagnose_a_colleague(
    world: World, slack: SlackClient, fake: FakeSlack
) -> None:
    mark = len(fake.sent())
    assert slack.message(STAFF, "Nadia Lambert ne reçoit pas l'invitation").status_code == 200
    fake.wait_for("chat.postMessage", 1)
    shown = _answer(fake, mark)
    assert "Situation de Nadia Lambert" not in shown and "n.lambert" not in shown
    mark = len(fake.sent())
    _forged(slack, STAFF, "diagnosis.colleague", json.dumps({"f": FASE, "p": world.school.teacher}))
    shown = _answer(fake, mark)
    assert "Seule la direction de l'établissement 4321" in shown
    (refused,) = _audited(world.db, "directors.refused")
    assert (refused.actor, refused.reason) == (f"person:{world.school.active}", "not_director")


def test_a_director_diagnoses_colleagues_of_their_establishments_only(
    world: World, slack: SlackClient, fake: FakeSlack
) -> None:
    world.smtp.refuse[world.school.teacher_email] = "550 5.1.1 User unknown"
    invite_team(world.db, world.settings, world.school)
    world.deliver()
    mark = len(fake.sent())
    assert slack.message(DIRECTOR, "Nadia Lambert ne reçoit pas l'invitation").status_code == 200
    fake.wait_for("chat.postMessage", 1)
    shown = _answer(fake, mark)
    assert "Situation de Nadia Lambert" in shown
    assert "refusée : boîte inconnue" in shown
    # The director reads it privately: the address they have corrected in ProECO, whole.
    assert "n.lambert@sj.example.be" in shown
    (sent,) = [s for s in fake.sent()[mark:] if "Situation de Nadia Lambert" in s.all_text()]
    mark = len(fake.sent())
    assert slack.press(DIRECTOR, sent, "Adresses à corriger dans ProECO").status_code == 200
    fixes = _answer(fake, mark)
    assert "Lambert Nadia : n.lambert@sj.example.be" in fixes
    assert "Sansmail Paul : — — aucune adresse" in fixes

    # Someone of another school is nobody to this director.
    mark = len(fake.sent())
    assert slack.message(DIRECTOR, "Luc Directeur ne reçoit pas l'invitation").status_code == 200
    fake.wait_for("chat.postMessage", 1)
    assert "Situation de Luc Directeur" not in _answer(fake, mark)
    mark = len(fake.sent())
    _forged(
        slack,
        DIRECTOR,
        "diagnosis.colleague",
        json.dumps({"f": OTHER_FASE, "p": world.school.other_director}),
    )
    assert "Seule la direction de l'établissement 8765" in _answer(fake, mark)
    mark = len(fake.sent())
    _forged(
        slack,
        DIRECTOR,
        "diagnosis.colleague",
        json.dumps({"f": FASE, "p": world.school.other_director}),
    )
    assert "ne fait pas partie de votre équipe" in _answer(fake, mark)
    refused = _audited(world.db, "directors.refused")
    assert [entry.reason for entry in refused] == ["not_director", "not_in_team"]


def test_a_director_resends_to_a_colleague_whose_link_expired(
    world: World, slack: SlackClient, fake: FakeSlack
) -> None:
    invite_team(world.db, world.settings, world.school)
    world.deliver()
    age_invitation(world.db, world.school.teacher, days=world.settings.invitation_ttl_days + 1)
    mark = len(fake.sent())
    assert slack.message(DIRECTOR, "le lien de Nadia Lambert a expiré").status_code == 200
    fake.wait_for("chat.postMessage", 1)
    shown = _answer(fake, mark)
    assert "Le lien a expiré le" in shown
    (sent,) = [s for s in fake.sent()[mark:] if "Situation de Nadia Lambert" in s.all_text()]
    mark = len(fake.sent())
    assert slack.press(DIRECTOR, sent, "Renvoyer l'invitation").status_code == 200
    assert "Nadia Lambert" in _answer(fake, mark)
    raw = world.link_token(world.school.teacher_email, "Activez votre compte", "activer")
    assert activate(world.db, world.settings, raw, password=PASSWORD, confirmation=PASSWORD).ok


def test_the_team_rows_show_what_became_of_each_invitation(
    world: World, slack: SlackClient, fake: FakeSlack
) -> None:
    world.smtp.refuse[world.school.teacher_email] = "550 5.1.1 User unknown"
    invite_team(world.db, world.settings, world.school)
    world.deliver()
    shown = " ".join(_command(slack, fake, DIRECTOR, "/team").split())
    assert "refusée par le serveur : boîte inconnue" in shown
    deliver(world.db, world.settings)


def test_asked_in_a_channel_the_situation_goes_to_the_person_only(
    world: World, slack: SlackClient, fake: FakeSlack
) -> None:
    mark = len(fake.sent())
    assert slack.mention(TEACHER, "Je n'ai pas reçu l'e-mail d'invitation", channel="C0STAFF")
    _answer(fake, mark)
    shown = fake.sent()[mark:]
    public = [s for s in shown if s.kind == "post" and s.channel == "C0STAFF"]
    private = [s for s in shown if s.kind == "ephemeral"]
    assert public and all("Votre situation" not in s.all_text() for s in public)
    assert private and "Votre situation" in private[-1].all_text()
    assert private[-1].user == TEACHER
