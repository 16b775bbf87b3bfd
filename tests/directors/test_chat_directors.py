"""Directors in chat, in process: the team screen, sending, re-sending, refusals, mission access."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from access.directory.grants import live_grants
from access.directory.models import (
    Account,
    AccountStatus,
    AuditEntry,
    Establishment,
    MissionGrant,
    Person,
)
from access.directory.profiles import Profiles
from access.mail.outbox import OutboxMessage, OutboxStatus
from access.persistence.database import Database
from bot.conversation.features import directors_views as views
from bot.conversation.replies import MessageRef
from bot.settings import Settings
from tests import people
from tests.directors import factories
from tests.directors.chat import DirectorChat

FASE = "01234"
OTHER = "05678"


@pytest.fixture
def school(db: Database) -> factories.School:
    with db.transaction() as session:
        built = factories.school(session, FASE, staff=6)
        factories.person(session, FASE, last_name="Sansadresse", first_name="Léa", email=None)
        factories.person(
            session, FASE, last_name="Malécrit", first_name="Tom", email="tom@", email_valid=False
        )
        factories.school(session, OTHER, staff=2, director_last_name="Martin")
    return built


@pytest.fixture
def chat(db: Database, settings: Settings, school: factories.School) -> DirectorChat:
    return DirectorChat(db, settings, school.director_id)


def invitations_per_person(db: Database) -> dict[int, int]:
    with db.session() as session:
        rows = session.execute(
            sa.select(OutboxMessage.person_id, sa.func.count())
            .where(OutboxMessage.kind == "invitation")
            .group_by(OutboxMessage.person_id)
        )
        return {pid: n for pid, n in rows}


def refusals(db: Database) -> list[AuditEntry]:
    with db.session() as session:
        return list(
            session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "directors.refused"))
        )


def test_invite_team_shows_the_sheet_screen_with_counts_and_people_to_fix(
    chat: DirectorChat,
) -> None:
    out = chat.command("/invite-team")
    text = out.text
    assert "Accès de mon équipe à l'Extranet — École 01234 (FASE 01234)" in text
    assert "Recevront un email d'invitation : 6" in " ".join(text.split())
    assert "Compte activé : 1" in " ".join(text.split())
    assert "À corriger dans ProECO, puis renvoyer" in text
    assert "Sansadresse Léa — (aucune adresse)" in text and "Malécrit Tom — tom@" in text
    table = next(b for m in out.messages for b in m.blocks if isinstance(b, views.Table))
    assert table.columns[0] == "Statut" and table.columns[3].startswith(
        "E-mail renseigné dans ProECO (le mail d'invitation sera envoyé à cette adresse)"
    )
    assert (
        "Recevra un email d'invitation",
        "Prof01234x000 Sam",
        "Enseignant-e",
        "sam.prof01234x000@ecole01234.be",
    ) in table.rows
    labels = [b.label for m in out.messages for b in m.buttons]
    assert "Envoyer les emails d'invitation destinés à mon équipe (6)" in labels
    assert not any(label.startswith("Renvoyer") for label in labels)


def test_large_team_is_paginated_and_the_csv_holds_everyone(
    db: Database, chat: DirectorChat
) -> None:
    with db.transaction() as session:
        for i in range(310):
            factories.person(session, FASE, last_name=f"Zz{i:03d}", first_name="=Eve")
    first = chat.command("/invite-team")
    table = next(b for m in first.messages for b in m.blocks if isinstance(b, views.Table))
    assert len(table.rows) == views.TEAM_PAGE_SIZE
    assert "Page 1 / 13 — 319 personne(s)" in first.text
    second = chat.press(*first.button("Page suivante"))
    assert "Page 2 / 13" in second.text
    assert second.messages[0].replace is True
    page_two = next(b for m in second.messages for b in m.blocks if isinstance(b, views.Table))
    assert set(page_two.rows).isdisjoint(table.rows)
    export = chat.press(*first.button("Télécharger la liste complète"))
    (file,) = export.files
    rows = list(csv.reader(io.StringIO(file.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 + 319
    assert all(row[2] == "'=Eve" for row in rows if row[1].startswith("Zz"))


def test_send_is_acknowledged_then_shows_progress_and_a_summary(
    db: Database, chat: DirectorChat
) -> None:
    listing = chat.command("/invite-team")
    out = chat.press(*listing.button("Envoyer les emails"))
    assert "Envoi des invitations en cours" in out.text
    assert out.progress.reports[-1] == (6, 6)
    assert out.progress.reports == sorted(out.progress.reports)
    summary = " ".join(out.text.split())
    assert "Emails d'invitation envoyés : 6" in summary
    assert "Sansadresse Léa — Adresse e-mail manquante ou invalide" in summary
    assert out.messages[-1].replace is True
    assert sorted(invitations_per_person(db).values()) == [1] * 6
    again = chat.command("/invite-team")
    assert "Invitation envoyée le" in again.text
    # Within the cooldown nobody would get a reminder now: no « Renvoyer (6) » promised, and
    # the six are named with the reason.
    labels = [b.label for m in again.messages for b in m.buttons]
    assert not any(label.startswith("Renvoyer aux personnes") for label in labels)
    assert "Ne recevront pas d'e-mail si vous envoyez maintenant" in again.text
    assert again.text.count("Invitation envoyée il y a moins de 3 minutes") == 6


def test_pressing_send_twice_on_the_same_list_sends_each_person_once(
    db: Database, chat: DirectorChat
) -> None:
    listing = chat.command("/invite-team")
    where = MessageRef("D1", "42.000")
    chat.press(*listing.button("Envoyer les emails"), on=where)
    second = chat.press(*listing.button("Envoyer les emails"), on=where)
    assert "Cet envoi a déjà été fait" in second.text or "envoyés : 6" in " ".join(
        second.text.split()
    )
    assert sorted(invitations_per_person(db).values()) == [1] * 6


def test_twenty_simultaneous_presses_by_two_directors_send_one_email_each(
    db: Database, settings: Settings, school: factories.School
) -> None:
    with db.transaction() as session:
        second = factories.person(
            session,
            FASE,
            last_name="Adjointe",
            first_name="Nora",
            function_code="direction",
            status=AccountStatus.ACTIVE,
        ).id
    directors = [
        DirectorChat(db, settings, school.director_id, "U1"),
        DirectorChat(db, settings, second, "U2"),
    ]
    listings = [d.command("/invite-team") for d in directors]
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def press(i: int) -> None:
        chat, listing = directors[i % 2], listings[i % 2]
        try:
            barrier.wait()
            chat.press(*listing.button("Envoyer les emails"), on=MessageRef("D1", f"{i % 5}.1"))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=press, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sorted(invitations_per_person(db).values()) == [1] * 6


def test_resend_reaches_only_those_who_have_not_activated(
    db: Database, settings: Settings, school: factories.School
) -> None:
    settings.invitation_cooldown_seconds = 0
    chat = DirectorChat(db, settings, school.director_id)
    chat.press(*chat.command("/invite-team").button("Envoyer les emails"))
    activated = school.staff_ids[:2]
    with db.transaction() as session:
        for pid in activated:
            account = session.scalars(sa.select(Account).where(Account.person_id == pid)).one()
            account.status = AccountStatus.ACTIVE.value
            account.activated_at = datetime.now(UTC)
    listing = chat.command("/invite-team")
    out = chat.press(*listing.button("Renvoyer aux personnes"))
    assert "Emails d'invitation envoyés : 4" in " ".join(out.text.split())
    counts = invitations_per_person(db)
    assert [counts[pid] for pid in activated] == [1, 1]
    assert sorted(counts[pid] for pid in school.staff_ids[2:]) == [2, 2, 2, 2]


def test_delivery_failure_from_the_outbox_appears_on_the_list(
    db: Database, chat: DirectorChat, school: factories.School
) -> None:
    chat.press(*chat.command("/invite-team").button("Envoyer les emails"))
    with db.transaction() as session:
        row = session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.person_id == school.staff_ids[0])
        ).one()
        row.status = OutboxStatus.FAILED.value
        row.last_error = "550 5.1.1 Mailbox unknown"
    text = chat.command("/invite-team").text
    # The list says what the server said, in the director's words (the cell wraps).
    assert "refusée par le" in text and "serveur : boîte inconnue" in text
    assert "Échecs d'envoi : 1" in " ".join(text.split())


# -- refusals -----------------------------------------------------------------------------


def _make(db: Database, school: factories.School, who: str) -> int | None:
    with db.transaction() as session:
        if who == "unknown user":
            return None
        if who == "teacher":
            return school.staff_ids[0]
        if who == "director of another school":
            return session.scalars(sa.select(Person.id).where(Person.last_name == "Martin")).one()
        director = session.get(Person, school.director_id)
        assert director is not None
        if who == "director who left":
            director.left_at = datetime.now(UTC)
            director.assignments[0].ended_at = datetime.now(UTC)
        elif who == "disabled director":
            assert director.account is not None
            director.account.status_before_disable = director.account.status
            director.account.status = AccountStatus.DISABLED.value
        return school.director_id


REFUSALS = [
    ("unknown user", "Je ne vous reconnais pas"),
    ("teacher", "Seule la direction"),
    ("director of another school", "Seule la direction"),
    ("director who left", "ne faites plus partie"),
    ("disabled director", "désactivé"),
]


@pytest.mark.parametrize(("who", "expected"), REFUSALS, ids=[case[0] for case in REFUSALS])
def test_refused_requests_change_nothing_and_are_audited(
    db: Database, settings: Settings, school: factories.School, who: str, expected: str
) -> None:
    person_id = _make(db, school, who)
    chat = DirectorChat(db, settings, person_id, "U9")
    target = school.staff_ids[1]
    attempts = [
        chat.command("/invite-team", FASE),
        chat.press(views.ACTION_SEND, views.encode(f=FASE, m="new", n="x")),
        chat.press(views.ACTION_SEND, views.encode(f=FASE, m="resend", n="x")),
        chat.press(views.ACTION_PAGE, views.encode(f=FASE, p=2)),
        chat.press(views.ACTION_CSV, views.encode(f=FASE)),
        chat.press(views.ACTION_RESEND_ONE, views.encode(f=FASE, p=target)),
        chat.press(views.ACTION_ACCESS, views.encode(f=FASE, p=target)),
        chat.press(views.ACTION_ADD_GRANT, views.encode(f=FASE, p=target)),
        chat.command("/team", FASE),
    ]
    form = views.grant_form(
        fase=FASE, person_id=target, name="x", function_label="x", profiles=_profiles(settings)
    )
    attempts.append(chat.submit(form, {"mission": "Coordination", "resources": ["actualites"]}))
    for attempt in attempts:
        assert expected in attempt.text, attempt.text
        assert attempt.files == [] and attempt.forms == []
        assert "Prof01234" not in attempt.text
    assert invitations_per_person(db) == {}
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(MissionGrant)) == 0
    audited = refusals(db)
    assert len(audited) == len(attempts)
    assert {entry.actor for entry in audited} == {
        f"person:{person_id}" if person_id else "slack:U9"
    }


def _profiles(settings: Settings) -> Profiles:
    from access.directory.profiles import default_profiles

    return default_profiles(settings.profiles_file)


def test_forged_payloads_naming_another_school_or_person_are_refused(
    db: Database, chat: DirectorChat
) -> None:
    with db.session() as session:
        stranger = session.scalars(
            sa.select(Person.id).where(Person.last_name == "Prof05678x000")
        ).one()
    outs = [
        chat.press(views.ACTION_SEND, views.encode(f=OTHER, m="new", n="x")),
        chat.press(views.ACTION_RESEND_ONE, views.encode(f=FASE, p=stranger)),
        chat.press(views.ACTION_ACCESS, views.encode(f=FASE, p=stranger)),
        chat.press(views.ACTION_SEND, "not json"),
        chat.press(views.ACTION_SEND, views.encode(f="01234; DROP", m="new")),
    ]
    assert "Seule la direction de l'établissement 05678" in outs[0].text
    assert "ne fait pas partie" in outs[1].text and "ne fait pas partie" in outs[2].text
    assert "n'est plus valable" in outs[3].text and "n'est plus valable" in outs[4].text
    assert invitations_per_person(db) == {}
    assert len(refusals(db)) == 5


def test_a_teacher_typing_invite_team_is_told_it_is_for_directors(
    db: Database, settings: Settings, school: factories.School
) -> None:
    out = DirectorChat(db, settings, school.staff_ids[0]).command("/invite-team")
    assert "réservée aux directions" in out.text


def test_director_of_several_schools_chooses_one(
    db: Database, settings: Settings, school: factories.School
) -> None:
    with db.transaction() as session:
        director = session.get(Person, school.director_id)
        assert director is not None
        third = factories.establishment(session, "09999", "Athénée du Centre")
        people.assign(session, director.id, third, "direction")
    chat = DirectorChat(db, settings, school.director_id)
    out = chat.command("/invite-team")
    assert "Vous dirigez plusieurs établissements" in out.text
    chosen = chat.press(*out.button("Athénée du Centre (FASE 09999)"))
    assert "Athénée du Centre (FASE 09999)" in chosen.text
    assert "Aucun membre du personnel" not in chosen.text


def test_team_filters_by_status_function_and_name(
    db: Database, chat: DirectorChat, school: factories.School
) -> None:
    assert "Filtre : activé — 1 personne(s)" in chat.command("/team", "activé").text
    to_fix = chat.command("/team", f"{FASE} à corriger").text
    assert "Sansadresse" in to_fix and "Prof01234" not in to_fix
    by_function = chat.command("/team", "direction").text
    assert "Dupont Claire" in by_function and "Prof01234" not in by_function
    by_name = chat.command("/team", "x003")
    assert "Prof01234x003" in by_name.text and "Prof01234x004" not in by_name.text
    resent = chat.press(*by_name.button("Renvoyer l'invitation"))
    assert "Invitation renvoyée à Sam Prof01234x003" in resent.text
    assert invitations_per_person(db) == {school.staff_ids[3]: 1}


# -- mission access -----------------------------------------------------------------------


def test_director_adds_and_removes_a_mission_grant_in_chat(
    db: Database, chat: DirectorChat, school: factories.School
) -> None:
    view = chat.command("/access", "x001")
    assert "Selon sa fonction dans ProECO (Enseignant-e)" in view.text
    assert "Aucun accès de mission." in view.text
    form = chat.press(*view.button("Ajouter un accès de mission")).forms[0]
    empty = chat.submit(form, {"mission": "", "resources": ["comptabilite"]})
    assert "intitulé de la mission" in empty.form_errors["mission"]
    added = chat.submit(
        form,
        {
            "mission": "Coordination pédagogique",
            "resources": ["comptabilite", "statistiques"],
            "ends_on": datetime(2099, 6, 30).date(),
            "reason": "Projet lecture",
        },
    )
    text = added.text
    assert "Accès de mission « Coordination pédagogique » ajouté pour Sam Prof01234x001" in text
    assert "Comptabilité et gestion financière" in text
    assert "Accordé par Claire Dupont le" in text and "jusqu'au 30/06/2099 inclus" in text
    assert "Motif : Projet lecture" in text  # the reason typed is shown in the list
    with db.session() as session:
        assert len(live_grants(session, school.staff_ids[1])) == 1
    # Removing asks for a reason first; nothing is removed until it is given.
    asked = chat.press(*added.button("Retirer « Coordination pédagogique »"))
    [remove_form] = asked.forms
    assert "perdra à l'instant les accès de la mission « Coordination pédagogique »" in str(
        remove_form.intro
    )
    with db.session() as session:
        assert len(live_grants(session, school.staff_ids[1])) == 1
    assert chat.submit(remove_form, {"reason": " "}).form_errors == {
        "reason": "Ce champ est obligatoire."
    }
    removed = chat.submit(remove_form, {"reason": "Fin du projet lecture"})
    assert "retiré pour Sam Prof01234x001" in removed.text
    assert "Aucun accès de mission." in removed.text
    with db.session() as session:
        assert live_grants(session, school.staff_ids[1]) == []
        audited = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "mission_grant.removed")
        ).one()
    assert audited.reason == "Fin du projet lecture"


def test_director_cannot_grant_to_themselves_in_chat(
    db: Database, chat: DirectorChat, school: factories.School
) -> None:
    view = chat.press(views.ACTION_ACCESS, views.encode(f=FASE, p=school.director_id))
    # Not offered on one's own row…
    assert "Ajouter un accès de mission" not in [b.label for m in view.messages for b in m.buttons]
    assert "un accès de mission ne se donne pas à soi-même" in view.text
    # …and a forged press is refused when the form would open, not after it was filled.
    opened = chat.press(views.ACTION_ADD_GRANT, views.encode(f=FASE, p=school.director_id))
    assert opened.forms == [] and "vous-même" in opened.text
    form = views.grant_form(
        fase=FASE,
        person_id=school.director_id,
        name="x",
        function_label="x",
        profiles=_profiles(chat.settings),
    )
    out = chat.submit(form, {"mission": "Auto", "resources": ["comptabilite"]})
    assert "vous-même" in out.text
    assert len(refusals(db)) == 2


def test_a_second_director_sees_the_running_send_instead_of_starting_one(
    db: Database, chat: DirectorChat, school: factories.School
) -> None:
    from access.invitations import jobs

    with db.session() as session:
        establishment_id = session.scalar(
            sa.select(Establishment.id).where(Establishment.fase == FASE)
        )
    assert establishment_id is not None
    running = jobs.claim(
        db,
        establishment_id=establishment_id,
        fase=FASE,
        mode="new",
        idempotency_key="another-director-press",
        actor_person_id=school.director_id,
    )
    jobs.report(db, running.job.id, 120, 300)
    out = chat.press(*chat.command("/invite-team").button("Envoyer les emails"))
    assert "Un envoi d'invitations est déjà en cours pour cet établissement : 120 / 300" in out.text
    assert invitations_per_person(db) == {}
    jobs.finish(db, running.job.id, {"sent": 300, "skipped": [], "failed": []})
    refreshed = chat.press(*out.button("Actualiser"))
    assert "Emails d'invitation envoyés : 300" in " ".join(refreshed.text.split())
