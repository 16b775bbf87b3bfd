"""The conversation layer, driven in process through the console engine with a toy router."""

from __future__ import annotations

from datetime import date

import pytest

from access.persistence.database import Database
from bot.conversation import (
    Field,
    FieldKind,
)
from bot.conversation.forms import check_field
from bot.settings import Settings
from tests.chat.toy import toy_router
from tests.dialog import Dialog, verify_dialog


@pytest.fixture
def dialog(db: Database, settings: Settings, tmp_path) -> Dialog:
    return Dialog(
        db, settings, as_email="nobody@example.org", router=toy_router(), files_dir=tmp_path
    )


def test_commands_subcommands_and_buttons_as_numbered_choices(dialog: Dialog) -> None:
    verify_dialog(
        dialog,
        [
            ("/demo bonjour", ["« bonjour »", "[1] Oui", "[2] Supprimer"]),
            ("1", ["Réponse : yes"]),
            ("/demo T", ["Équipe", "Dupont Marie", "Compte activé"]),
            ("une question", ["Écho : une question"]),
        ],
    )


def test_a_button_with_confirmation_asks_first(dialog: Dialog) -> None:
    verify_dialog(
        dialog,
        [
            ("/demo x", ["[2] Supprimer"]),
            ("2", ["Vraiment ?", "(o/n)", "!Supprimé."]),
            ("n", ["Annulé."]),
            ("/demo x", []),
            ("2", []),
            ("o", ["Supprimé."]),
        ],
    )


def test_a_form_is_asked_field_by_field_with_the_same_checks(dialog: Dialog) -> None:
    verify_dialog(
        dialog,
        [
            ("/demo form", ["Formulaire", "Nom :", "[actuel : Dupont]"]),
            ("", ["E-mail :"]),
            ("pas-une-adresse", ["Adresse e-mail invalide", "E-mail :"]),
            ("Marie@Ecole.be", ["Téléphone (facultatif)"]),
            ("12", ["Numéro de téléphone invalide"]),
            ("02 511 22 33", ["Catégorie", "[1] Mot de passe"]),
            ("3", ["Choisissez une des propositions"]),
            ("1", ["Jusqu'au"]),
            ("31/12/2026", ["Reçu Dupont Marie@ecole.be +32 2 511 22 33 pwd 2026-12-31 test"]),
        ],
    )


def test_errors_from_the_handler_ask_again_only_the_fields_in_error(dialog: Dialog) -> None:
    dialog.say("/demo form")
    out = dialog.fill("Interdit", "a@b.be", "", "2", "")
    assert "Ce nom est refusé." in out and "Nom :" in out
    out = dialog.say("Accepté")
    assert "Reçu Accepté a@b.be None other None test" in out


def test_a_job_reports_progress_then_its_summary(dialog: Dialog) -> None:
    out = dialog.say("/demo job")
    assert "Envoi en cours…" in out
    assert "Envoi : 3 / 3" in out
    assert out.index("Envoi : 3 / 3") < out.index("Terminé : 3 envoyés.")


def test_a_failing_handler_gives_a_french_apology_not_a_crash(dialog: Dialog) -> None:
    assert "une erreur s'est produite" in dialog.say("/boom")
    assert "Je ne connais pas la commande /nope" in dialog.say("/nope")


def test_an_unknown_console_user_is_said_so(dialog: Dialog) -> None:
    assert "utilisateur inconnu" in dialog.say("/whoami")


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (FieldKind.EMAIL, " Jean.Dupont@Ecole.BE ", "Jean.Dupont@ecole.be"),
        (FieldKind.PHONE, "0470 12 34 56", "+32 470 12 34 56"),
        (FieldKind.PHONE, "+33 1 23 45 67 89", "+33 1 23 45 67 89"),
        (FieldKind.DATE, "2026-01-31", date(2026, 1, 31)),
        (FieldKind.MULTILINE, "ligne 1\nligne 2", "ligne 1\nligne 2"),
    ],
)
def test_field_values_are_cleaned_for_their_kind(
    kind: FieldKind, raw: str, expected: object
) -> None:
    assert check_field(Field("f", "F", kind), raw) == (expected, None)


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (FieldKind.EMAIL, "a@"),
        (FieldKind.PHONE, "abc"),
        (FieldKind.DATE, "31/02/2026"),
        (FieldKind.TEXT, " "),
    ],
)
def test_bad_field_values_get_a_french_message(kind: FieldKind, raw: str) -> None:
    _value, error = check_field(Field("f", "F", kind), raw)
    assert error


def test_the_console_refuses_to_speak_as_someone_not_on_file(
    db: Database, cli_env: dict[str, str]
) -> None:
    from tests import people
    from tests.conftest import run_cli

    # An empty database is named as such: the person typed is not the problem.
    empty = run_cli(cli_env, "console", "--as", "personne@nulle-part.example", text=True)
    assert empty.returncode != 0
    assert "holds no person; `extranet-bot demo` loads the demo data" in empty.stderr

    with db.transaction() as session:
        people.person(session, people.establishment(session))
    result = run_cli(cli_env, "console", "--as", "personne@nulle-part.example", text=True)
    assert result.returncode != 0
    assert "no person with the e-mail personne@nulle-part.example in the database" in (
        result.stderr
    )
