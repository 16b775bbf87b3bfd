"""One real browser (Debian's headless chromium) walks the invitation journey: the link from
the received e-mail, the form filled with the keyboard, the account active, « Mon accès »."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from access.directory.models import AccountStatus
from tests.browser import needs_chromium
from tests.web.conftest import (
    GOOD_PASSWORD,
    Site,
    account_status,
    invited_person,
    link_in,
    send_invitation,
)

pytestmark = needs_chromium


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_person_activates_the_account_from_the_mail_in_a_browser(
    site: Site, tmp_path: Path, shared_chromium: Any
) -> None:
    person_id = invited_person(site.db)
    send_invitation(site, person_id)
    (mail,) = site.deliver(1)
    link = link_in(mail, "/activer/")
    assert link.startswith(site.url)

    with shared_chromium() as browser:
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

    assert account_status(site.db, person_id)[0] == AccountStatus.ACTIVE.value
