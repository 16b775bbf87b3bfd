"""« Mon accès » as a person uses it, over real HTTP with a real SMTP server: changing the
password and the reference e-mail, signing out from the header, the sign-in page saying why
it is shown, an invitation link opened again, and the small things around them (the forgot
password answer, the reset page's greeting, the favicon, the brand, valid HTML)."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from access import messages as account_msg
from access.accounts import signin, tokens
from access.accounts.models import WebSession
from access.clock import utcnow
from access.directory.models import AuditEntry
from bot.web import messages as msg
from tests.web.conftest import (
    GOOD_PASSWORD,
    Site,
    account_status,
    activate,
    csrf_of,
    invitation_token,
    invited_person,
    link_in,
    path_of,
    sign_in,
    submit,
    text_of,
)
from tests.web.nu import html_errors
from tests.web.test_sessions import MARIE, NEW_PASSWORD, is_signed_in, signed_in
from tests.web.test_signin import active_person

PASSWORD_PAGE = "/mon-acces/mot-de-passe"
EMAIL_PAGE = "/mon-acces/adresse-email"
NEW_EMAIL = "m.curie@ecole.example"


def ready(site: Site) -> int:
    """Marie, active, her activation e-mail delivered and forgotten."""
    person_id = active_person(site)
    site.deliver(1)
    site.smtp.clear()
    return person_id


def follow(browser: httpx.Client, answer: httpx.Response) -> httpx.Response:
    assert answer.status_code in (301, 303), answer.status_code
    return browser.get(path_of(answer.headers["location"]))


def change_password(
    browser: httpx.Client,
    current: str = GOOD_PASSWORD,
    new: str = NEW_PASSWORD,
    confirmation: str | None = None,
) -> httpx.Response:
    fields = {
        "current_password": current,
        "password": new,
        "password_confirmation": new if confirmation is None else confirmation,
    }
    return submit(browser, PASSWORD_PAGE, fields)


def link_named(page: httpx.Response, name: str) -> str:
    found = re.search(rf'<a [^>]*href="([^"]+)"[^>]*>{re.escape(name)}</a>', text_of(page))
    assert found, f"no link « {name} » on the page"
    return path_of(found.group(1))


def test_a_person_changes_the_password_from_my_access_and_stays_signed_in_here_only(
    site: Site,
) -> None:
    person_id = ready(site)
    with signed_in(site) as laptop, signed_in(site, remember="on") as phone:
        home = laptop.get("/mon-acces")
        form = laptop.get(link_named(home, "Changer mon mot de passe"))
        assert form.status_code == 200 and "Mot de passe actuel" in text_of(form)
        done = change_password(laptop)
        assert done.status_code == 303 and path_of(done.headers["location"]) == "/mon-acces"
        back = follow(laptop, done)
        assert back.status_code == 200
        assert msg.PASSWORD_CHANGED_HERE_OTHERS_ENDED in text_of(back)
        # The notice is said once.
        assert msg.PASSWORD_CHANGED_HERE_OTHERS_ENDED not in text_of(laptop.get("/mon-acces"))

        elsewhere = phone.get("/mon-acces")
        assert not is_signed_in(elsewhere)
        assert "motif=session-fermee" in elsewhere.headers["location"]
        assert msg.SIGNIN_AFTER_CLOSED in text_of(follow(phone, elsewhere))

    (mail,) = site.deliver(1)
    assert mail.rcpt_tos == [MARIE]
    assert mail.message["Subject"] == "Votre mot de passe Extranet a été changé"
    assert "a été changé le" in mail.text() and "vos autres sessions" in mail.text()
    assert link_in(mail, "/mot-de-passe-oublie") and link_in(mail, "/connexion")
    with site.client() as browser:
        assert sign_in(browser, MARIE, GOOD_PASSWORD).status_code == 401
        assert sign_in(browser, MARIE, NEW_PASSWORD).status_code == 303
    with site.db.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "password.changed")
        ).one()
    assert entry.target_type == "account" and entry.actor == f"person:{person_id}"


def test_the_password_form_says_every_problem_and_shows_no_password_back(site: Site) -> None:
    ready(site)
    with signed_in(site) as browser:
        refused = change_password(browser, current="pas le bon", new="azertyuiop12")
        assert refused.status_code == 400
        page = text_of(refused)
        assert account_msg.CURRENT_PASSWORD_WRONG in page
        assert "Trop prévisible : une suite du clavier" in page
        assert "pas le bon" not in page and "azertyuiop12" not in page
        same = change_password(browser, new=GOOD_PASSWORD)
        assert same.status_code == 400 and account_msg.PASSWORD_UNCHANGED in text_of(same)
        assert is_signed_in(browser.get("/mon-acces"))
    assert site.smtp.messages == []


def test_wrong_current_passwords_block_the_account_like_failed_sign_ins(site: Site) -> None:
    ready(site)
    with signed_in(site) as browser:
        for _ in range(signin.MAX_FAILURES - 1):
            assert change_password(browser, current="pas le bon").status_code == 400
        # The tenth failure blocks the address, as on the sign-in page; then even the right
        # current password is refused.
        assert change_password(browser, current="pas le bon").status_code == 429
        blocked = change_password(browser)
        assert blocked.status_code == 429
        assert "temporairement bloqué" in text_of(blocked)
    with site.client() as other:
        assert sign_in(other, MARIE, GOOD_PASSWORD).status_code == 429


def test_the_account_forms_need_their_token(site: Site) -> None:
    ready(site)
    with signed_in(site) as browser:
        fields = {
            "current_password": GOOD_PASSWORD,
            "password": NEW_PASSWORD,
            "password_confirmation": NEW_PASSWORD,
        }
        assert browser.post(PASSWORD_PAGE, data=fields).status_code == 403
        forged = {"new_email": NEW_EMAIL, "current_password": GOOD_PASSWORD}
        assert browser.post(EMAIL_PAGE, data=forged).status_code == 403
    with site.client() as browser:
        assert sign_in(browser, MARIE, GOOD_PASSWORD).status_code == 303
    site.deliver(0)
    assert site.smtp.messages == []


@pytest.mark.parametrize("path", [PASSWORD_PAGE, EMAIL_PAGE])
def test_the_account_pages_ask_to_sign_in_and_come_back_after(site: Site, path: str) -> None:
    ready(site)
    with site.client() as browser:
        asked = browser.get(path)
        assert asked.status_code == 303
        location = httpx.URL(asked.headers["location"])
        assert location.path == "/connexion"
        assert dict(location.params) == {"motif": "connexion-requise", "suite": path}
        signin_page = follow(browser, asked)
        assert msg.SIGNIN_NEEDED in text_of(signin_page)
        answer = browser.post(
            "/connexion",
            data={
                "csrf_token": csrf_of(signin_page),
                "username": MARIE,
                "password": GOOD_PASSWORD,
                "suite": path,
            },
        )
        assert answer.status_code == 303 and path_of(answer.headers["location"]) == path


@pytest.mark.parametrize("elsewhere", ["https://ailleurs.example/", "//ailleurs.example", "/faq"])
def test_signing_in_never_sends_the_person_elsewhere(site: Site, elsewhere: str) -> None:
    ready(site)
    with site.client() as browser:
        page = browser.get("/connexion", params={"suite": elsewhere})
        assert f'value="{elsewhere}"' not in page.text
        answer = submit(
            browser,
            "/connexion",
            {"username": MARIE, "password": GOOD_PASSWORD, "suite": elsewhere},
            page=page,
        )
        assert answer.headers["location"] == f"{site.url}/mon-acces"


def test_a_person_changes_the_reference_email_from_my_access(site: Site) -> None:
    person_id = ready(site)
    with signed_in(site) as browser:
        home = browser.get("/mon-acces")
        form = browser.get(link_named(home, "Changer mon adresse e-mail de référence"))
        assert MARIE in text_of(form)
        done = submit(
            browser,
            EMAIL_PAGE,
            {"new_email": NEW_EMAIL, "current_password": GOOD_PASSWORD},
            page=form,
        )
        back = follow(browser, done)
        assert msg.EMAIL_CHANGE_SENT in text_of(back)
        assert f"confirmez {NEW_EMAIL}" in re.sub(r"<[^>]+>", "", text_of(back))

        confirmation, notice = sorted(site.deliver(2), key=lambda one: one.rcpt_tos != [NEW_EMAIL])
        assert confirmation.rcpt_tos == [NEW_EMAIL] and notice.rcpt_tos == [MARIE]
        assert NEW_EMAIL not in notice.text() and "m…@ecole.example" in notice.text()
        assert account_status(site.db, person_id)[1] == MARIE

        link = path_of(link_in(confirmation, "/email/confirmer/"))
        confirmed = submit(browser, link, {})
        assert confirmed.status_code == 200 and NEW_EMAIL in text_of(confirmed)
    assert account_status(site.db, person_id)[1] == NEW_EMAIL
    with site.client() as browser:
        assert sign_in(browser, NEW_EMAIL, GOOD_PASSWORD).status_code == 303


def test_the_email_form_keeps_the_address_typed_and_says_what_is_wrong(site: Site) -> None:
    ready(site)
    with signed_in(site) as browser:
        wrong = submit(
            browser, EMAIL_PAGE, {"new_email": NEW_EMAIL, "current_password": "pas le bon"}
        )
        assert wrong.status_code == 400
        assert account_msg.CURRENT_PASSWORD_WRONG in text_of(wrong)
        assert f'value="{NEW_EMAIL}"' in wrong.text and "pas le bon" not in wrong.text
        same = submit(browser, EMAIL_PAGE, {"new_email": MARIE, "current_password": GOOD_PASSWORD})
        assert account_msg.EMAIL_ALREADY_REFERENCE in text_of(same)
    site.deliver(0)
    assert site.smtp.messages == []


def test_signing_out_from_the_header_takes_one_step(site: Site) -> None:
    ready(site)
    with signed_in(site) as browser:
        for path in ("/mon-acces", PASSWORD_PAGE, EMAIL_PAGE, "/faq"):
            page = browser.get(path)
            header = re.search(r"<header.*?</header>", page.text, flags=re.DOTALL)
            assert header, path
            form = re.search(
                r'<form class="signout" method="post" action="[^"]+/deconnexion">.*?</form>',
                header.group(0),
            )
            assert form and ">Déconnexion</button>" in form.group(0), path
            assert f'value="{csrf_of(page)}"' in form.group(0)
        out = browser.post("/deconnexion", data={"csrf_token": csrf_of(page)})
        assert out.status_code == 200 and msg.SIGNED_OUT in text_of(out)
        again = browser.get("/mon-acces")
        assert httpx.URL(again.headers["location"]).params["motif"] == "deconnexion"
        assert msg.SIGNIN_AFTER_SIGN_OUT in text_of(follow(browser, again))


def test_the_sign_in_page_says_a_session_ended_for_want_of_activity(site: Site) -> None:
    person_id = ready(site)
    with signed_in(site) as browser:
        with site.db.transaction() as session:
            for row in session.scalars(select(WebSession).where(WebSession.person_id == person_id)):
                row.last_seen_at = utcnow() - timedelta(hours=1)
        ended = browser.get("/mon-acces")
        assert httpx.URL(ended.headers["location"]).params["motif"] == "inactivite"
        assert msg.SIGNIN_AFTER_IDLE in text_of(follow(browser, ended))


def test_an_invitation_link_opened_again_says_the_account_is_already_active(site: Site) -> None:
    person_id = invited_person(site.db)
    token = invitation_token(site.db, person_id)
    assert activate(site, token).status_code == 200
    with site.client() as browser:
        for answer in (
            browser.get(f"/activer/{token}"),
            submit(
                browser,
                f"/activer/{token}",
                {"password": GOOD_PASSWORD, "password_confirmation": GOOD_PASSWORD},
                page=browser.get("/connexion"),
            ),
        ):
            page = text_of(answer)
            assert answer.status_code == 200
            assert "Votre compte est déjà activé" in page
            assert link_named(answer, "Se connecter") == "/connexion"
            assert "Marie" not in page and "Curie" not in page and "marie.curie" not in page
    # A link that went to another address says nothing of the account.
    with site.db.transaction() as session:
        stray = tokens.issue(
            session,
            purpose=tokens.INVITATION,
            person_id=person_id,
            email="quelqu.un.dautre@example.org",
            ttl=timedelta(days=7),
        )
    with site.client() as browser:
        dead = browser.get(f"/activer/{stray}")
    assert dead.status_code == 404 and "déjà activé" not in text_of(dead)


def test_the_forgot_password_answer_links_back_to_sign_in(site: Site) -> None:
    with site.client() as browser:
        answer = submit(browser, "/mot-de-passe-oublie", {"email": "personne@example.org"})
    assert answer.status_code == 200
    assert link_named(answer, "Retour à la connexion") == "/connexion"


def test_the_reset_page_greets_the_person_as_the_activation_page_does(site: Site) -> None:
    person_id = ready(site)
    assert site.db.call(signin.start_password_reset_for, site.settings, person_id).sent
    (mail,) = site.deliver(1)
    with site.client() as browser:
        page = browser.get(path_of(link_in(mail, "/reinitialiser/")))
    words = re.sub(r"<[^>]+>", "", text_of(page))
    assert "Bonjour Marie Curie, choisissez un nouveau mot de passe" in words
    assert f"Votre nom d'utilisateur reste votre adresse e-mail de référence : {MARIE}" in words


def test_the_site_has_a_favicon_and_the_brand_leads_home(site: Site) -> None:
    with site.client() as browser:
        icon = browser.get("/favicon.ico")
        assert icon.status_code == 301
        svg = browser.get(path_of(icon.headers["location"]))
        page = browser.get("/connexion")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text
    assert (
        f'<link rel="icon" href="{site.url}/static/favicon.svg" type="image/svg+xml">' in page.text
    )
    brand = re.search(r'<p class="brand"><a href="([^"]+)">', page.text)
    assert brand and brand.group(1) == f"{site.url}/"


def test_the_account_pages_are_valid_html(site: Site) -> None:
    person_id = ready(site)
    pages: dict[str, str] = {}
    with site.client() as browser:
        pages["signin-why"] = browser.get("/connexion?motif=deconnexion&suite=/mon-acces").text
        assert sign_in(browser, MARIE, GOOD_PASSWORD).status_code == 303
        submit(browser, EMAIL_PAGE, {"new_email": NEW_EMAIL, "current_password": GOOD_PASSWORD})
        pages["my-access"] = browser.get("/mon-acces").text
        pages["password"] = browser.get(PASSWORD_PAGE).text
        pages["password-refused"] = change_password(browser, current="x", new="court").text
        pages["email"] = browser.get(EMAIL_PAGE).text
        pages["email-refused"] = submit(
            browser, EMAIL_PAGE, {"new_email": "pas une adresse", "current_password": "x"}
        ).text
        pages["signed-out"] = submit(browser, "/deconnexion", {}).text
        pages["forgot-answer"] = submit(
            browser, "/mot-de-passe-oublie", {"email": "personne@example.org"}
        ).text
    with site.client() as browser:
        token = invitation_token(site.db, invited_person(site.db, email="p@example.org"))
        assert activate(site, token).status_code == 200
        pages["already-active"] = browser.get(f"/activer/{token}").text
    assert site.db.call(signin.start_password_reset_for, site.settings, person_id).sent
    reset = next(m for m in site.deliver(4) if "/reinitialiser/" in m.text())
    with site.client() as browser:
        pages["reset"] = browser.get(path_of(link_in(reset, "/reinitialiser/"))).text
    assert html_errors(pages) == []
