"""The public support form `/support`: real HTTP (uvicorn), then once in a real browser."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from access.persistence.database import Database
from helpdesk.models import Ticket
from tests.browser import needs_chromium
from tests.tickets.conftest import Directory
from tests.web.conftest import Site, csrf_of, site, text_of  # noqa: F401  (fixture)

GOOD = {
    "last_name": "Lemaître",
    "first_name": "Sophie",
    "fase": "5432",
    "email": "sophie.lemaitre@gmail.com",
    "phone": "",
    "category": "activation",
    "subject": "Pas reçu l'e-mail d'activation",
    "description": "Je suis nouvelle éducatrice.\nJe n'ai rien reçu.",
    # The page's script has shown the FAQ's answers on this subject as it was typed.
    "faq_checked": "Pas reçu l'e-mail d'activation",
}


def _form_fields(page: httpx.Response) -> dict[str, str]:
    found = re.search(r'name="submission_id" value="([^"]+)"', page.text)
    assert found
    return {"csrf_token": csrf_of(page), "submission_id": found.group(1)}


def _count(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(Ticket)) or 0)


def test_errors_come_back_next_to_the_fields_with_everything_typed(
    site: Site,  # noqa: F811
    directory: Directory,
) -> None:
    with site.client() as client:
        page = client.get("/support")
        assert page.status_code == 200
        typed = {**GOOD, "email": "sophie@", "phone": "12", "fase": "54 A", "subject": ""}
        answer = client.post("/support", data={**_form_fields(page), **typed})
        assert answer.status_code == 400
        text = text_of(answer)
        assert 'id="erreur-email"' in answer.text and 'id="erreur-phone"' in answer.text
        assert "Cette adresse e-mail n'est pas valide" in text
        assert "Le numéro FASE ne contient que des chiffres." in text
        assert "Ce champ est obligatoire." in text
        # Nothing typed is lost, accents and line breaks included.
        assert 'value="Lemaître"' in text and 'value="sophie@"' in text
        assert "Je suis nouvelle éducatrice.\nJe n'ai rien reçu.</textarea>" in text
        assert 'option value="activation" selected' in answer.text
        assert _count(site.db) == 0


def test_an_unknown_fase_asks_for_confirmation_then_opens_a_flagged_ticket(
    site: Site,  # noqa: F811
    directory: Directory,
) -> None:
    with site.client() as client:
        page = client.get("/support")
        fields = _form_fields(page)
        first = client.post("/support", data={**fields, **GOOD, "fase": "77777"})
        assert first.status_code == 400
        assert 'name="confirm_unknown_fase"' in first.text
        done = client.post(
            "/support",
            data={**fields, **GOOD, "fase": "77777", "confirm_unknown_fase": "on"},
        )
        assert done.status_code == 303
        with site.db.session() as session:
            ticket = session.scalars(sa.select(Ticket)).one()
        assert (ticket.fase, ticket.fase_unknown, ticket.source) == ("77777", True, "web")


def test_a_valid_form_tells_the_number_once_even_when_sent_twice(
    site: Site,  # noqa: F811
    directory: Directory,
) -> None:
    with site.client() as client:
        page = client.get("/support")
        fields = {**_form_fields(page), **GOOD}
        first = client.post("/support", data=fields)
        second = client.post("/support", data=fields)
        assert first.status_code == second.status_code == 303
        shown = client.get(httpx.URL(first.headers["location"]).path)
        with site.db.session() as session:
            number = session.scalars(sa.select(Ticket.number)).one()
        assert f"enregistrée sous le numéro {number}" in text_of(shown)
        assert "sophie.lemaitre@gmail.com" in text_of(shown)
    assert _count(site.db) == 1
    mails = site.deliver(2)
    assert sorted(m.rcpt_tos[0] for m in mails) == [
        "help.extranet@segec.be",
        "sophie.lemaitre@gmail.com",
    ]


def test_the_form_cannot_be_used_to_mail_one_address_over_and_over(
    site: Site,  # noqa: F811
    directory: Directory,
) -> None:
    from bot.web.support import SUPPORT_PER_ADDRESS

    with site.client() as client:
        answers = []
        for _ in range(SUPPORT_PER_ADDRESS + 1):
            page = client.get("/support")  # a fresh submission each time
            answers.append(client.post("/support", data={**_form_fields(page), **GOOD}))
    assert [a.status_code for a in answers[:-1]] == [303] * SUPPORT_PER_ADDRESS
    refused = answers[-1]
    assert refused.status_code == 429
    assert "Trop de demandes" in text_of(refused)
    assert 'value="Lemaître"' in text_of(refused)  # what was typed is kept
    assert _count(site.db) == SUPPORT_PER_ADDRESS


def test_a_form_without_its_csrf_token_is_refused_but_kept(
    site: Site,  # noqa: F811
    directory: Directory,
) -> None:
    with site.client() as client:
        client.get("/support")
        answer = client.post("/support", data={**GOOD, "csrf_token": "forged"})
        assert answer.status_code == 400
        assert "Le formulaire a expiré" in text_of(answer)
        assert 'value="Lemaître"' in text_of(answer)
    assert _count(site.db) == 0


@needs_chromium
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_someone_without_slack_opens_a_ticket_in_a_browser(
    site: Site,  # noqa: F811
    directory: Directory,
    shared_chromium: Any,
) -> None:
    with shared_chromium() as browser:
        page = browser.new_page()
        page.goto(f"{site.url}/connexion")
        page.get_by_role("link", name="Contacter le support").first.click()
        page.wait_for_url(f"{site.url}/support")
        page.get_by_label("Nom", exact=True).fill("Lemaître")
        page.get_by_label("Prénom").fill("Sophie")
        page.get_by_label("N° FASE de l'établissement").fill("5432")
        page.get_by_label("E-mail de contact").fill("sophie.lemaitre@")
        page.get_by_label("Catégorie").select_option("activation")
        page.get_by_label("Objet").fill("Pas reçu l'e-mail d'activation")
        # The FAQ's answers on the subject show under it as it is typed.
        page.get_by_role("heading", name="Ces réponses de la FAQ").wait_for()
        assert "Je n'ai pas reçu l'e-mail d'invitation" in page.inner_text("#suggestions-faq")
        page.get_by_label("Description").fill("Je n'ai rien reçu.")
        page.get_by_role("button", name="Envoyer ma demande").click()
        page.wait_for_load_state()
        assert "Cette adresse e-mail n'est pas valide" in page.inner_text("#erreur-email")
        # What was typed is still there; only the address needs fixing.
        assert page.get_by_label("Objet").input_value() == "Pas reçu l'e-mail d'activation"
        page.get_by_label("E-mail de contact").fill("sophie.lemaitre@gmail.com")
        page.get_by_role("button", name="Envoyer ma demande").click()
        page.wait_for_url(f"{site.url}/support/envoye")
        assert "enregistrée sous le numéro T-" in page.inner_text("main")
    assert _count(site.db) == 1


@pytest.mark.parametrize("char", ["\x00", "\x1b"], ids=["NUL", "ESC"])
def test_a_control_character_in_a_field_is_pointed_at_and_the_rest_kept(
    site: Site,  # noqa: F811
    directory: Directory,
    char: str,
) -> None:
    with site.client() as client:
        page = client.get("/support")
        typed = {**GOOD, "last_name": f"Lema{char}ître", "subject": f"{char}[31mPas reçu"}
        answer = client.post("/support", data={**_form_fields(page), **typed})
    assert answer.status_code == 400
    text = text_of(answer)
    assert 'id="erreur-last_name"' in answer.text and 'id="erreur-subject"' in answer.text
    assert "Ce champ contient un caractère invisible non autorisé" in text
    # Shown back without it: sending again is enough.
    assert 'value="Lemaître"' in text and 'value="[31mPas reçu"' in text
    assert char not in answer.text
    assert _count(site.db) == 0


def test_control_characters_in_the_description_are_dropped_and_line_breaks_kept(
    site: Site,  # noqa: F811
    directory: Directory,
) -> None:
    with site.client() as client:
        page = client.get("/support")
        typed = {**GOOD, "description": "Bonjour,\r\n\tvoici l'erreur :\x00 \x1b[31mrefusé\x7f"}
        answer = client.post("/support", data={**_form_fields(page), **typed})
    assert answer.status_code == 303
    with site.db.session() as session:
        description = session.scalars(sa.select(Ticket.description)).one()
    assert description.replace("\r\n", "\n") == "Bonjour,\n\tvoici l'erreur : [31mrefusé"


def test_without_the_script_the_faq_answers_show_once_before_the_ticket_is_sent(
    site: Site,  # noqa: F811
    directory: Directory,
) -> None:
    typed = {k: v for k, v in GOOD.items() if k != "faq_checked"}
    typed["category"] = ""  # « Je ne sais pas »
    with site.client() as client:
        page = client.get("/support")
        first = client.post("/support", data={**_form_fields(page), **typed})
        # Not sent yet: the FAQ's answer on the subject, under it, and everything kept.
        assert first.status_code == 200 and _count(site.db) == 0
        text = text_of(first)
        assert "Je n'ai pas reçu l'e-mail d'invitation, que faire ?" in text
        assert "envoyez le formulaire à nouveau" in text
        assert 'value="Lemaître"' in text
        # The category it proposes is shown selected; the person may change it.
        assert 'option value="activation" selected' in first.text
        checked = re.search(r'name="faq_checked" value="([^"]*)"', first.text)
        assert checked and text_of_value(checked.group(1)) == GOOD["subject"]
        again = client.post(
            "/support",
            data={**_form_fields(first), **typed, "faq_checked": text_of_value(checked.group(1))},
        )
        assert again.status_code == 303
    with site.db.session() as session:
        ticket = session.scalars(sa.select(Ticket)).one()
    assert ticket.category == "activation"
    assert ticket.proposed_faq_ids == ["acces-invitation-non-recue"]


def text_of_value(attribute: str) -> str:
    import html

    return html.unescape(attribute)


def test_the_faq_answers_for_a_subject_as_the_page_script_asks_for_them(
    site: Site,  # noqa: F811
) -> None:
    with site.client() as client:
        found = client.get("/support/faq", params={"objet": "Mot de passe refusé"})
        nothing = client.get("/support/faq", params={"objet": "Bonjour"})
    assert found.status_code == 200
    [first, *_] = found.json()["suggestions"]
    assert first["id"] == "mot-de-passe-regles" and "mot de passe" in first["question"]
    assert nothing.json() == {"suggestions": []}
    # An address over the server's head limit: tests/web/test_connections.py.
