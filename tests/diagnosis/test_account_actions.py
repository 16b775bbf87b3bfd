"""An agent's actions on a ticket requester's account, as use cases (no transport): the
person is the one the directory matches for the ticket, the rules apply, every action is
audited with the ticket and told to the requester."""

from __future__ import annotations

import re

import sqlalchemy as sa

from access.directory.models import AuditEntry
from access.persistence.database import Database
from bot.settings import Settings
from helpdesk import tickets
from helpdesk.account_action_stats import account_action_stats
from helpdesk.account_actions import act_on_account
from helpdesk.actors import Actor, Requester
from helpdesk.models import TicketEvent
from helpdesk.validation import TicketForm
from tests.diagnosis.school import FASE, School, lock_out
from tests.dialog import Dialog

AGENT = Actor("slack:UAGENT", "Alice Agent")


def _ticket(db: Database, settings: Settings, **identity: object) -> str:
    values: dict[str, object] = {
        "last_name": "Lambert",
        "first_name": "Nadia",
        "fase": FASE,
        "email": "nadia.perso@example.org",
        "category": "activation",
        "subject": "Pas reçu",
        "description": "Je n'ai rien reçu.",
        "phone": None,
        "fase_unknown": False,
    }
    values.update(identity)
    with db.transaction() as session:
        opened = tickets.open_ticket(
            session,
            settings,
            TicketForm(**values),  # type: ignore[arg-type]
            source="web",
            requester=Requester(),
            triage_enabled=True,
        )
        return opened.ticket.number


def _events(db: Database, kind: str) -> list[TicketEvent]:
    with db.session() as session:
        return list(session.scalars(sa.select(TicketEvent).where(TicketEvent.kind == kind)))


def test_reminding_the_direction_from_a_ticket_matched_by_name_and_fase(
    db: Database, settings: Settings, school: School
) -> None:
    number = _ticket(db, settings)
    with db.transaction() as session:
        result = act_on_account(session, settings, number, AGENT, "remind")
    assert result.done and result.notice is not None and not result.notice.via_slack
    with db.transaction() as session:
        again = act_on_account(session, settings, number, AGENT, "remind")
    assert not again.done and "déjà été prévenue" in again.summary
    assert len(_events(db, "account_action")) == 1
    assert len(_events(db, "account_action_refused")) == 1
    (reply,) = _events(db, "reply")  # the requester is told, by e-mail here
    assert "prévenu votre direction" in (reply.body or "")
    with db.session() as session:
        audited = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "direction.reminded")
        ).one()
    assert (audited.actor, audited.reason) == ("helpdesk:slack:UAGENT", f"ticket {number}")


def test_an_action_the_situation_does_not_call_for_is_refused(
    db: Database, settings: Settings, school: School
) -> None:
    number = _ticket(db, settings)
    with db.transaction() as session:
        result = act_on_account(session, settings, number, AGENT, "unlock")
    assert not result.done and "ne correspond plus à la situation" in result.summary
    assert not _events(db, "reply")


def test_no_action_on_an_unsure_match(db: Database, settings: Settings, school: School) -> None:
    number = _ticket(db, settings, last_name="Lambertt")  # a close name only
    with db.transaction() as session:
        result = act_on_account(session, settings, number, AGENT, "remind")
    assert not result.done and "pas reconnu avec assez de certitude" in result.summary
    assert not _events(db, "account_action") and not _events(db, "account_action_refused")


def test_a_reset_link_and_a_lifted_lock_for_an_active_requester(
    db: Database, settings: Settings, school: School
) -> None:
    from access.accounts.signin import blocked_until

    lock_out(db, school.active_email)
    number = _ticket(
        db, settings, last_name="Dupont", first_name="Marie", email=school.active_email
    )
    with db.transaction() as session:
        unlocked = act_on_account(session, settings, number, AGENT, "unlock")
        reset = act_on_account(session, settings, number, AGENT, "reset")
    assert unlocked.done and reset.done
    with db.session() as session:
        assert blocked_until(session, school.active_email) is None
        from datetime import timedelta

        from access.clock import utcnow

        # Not resolved yet: nothing counted.
        assert account_action_stats(session, utcnow() - timedelta(days=30)).resolved == 0


def test_the_console_diagnoses_for_its_agent(
    db: Database, settings: Settings, school: School
) -> None:
    # `console --agent`: whoever types is the helpdesk's agent; else, nobody is.
    helpdesk = settings.model_copy(update={"triage_channel": "CTRIAGE"})
    agent = Dialog(db, helpdesk, as_email=school.director_email, agent=True)
    shown = agent.say(f"/diagnostic {school.teacher_email}")
    assert "Situation de Nadia Lambert" in shown and "n.l***@sj.example.be" in shown
    staff = Dialog(db, helpdesk, as_email=school.active_email)
    assert "réservé aux agents" in staff.say(f"/diagnostic {school.teacher_email}")


def test_the_agents_console_shows_the_account_and_acts_on_it(
    db: Database, settings: Settings, school: School
) -> None:
    from tests.diagnosis.school import age_invitation, deliver, invite_team

    invite_team(db, settings, school)
    deliver(db, settings)
    age_invitation(db, school.teacher, days=settings.invitation_ttl_days + 2)
    number = _ticket(db, settings, email=school.teacher_email)
    helpdesk = settings.model_copy(update={"triage_channel": "CTRIAGE"})
    agent = Dialog(db, helpdesk, agent=True)
    card = agent.say(f"/tickets {number}")
    assert "== Compte ==" in card and "Le lien a expiré le" in card
    assert "reconnu·e par son adresse e-mail (sûr)" in card
    pressed = re.search(r"\[(\d+)\] Renvoyer l'invitation", card)
    assert pressed is not None
    done = agent.say(pressed.group(1))
    assert "Renvoyer l'invitation : fait." in done
    assert "elle est en cours d'envoi" in done  # the card again, as it now is
    assert len(_events(db, "account_action")) == 1
