"""NUL and the other control characters in the fields of every form, over real HTTP, on
SQLite and PostgreSQL (which refuses NUL in text): a 400 that shows the form again with a
French message, or a clean handling; never a 500, and nothing stored holds one."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from access.accounts import tokens
from access.accounts.models import LoginAttempt
from access.directory.models import AccountStatus
from access.persistence.database import Base
from bot.web import messages as msg
from tests import people
from tests.web.conftest import (
    GOOD_PASSWORD,
    Site,
    account_status,
    activate,
    csrf_of,
    invitation_token,
    invited_person,
    submit,
    text_of,
)
from tests.web.test_signin import active_person

MARIE = "marie.curie@example.org"
NEW_PASSWORD = "un nouveau mot de passe solide"
# NUL (PostgreSQL refuses it), ESC (terminal sequences), DEL, and a C1 control (NEL).
CONTROLS = ["\x00", "\x1b", "\x7f", "\x85"]
CONTROL_IDS = ["NUL", "ESC", "DEL", "NEL"]
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def attempts(site: Site) -> int:
    with site.db.session() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) or 0)


def reset_token(site: Site, person_id: int) -> str:
    with site.db.transaction() as session:
        return tokens.issue(
            session,
            purpose=tokens.RESET,
            person_id=person_id,
            email=MARIE,
            ttl=timedelta(hours=1),
        )


def refused_with_form(answer: httpx.Response, action: str) -> None:
    """A 400 carrying the French message and the form again, with a fresh token."""
    assert answer.status_code == 400, answer.text[:300]
    assert msg.CONTROL_CHARACTERS in text_of(answer)
    assert re.search(f'<form method="post" action="[^"]*{re.escape(action)}"', answer.text)
    assert csrf_of(answer)
    assert not CONTROL.search(answer.text)


@pytest.mark.parametrize("char", CONTROLS, ids=CONTROL_IDS)
@pytest.mark.parametrize("field", ["username", "password"])
def test_sign_in_refuses_a_control_character_before_checking_anything(
    site: Site, field: str, char: str
) -> None:
    active_person(site)
    before = attempts(site)
    fields = {"username": MARIE, "password": GOOD_PASSWORD}
    fields[field] = fields[field][:5] + char + fields[field][5:]
    with site.client() as browser:
        answer = submit(browser, "/connexion", fields)
        refused_with_form(answer, "/connexion")
        assert f'value="{MARIE}"' in answer.text  # the address comes back, cleaned
        assert browser.get("/mon-acces").status_code == 303
    assert attempts(site) == before  # no password checked, nothing counted


@pytest.mark.parametrize("char", CONTROLS, ids=CONTROL_IDS)
def test_a_reset_request_refuses_a_control_character(site: Site, char: str) -> None:
    active_person(site)
    with site.client() as browser:
        answer = submit(
            browser, "/mot-de-passe-oublie", {"email": f"marie{char}.curie@example.org"}
        )
    refused_with_form(answer, "/mot-de-passe-oublie")
    assert 'value="marie.curie@example.org"' in answer.text
    assert attempts(site) == 0


@pytest.mark.parametrize("char", CONTROLS, ids=CONTROL_IDS)
@pytest.mark.parametrize("field", ["password", "password_confirmation", "new_email"])
def test_activation_refuses_a_control_character_and_keeps_the_link(
    site: Site, field: str, char: str
) -> None:
    person_id = invited_person(site.db)
    token = invitation_token(site.db, person_id)
    fields = {"password": GOOD_PASSWORD, "password_confirmation": GOOD_PASSWORD, "new_email": ""}
    fields[field] = fields[field] + char + "x"
    answer = activate(site, token, **fields)
    refused_with_form(answer, f"/activer/{token}")
    assert account_status(site.db, person_id)[0] == AccountStatus.INVITED.value
    assert activate(site, token).status_code == 200  # typed again, it works


@pytest.mark.parametrize("char", CONTROLS, ids=CONTROL_IDS)
@pytest.mark.parametrize("field", ["password", "password_confirmation"])
def test_a_new_password_refuses_a_control_character_and_keeps_the_link(
    site: Site, field: str, char: str
) -> None:
    person_id = active_person(site)
    token = reset_token(site, person_id)
    typed = {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD}
    with site.client() as browser:
        answer = submit(browser, f"/reinitialiser/{token}", {**typed, field: char + NEW_PASSWORD})
        refused_with_form(answer, f"/reinitialiser/{token}")
        assert submit(browser, f"/reinitialiser/{token}", typed).status_code == 200


@pytest.mark.parametrize("char", CONTROLS, ids=CONTROL_IDS)
def test_signing_out_with_a_control_character_changes_nothing(site: Site, char: str) -> None:
    active_person(site)
    with site.client() as browser:
        signed_in = submit(browser, "/connexion", {"username": MARIE, "password": GOOD_PASSWORD})
        assert signed_in.status_code == 303
        page = browser.get("/mon-acces")
        answer = browser.post(
            "/deconnexion", data={"csrf_token": csrf_of(page), "partout": f"1{char}"}
        )
        assert answer.status_code == 400 and msg.CONTROL_CHARACTERS in text_of(answer)
        assert browser.get("/mon-acces").status_code == 200


def _sign_in(site: Site) -> tuple[str, dict[str, str]]:
    return "/connexion", {"username": MARIE, "password": GOOD_PASSWORD, "remember": "on"}


def _forgot(site: Site) -> tuple[str, dict[str, str]]:
    return "/mot-de-passe-oublie", {"email": MARIE}


def _activation(site: Site) -> tuple[str, dict[str, str]]:
    person_id = invited_person(site.db, email="paul.langevin@example.org")
    token = invitation_token(site.db, person_id)
    fields = {"password": GOOD_PASSWORD, "password_confirmation": GOOD_PASSWORD}
    return f"/activer/{token}", {**fields, "new_email": "paul@example.org"}


def _reset(site: Site) -> tuple[str, dict[str, str]]:
    person_id = active_person(site, email="irene.curie@example.org")
    with site.db.transaction() as session:
        token = tokens.issue(
            session,
            purpose=tokens.RESET,
            person_id=person_id,
            email="irene.curie@example.org",
            ttl=timedelta(hours=1),
        )
    return f"/reinitialiser/{token}", {
        "password": NEW_PASSWORD,
        "password_confirmation": NEW_PASSWORD,
    }


def _confirm_email(site: Site) -> tuple[str, dict[str, str]]:
    return "/email/confirmer/not-a-real-token", {}


def _sign_out(site: Site) -> tuple[str, dict[str, str]]:
    return "/deconnexion", {"partout": "1"}


def _support(site: Site) -> tuple[str, dict[str, str]]:
    with site.db.transaction() as session:
        people.establishment(session, "5432", "Institut Saint-Joseph")
    return "/support", {
        "last_name": "Lemaître",
        "first_name": "Sophie",
        "fase": "5432",
        "email": "sophie.lemaitre@example.org",
        "phone": "+32 2 123 45 67",
        "category": "activation",
        "subject": "Pas reçu l'e-mail",
        "description": "Bonjour,\nje n'ai rien reçu.",
        "confirm_unknown_fase": "on",
        "submission_id": "0123456789abcdef",
    }


FORMS: dict[str, Callable[[Site], tuple[str, dict[str, str]]]] = {
    "sign-in": _sign_in,
    "forgot": _forgot,
    "activation": _activation,
    "reset": _reset,
    "confirm-email": _confirm_email,
    "sign-out": _sign_out,
    "support": _support,
}


def _stored_text(site: Site) -> list[str]:
    """Every text value of every table."""
    found: list[str] = []
    with site.db.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(sa.select(table)):
                found += [value for value in row if isinstance(value, str)]
    return found


@pytest.mark.parametrize("char", ["\x00", "\x1b"], ids=["NUL", "ESC"])
@pytest.mark.parametrize("form", FORMS)
def test_no_form_answers_500_to_a_control_character_in_any_field(
    site: Site, form: str, char: str
) -> None:
    """Each field in turn, the token and an unknown field too: a 4xx or a clean handling."""
    active_person(site)
    path, fields = FORMS[form](site)
    answers: dict[str, int] = {}
    with site.client() as browser:
        signed_in = submit(browser, "/connexion", {"username": MARIE, "password": GOOD_PASSWORD})
        assert signed_in.status_code == 303
        for name in [*fields, "csrf_token", "unknown"]:
            page = browser.get("/support")  # any page: the session's token is the same
            sent = {"csrf_token": csrf_of(page), **fields}
            sent[name] = sent.get(name, "x") + char + "y"
            answer = browser.post(path, data=sent)
            answers[name] = answer.status_code
            assert answer.status_code < 500, (name, answer.text[:300])
            assert not CONTROL.search(answer.text), name
    assert not [text for text in _stored_text(site) if CONTROL.search(text)]
    clean_handling = {"description"}  # a multi-line field loses them and goes on
    refused = {name: status for name, status in answers.items() if name not in clean_handling}
    assert all(400 <= status < 500 for status in refused.values()), answers
