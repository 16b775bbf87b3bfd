"""« Identifiant ou mot de passe oublié ? »: no enumeration, rate limits, a one-hour single-use
link, and the chat's self-service entry."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from access import messages as msg
from access.accounts import signin, throttle, tokens
from access.accounts.models import LoginAttempt
from access.clock import utcnow
from access.directory.models import Person
from access.mail import outbox
from bot.settings import Settings
from tests.web.conftest import (
    GOOD_PASSWORD,
    Site,
    activate,
    invitation_token,
    invited_person,
    link_in,
    path_of,
    sign_in,
    submit,
    text_of,
)

NEW_PASSWORD = "un nouveau mot de passe solide"


def active_person(site: Site, email: str = "marie.curie@example.org") -> int:
    person_id = invited_person(site.db, email=email)
    assert activate(site, invitation_token(site.db, person_id)).status_code == 200
    site.deliver(1)
    site.smtp.clear()
    return person_id


def wait_until_reset_requests_are_handled(site: Site) -> None:
    """The link is written just after the page answers: wait for that, as a person would."""
    deadline = time.monotonic() + 15
    unhandled = select(func.count()).where(
        LoginAttempt.kind == signin.RESET, LoginAttempt.success.is_(False)
    )
    while site.db.call(lambda session: session.scalar(unhandled)):
        assert time.monotonic() < deadline, "a reset request was never carried out"
        time.sleep(0.01)


def ask_reset(site: Site, email: str) -> tuple[int, str]:
    with site.client() as browser:
        page = submit(browser, "/mot-de-passe-oublie", {"email": email})
    wait_until_reset_requests_are_handled(site)
    return page.status_code, re.sub(r'value="[^"]*"', "", text_of(page))


def test_known_and_unknown_addresses_get_the_same_answer(site: Site) -> None:
    active_person(site)
    known = ask_reset(site, "marie.curie@example.org")
    unknown = ask_reset(site, "personne@example.org")
    assert known == unknown
    assert known[0] == 200
    assert "Si un compte activé correspond à cette adresse" in known[1]
    (mail,) = site.deliver(1)
    assert mail.rcpt_tos == ["marie.curie@example.org"]
    assert "valable 60 minutes" in mail.text()


def test_the_reset_link_sets_a_new_password_once(site: Site) -> None:
    active_person(site)
    ask_reset(site, "marie.curie@example.org")
    (mail,) = site.deliver(1)
    link = link_in(mail, "/reinitialiser/")
    assert link.startswith(site.url)

    with site.client() as browser:
        page = browser.get(path_of(link))
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert browser.get(path_of(link)).status_code == 200  # opening spends nothing
        weak = submit(
            browser,
            path_of(link),
            {"password": "motdepasse123", "password_confirmation": "motdepasse123"},
        )
        assert weak.status_code == 400 and msg.PASSWORD_TOO_COMMON in text_of(weak)
        walk = submit(
            browser,
            path_of(link),
            {"password": "q w e r t y u i o p", "password_confirmation": "q w e r t y u i o p"},
        )
        assert walk.status_code == 400
        assert "Trop prévisible : une suite du clavier" in text_of(walk)
        done = submit(
            browser,
            path_of(link),
            {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD},
        )
        assert done.status_code == 200 and msg.PASSWORD_CHANGED in text_of(done)
        assert browser.get(path_of(link)).status_code == 404

    with site.client() as browser:
        assert sign_in(browser, "marie.curie@example.org", GOOD_PASSWORD).status_code == 401
        assert sign_in(browser, "marie.curie@example.org", NEW_PASSWORD).status_code == 303
    (notice,) = site.deliver(2)[1:]
    assert "mot de passe de votre compte Extranet a été changé le" in notice.text()


def test_a_new_password_signs_out_the_other_sessions(site: Site) -> None:
    person_id = active_person(site)
    with site.client() as elsewhere:
        sign_in(elsewhere, "marie.curie@example.org", GOOD_PASSWORD)
        assert elsewhere.get("/mon-acces").status_code == 200
        start = site.db.call(signin.start_password_reset_for, site.settings, person_id)
        assert start.sent
        (mail,) = site.deliver(1)
        with site.client() as browser:
            submit(
                browser,
                path_of(link_in(mail, "/reinitialiser/")),
                {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD},
            )
        assert elsewhere.get("/mon-acces").status_code == 303


def test_the_reset_link_expires_after_one_hour(site: Site) -> None:
    person_id = active_person(site)
    with site.db.transaction() as session:
        raw = tokens.issue(
            session,
            purpose=tokens.RESET,
            person_id=person_id,
            email="marie.curie@example.org",
            ttl=timedelta(minutes=site.settings.reset_ttl_minutes),
            now=utcnow() - timedelta(minutes=61),
        )
    with site.client() as browser:
        page = browser.get(f"/reinitialiser/{raw}")
    assert page.status_code == 404
    assert "Demandez un nouveau lien" in text_of(page)


def test_a_reset_lifts_the_sign_in_block(site: Site) -> None:
    active_person(site)
    with site.client() as browser:
        for n in range(10):
            sign_in(browser, "marie.curie@example.org", f"mauvais {n}")
        assert sign_in(browser, "marie.curie@example.org", GOOD_PASSWORD).status_code == 429
    ask_reset(site, "marie.curie@example.org")
    (mail,) = site.deliver(1)
    with site.client() as browser:
        submit(
            browser,
            path_of(link_in(mail, "/reinitialiser/")),
            {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD},
        )
        assert sign_in(browser, "marie.curie@example.org", NEW_PASSWORD).status_code == 303


def test_requests_are_limited_per_address_without_saying_so(site: Site) -> None:
    active_person(site)
    for n in range(signin.RESET_PER_ADDRESS + 2):
        result = site.db.call(
            signin.request_password_reset,
            site.settings,
            "marie.curie@example.org",
            f"10.0.0.{n}",
        )
        assert result.outcome is signin.ResetOutcome.ACCEPTED
        if result.pending is not None:
            site.db.call(signin.carry_out_reset_request, site.settings, result.pending)
    site.deliver(signin.RESET_PER_ADDRESS)
    assert len(site.smtp.messages) == signin.RESET_PER_ADDRESS


def test_requests_are_limited_per_client(site: Site) -> None:
    answers = [ask_reset(site, f"someone{n}@example.org")[0] for n in range(11)]
    assert answers == [200] * 10 + [429]
    status, text = ask_reset(site, "another@example.org")
    assert status == 429 and "Trop de demandes" in text


def test_only_active_accounts_receive_a_link(site: Site) -> None:
    invited_person(site.db)
    ask_reset(site, "marie.curie@example.org")
    outbox.deliver_due(site.settings, site.db)
    assert site.smtp.messages == []


def test_chat_self_service_names_the_address_and_is_rate_limited(site: Site) -> None:
    person_id = active_person(site)
    first = site.db.call(signin.start_password_reset_for, site.settings, person_id)
    assert first.sent and "marie.curie@example.org" in first.message
    for _ in range(signin.RESET_PER_ADDRESS - 1):
        site.db.call(signin.start_password_reset_for, site.settings, person_id)
    over = site.db.call(signin.start_password_reset_for, site.settings, person_id)
    assert not over.sent and over.message == msg.RESET_TOO_MANY
    # Each new link revokes the previous one: only one of the mails still works.
    mails = site.deliver(signin.RESET_PER_ADDRESS)
    links = [path_of(link_in(mail, "/reinitialiser/")) for mail in mails]
    with site.client() as browser:
        assert sorted(browser.get(link).status_code for link in links) == [200, 404, 404]


def test_chat_self_service_refuses_an_account_not_yet_active(site: Site) -> None:
    person_id = invited_person(site.db)
    start = site.db.call(signin.start_password_reset_for, site.settings, person_id)
    assert not start.sent and start.message == msg.RESET_NOT_POSSIBLE


def test_a_reset_link_to_a_former_reference_address_no_longer_works(site: Site) -> None:
    person_id = active_person(site)
    ask_reset(site, "marie.curie@example.org")
    (mail,) = site.deliver(1)
    path = path_of(link_in(mail, "/reinitialiser/"))
    # The person confirmed another reference address after the link was sent.
    with site.db.transaction() as session:
        person = session.get(Person, person_id)
        assert person is not None and person.account is not None
        person.account.reference_email = "marie@ailleurs.example.org"

    fields = {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD}
    with site.client() as browser:
        assert browser.get(path).status_code == 404
        posted = submit(browser, path, fields, page=browser.get("/connexion"))
    assert posted.status_code == 404
    with site.client() as browser:
        assert sign_in(browser, "marie@ailleurs.example.org", GOOD_PASSWORD).status_code == 303


class Statements:
    """The SQL the site runs while answering: not what runs after the answer
    (`carry_out_reset_request`, whose calls are listed apart), nor the test's own queries."""

    def __init__(self, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
        self.recorded: list[str] = []
        self.carried_out: list[str] = []
        self._after_answer = threading.local()
        self._test_thread = threading.get_ident()
        self._engine = site.db.engine
        carry_out = signin.carry_out_reset_request

        def after_answer(
            session: Session, settings: Settings, pending: throttle.PendingRequest
        ) -> bool:
            self._after_answer.active = True
            try:
                self.carried_out.append(pending.address)
                return carry_out(session, settings, pending)
            finally:
                self._after_answer.active = False

        monkeypatch.setattr(signin, "carry_out_reset_request", after_answer)

    def _record(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        answering = not getattr(self._after_answer, "active", False)
        if threading.get_ident() != self._test_thread and answering:
            self.recorded.append(statement)

    def during(self, action: Callable[[], object]) -> list[str]:
        self.recorded = []
        event.listen(self._engine, "before_cursor_execute", self._record)
        try:
            action()
        finally:
            event.remove(self._engine, "before_cursor_execute", self._record)
        return self.recorded


def test_a_reset_request_does_the_same_work_whether_the_address_has_an_account_or_not(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stranger timing the answer learns nothing: until the page is answered, the same
    statements run and the same page is rendered for an active account's address and for an
    unknown one; the link is written after the answer, for both the same way."""
    active_person(site)
    statements = Statements(site, monkeypatch)
    known = statements.during(lambda: ask_reset(site, "marie.curie@example.org"))
    unknown = statements.during(lambda: ask_reset(site, "personne@example.org"))
    assert known == unknown
    assert any("login_attempts" in statement for statement in known)
    assert not any("secret_tokens" in statement or "outbox" in statement for statement in known)
    assert statements.carried_out == ["marie.curie@example.org", "personne@example.org"]
    (mail,) = site.deliver(1)
    assert mail.rcpt_tos == ["marie.curie@example.org"]
