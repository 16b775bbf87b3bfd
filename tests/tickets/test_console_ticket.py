"""Opening a ticket in the terminal console: same form, same checks, number told at once."""

from __future__ import annotations

import sqlalchemy as sa

from access.mail.outbox import deliver_due
from access.persistence.database import Database
from bot.settings import Settings
from helpdesk.models import Ticket
from tests.conftest import run_cli_smoke
from tests.dialog import Dialog, verify_dialog
from tests.smtp_server import SmtpServer
from tests.tickets.conftest import Directory


def test_a_console_walk_through_of_opening_a_ticket(
    db: Database, mail_settings: Settings, smtp_server: SmtpServer, directory: Directory
) -> None:
    dialog = Dialog(db, mail_settings, as_email=directory.person_email)
    verify_dialog(
        dialog,
        [
            (
                "/helpdesk ticket Je ne reçois pas l'e-mail d'invitation",
                ["Nom :", "[actuel : Dupont]"],
            ),
            ("", ["Prénom :", "Émilie"]),
            ("", ["5432 — Institut Saint-Joseph", "1010 — École fondamentale Sainte-Marie"]),
            ("", ["Autre N° FASE"]),
            ("54a2", ["E-mail de contact", "emilie.dupont@ecole.be"]),
            ("", ["Téléphone"]),
            ("12", ["Numéro de téléphone invalide"]),
            # Proposed from the question: the invitation did not arrive.
            ("02 511 22 33", ["Catégorie", "[actuel : Invitation (non reçue, à renvoyer)]"]),
            ("1", ["Objet", "[actuel : Je ne reçois pas l'e-mail d'invitation]"]),
            ("Invitation jamais reçue", ["Description", "Je ne reçois pas l'e-mail d'invitation"]),
            # Enter keeps the description; the form then checks the FASE typed above.
            ("", ["Le numéro FASE ne contient que des chiffres.", "[actuel : 54a2]"]),
            ("", ["Le numéro FASE ne contient que des chiffres."]),
            ("9999", ["ne figure pas dans notre annuaire", "[actuel : 9999]"]),
            ("", ["Je confirme ce numéro FASE"]),
            # Before it leaves, the FAQ's answers on the subject, and the subject asked again.
            (
                "1",
                [
                    "ces réponses de la FAQ règlent peut-être votre problème",
                    "Je n'ai pas reçu l'e-mail d'invitation, que faire ?",
                    "[actuel : Invitation jamais reçue]",
                    "!enregistrée sous le numéro",
                ],
            ),
            ("", ["Votre demande est enregistrée sous le numéro T-", "par e-mail"]),
        ],
    )
    with db.session() as session:
        ticket = session.scalars(sa.select(Ticket)).one()
    assert ticket.source == "console"
    assert (ticket.fase, ticket.fase_unknown, ticket.phone) == ("9999", True, "+32 2 511 22 33")
    assert ticket.category == "activation"  # chosen over the proposal
    assert "Je ne reçois pas l'e-mail d'invitation" in ticket.description
    # What the person was shown is on the ticket for the agents.
    assert "acces-invitation-non-recue" in ticket.proposed_faq_ids
    # No triage channel here: the help address receives it.
    deliver_due(mail_settings, db)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["help.extranet@segec.be"]]


def test_an_agent_in_the_console_lists_and_resolves(
    db: Database, settings: Settings, directory: Directory
) -> None:
    with_triage = settings.model_copy(update={"triage_channel": "CTRIAGE"})
    dialog = Dialog(db, with_triage, as_email=directory.person_email, agent=True)
    dialog.say("/helpdesk ticket")
    # The last Enter sends it past the FAQ's answers on passwords.
    dialog.fill("", "", "1", "", "", "", "3", "Mot de passe refusé", "Refusé depuis hier", "")
    with db.session() as session:
        number = session.scalars(sa.select(Ticket.number)).one()
    verify_dialog(
        dialog,
        [
            ("/tickets", [number, "Mot de passe refusé", "ouverts (1)"]),
            ("/tickets 1010", [number]),
            ("/tickets stats", ["Tickets ouverts", "Délai médian de première réponse"]),
            (
                f"/tickets {number}",
                # The console reaches no channel: the help address got the ticket.
                ["Historique", "Ticket ouvert", "Transmis par e-mail au helpdesk"],
            ),
        ],
    )


def test_the_console_command_opens_a_ticket_through_plain_pipes(
    db: Database, cli_env: dict[str, str], directory: Directory
) -> None:
    typed = "\n".join(
        # No category chosen: « Autre » is proposed, nothing in the subject says otherwise.
        ["/helpdesk ticket", "", "", "1", "", "", "", "", "Question", "Où trouver le menu ?", ""]
    )
    # The smoke test of `console` (a process on SQLite), its input through a plain pipe.
    done = run_cli_smoke(cli_env, "console", "--as", directory.person_email, stdin=typed.encode())
    assert done.returncode == 0, done.stderr.decode()
    assert "Votre demande est enregistrée sous le numéro T-" in done.stdout.decode()
    with db.session() as session:
        ticket = session.scalars(sa.select(Ticket)).one()
    assert (ticket.fase, ticket.category, ticket.source) == ("1010", "other", "console")
