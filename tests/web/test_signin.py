"""Signing in, « Mon accès », signing out and the brute-force block, over real HTTP."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import select

from access.accounts import signin
from access.clock import utcnow
from access.directory.models import Account, AuditEntry, MissionGrant
from faq import load_default
from tests import people
from tests.web.conftest import (
    GOOD_PASSWORD,
    Site,
    activate,
    invitation_token,
    invited_person,
    sign_in,
    submit,
    text_of,
)


def active_person(site: Site, email: str = "marie.curie@example.org", **kwargs: str) -> int:
    person_id = invited_person(site.db, email=email, **kwargs)
    assert activate(site, invitation_token(site.db, person_id)).status_code == 200
    return person_id


def test_the_sign_in_page_has_the_elements_of_the_login_screen(site: Site) -> None:
    with site.client() as browser:
        page = browser.get("/connexion")
    assert page.status_code == 200
    for label in (
        "Nom d'utilisateur",
        "Mot de passe",
        "Se souvenir de moi",
        ">Connexion</button>",
        "Identifiant ou mot de passe oublié ?",
        "Autres questions fréquentes",
        "Contacter le support",
    ):
        assert label in text_of(page), label
    assert '<label for="username">' in text_of(page) and 'id="username"' in text_of(page)
    assert f'href="{site.url}/faq"' in text_of(page) and f'href="{site.url}/support"' in text_of(
        page
    )
    with site.client() as browser:
        assert browser.get("/faq").status_code == 200
        assert browser.get("/support").status_code == 200


def test_signing_in_shows_my_establishments_functions_and_access(site: Site) -> None:
    person_id = active_person(site)
    with site.db.transaction() as session:
        other = people.establishment(session, "9876", "Institut Sainte-Marie")
        people.assign(session, person_id, other, "EDU")
        session.add(
            MissionGrant(
                person_id=person_id,
                establishment_id=other.id,
                mission="Coordination numérique",
                resources=["ressources_pedagogiques"],
                ends_at=utcnow() + timedelta(days=30),
            )
        )

    with site.client() as browser:
        signed_in = sign_in(browser, "Marie.Curie@Example.org", GOOD_PASSWORD)
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == f"{site.url}/mon-acces"
        page = browser.get("/mon-acces")

    assert page.status_code == 200
    assert "Marie Curie" in text_of(page)
    assert "École Saint-Joseph" in text_of(page) and "FASE 1234" in text_of(page)
    assert "Institut Sainte-Marie" in text_of(page) and "Éducateur·rice" in text_of(page)
    assert "Coordination numérique" in text_of(page)
    assert re.search(r"<li>[^<]+</li>", text_of(page)), "no access listed"


def test_a_wrong_password_says_so_without_telling_whether_the_address_exists(site: Site) -> None:
    active_person(site)
    with site.client() as browser:
        wrong = sign_in(browser, "marie.curie@example.org", "pas le bon mot de passe")
        unknown = sign_in(browser, "personne@example.org", "pas le bon mot de passe")
        anonymous = browser.get("/mon-acces")
    assert wrong.status_code == unknown.status_code == 401
    assert "Nom d'utilisateur ou mot de passe incorrect." in text_of(wrong)
    assert "Nom d'utilisateur ou mot de passe incorrect." in text_of(unknown)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"{site.url}/connexion?motif=connexion-requise"


def test_an_invited_account_cannot_sign_in_before_activation(site: Site) -> None:
    invited_person(site.db)
    with site.client() as browser:
        assert sign_in(browser, "marie.curie@example.org", "").status_code == 401


def test_signing_out_ends_the_session(site: Site) -> None:
    active_person(site)
    with site.client() as browser:
        sign_in(browser, "marie.curie@example.org", GOOD_PASSWORD)
        page = browser.get("/mon-acces")
        out = submit(browser, "/deconnexion", {}, page=page)
        after = browser.get("/mon-acces")
    assert out.status_code == 200 and "déconnecté" in text_of(out)
    assert after.status_code == 303


def test_remember_me_makes_the_cookie_persistent(site: Site) -> None:
    active_person(site)
    with site.client() as browser:
        short = sign_in(browser, "marie.curie@example.org", GOOD_PASSWORD)
    with site.client() as browser:
        remembered = sign_in(browser, "marie.curie@example.org", GOOD_PASSWORD, remember="on")
    assert "Max-Age" not in short.headers["set-cookie"]
    assert "Max-Age=2592000" in remembered.headers["set-cookie"]


def test_ten_failures_block_the_account_even_for_the_right_password(site: Site) -> None:
    active_person(site)
    with site.client() as browser:
        answers = [
            sign_in(browser, "marie.curie@example.org", f"mauvais essai {n}").status_code
            for n in range(10)
        ]
        blocked = sign_in(browser, "marie.curie@example.org", GOOD_PASSWORD)
    assert answers == [401] * 9 + [429]
    assert blocked.status_code == 429
    assert "temporairement bloqué" in text_of(blocked)
    assert "Réessayez dans" in text_of(blocked) and "/mot-de-passe-oublie" in text_of(blocked)


def test_unknown_addresses_are_blocked_the_same_way(site: Site) -> None:
    with site.client() as browser:
        answers = [sign_in(browser, "nobody@example.org", "x").status_code for _ in range(11)]
    assert answers == [401] * 9 + [429, 429]


# A visitor's public address, as uvicorn reads it from X-Forwarded-For sent by a trusted
# proxy (the test server trusts loopback, uvicorn's default).
VISITOR = "81.246.0.10"


def fail_from(site: Site, client: str, start: datetime, count: int) -> None:
    for n in range(count):
        signin.authenticate(
            site.db,
            site.settings,
            email=f"personne{n}@example.org",
            password="Printemps2024!",
            client=client,
            now=start + timedelta(seconds=n),
        )


def test_a_client_failing_on_many_accounts_is_refused_before_any_password_is_checked(
    site: Site,
) -> None:
    """One machine trying a password on many accounts: each account stays below its own
    limit, so the client itself is refused, over HTTP too, and only that client."""
    active_person(site)
    start = utcnow()
    fail_from(site, VISITOR, start, signin.CLIENT_MAX_FAILURES)
    with site.client() as browser:
        browser.headers["X-Forwarded-For"] = VISITOR
        refused = sign_in(browser, "marie.curie@example.org", GOOD_PASSWORD)
    assert refused.status_code == 429
    assert "depuis cet appareil" in text_of(refused)

    def attempt(client: str, minutes: float) -> signin.SignInOutcome:
        return signin.authenticate(
            site.db,
            site.settings,
            email="marie.curie@example.org",
            password=GOOD_PASSWORD,
            client=client,
            now=start + timedelta(minutes=minutes),
        ).outcome

    assert attempt("81.246.0.11", 1) is signin.SignInOutcome.OK
    assert attempt(VISITOR, 14.9) is signin.SignInOutcome.BLOCKED
    assert attempt(VISITOR, 15.1) is signin.SignInOutcome.OK


@pytest.mark.parametrize("proxy", ["", "unknown"], ids=["untrusted-proxy", "unknown"])
def test_a_proxy_or_unknown_address_is_never_refused_for_everyone(site: Site, proxy: str) -> None:
    """Behind a proxy uvicorn does not trust, every visitor shows the proxy's address:
    counting it would let 50 typos anywhere lock out the whole site. The web edge names such
    a client "" (`bot.web.clients`, tested over HTTP in test_lockout.py); a private address
    that is the visitor itself is counted like any other."""
    active_person(site)
    start = utcnow()
    fail_from(site, proxy, start, signin.CLIENT_MAX_FAILURES + 5)
    outcome = signin.authenticate(
        site.db,
        site.settings,
        email="marie.curie@example.org",
        password=GOOD_PASSWORD,
        client=proxy,
        now=start + timedelta(minutes=1),
    ).outcome
    assert outcome is signin.SignInOutcome.OK


def test_the_block_ends_after_fifteen_minutes(site: Site) -> None:
    active_person(site)
    start = utcnow()
    for n in range(10):
        signin.authenticate(
            site.db,
            site.settings,
            email="marie.curie@example.org",
            password="mauvais",
            now=start + timedelta(seconds=n),
        )

    def attempt(minutes: float) -> signin.SignInOutcome:
        return signin.authenticate(
            site.db,
            site.settings,
            email="marie.curie@example.org",
            password=GOOD_PASSWORD,
            now=start + timedelta(seconds=9, minutes=minutes),
        ).outcome

    assert attempt(14.9) is signin.SignInOutcome.BLOCKED
    assert attempt(15.1) is signin.SignInOutcome.OK


def test_failures_spread_over_more_than_fifteen_minutes_do_not_block(site: Site) -> None:
    active_person(site)
    start = utcnow() - timedelta(hours=1)
    for n in range(10):
        signin.authenticate(
            site.db,
            site.settings,
            email="marie.curie@example.org",
            password="mauvais",
            now=start + timedelta(minutes=2 * n),
        )
    result = signin.authenticate(
        site.db, site.settings, email="marie.curie@example.org", password=GOOD_PASSWORD
    )
    assert result.outcome is signin.SignInOutcome.OK


def test_the_sign_in_form_needs_its_csrf_token(site: Site) -> None:
    active_person(site)
    with site.client() as browser:
        browser.get("/connexion")
        forged = browser.post(
            "/connexion", data={"username": "marie.curie@example.org", "password": GOOD_PASSWORD}
        )
    assert forged.status_code == 403


def test_redirects_and_links_come_from_public_base_url_not_the_host_header(site: Site) -> None:
    active_person(site)
    with site.client() as browser:
        page = browser.get("/connexion", headers={"Host": "evil.example"})
        signed_in = submit(
            browser,
            "/connexion",
            {"username": "marie.curie@example.org", "password": GOOD_PASSWORD},
            page=page,
        )
    assert "evil.example" not in text_of(page)
    assert signed_in.headers["location"] == f"{site.url}/mon-acces"


def test_healthz_checks_the_database(site: Site) -> None:
    with site.client() as browser:
        answer = browser.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_the_faq_page_lists_the_questions(site: Site) -> None:
    with site.client() as browser:
        page = browser.get("/faq")
    assert page.status_code == 200
    entries = load_default().kb.entries
    assert entries and all(entry.question in text_of(page) for entry in entries)


@pytest.mark.production_hashing
def test_a_hash_with_older_parameters_is_redone_at_sign_in(site: Site) -> None:
    person_id = active_person(site)
    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)
    with site.db.transaction() as session:
        account = session.scalars(select(Account).where(Account.person_id == person_id)).one()
        account.password_hash = weaker.hash(GOOD_PASSWORD)
    with site.client() as browser:
        assert sign_in(browser, "marie.curie@example.org", GOOD_PASSWORD).status_code == 303
        # The session survives its own rehash: the page still opens.
        assert browser.get("/mon-acces").status_code == 200
    with site.db.transaction() as session:
        account = session.scalars(select(Account).where(Account.person_id == person_id)).one()
        assert "m=19456,t=2,p=1" in (account.password_hash or "")


def test_the_block_is_written_to_the_audit_log(site: Site) -> None:
    active_person(site)
    with site.client() as browser:
        for n in range(12):
            sign_in(browser, "marie.curie@example.org", f"mauvais {n}")
    with site.db.transaction() as session:
        blocked = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "account.blocked")
        ).all()
    assert blocked == ["account.blocked"]
