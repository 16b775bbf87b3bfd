"""« Mon accès » in a real browser (Debian's headless Chromium): the main story of a person
who changes the password and signs out, then what a person with a phone, a keyboard or a
screen reader notices: WCAG 2.2 AA (axe-core), no sideways scrolling at 390 px, a focus ring
that stands out and hides no hint, and e-mails whose links wrap on a phone.

Set SCREENSHOTS_DIR to keep the screenshots of « Mon accès » and the password page."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from access.accounts import signin
from tests.browser import needs_chromium
from tests.smtp_server import Received
from tests.web.conftest import GOOD_PASSWORD, Site, invited_person, send_invitation
from tests.web.test_sessions import MARIE, NEW_PASSWORD
from tests.web.test_signin import active_person
from tests.web.wcag import wcag_violations

pytestmark = [needs_chromium, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
MIN_FOCUS_CONTRAST = 3.0


@pytest.fixture
def chromium(shared_chromium: Any) -> Iterator[Any]:
    """The session's browser for the whole test (its contexts closed after it)."""
    with shared_chromium() as browser:
        yield browser


def deliver(site: Site, count: int) -> list[Received]:
    """`site.deliver` on a thread of its own: Playwright's event loop runs on this one."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(site.deliver, count).result()


def sign_in_with_keyboard(page: Any, site: Site, password: str = GOOD_PASSWORD) -> None:
    page.goto(f"{site.url}/connexion")
    page.get_by_label("Nom d'utilisateur").fill(MARIE)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_label("Mot de passe").press("Enter")
    page.wait_for_url(f"{site.url}/mon-acces")


def test_a_person_changes_the_password_and_signs_out_from_the_header(
    site: Site, chromium: Any
) -> None:
    active_person(site)
    deliver(site, 1)
    site.smtp.clear()
    phone = chromium.new_context(viewport=PHONE).new_page()
    sign_in_with_keyboard(phone, site)
    laptop = chromium.new_context(viewport=DESKTOP).new_page()

    laptop.goto(f"{site.url}/mon-acces")
    assert "Connectez-vous pour accéder à « Mon accès »." in laptop.inner_text("main")
    laptop.get_by_label("Nom d'utilisateur").fill(MARIE)
    laptop.get_by_label("Mot de passe").fill(GOOD_PASSWORD)
    laptop.get_by_role("button", name="Connexion").click()
    laptop.wait_for_url(f"{site.url}/mon-acces")

    laptop.get_by_role("link", name="Changer mon mot de passe").click()
    assert laptop.get_by_role("heading", name="Changer mon mot de passe").is_visible()
    laptop.get_by_label("Mot de passe actuel").fill(GOOD_PASSWORD)
    laptop.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
    laptop.get_by_label("Confirmation du mot de passe").fill(NEW_PASSWORD)
    laptop.get_by_role("button", name="Changer mon mot de passe").click()
    laptop.wait_for_url(f"{site.url}/mon-acces")
    notice = laptop.get_by_role("status")
    assert "Votre mot de passe a été changé" in notice.inner_text()
    assert "vos autres sessions ont été fermées" in notice.inner_text()

    phone.reload()
    assert phone.url.startswith(f"{site.url}/connexion?")
    assert "Votre session a été fermée" in phone.inner_text("main")

    laptop.get_by_role("navigation", name="Compte").get_by_role(
        "button", name="Déconnexion"
    ).click()
    laptop.wait_for_load_state()
    assert "Vous êtes déconnecté·e." in laptop.inner_text("main")
    laptop.goto(f"{site.url}/mon-acces")
    assert laptop.url.startswith(f"{site.url}/connexion?")
    assert "Vous vous êtes déconnecté·e." in laptop.inner_text("main")

    (mail,) = deliver(site, 1)
    assert mail.message["Subject"] == "Votre mot de passe Extranet a été changé"
    phone.context.close()
    laptop.context.close()


def _account_pages(site: Site) -> dict[str, str]:
    """The account pages, as a signed-in person reaches them; each name and its URL."""
    return {
        "mon-acces": f"{site.url}/mon-acces",
        "mot-de-passe": f"{site.url}/mon-acces/mot-de-passe",
        "adresse-email": f"{site.url}/mon-acces/adresse-email",
    }


def test_the_account_pages_meet_wcag_aa_and_fit_a_phone(
    site: Site, chromium: Any, tmp_path: Path
) -> None:
    active_person(site)
    shots = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(f"{site.url}/mon-acces")
    assert wcag_violations(page) == [], "sign-in page with its reason"
    sign_in_with_keyboard(page, site)
    # A change waiting on « Mon accès », and the problems of a refused form.
    page.goto(f"{site.url}/mon-acces/adresse-email")
    page.get_by_label("Nouvelle adresse e-mail de référence").fill("m.curie@ecole.example")
    page.get_by_label("Mot de passe actuel").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Envoyer le lien de confirmation").click()
    page.wait_for_url(f"{site.url}/mon-acces")
    assert wcag_violations(page) == [], "« Mon accès » with a notice"
    page.goto(f"{site.url}/mon-acces/mot-de-passe")
    page.get_by_label("Mot de passe actuel").fill("pas le bon")
    page.get_by_label("Mot de passe", exact=True).fill("azertyuiop12")
    page.get_by_label("Confirmation du mot de passe").fill("azertyuiop12")
    page.get_by_role("button", name="Changer mon mot de passe").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").is_visible()
    assert wcag_violations(page) == [], "password page with its problems"

    for name, url in _account_pages(site).items():
        for size, viewport in (("1280x900", DESKTOP), ("390x844", PHONE)):
            page.set_viewport_size(viewport)
            page.goto(url)
            assert wcag_violations(page) == [], f"{name} at {size}"
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{name} scrolls sideways at {size}"
            if name != "adresse-email":
                page.screenshot(path=str(shots / f"{name}-{size}.png"), full_page=True)
    context.close()


# The ring drawn around the focused element: its colour against what surrounds it, and the
# box it covers (the element grown by the outline's offset and width).
_FOCUS_RING = """
element => {
  const style = getComputedStyle(element);
  const parse = value => (value.match(/[\\d.]+/g) || []).map(Number);
  let behind = element.parentElement, background = [255, 255, 255, 1];
  while (behind) {
    const colour = parse(getComputedStyle(behind).backgroundColor);
    if (colour.length === 3 || colour[3] > 0) { background = colour; break; }
    behind = behind.parentElement;
  }
  const grow = parseFloat(style.outlineWidth) + parseFloat(style.outlineOffset);
  const box = element.getBoundingClientRect();
  const ring = {left: box.left - grow, right: box.right + grow, top: box.top - grow,
                bottom: box.bottom + grow};
  const hidden = [...document.querySelectorAll('.hint, label')]
    .filter(other => !other.contains(element))
    .map(other => other.getBoundingClientRect())
    .filter(r => r.width && r.left < ring.right && r.right > ring.left
                 && r.top < ring.bottom && r.bottom > ring.top);
  return {name: element.outerHTML.slice(0, 80), style: style.outlineStyle,
          width: parseFloat(style.outlineWidth), colour: parse(style.outlineColor),
          background, overlaps: hidden.length};
}
"""


def _luminance(rgb: list[float]) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(value) for value in rgb[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: list[float], other: list[float]) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_focus_ring_stands_out_and_hides_no_hint(site: Site, chromium: Any) -> None:
    active_person(site)
    page = chromium.new_context(viewport=PHONE).new_page()
    page.goto(f"{site.url}/connexion")
    rings = _tab_through(page)
    sign_in_with_keyboard(page, site)
    for path in ("/mon-acces", "/mon-acces/mot-de-passe", "/mon-acces/adresse-email"):
        page.goto(f"{site.url}{path}")
        rings += _tab_through(page)
    assert len(rings) > 20
    for ring in rings:
        assert ring["style"] != "none" and ring["width"] >= 2, ring["name"]
        assert contrast(ring["colour"], ring["background"]) >= MIN_FOCUS_CONTRAST, ring
        if re.match(r"<(input|button|select|textarea)", ring["name"]):
            assert ring["overlaps"] == 0, ring["name"]
    page.context.close()


def _tab_through(page: Any) -> list[dict[str, Any]]:
    rings: list[dict[str, Any]] = []
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate_handle("document.activeElement")
        if page.evaluate("e => e === document.body", focused):
            break
        ring = page.evaluate(_FOCUS_RING, focused)
        if rings and ring["name"] == rings[0]["name"]:
            break
        rings.append(ring)
    return rings


def test_the_copy_paste_links_of_the_emails_wrap_on_a_phone(site: Site, chromium: Any) -> None:
    person_id = active_person(site)
    send_invitation(site, invited_person(site.db, email="pierre.curie@example.org"))
    assert site.db.call(signin.start_password_reset_for, site.settings, person_id).sent
    page = chromium.new_context(viewport=PHONE).new_page()
    page.goto(f"{site.url}/connexion")
    page.get_by_label("Nom d'utilisateur").fill(MARIE)
    page.get_by_label("Mot de passe").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto(f"{site.url}/mon-acces/adresse-email")
    page.get_by_label("Nouvelle adresse e-mail de référence").fill("m.curie@ecole.example")
    page.get_by_label("Mot de passe actuel").fill(GOOD_PASSWORD)
    page.get_by_role("button", name="Envoyer le lien de confirmation").click()
    page.wait_for_url(f"{site.url}/mon-acces")
    mails = deliver(site, 5)
    kinds = set()
    for mail in mails:
        # Away from the site first: its Content-Security-Policy is not the mail reader's.
        page.goto("about:blank")
        page.set_content(mail.html())
        kinds.add(mail.message["Subject"])
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"« {mail.message['Subject']} » scrolls sideways"
    assert len(kinds) == 5
    page.context.close()
