"""« Votre situation » on the web (issue 18): the section and its button on « Mon accès »,
the public page « Ma situation » that mails the diagnosis to the address on file, and the
e-mail's single-use action link. Served for real, the mails read at a real SMTP server."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from access import messages as access_msg
from access.accounts.models import LoginAttempt, email_key
from access.accounts.signin import MAX_FAILURES, SIGNIN
from access.clock import utcnow
from access.diagnosis import by_mail
from access.directory.models import Account, AccountStatus, Establishment
from access.mail import outbox
from tests import people
from tests.browser import needs_chromium
from tests.diagnosis.school import (
    OTHER_FASE,
    SCHOOL,
    School,
    age_invitation,
    invite_team,
    lock_out,
    make_school,
)
from tests.smtp_server import Received
from tests.web.conftest import (
    GOOD_PASSWORD,
    Site,
    account_status,
    activate,
    invitation_token,
    link_in,
    path_of,
    sign_in,
    submit,
    text_of,
)
from tests.web.nu import html_errors
from tests.web.test_account_browser import PHONE
from tests.web.wcag import wcag_violations

UNKNOWN = "personne.inconnue@example.org"


def wait_until_requests_are_handled(site: Site) -> None:
    """The diagnosis is mailed just after the page answers: wait for that, as a person would."""
    deadline = time.monotonic() + 15
    unhandled = select(func.count()).where(
        LoginAttempt.kind == by_mail.KIND, LoginAttempt.success.is_(False)
    )
    while site.db.call(lambda session: session.scalar(unhandled)):
        assert time.monotonic() < deadline, "a situation request was never carried out"
        time.sleep(0.01)


def ask(site: Site, email: str) -> httpx.Response:
    with site.client() as browser:
        page = submit(browser, "/ma-situation", {"email": email})
    wait_until_requests_are_handled(site)
    return page


def situation_mail(site: Site, email: str) -> Received:
    """Ask for the situation of `email` and read the one e-mail it brings."""
    before = len(site.smtp.messages)
    assert ask(site, email).status_code == 200
    mails = site.deliver(before + 1)
    (mail,) = mails[before:]
    assert mail.rcpt_tos == [email]
    assert mail.message["Subject"] == "Votre situation sur l'Extranet"
    return mail


def press(site: Site, link: str) -> httpx.Response:
    """Open the e-mail's link (which spends nothing), then confirm with its button."""
    with site.client() as browser:
        page = browser.get(path_of(link))
        assert page.status_code == 200, text_of(page)
        return submit(browser, path_of(link), {}, page=page)


@pytest.fixture
def school(site: Site) -> School:
    return make_school(site.db)


# --- the public page ----------------------------------------------------------------------


def test_a_known_and_an_unknown_address_get_the_same_answer_and_only_one_mail(
    site: Site, school: School
) -> None:
    known = ask(site, school.teacher_email)
    unknown = ask(site, UNKNOWN)
    strip = re.compile(r'value="[^"]*"')
    assert known.status_code == unknown.status_code == 200
    assert strip.sub("", known.text) == strip.sub("", unknown.text)
    assert "un e-mail « Votre situation » vient d'y être envoyé" in text_of(known)
    (mail,) = site.deliver(1)
    assert mail.rcpt_tos == [school.teacher_email]
    time.sleep(0.2)
    assert len(site.smtp.messages) == 1


def test_not_invited_yet_the_mail_says_so_and_reminds_the_direction_once(
    site: Site, school: School
) -> None:
    mail = situation_mail(site, school.teacher_email)
    body = mail.text()
    assert f"Votre direction n'a pas encore envoyé les invitations pour {SCHOOL}." in body
    assert f"Adresse e-mail dans ProECO : {school.teacher_email}." in body  # whole: the owner's
    link = link_in(mail, "/ma-situation/action/")
    assert "Renvoyer mon invitation" not in mail.html()

    done = press(site, link)
    assert done.status_code == 200
    assert "C'est fait : 1 membre(s) de la direction" in text_of(done)
    (reminder,) = site.deliver(2)[1:]
    assert reminder.rcpt_tos == [school.director_email]
    assert "Lambert" in reminder.text()

    # The same link again: spent. A new e-mail: the direction is told, no second reminder.
    with site.client() as browser:
        again = submit(browser, path_of(link), {}, page=browser.get("/ma-situation"))
    assert again.status_code == 404
    assert "Ce lien n'est plus valable" in text_of(again)
    later = situation_mail(site, school.teacher_email)
    assert "Vous avez prévenu votre direction le" in later.text()
    assert "/ma-situation/action/" not in later.text()
    time.sleep(0.2)
    assert [m.rcpt_tos for m in site.smtp.messages].count([school.director_email]) == 1


def test_an_expired_link_is_said_and_the_mails_link_sends_an_invitation_that_activates_once(
    site: Site, school: School
) -> None:
    invite_team(site.db, site.settings, school)
    site.deliver(1)  # the team's one invitation: the teacher's
    site.smtp.clear()
    age_invitation(site.db, school.teacher, days=site.settings.invitation_ttl_days + 3)

    mail = situation_mail(site, school.teacher_email)
    assert "Votre lien a expiré le " in mail.text()
    link = link_in(mail, "/ma-situation/action/")

    done = press(site, link)
    assert done.status_code == 200
    assert f"votre invitation part vers {school.teacher_email}" in text_of(done)
    (invitation,) = site.deliver(2)[1:]
    assert invitation.rcpt_tos == [school.teacher_email]
    token = path_of(link_in(invitation, "/activer/")).rsplit("/", 1)[-1]
    assert activate(site, token).status_code == 200
    assert account_status(site.db, school.teacher)[0] == AccountStatus.ACTIVE

    with site.client() as browser:
        opened = browser.get(path_of(link))
    assert opened.status_code == 404  # single use
    assert "Ce lien n'est plus valable" in text_of(opened)


def test_a_locked_account_reads_until_when_and_is_sent_to_the_reset_page(
    site: Site, school: School
) -> None:
    lock_out(site.db, school.active_email)
    mail = situation_mail(site, school.active_email)
    assert "Connexion bloquée jusqu'à " in mail.text()
    assert path_of(link_in(mail, "/mot-de-passe-oublie")) == "/mot-de-passe-oublie"
    assert "/ma-situation/action/" not in mail.text()


def test_a_request_without_its_csrf_token_is_refused_in_french(site: Site, school: School) -> None:
    with site.client() as browser:
        browser.get("/ma-situation")
        page = browser.post("/ma-situation", data={"email": school.teacher_email})
    assert page.status_code == 403
    assert "Ce formulaire a expiré" in text_of(page)
    assert site.db.call(lambda s: s.scalar(select(func.count()).select_from(LoginAttempt))) == 0


def test_requests_are_limited_per_client(site: Site) -> None:
    answers = [ask(site, f"quelquun{n}@example.org").status_code for n in range(11)]
    assert answers == [200] * by_mail.PER_CLIENT + [429]
    over = ask(site, "encore@example.org")
    assert over.status_code == 429
    assert "Trop de demandes en peu de temps" in text_of(over)


def test_an_address_is_mailed_at_most_three_times_an_hour_without_saying_so(
    site: Site, school: School
) -> None:
    for n in range(by_mail.PER_ADDRESS + 1):
        result = site.db.call(
            by_mail.request_situation, site.settings, school.teacher_email, f"10.0.0.{n}"
        )
        assert result.accepted and result.message == access_msg.SITUATION_REQUESTED
        if result.pending is not None:
            site.db.call(by_mail.carry_out_situation_request, site.settings, result.pending)
    site.deliver(by_mail.PER_ADDRESS)
    time.sleep(0.2)
    assert len(site.mails_to(school.teacher_email)) == by_mail.PER_ADDRESS


# --- « Mon accès » ------------------------------------------------------------------------


def fail_to_sign_in_now(site: Site, address: str) -> None:
    """Someone else fails to sign in as `address` until it is blocked, after its owner's
    own successful sign-in."""
    with site.db.transaction() as session:
        for _ in range(MAX_FAILURES):
            session.add(
                LoginAttempt(kind=SIGNIN, email_key=email_key(address), at=utcnow(), success=False)
            )


@contextmanager
def signed_in(site: Site, school: School) -> Iterator[httpx.Client]:
    """Marie Dupont (active in the school) with a password, signed in."""
    with site.db.transaction() as session:
        account = session.scalars(select(Account).where(Account.person_id == school.active)).one()
        account.status = AccountStatus.INVITED.value
    assert activate(site, invitation_token(site.db, school.active)).status_code == 200
    with site.client() as browser:
        assert sign_in(browser, school.active_email, GOOD_PASSWORD).status_code == 303
        yield browser


def test_my_access_shows_the_situation_with_the_ended_school_and_the_addresses(
    site: Site, school: School
) -> None:
    with site.db.transaction() as session:
        other = session.scalars(select(Establishment).where(Establishment.fase == OTHER_FASE)).one()
        people.assign(session, school.active, other, "ENS").ended_at = utcnow()
    with signed_in(site, school) as browser:
        page = text_of(browser.get("/mon-acces"))
    assert "Votre situation" in page
    assert "Votre compte est activé depuis le" in page
    assert f"Adresse de référence (pour se connecter) : {school.active_email}." in page
    assert "a quitté l'établissement le" in page
    assert "Rien ne bloque" in page
    # Signed in with nothing blocking: no reset button (the password page is linked).
    assert "M'envoyer un lien de réinitialisation" not in page


def test_a_signed_in_person_whose_address_is_blocked_gets_one_reset_link(
    site: Site, school: School
) -> None:
    with signed_in(site, school) as browser:
        site.deliver(1)  # the activation's confirmation
        site.smtp.clear()
        fail_to_sign_in_now(site, school.active_email)
        page = browser.get("/mon-acces")
        assert "Connexion bloquée jusqu'à " in text_of(page)
        pressed = submit(browser, "/mon-acces/situation", {"action": "reset"}, page=page)
        assert pressed.status_code == 303
        after = text_of(browser.get("/mon-acces"))
    assert (
        f"Un lien pour choisir un nouveau mot de passe a été envoyé à {school.active_email}."
        in after
    )
    (mail,) = site.deliver(1)
    assert mail.rcpt_tos == [school.active_email]
    assert link_in(mail, "/reinitialiser/")


def test_a_button_that_no_longer_fits_is_refused_and_sends_nothing(
    site: Site, school: School
) -> None:
    with signed_in(site, school) as browser:
        site.deliver(1)
        site.smtp.clear()
        page = browser.get("/mon-acces")
        forged = submit(browser, "/mon-acces/situation", {"action": "remind"}, page=page)
        assert forged.status_code == 303
        after = text_of(browser.get("/mon-acces"))
        no_token = browser.post("/mon-acces/situation", data={"action": "reset"})
    assert "Cette action ne correspond plus à votre situation : Rien ne bloque" in after
    assert no_token.status_code == 403 and "Ce formulaire a expiré" in text_of(no_token)
    time.sleep(0.2)
    outbox.deliver_due(site.settings, site.db)
    assert site.smtp.messages == []


# --- valid HTML -------------------------------------------------------------------------


def test_the_new_pages_are_valid_html(site: Site, school: School) -> None:
    pages: dict[str, str] = {}
    with site.client() as browser:
        pages["ma-situation"] = browser.get("/ma-situation").text
        pages["ma-situation envoyée"] = submit(browser, "/ma-situation", {"email": UNKNOWN}).text
        pages["ma-situation vide"] = submit(browser, "/ma-situation", {"email": ""}).text
    wait_until_requests_are_handled(site)
    mail = situation_mail(site, school.teacher_email)
    link = path_of(link_in(mail, "/ma-situation/action/"))
    with site.client() as browser:
        pages["lien"] = browser.get(link).text
        pages["lien utilisé"] = submit(browser, link, {}).text
        pages["lien mort"] = browser.get(link).text
    with signed_in(site, school) as browser:
        fail_to_sign_in_now(site, school.active_email)
        pages["mon-acces"] = browser.get("/mon-acces").text
    pages["mail"] = mail.html()
    assert html_errors(pages) == []


# --- WCAG 2.2 AA at 390 px ------------------------------------------------------------------


def _phone_problems(page: Any) -> list[str]:
    """axe's WCAG 2.2 AA violations, and a page wider than the phone."""
    width = page.evaluate("document.documentElement.scrollWidth")
    return wcag_violations(page) + ([f"scrolls sideways: {width}px"] if width > 390 else [])


@needs_chromium
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_new_pages_meet_wcag_aa_on_a_phone(
    site: Site, school: School, shared_chromium: Any
) -> None:
    mail = situation_mail(site, school.teacher_email)
    link = link_in(mail, "/ma-situation/action/")
    with shared_chromium() as browser:
        page = browser.new_context(viewport=PHONE).new_page()
        page.goto(f"{site.url}/connexion")
        page.get_by_role("link", name="Impossible de vous connecter ?").click()
        page.wait_for_url(f"{site.url}/ma-situation")
        checked = {"ma-situation": _phone_problems(page)}
        page.get_by_label("Adresse e-mail").fill(UNKNOWN)
        page.get_by_role("button", name="Recevoir ma situation par e-mail").click()
        page.wait_for_load_state()
        assert "un e-mail « Votre situation »" in page.inner_text("main")
        checked["réponse"] = _phone_problems(page)
        page.goto(link)
        checked["lien"] = _phone_problems(page)
        page.get_by_role("button", name="Prévenir ma direction").click()
        page.wait_for_load_state()
        assert "C'est fait" in page.inner_text("main")
        checked["lien utilisé"] = _phone_problems(page)
    wait_until_requests_are_handled(site)
    assert checked == {name: [] for name in checked}
