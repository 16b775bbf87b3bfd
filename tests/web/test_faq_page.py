"""`/faq`: the answers as HTML, their categories, a search without JavaScript, an anchor per
answer and the way to the support, on the site served for real."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser import needs_chromium
from tests.web.conftest import Site, text_of
from tests.web.nu import html_errors

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_answers_are_html_without_raw_marks(site: Site) -> None:
    with site.client() as browser:
        page = browser.get("/faq")
    assert page.status_code == 200
    html = page.text
    assert "<strong>Administration</strong>" in html
    assert "<code>/extranet</code>" in html
    assert '<a href="https://extranet.segec.be">https://extranet.segec.be</a>' in html
    assert '<a href="mailto:help.extranet@segec.be">' in html
    assert "<ol><li>" in html  # numbered steps are a list
    main = html.split("<main", 1)[1]
    assert "`" not in main
    assert not re.search(r"\*[^*\s<][^*<]*\*", main)  # no *bold* left raw


def test_categories_keep_their_accents(site: Site) -> None:
    with site.client() as browser:
        text = text_of(browser.get("/faq"))
    assert re.search(r">Accès</h2>", browser_text := text)
    assert ">Acces<" not in browser_text


def test_every_answer_has_its_anchor_and_a_link_to_it(site: Site) -> None:
    with site.client() as browser:
        html = browser.get("/faq").text
    assert 'id="acces-lien-expire"' in html
    assert html.count('href="#acces-lien-expire"') >= 2  # the contents and its own link
    assert "Lien vers cette réponse" in html


def test_the_page_ends_with_contacter_le_support(site: Site) -> None:
    with site.client() as browser:
        html = browser.get("/faq").text
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    last_link = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>([^<]+)</a>', main)[-1]
    assert last_link == (f"{site.url}/support", "Contacter le support")


def test_answers_state_the_delays_of_the_settings(site: Site) -> None:
    with site.client() as browser:
        html = text_of(browser.get("/faq"))
    assert f"valable {site.settings.invitation_ttl_days} jours" in html
    assert "bloquée pendant 15 minutes" in html
    assert "{" not in html.split("<main", 1)[1]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("j'ai oublié mon mot de passe", "J'ai oublié mon mot de passe, que faire ?"),
        ("le lien d'activation a expiré", "valable 7 jours"),
        ("bonjour", "Tapez votre question sur l'Extranet"),
        ("le wifi de l'école ne marche plus", "ne couvrent que l'Extranet"),
        ("page blanche", "problème de l'Extranet lui-même"),
        ("quel temps fera-t-il demain à la mer", "le support peut vous aider"),
    ],
)
def test_the_search_gives_the_chats_answer_without_javascript(
    site: Site, query: str, expected: str
) -> None:
    with site.client() as browser:
        page = browser.get("/faq", params={"q": query})
    assert page.status_code == 200
    result = text_of(page).split('class="search-result"', 1)[1].split("</section>", 1)[0]
    assert f"Résultat pour « {query} »" in result
    assert expected in result


def test_a_search_is_escaped_and_bounded(site: Site) -> None:
    with site.client() as browser:
        page = browser.get("/faq", params={"q": '<script>alert(1)</script>"' + "x" * 5000})
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text


def test_the_faq_pages_are_valid_html(site: Site) -> None:
    with site.client() as browser:
        pages = {
            "/faq": browser.get("/faq").text,
            "/faq?q=answer": browser.get("/faq", params={"q": "mot de passe oublié"}).text,
            "/faq?q=suggestions": browser.get("/faq", params={"q": "activation"}).text,
            "/faq?q=problem": browser.get("/faq", params={"q": "erreur 500"}).text,
        }
    assert html_errors(pages) == []


@needs_chromium
def test_the_faq_reads_at_390_pixels_and_searches_with_the_keyboard(
    site: Site, tmp_path: Path, shared_chromium: Any
) -> None:
    with shared_chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(f"{site.url}/faq")
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_label("Rechercher une question").fill("mot de passe oublié")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/faq\?q="))
        result = page.locator(".search-result")
        assert "J'ai oublié mon mot de passe" in result.inner_text()
        page.screenshot(path=str(tmp_path / "faq-390.png"), full_page=False)
        result.get_by_role("link", name="Voir cette réponse dans la liste").click()
        assert page.locator("#mdp-oublie").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
