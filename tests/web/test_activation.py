"""Activating an account from the invitation link, over real HTTP, with real mails."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from access import messages as msg
from access.accounts import tokens
from access.directory.models import AccountStatus, AuditEntry, Person
from tests.web.conftest import (
    GOOD_PASSWORD,
    Site,
    account_status,
    activate,
    invitation_token,
    invited_person,
    link_in,
    path_of,
    sign_in,
    submit,
    text_of,
)


def test_opening_the_link_shows_the_form_and_spends_nothing(site: Site) -> None:
    person_id = invited_person(site.db)
    token = invitation_token(site.db, person_id)
    with site.client() as browser:
        for _ in range(3):  # a mail scanner, then the person, then a reload
            page = browser.get(f"/activer/{token}")
            assert page.status_code == 200
            assert "Bonjour Marie Curie" in text_of(page)
            assert 'name="password"' in text_of(page) and 'name="password_confirmation"' in text_of(
                page
            )
    assert account_status(site.db, person_id) == (
        AccountStatus.INVITED.value,
        "marie.curie@example.org",
    )
    assert activate(site, token).status_code == 200


def test_submitting_the_form_activates_the_account_once(site: Site) -> None:
    person_id = invited_person(site.db)
    token = invitation_token(site.db, person_id)
    path = f"/activer/{token}"
    fields = {"password": GOOD_PASSWORD, "password_confirmation": GOOD_PASSWORD}

    with site.client() as browser:
        first_tab, second_tab = browser.get(path), browser.get(path)
        done = submit(browser, path, fields, page=first_tab)
        again = submit(browser, path, fields, page=second_tab)

    assert done.status_code == 200
    assert msg.ACCOUNT_ACTIVATED in text_of(done)
    # The second tab's form spends nothing: it says the account is already active.
    assert again.status_code == 200
    assert msg.ACCOUNT_ALREADY_ACTIVE in text_of(again)
    assert account_status(site.db, person_id) == (
        AccountStatus.ACTIVE.value,
        "marie.curie@example.org",
    )
    (confirmation,) = site.deliver(1)
    assert confirmation.rcpt_tos == ["marie.curie@example.org"]
    assert "Votre compte Extranet est activé" in confirmation.text()
    with site.client() as browser:
        assert sign_in(browser, "marie.curie@example.org", GOOD_PASSWORD).status_code == 303


@pytest.mark.parametrize(
    ("password", "confirmation", "expected"),
    [
        ("court", "court", msg.PASSWORD_TOO_SHORT.format(minimum=12)),
        ("motdepasse123", "motdepasse123", msg.PASSWORD_TOO_COMMON),
        ("Marie Curie 1867!", "Marie Curie 1867!", msg.PASSWORD_CONTAINS_NAME),
        ("CURIE-marie-1898", "CURIE-marie-1898", msg.PASSWORD_CONTAINS_NAME),
        ("qwertyuiopas", "qwertyuiopas", msg.PASSWORD_KEYBOARD),
        ("saintjosephecole", "saintjosephecole", msg.PASSWORD_CONTAINS_SCHOOL),
        ("extranet2026!", "extranet2026!", msg.PASSWORD_CONTAINS_PRODUCT),
        (" " * 12, " " * 12, msg.PASSWORD_TOO_SHORT.format(minimum=12)),
        ("\u200b" * 12, "\u200b" * 12, msg.PASSWORD_TOO_SHORT.format(minimum=12)),
        ("cheval agrafe batterie", "cheval agrafe batterie!", msg.PASSWORD_MISMATCH),
        ("x" * 129, "x" * 129, msg.PASSWORD_TOO_LONG.format(maximum=128)),
    ],
)
def test_a_refused_password_keeps_the_link_usable(
    site: Site, password: str, confirmation: str, expected: str
) -> None:
    person_id = invited_person(site.db)
    token = invitation_token(site.db, person_id)
    with site.client() as browser:
        page = submit(
            browser,
            f"/activer/{token}",
            {"password": password, "password_confirmation": confirmation},
        )
    assert page.status_code == 400
    assert expected in text_of(page)
    assert 'role="alert"' in text_of(page)
    assert account_status(site.db, person_id)[0] == AccountStatus.INVITED.value
    assert activate(site, token).status_code == 200


def test_the_page_says_in_french_what_makes_a_password_weak(site: Site) -> None:
    person_id = invited_person(site.db, school_name="Institut Saint-Joseph Namur")
    token = invitation_token(site.db, person_id)
    with site.client() as browser:
        walk = submit(
            browser,
            f"/activer/{token}",
            {"password": "qwertyuiopas", "password_confirmation": "qwertyuiopas"},
        )
        school = submit(
            browser,
            f"/activer/{token}",
            {"password": "saintjosephnamur", "password_confirmation": "saintjosephnamur"},
        )
    assert walk.status_code == 400
    assert "Trop prévisible : une suite du clavier" in text_of(walk)
    assert school.status_code == 400
    assert "contient le nom de votre école" in text_of(school)
    for page in (walk, school):
        assert "refused" not in text_of(page).lower()
        assert "is similar to" not in text_of(page)  # zxcvbn's English never shows
    assert account_status(site.db, person_id)[0] == AccountStatus.INVITED.value


def test_a_greeting_that_contains_her_name_inside_a_word_activates_annes_account(
    site: Site,
) -> None:
    passphrase = "bonne année à toute l'équipe"
    person_id = invited_person(
        site.db, email="anne.lambert@example.org", first_name="Anne", last_name="Lambert"
    )
    token = invitation_token(site.db, person_id)
    page = activate(site, token, passphrase)
    assert page.status_code == 200, text_of(page)
    assert account_status(site.db, person_id) == (
        AccountStatus.ACTIVE.value,
        "anne.lambert@example.org",
    )
    with site.client() as browser:
        assert sign_in(browser, "anne.lambert@example.org", passphrase).status_code == 303


def _invalid_page(site: Site, token: str) -> tuple[int, str]:
    with site.client() as browser:
        page = browser.get(f"/activer/{token}")
    # The CSRF token differs per visitor; everything else must be identical.
    return page.status_code, re.sub(r'value="[^"]*"', "", text_of(page))


def test_unknown_expired_used_and_revoked_links_get_the_same_page(site: Site) -> None:
    used_id = invited_person(site.db, email="used@example.org", fase="1001")
    used = invitation_token(site.db, used_id)
    assert activate(site, used).status_code == 200
    # Used, and the account since disabled: no « déjà activé » page for it.
    with site.db.transaction() as session:
        person = session.get(Person, used_id)
        assert person is not None and person.account is not None
        person.account.status = AccountStatus.DISABLED.value
    expired_id = invited_person(site.db, email="expired@example.org", fase="1002")
    expired = invitation_token(site.db, expired_id, ttl=timedelta(seconds=-1))
    revoked_id = invited_person(site.db, email="revoked@example.org", fase="1003")
    revoked = invitation_token(site.db, revoked_id)
    with site.db.transaction() as session:
        tokens.revoke_for_person(session, revoked_id, reason="resent")
    unknown = "A" * 43

    pages = {
        name: _invalid_page(site, raw)
        for name, raw in [
            ("unknown", unknown),
            ("expired", expired),
            ("used", used),
            ("revoked", revoked),
        ]
    }

    assert len(set(pages.values())) == 1, pages.keys()
    status, text = pages["unknown"]
    assert status == 404
    assert "Demandez à votre direction de vous renvoyer l'invitation" in text


def test_a_post_without_the_csrf_token_is_refused_and_spends_nothing(site: Site) -> None:
    person_id = invited_person(site.db)
    token = invitation_token(site.db, person_id)
    with site.client() as browser:
        browser.get(f"/activer/{token}")
        forged = browser.post(
            f"/activer/{token}",
            data={"password": GOOD_PASSWORD, "password_confirmation": GOOD_PASSWORD},
        )
        wrong = browser.post(
            f"/activer/{token}",
            data={
                "password": GOOD_PASSWORD,
                "password_confirmation": GOOD_PASSWORD,
                "csrf_token": "not-the-token",
            },
        )
    assert forged.status_code == 403 and wrong.status_code == 403
    assert "Ce formulaire a expiré" in text_of(forged)
    assert account_status(site.db, person_id)[0] == AccountStatus.INVITED.value


def test_token_pages_are_not_cached_and_send_no_referrer(site: Site) -> None:
    person_id = invited_person(site.db)
    token = invitation_token(site.db, person_id)
    with site.client() as browser:
        pages = [
            browser.get(f"/activer/{token}"),
            browser.get("/activer/unknown-token"),
            browser.get("/reinitialiser/unknown-token"),
            browser.get("/email/confirmer/unknown-token"),
        ]
    for page in pages:
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    cookie = pages[0].headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # PUBLIC_BASE_URL is http:// in this test


def test_choosing_another_address_waits_for_its_confirmation(site: Site) -> None:
    person_id = invited_person(site.db)
    token = invitation_token(site.db, person_id)

    done = activate(site, token, new_email="marie@perso.example")

    assert done.status_code == 200
    assert "marie@perso.example" in text_of(done)
    assert account_status(site.db, person_id) == (
        AccountStatus.ACTIVE.value,
        "marie.curie@example.org",
    )
    site.deliver(3)
    (confirmation,) = site.mails_to("marie@perso.example")
    notices = site.mails_to("marie.curie@example.org")
    assert len(notices) == 2  # activation confirmation + notice of the requested change
    assert any("m…@perso.example" in notice.text() for notice in notices)
    link = link_in(confirmation, "/email/confirmer/")
    assert link.startswith(site.url)

    with site.client() as browser:
        page = browser.get(path_of(link))
        assert page.status_code == 200 and "Confirmer cette adresse" in text_of(page)
        assert account_status(site.db, person_id)[1] == "marie.curie@example.org"
        confirmed = submit(browser, path_of(link), {}, page=page)
    assert confirmed.status_code == 200
    assert "marie@perso.example" in text_of(confirmed)
    assert account_status(site.db, person_id)[1] == "marie@perso.example"
    with site.client() as browser:
        assert sign_in(browser, "marie@perso.example", GOOD_PASSWORD).status_code == 303
    with site.client() as browser:
        assert sign_in(browser, "marie.curie@example.org", GOOD_PASSWORD).status_code == 401
        assert browser.get(path_of(link)).status_code == 404  # single use


def test_an_address_of_another_account_is_refused(site: Site) -> None:
    invited_person(site.db, email="taken@example.org", first_name="Paul", last_name="Durand")
    person_id = invited_person(site.db, fase="5678")
    token = invitation_token(site.db, person_id)

    page = activate(site, token, new_email="TAKEN@example.org")

    assert page.status_code == 400
    assert "déjà utilisée par un autre compte" in text_of(page)
    assert account_status(site.db, person_id)[0] == AccountStatus.INVITED.value


def test_a_link_holder_cannot_probe_which_addresses_have_an_account(site: Site) -> None:
    """« déjà utilisée » stays (the person must know why, as in Keycloak), but a form sent back
    does not spend the link: past a few addresses an hour, none is checked any more, taken or
    not, while activating with the proposed address still works."""
    invited_person(site.db, email="taken@example.org", first_name="Paul", last_name="Durand")
    person_id = invited_person(site.db, fase="5678")
    token = invitation_token(site.db, person_id)
    weak = {"password": "court", "password_confirmation": "court"}

    def try_address(address: str) -> str:
        with site.client() as browser:
            page = submit(browser, f"/activer/{token}", {**weak, "new_email": address})
        assert page.status_code == 400
        return text_of(page)

    answers = [try_address(f"essai{n}@example.org") for n in range(4)]
    assert all("déjà utilisée" not in answer for answer in answers)
    assert "déjà utilisée par un autre compte" in try_address("taken@example.org")
    probing = try_address("taken@example.org")
    assert "déjà utilisée" not in probing
    assert msg.EMAIL_CHOICES_TOO_MANY in probing
    assert msg.EMAIL_CHOICES_TOO_MANY in try_address("libre@example.org")
    assert activate(site, token).status_code == 200
    assert account_status(site.db, person_id) == (
        AccountStatus.ACTIVE.value,
        "marie.curie@example.org",
    )


def test_an_invalid_new_address_is_refused(site: Site) -> None:
    person_id = invited_person(site.db)
    token = invitation_token(site.db, person_id)
    page = activate(site, token, new_email="pas une adresse")
    assert page.status_code == 400
    assert "n'est pas valide" in text_of(page)


def test_two_simultaneous_submissions_of_one_link_activate_once(site: Site) -> None:
    person_id = invited_person(site.db)
    token = invitation_token(site.db, person_id)
    path = f"/activer/{token}"
    passwords = ["premier mot de passe solide", "second mot de passe solide"]
    browsers = [site.client(), site.client()]
    pages = [browser.get(path) for browser in browsers]
    answers: dict[int, tuple[int, str]] = {}

    def post(index: int) -> None:
        fields = {"password": passwords[index], "password_confirmation": passwords[index]}
        answer = submit(browsers[index], path, fields, page=pages[index])
        answers[index] = answer.status_code, text_of(answer)

    threads = [threading.Thread(target=post, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for browser in browsers:
        browser.close()

    assert [status for status, _text in answers.values()] == [200, 200]
    said = sorted(msg.ACCOUNT_ACTIVATED in text for _status, text in answers.values())
    assert said == [False, True]
    loser = next(text for _status, text in answers.values() if msg.ACCOUNT_ACTIVATED not in text)
    assert msg.ACCOUNT_ALREADY_ACTIVE in loser
    winner = next(
        passwords[index] for index, (_s, text) in answers.items() if msg.ACCOUNT_ACTIVATED in text
    )
    with site.client() as browser:
        assert sign_in(browser, "marie.curie@example.org", winner).status_code == 303
    with site.db.transaction() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "account.activated")
        ).all()
    assert actions == ["account.activated"]


def test_a_link_sent_to_an_address_no_longer_the_persons_does_not_activate(site: Site) -> None:
    person_id = invited_person(site.db)
    token = invitation_token(site.db, person_id)
    # ProECO corrected the address behind the link's back (no revocation ran).
    with site.db.transaction() as session:
        person = session.get(Person, person_id)
        assert person is not None and person.account is not None
        person.proeco_email = "marie.curie@ecole.example.org"
        person.account.reference_email = "marie.curie@ecole.example.org"

    fields = {"password": GOOD_PASSWORD, "password_confirmation": GOOD_PASSWORD}
    with site.client() as browser:
        assert browser.get(f"/activer/{token}").status_code == 404
        # A valid form token from another page: only the link itself is refused.
        posted = submit(browser, f"/activer/{token}", fields, page=browser.get("/connexion"))
    assert posted.status_code == 404
    assert account_status(site.db, person_id) == (
        AccountStatus.INVITED.value,
        "marie.curie@ecole.example.org",
    )
