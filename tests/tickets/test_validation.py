"""The ticket form's checks, shared by Slack, the console, the web form and e-mail."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from helpdesk import messages
from helpdesk.validation import check_ticket_form, normalize_phone, validate_ticket_form
from tests.tickets.conftest import Directory

VALID = {
    "last_name": "Dupont",
    "first_name": "Émilie",
    "fase": "5432",
    "email": "Emilie.Dupont@ecole.be",
    "category": "password",
    "subject": "Mot de passe refusé",
    "description": "Refusé depuis ce matin.",
}


def test_a_complete_form_has_no_error_and_comes_back_cleaned(
    session: Session, directory: Directory
) -> None:
    check = check_ticket_form({**VALID, "phone": "02 511 22 33", "fase": " 5432 "}, session)
    assert check.errors == {}
    assert check.form is not None
    assert check.form.fase == "5432"
    assert check.form.phone == "+32 2 511 22 33"
    assert check.form.fase_unknown is False


def test_every_missing_required_field_is_named(session: Session, directory: Directory) -> None:
    errors = validate_ticket_form({"phone": ""}, session)
    assert set(errors) == {
        "last_name",
        "first_name",
        "fase",
        "email",
        "subject",
        "description",
    }
    assert all(message == messages.REQUIRED for message in errors.values())


@pytest.mark.parametrize(
    ("subject", "category"),
    [
        ("Je n'ai jamais reçu l'invitation", "invitation"),
        ("Le lien d'activation a expiré", "activation"),
        ("Mot de passe refusé", "password"),
        ("Mon adresse e-mail est fausse dans l'Extranet", "email"),
        ("Accès refusé à la gestion des accès", "access"),
        ("Question sur les bulletins", "other"),
    ],
)
def test_without_a_category_one_is_proposed_from_the_subject(
    session: Session, directory: Directory, subject: str, category: str
) -> None:
    check = check_ticket_form({**VALID, "category": "", "subject": subject}, session)
    assert check.errors == {}
    assert check.form is not None and check.form.category == category


def test_the_faq_answer_shown_names_the_category_when_the_subject_does_not(
    session: Session, directory: Directory
) -> None:
    values = {**VALID, "category": "", "subject": "Toujours rien", "description": "Rien."}
    check = check_ticket_form(
        values, session, faq_topics=["Je n'ai pas reçu l'e-mail d'invitation"]
    )
    assert check.form is not None and check.form.category == "invitation"
    # A category chosen by the person is kept as chosen.
    chosen = check_ticket_form({**values, "category": "access"}, session)
    assert chosen.form is not None and chosen.form.category == "access"


def test_a_fase_is_stored_as_the_directory_writes_it(
    session: Session, directory: Directory
) -> None:
    from access.directory.models import Establishment

    session.add(Establishment(fase="00931", name="Athénée royal"))
    session.flush()
    for typed in ("931", "00931", " 0 931 ", "0931"):
        check = check_ticket_form({**VALID, "fase": typed}, session)
        assert check.form is not None and check.form.fase == "00931", typed
        assert check.form.fase_unknown is False


def test_a_fase_with_letters_is_refused(session: Session, directory: Directory) -> None:
    errors = validate_ticket_form({**VALID, "fase": "54A2"}, session)
    assert errors == {"fase": messages.FASE_NOT_DIGITS}


def test_an_unknown_fase_needs_an_explicit_confirmation(
    session: Session, directory: Directory
) -> None:
    first = check_ticket_form({**VALID, "fase": "9999"}, session)
    assert first.errors == {"fase": messages.FASE_UNKNOWN}
    assert first.fase_needs_confirmation
    # What the person typed is kept for the form shown again.
    assert first.values["fase"] == "9999"
    assert first.values["description"] == VALID["description"]

    confirmed = check_ticket_form({**VALID, "fase": "9999", "confirm_unknown_fase": "on"}, session)
    assert confirmed.errors == {}
    assert confirmed.form is not None and confirmed.form.fase_unknown is True


def test_a_known_fase_typed_without_its_leading_zeros_is_recognised(
    session: Session, directory: Directory
) -> None:
    from access.directory.models import Establishment

    session.add(Establishment(fase="00123", name="Athénée"))
    session.flush()
    assert validate_ticket_form({**VALID, "fase": "123"}, session) == {}


@pytest.mark.parametrize("address", ["emilie", "emilie@", "émilie dupont@ecole.be", "a@b"])
def test_a_malformed_email_is_refused(session: Session, directory: Directory, address: str) -> None:
    assert validate_ticket_form({**VALID, "email": address}, session) == {
        "email": messages.EMAIL_INVALID
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("02 511 22 33", "+32 2 511 22 33"),
        ("0470/12.34.56", "+32 470 12 34 56"),
        ("+32 470 12 34 56", "+32 470 12 34 56"),
        ("0032 2 511 22 33", "+32 2 511 22 33"),
        ("+33 1 23 45 67 89", "+33 1 23 45 67 89"),
        ("12", None),
        ("téléphone", None),
        ("+32 12", None),
    ],
)
def test_belgian_and_international_phone_numbers(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


def test_a_bad_phone_is_shown_next_to_the_phone_field(
    session: Session, directory: Directory
) -> None:
    assert validate_ticket_form({**VALID, "phone": "123"}, session) == {
        "phone": messages.PHONE_INVALID
    }


def test_an_unknown_category_is_refused(session: Session, directory: Directory) -> None:
    assert validate_ticket_form({**VALID, "category": "wifi"}, session) == {
        "category": messages.CATEGORY_INVALID
    }


def test_an_overlong_subject_is_refused(session: Session, directory: Directory) -> None:
    errors = validate_ticket_form({**VALID, "subject": "x" * 201}, session)
    assert errors == {"subject": messages.TOO_LONG.format(limit=200)}
