"""One real browser (Debian's headless chromium) walks the invitation journey: the link from
the received e-mail, the form filled with the keyboard, the account active, « Mon accès »."""

from __future__ import annotations

from pathlib import Path

import pytest

from access.directory.models import AccountStatus
from tests.web.conftest import (
    GOOD_PASSWORD,
    Site,
    account_status,
    invited_person,
    link_in,
    send_invitation,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_person_activates_the_account_from_the_mail_in_a_browser(
    site: Site, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    person_id = invited_person(site.db)
    send_invitation(site, person_id)
    (mail,) = site.deliver(1)
    link = link_in(mail, "/activer/")
    assert link.startswith(site.url)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(link)
            assert page.get_by_role("heading", name="Activer votre compte").is_visible()
            page.get_by_label("Mot de passe", exact=True).fill(GOOD_PASSWORD)
            page.get_by_label("Confirmation du mot de passe").fill(GOOD_PASSWORD)
            page.get_by_role("button", name="Activer mon compte").click()
            page.wait_for_load_state()
            assert page.get_by_role("heading", name="Compte activé").is_visible()
            assert "Votre compte est activé" in page.inner_text("main")

            page.get_by_role("link", name="Se connecter").click()
            page.get_by_label("Nom d'utilisateur").fill("marie.curie@example.org")
            page.get_by_label("Mot de passe").fill(GOOD_PASSWORD)
            page.get_by_label("Se souvenir de moi").check()
            page.get_by_role("button", name="Connexion").click()
            page.wait_for_url(f"{site.url}/mon-acces")
            assert "École Saint-Joseph" in page.inner_text("main")
        finally:
            browser.close()

    assert account_status(site.db, person_id)[0] == AccountStatus.ACTIVE.value
