"""The diagnosis of one person's access, on every combination that matters: the facts read,
the next step and who must take it. Real databases, the real invitations service, the real
outbox delivering to a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from access.clock import utcnow
from access.diagnosis.delivery import classify, team_notes
from access.diagnosis.explain import Topic, explain
from access.diagnosis.model import Action, Delivery, Failure, LinkState, Who
from access.diagnosis.service import diagnose
from access.directory.models import Person
from access.invitations.service import team_list
from access.mail.outbox.bounces import record_bounce
from access.mail.reports import RecipientStatus
from access.persistence.database import Database
from bot.settings import Settings
from tests import people
from tests.diagnosis.school import (
    FASE,
    OTHER_FASE,
    SCHOOL,
    School,
    age_invitation,
    deliver,
    invitation_row,
    invite_team,
    leave,
    lock_out,
)
from tests.smtp_server import SmtpServer


def _diagnose(db: Database, person_id: int, **kwargs: object):
    with db.session() as session:
        found = diagnose(session, person_id, **kwargs)  # type: ignore[arg-type]
    assert found is not None
    return found


def _facts(db: Database, person_id: int, topic: Topic = Topic.GENERAL, **kwargs: object) -> str:
    diagnosis = _diagnose(db, person_id, **kwargs)
    told = explain(diagnosis, topic, owner=True, show_addresses=True)
    return "\n".join((*told.facts, told.next_step))


def test_not_invited_when_the_direction_has_sent_nothing(db: Database, school: School) -> None:
    diagnosis = _diagnose(db, school.teacher)
    assert (diagnosis.next.action, diagnosis.next.who) == (Action.REMIND_DIRECTION, Who.DIRECTION)
    text = _facts(db, school.teacher)
    assert f"Votre direction n'a pas encore envoyé les invitations pour {SCHOOL}." in text
    assert "vous pouvez la prévenir" in text


def test_not_invited_while_the_direction_invited_others(
    db: Database, settings: Settings, school: School
) -> None:
    invite_team(db, settings, school)
    with db.transaction() as session:
        late = people.person(
            session,
            people.establishment(session, FASE),
            last_name="Tardif",
            first_name="Léa",
            email="lea.tardif@sj.example.be",
        )
        late_id = late.id
    text = _facts(db, late_id)
    assert f"a envoyé les invitations pour {SCHOOL} le" in text and "pas encore à vous" in text
    assert _diagnose(db, late_id).next.action == Action.REMIND_DIRECTION


def test_invited_and_accepted_by_the_relay_points_to_the_link(
    db: Database, mail_settings: Settings, school: School, smtp_server: SmtpServer
) -> None:
    invite_team(db, mail_settings, school)
    deliver(db, mail_settings)
    diagnosis = _diagnose(db, school.teacher)
    invitation = diagnosis.invitation
    assert invitation is not None
    assert (invitation.delivery, invitation.link) == (Delivery.ACCEPTED, LinkState.VALID)
    assert invitation.sent_by == "Claire Directrice"
    assert (diagnosis.next.action, diagnosis.next.who) == (Action.ACTIVATE, Who.PERSON)
    text = _facts(db, school.teacher, Topic.INVITATION)
    assert "Une invitation vous a été envoyée le" in text
    assert "à n.lambert@sj.example.be par Claire Directrice" in text
    assert "le serveur de messagerie l'a acceptée le" in text
    assert "Votre lien est valable jusqu'au" in text
    assert "courriers indésirables" in text


def test_refused_by_the_relay_needs_the_address_fixed_in_proeco(
    db: Database, mail_settings: Settings, school: School, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse[school.teacher_email] = "550 5.1.1 <n.lambert@sj.example.be>: User unknown"
    invite_team(db, mail_settings, school)
    deliver(db, mail_settings)
    diagnosis = _diagnose(db, school.teacher)
    assert diagnosis.invitation is not None
    assert diagnosis.invitation.delivery == Delivery.REFUSED
    assert diagnosis.invitation.failure == Failure.UNKNOWN_MAILBOX
    assert (diagnosis.next.action, diagnosis.next.who) == (
        Action.FIX_EMAIL_IN_PROECO,
        Who.SECRETARIAT,
    )
    text = _facts(db, school.teacher)
    assert "le serveur de messagerie l'a refusée : boîte inconnue." in text
    assert "Votre adresse doit être corrigée dans ProECO par le secrétariat" in text
    assert "Votre lien" not in text  # a link that reached nobody is not worth a word
    # The director's list says the same, in its own words.
    with db.session() as session:
        row = next(r for r in team_list(session, FASE).rows if r.person_id == school.teacher)
    assert row.status_label.endswith("refusée par le serveur : boîte inconnue")
    # Corrected in ProECO since: sending again may reach the person.
    with db.transaction() as session:
        person = session.get(Person, school.teacher)
        assert person is not None
        person.proeco_email = "nadia.lambert@sj.example.be"
    assert _diagnose(db, school.teacher).next.action == Action.RESEND_INVITATION


def test_bounced_after_acceptance(
    db: Database, mail_settings: Settings, school: School, smtp_server: SmtpServer
) -> None:
    invite_team(db, mail_settings, school)
    deliver(db, mail_settings)
    with db.transaction() as session:
        row = invitation_row(db, school.teacher)
        message = session.merge(row)
        record_bounce(
            session,
            message,
            RecipientStatus(
                school.teacher_email, "failed", "5.1.1", "smtp; 550 5.1.1 mailbox unknown"
            ),
        )
    diagnosis = _diagnose(db, school.teacher)
    assert diagnosis.invitation is not None
    assert diagnosis.invitation.delivery == Delivery.BOUNCED
    assert diagnosis.next.action == Action.FIX_EMAIL_IN_PROECO
    assert "elle a été acceptée, puis renvoyée le" in _facts(db, school.teacher)
    assert ": boîte inconnue." in _facts(db, school.teacher)
    with db.session() as session:
        notes = team_notes(session, [school.teacher])
    assert "non remise (renvoyée par le serveur) : boîte inconnue" in notes[school.teacher]


def test_an_expired_link_needs_a_new_invitation(
    db: Database, settings: Settings, school: School
) -> None:
    invite_team(db, settings, school)
    deliver(db, settings)
    age_invitation(db, school.teacher, days=settings.invitation_ttl_days + 2)
    diagnosis = _diagnose(db, school.teacher)
    assert diagnosis.invitation is not None and diagnosis.invitation.link == LinkState.EXPIRED
    assert (diagnosis.next.action, diagnosis.next.who) == (Action.RESEND_INVITATION, Who.PERSON)
    assert "Votre lien a expiré le" in _facts(db, school.teacher, Topic.INVITATION)
    with db.session() as session:
        row = next(r for r in team_list(session, FASE).rows if r.person_id == school.teacher)
    assert "lien expiré le" in row.status_label


def test_an_active_account_has_nothing_blocking(db: Database, school: School) -> None:
    diagnosis = _diagnose(db, school.active)
    assert (diagnosis.next.action, diagnosis.next.who) == (Action.SIGN_IN, Who.PERSON)
    text = _facts(db, school.active, Topic.SIGN_IN)
    assert "Votre compte est activé" in text
    assert f"Adresse de référence (pour se connecter) : {school.active_email}." in text


def test_no_address_in_proeco(db: Database, school: School) -> None:
    diagnosis = _diagnose(db, school.nomail)
    assert (diagnosis.next.action, diagnosis.next.who) == (
        Action.FIX_EMAIL_IN_PROECO,
        Who.SECRETARIAT,
    )
    assert "Aucune adresse e-mail n'est renseignée pour vous dans ProECO." in _facts(
        db, school.nomail
    )


def test_a_locked_account_says_until_when(db: Database, school: School) -> None:
    last = lock_out(db, school.active_email)
    diagnosis = _diagnose(db, school.active)
    assert diagnosis.locked_until is not None and diagnosis.locked_until > last
    assert diagnosis.next.action == Action.RESET_PASSWORD
    assert "Connexion bloquée jusqu'à " in _facts(db, school.active, Topic.SIGN_IN)


def test_someone_who_left(db: Database, school: School) -> None:
    leave(db, school.teacher)
    diagnosis = _diagnose(db, school.teacher)
    assert diagnosis.left and diagnosis.next.action == Action.LEFT
    text = _facts(db, school.teacher)
    assert "a quitté l'établissement le" in text
    assert "vous ne faites plus partie du personnel d'aucun établissement" in text


def test_two_schools_in_two_states(db: Database, settings: Settings, school: School) -> None:
    with db.transaction() as session:
        people.assign(session, school.teacher, people.establishment(session, OTHER_FASE), "EDU")
    invite_team(db, settings, school, fase=OTHER_FASE)
    text = _facts(db, school.teacher, Topic.SCHOOLS)
    assert f"{SCHOOL} (FASE {FASE}) : Enseignant·e" in text
    assert f"Institut Saint-Luc (FASE {OTHER_FASE}) : Éducateur·rice" in text
    diagnosis = _diagnose(db, school.teacher)
    assert diagnosis.invitation is not None and diagnosis.invitation.fase == OTHER_FASE
    assert diagnosis.invitation.sent_by == "Luc Directeur"
    assert diagnosis.next.fase == OTHER_FASE
    assert _diagnose(db, school.teacher, fase=FASE).next.fase == FASE  # the school asked about


def test_a_message_waiting_in_the_outbox_is_on_its_way(
    db: Database, settings: Settings, school: School
) -> None:
    invite_team(db, settings, school)
    diagnosis = _diagnose(db, school.teacher)
    assert diagnosis.invitation is not None
    assert diagnosis.invitation.delivery == Delivery.QUEUED
    assert (diagnosis.next.action, diagnosis.next.who) == (Action.WAIT_DELIVERY, Who.NOBODY)


def test_a_temporary_refusal_says_when_it_is_tried_again(
    db: Database, mail_settings: Settings, school: School, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse[school.teacher_email] = "452 4.2.2 Mailbox full, try later"
    invite_team(db, mail_settings, school)
    deliver(db, mail_settings)
    diagnosis = _diagnose(db, school.teacher)
    assert diagnosis.invitation is not None
    assert diagnosis.invitation.delivery == Delivery.RETRYING
    assert diagnosis.next.action == Action.WAIT_DELIVERY
    text = _facts(db, school.teacher)
    assert "ne l'a pas encore acceptée (boîte pleine), nouvel essai vers" in text


def test_addresses_are_masked_for_other_readers(
    db: Database, settings: Settings, school: School
) -> None:
    invite_team(db, settings, school)
    diagnosis = _diagnose(db, school.teacher)
    told = explain(diagnosis, owner=False, show_addresses=False)
    text = "\n".join(told.facts)
    assert "n.l***@sj.example.be" in text and school.teacher_email not in text
    assert "Une invitation a été envoyée le" in text
    assert told.title == "Situation de Nadia Lambert"


def test_a_pending_change_of_reference_address(
    db: Database, settings: Settings, school: School
) -> None:
    from access.accounts.activation import request_email_change
    from access.directory.models import Account

    with db.transaction() as session:
        account = session.scalars(
            sa.select(Account).where(Account.person_id == school.active)
        ).one()
        request_email_change(session, settings, account, "marie.perso@example.org")
    diagnosis = _diagnose(db, school.active)
    assert diagnosis.email_change_to == "marie.perso@example.org"
    assert diagnosis.next.action == Action.CONFIRM_EMAIL_CHANGE
    assert "attend votre confirmation" in _facts(db, school.active, Topic.EMAIL)


@pytest.mark.parametrize(
    ("reply", "failure"),
    [
        ("550 5.1.1 <x@y.be>: Recipient address rejected: User unknown", Failure.UNKNOWN_MAILBOX),
        ("5.1.1 smtp; 550 mailbox unavailable", Failure.UNKNOWN_MAILBOX),
        ("550 Requested action not taken: mailbox unknown", Failure.UNKNOWN_MAILBOX),
        ("550 5.1.2 Host unknown", Failure.UNKNOWN_DOMAIN),
        ("552 5.2.2 Quota exceeded", Failure.MAILBOX_FULL),
        ("552 Message size exceeds", Failure.MAILBOX_FULL),
        ("554 5.7.1 Message rejected as spam", Failure.REJECTED),
        ("550 5.2.1 Mailbox disabled", Failure.MAILBOX_DISABLED),
        ("connection failed: ConnectionRefusedError", Failure.UNREACHABLE),
        ("451 Try again later", Failure.OTHER),
    ],
)
def test_a_server_answer_is_read_as_a_reason(reply: str, failure: Failure) -> None:
    assert classify(reply) == failure


def test_the_diagnosis_of_nobody_is_none(db: Database) -> None:
    with db.session() as session:
        assert diagnose(session, 999_999) is None


def test_a_link_used_by_the_person_reads_as_used(
    db: Database, settings: Settings, school: School
) -> None:
    invite_team(db, settings, school)
    deliver(db, settings)
    with db.transaction() as session:
        from access.accounts.models import SecretToken

        token = session.scalars(
            sa.select(SecretToken).where(SecretToken.person_id == school.teacher)
        ).one()
        token.consumed_at = utcnow() - timedelta(hours=1)
    diagnosis = _diagnose(db, school.teacher)
    assert diagnosis.invitation is not None and diagnosis.invitation.link == LinkState.USED
    assert diagnosis.next.action == Action.RESEND_INVITATION
