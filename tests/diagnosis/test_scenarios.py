"""The person's side of issue 18, one scenario per situation, in Slack (the real app over
signed HTTP) and at the console: the person asks, reads the facts of their situation and the
one action that fits, presses it, and what it should change changes (a new invitation
reaches the SMTP server and its link activates; a reset link works; the lock is lifted; the
directors get one message, not two)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote

import pytest

from access.accounts.activation import activate
from access.accounts.signin import blocked_until, reset_password
from access.persistence.database import Database
from bot.conversation.links import METHOD_CODE, save_link
from bot.settings import Settings
from tests.conftest import run_cli
from tests.diagnosis.drivers import ConsolePerson, SlackPerson
from tests.diagnosis.school import (
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
from tests.slack_app import serve_slack
from tests.slack_fake import FakeSlack
from tests.smtp_server import SmtpServer
from tests.tickets.inbound import raw as sample_mail

PASSWORD = "quatre tulipes bleues dansent sous la bruine"
NOMAIL_ADDRESS = "paul.sansmail@ailleurs.example"  # his chat profile's, unknown to ProECO
USERS = {"teacher": "U0NADIA", "active": "U0MARIE", "nomail": "U0PAUL"}


@dataclass
class World:
    db: Database
    settings: Settings
    smtp: SmtpServer
    school: School
    cli_env: dict[str, str]

    def deliver(self) -> None:
        deliver(self.db, self.settings)

    def mails_to(self, address: str, subject: str = "") -> list:  # type: ignore[type-arg]
        self.deliver()
        return [
            r
            for r in self.smtp.received
            if address in r.rcpt_tos and subject in str(r.message["Subject"])
        ]

    def link_token(self, address: str, subject: str, path: str) -> str:
        (latest, *_) = reversed(self.mails_to(address, subject))
        link = next(link for link in latest.links() if f"/{path}/" in link)
        return unquote(link.rsplit("/", 1)[1])


@dataclass(frozen=True)
class Situation:
    name: str
    who: str  # a key of USERS
    setup: Callable[[World], None]
    question: str
    shown: tuple[str, ...]  # what the person must read ("!…": must not)
    button: str
    # What pressing the button changed; gets the person too, to go on with a form.
    after: Callable[..., None]


# -- the situations -----------------------------------------------------------------------


def _nothing(world: World) -> None:
    return None


def _directors_told_once(
    world: World, shown: str, *_: object, about: str = "attend son invitation"
) -> None:
    assert "C'est fait" in shown and SCHOOL in shown
    reminders = world.mails_to("claire.directrice@sj.example.be", about)
    assert len(reminders) == 1
    # The other school's director is not told about someone who does not work there.
    assert not world.mails_to("luc.directeur@sl.example.be", about)


def _activates_with_the_new_link(world: World, shown: str, *_: object) -> None:
    address = world.school.teacher_email
    assert "C'est fait : votre invitation part vers" in shown
    raw = world.link_token(address, "Activez votre compte", "activer")
    result = activate(world.db, world.settings, raw, password=PASSWORD, confirmation=PASSWORD)
    assert result.ok, result.problems


def _invited_and_delivered(world: World) -> None:
    invite_team(world.db, world.settings, world.school)
    world.deliver()
    age_invitation(world.db, world.school.teacher, days=1)  # the resend cooldown is over


def _refused(world: World) -> None:
    world.smtp.refuse[world.school.teacher_email] = (
        "550 5.1.1 <n.lambert@sj.example.be>: User unknown"
    )
    invite_team(world.db, world.settings, world.school)
    world.deliver()


def _bounced(world: World) -> None:
    invite_team(world.db, world.settings, world.school)
    world.deliver()
    sent = invitation_row(world.db, world.school.teacher)
    report = sample_mail(
        "dsn_postfix.eml.tmpl", message_id=sent.message_id, recipient=world.school.teacher_email
    )
    ingested = run_cli(world.cli_env, "mail", "ingest", stdin=report, text=True)
    assert ingested.returncode == 0 and "bounce recorded" in ingested.stdout, ingested


def _expired(world: World) -> None:
    invite_team(world.db, world.settings, world.school)
    world.deliver()
    age_invitation(world.db, world.school.teacher, days=world.settings.invitation_ttl_days + 3)


def _activated(world: World) -> None:
    _invited_and_delivered(world)
    raw = world.link_token(world.school.teacher_email, "Activez votre compte", "activer")
    assert activate(world.db, world.settings, raw, password=PASSWORD, confirmation=PASSWORD).ok


def _reset_works(world: World, shown: str, *, address: str) -> None:
    assert "Un lien pour choisir un nouveau mot de passe a été envoyé" in shown
    raw = world.link_token(address, "Réinitialisation", "reinitialiser")
    new = "cinq mouettes grises planent sur la digue"
    assert reset_password(world.db, world.settings, raw, password=new, confirmation=new).ok


def _locked(world: World) -> None:
    lock_out(world.db, world.school.active_email)


def _unlocked_by_the_reset(world: World, shown: str, *_: object) -> None:
    _reset_works(world, shown, address=world.school.active_email)
    with world.db.session() as session:
        assert blocked_until(session, world.school.active_email) is None


def _left(world: World) -> None:
    leave(world.db, world.school.teacher)


def _two_schools(world: World) -> None:
    from tests import people

    with world.db.transaction() as session:
        people.assign(
            session, world.school.teacher, people.establishment(session, OTHER_FASE), "EDU"
        )
    invite_team(world.db, world.settings, world.school, fase=OTHER_FASE)
    world.deliver()
    age_invitation(world.db, world.school.teacher, days=1)


def _activates_from_the_other_school(world: World, shown: str, *_: object) -> None:
    (latest, *_) = reversed(world.mails_to(world.school.teacher_email, "Activez"))
    assert "Institut Saint-Luc" in str(latest.message["Subject"])
    _activates_with_the_new_link(world, shown)


INVITATION_QUESTION = "Je n'ai pas reçu l'e-mail d'invitation, que faire ?"

SITUATIONS = [
    Situation(
        "not_invited_direction_has_not_sent",
        "teacher",
        _nothing,
        INVITATION_QUESTION,
        (
            "Votre situation",
            f"Votre direction n'a pas encore envoyé les invitations pour {SCHOOL}.",
            "vous pouvez la prévenir",
            "!Renvoyer mon invitation",
        ),
        "Prévenir ma direction",
        _directors_told_once,
    ),
    Situation(
        "invited_and_delivered",
        "teacher",
        _invited_and_delivered,
        INVITATION_QUESTION,
        (
            "à n.lambert@sj.example.be par Claire Directrice",
            "le serveur de messagerie l'a acceptée le",
            "Votre lien est valable jusqu'au",
            "courriers indésirables",
        ),
        "Renvoyer mon invitation",
        _activates_with_the_new_link,
    ),
    Situation(
        "refused_by_the_relay",
        "teacher",
        _refused,
        INVITATION_QUESTION,
        (
            "à n.lambert@sj.example.be",
            "le serveur de messagerie l'a refusée : boîte inconnue.",
            "Votre adresse doit être corrigée dans ProECO par le secrétariat ; après la "
            "synchronisation, votre direction pourra vous renvoyer l'invitation.",
            "!Renvoyer mon invitation",
        ),
        "Prévenir ma direction",
        _directors_told_once,
    ),
    Situation(
        "bounced_later",
        "teacher",
        _bounced,
        INVITATION_QUESTION,
        ("elle a été acceptée, puis renvoyée le", ": boîte inconnue.", "corrigée dans ProECO"),
        "Prévenir ma direction",
        _directors_told_once,
    ),
    Situation(
        "link_expired",
        "teacher",
        _expired,
        "Le lien d'activation ne fonctionne plus ou a expiré, que faire ?",
        ("Votre lien a expiré le", "Il vous faut une nouvelle invitation"),
        "Renvoyer mon invitation",
        _activates_with_the_new_link,
    ),
    Situation(
        "link_used_and_account_active",
        "teacher",
        _activated,
        "J'ai oublié mon mot de passe, que faire ?",
        (
            "Votre compte est activé depuis le",
            "Adresse de référence (pour se connecter) : n.lambert@sj.example.be.",
            "!Renvoyer mon invitation",
        ),
        "M'envoyer un lien de réinitialisation",
        lambda world, shown, *_: _reset_works(world, shown, address=world.school.teacher_email),
    ),
    Situation(
        "email_missing_in_proeco",
        "nomail",
        _nothing,
        INVITATION_QUESTION,
        (
            "Aucune adresse e-mail n'est renseignée pour vous dans ProECO.",
            "Votre adresse doit être corrigée dans ProECO par le secrétariat",
        ),
        "Prévenir ma direction",
        lambda world, shown, *_: _directors_told_once(world, shown, about="Sansmail"),
    ),
    Situation(
        "account_locked",
        "active",
        _locked,
        "Mon compte est bloqué après plusieurs essais de connexion, que faire ?",
        ("Connexion bloquée jusqu'à ", "choisissez un nouveau mot de passe"),
        "M'envoyer un lien de réinitialisation",
        _unlocked_by_the_reset,
    ),
    Situation(
        "left_the_school",
        "teacher",
        _left,
        INVITATION_QUESTION,
        (
            "a quitté l'établissement le",
            "vous ne faites plus partie du personnel d'aucun établissement",
            "le secrétariat de votre école doit corriger ProECO",
            "!Renvoyer mon invitation",
            "!Prévenir ma direction",
        ),
        "Ouvrir une demande avec ce diagnostic",
        lambda *args: _ticket_form_carries_the_diagnosis(*args),  # defined below
    ),
    Situation(
        "two_schools_in_two_states",
        "teacher",
        _two_schools,
        "Je travaille dans plusieurs établissements : faut-il plusieurs comptes ?",
        (
            f"{SCHOOL} (FASE 4321) : Enseignant·e",
            f"Institut Saint-Luc (FASE {OTHER_FASE}) : Éducateur·rice",
        ),
        "Renvoyer mon invitation",
        _activates_from_the_other_school,
    ),
]


def _ticket_form_carries_the_diagnosis(
    world: World, shown: str, person: SlackPerson | ConsolePerson
) -> None:
    """The ticket form opens with the diagnosis in its description (Slack: the modal; the
    console asks field by field, so go on to the description)."""
    for _ in range(12):
        if "Diagnostic de l" in shown or not isinstance(person, ConsolePerson):
            break
        empty = "[actuel" not in shown
        answer = "4321" if "N° FASE" in shown and empty else "Accès" if "Objet" in shown else ""
        shown = person.say("1" if "[1]" in shown else answer)
    assert "Diagnostic de l" in shown and "plus partie du personnel" in shown, shown


# -- running them ------------------------------------------------------------------------


@pytest.fixture
def world(
    db: Database,
    mail_settings: Settings,
    smtp_server: SmtpServer,
    school: School,
    cli_env: dict[str, str],
) -> World:
    return World(db, mail_settings, smtp_server, school, cli_env)


def _emails(world: World) -> dict[str, str]:
    return {
        "teacher": world.school.teacher_email,
        "active": world.school.active_email,
        "nomail": NOMAIL_ADDRESS,
    }


def _link_nomail(world: World, transport: str, user_id: str) -> None:
    """Paul has no address in ProECO: he linked his chat account with a code once."""
    with world.db.transaction() as session:
        save_link(session, transport, user_id, world.school.nomail, method=METHOD_CODE)


def _check(situation: Situation, shown: str) -> None:
    flat = " ".join(shown.split())
    # What must not be offered, looked for in the situation (the FAQ's answer names buttons).
    own = flat.split("Votre situation", 1)[-1]
    for text in situation.shown:
        if text.startswith("!"):
            assert text[1:] not in own, f"{situation.name}: showed {text[1:]!r}:\n{shown}"
        else:
            assert text in flat, f"{situation.name}: did not show {text!r}:\n{shown}"


def _play(situation: Situation, world: World, person: SlackPerson | ConsolePerson) -> str:
    situation.setup(world)
    shown = person.say(situation.question)
    _check(situation, shown)
    pressed = person.press(situation.button)
    situation.after(world, pressed, person)
    return shown + "\n" + pressed


@pytest.fixture
def slack_people(world: World) -> Iterator[tuple[FakeSlack, object]]:
    with FakeSlack() as fake:
        for role, user_id in USERS.items():
            fake.add_user(user_id, email=_emails(world)[role], name=role.title())
        with serve_slack(world.settings, world.db, fake) as client:
            yield fake, client


@pytest.mark.parametrize("situation", SITUATIONS, ids=lambda s: s.name)
def test_in_slack(
    situation: Situation, world: World, slack_people: tuple[FakeSlack, object]
) -> None:
    fake, client = slack_people
    user_id = USERS[situation.who]
    if situation.who == "nomail":
        _link_nomail(world, "slack", user_id)
    _play(situation, world, SlackPerson(client, fake, user_id))  # type: ignore[arg-type]


@pytest.mark.parametrize("situation", SITUATIONS, ids=lambda s: s.name)
def test_at_the_console(situation: Situation, world: World) -> None:
    email = _emails(world)[situation.who]
    if situation.who == "nomail":
        _link_nomail(world, "console", f"console:{email}")
    _play(situation, world, ConsolePerson(world.db, world.settings, email))


def test_a_second_reminder_within_the_week_reaches_nobody(world: World) -> None:
    person = ConsolePerson(world.db, world.settings, world.school.teacher_email)
    person.say(INVITATION_QUESTION)
    first = person.press("Prévenir ma direction")
    _directors_told_once(world, first)
    again = person.say(INVITATION_QUESTION)
    # No second button; the facts say the direction was told.
    assert "Vous avez prévenu votre direction le" in again
    assert (
        "[1] Prévenir ma direction" not in again
        and "Prévenir ma direction" not in again.split("À faire")[-1]
    )
    # A button pressed from an older message is answered, and sends nothing more.
    from access.diagnosis.actions import remind_direction

    outcome = world.db.call(remind_direction, world.settings, world.school.teacher, actor="test")
    assert not outcome.done and "déjà été prévenue" in outcome.message
    assert len(world.mails_to("claire.directrice@sj.example.be", "attend son invitation")) == 1


def test_someone_not_recognised_gets_the_answer_and_the_way_to_be_recognised(
    world: World,
) -> None:
    person = ConsolePerson(world.db, world.settings, "quelquun@ailleurs.example")
    shown = person.say(INVITATION_QUESTION)
    assert "courriers indésirables" in shown  # the FAQ's own answer
    assert "/extranet lier" in shown and "Lier mon compte" in shown
    assert "Votre situation" not in shown


def test_extranet_for_someone_not_invited_offers_to_remind_the_direction(world: World) -> None:
    """Issue 17, item 19: the direction decides who is invited."""
    person = ConsolePerson(world.db, world.settings, world.school.teacher_email)
    shown = person.say("/extranet")
    assert "votre direction envoie les invitations" in shown
    assert "Renvoyer mon invitation" not in shown
    _directors_told_once(world, person.press("Prévenir ma direction"))
