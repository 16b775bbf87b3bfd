"""The sign-in limits under attack, over real HTTP: concurrent attempts cannot outrun the
lockout, password hashing cannot exhaust the server, and every client that names one visitor
is counted, by sign-in and reset alike."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from access.accounts import passwords, signin
from access.accounts.models import LoginAttempt, email_key
from access.accounts.throttle import client_key
from access.clock import utcnow
from access.directory.models import Account
from bot.web import clients
from bot.web.app import create_app
from tests.conftest import free_port
from tests.web.conftest import (
    GOOD_PASSWORD,
    LiveServer,
    Site,
    activate,
    invitation_token,
    invited_person,
    sign_in,
    submit,
    text_of,
)
from tests.web.crowd import CallCounter, submit_together

EMAIL = "marie.curie@example.org"
CROWD = 30


def active_person(site: Site, email: str = EMAIL, fase: str = "1234") -> int:
    person_id = invited_person(site.db, email=email, fase=fase)
    assert activate(site, invitation_token(site.db, person_id)).status_code == 200
    return person_id


def attempts_for(site: Site, email: str) -> list[LoginAttempt]:
    with site.db.transaction() as session:
        query = (
            select(LoginAttempt)
            .where(LoginAttempt.kind == signin.SIGNIN, LoginAttempt.email_key == email_key(email))
            .order_by(LoginAttempt.id)
        )
        return list(session.scalars(query))


def without_token(page: httpx.Response) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", text_of(page))


class HeldChecks:
    """Wraps the password check: wrong passwords wait until released (at most `hold`
    seconds), as a slow hash would, so every concurrent attempt is in flight at once."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, hold: float = 10.0) -> None:
        self.release = threading.Event()
        self.hold = hold
        self.checks = CallCounter(self._check)
        self._verify = signin.verify_password
        monkeypatch.setattr(signin, "verify_password", self.checks)

    def _check(self, stored: str | None, password: str) -> bool:
        if password != GOOD_PASSWORD:
            self.release.wait(self.hold)
        return self._verify(stored, password)

    def wait_in_flight(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.checks.running < count and time.monotonic() < deadline:
            time.sleep(0.005)


@pytest.fixture
def roomy_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Enough queue for a crowd: these tests are about the lockout, not the 503."""
    monkeypatch.setattr(
        passwords,
        "HASHING",
        passwords.HashingSlots(passwords.HASHING.size, max_waiting=200, wait_seconds=60),
    )


# --- Item 2: the lockout cannot be raced -----------------------------------------------------


@pytest.mark.usefixtures("roomy_hashing")
def test_thirty_concurrent_wrong_passwords_check_at_most_ten(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thirty visitors at the same moment, each with its own CSRF session: ten passwords are
    checked, the other twenty are refused unchecked."""
    active_person(site)
    checks = CallCounter(signin.verify_password)
    monkeypatch.setattr(signin, "verify_password", checks)
    answers = submit_together(
        site, "/connexion", [{"username": EMAIL, "password": f"faux {n}"} for n in range(CROWD)]
    )
    assert checks.calls == signin.MAX_FAILURES
    statuses = [answer.status_code for answer in answers]
    assert set(statuses) <= {401, 429}
    assert statuses.count(429) >= CROWD - signin.MAX_FAILURES
    assert len(attempts_for(site, EMAIL)) == signin.MAX_FAILURES


@pytest.mark.usefixtures("roomy_hashing")
def test_concurrent_sign_ins_with_the_right_password_behave_as_one_after_another(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """29 wrong passwords and the right one at the same moment. Every check is written before
    it runs, and the attempts, in the order they were written, follow the rule a single
    visitor meets: the right password gets in only before the tenth failure, and a success
    starts the count again (as Keycloak does), so at most ten failures follow it."""
    active_person(site)
    checks = CallCounter(signin.verify_password)
    monkeypatch.setattr(signin, "verify_password", checks)
    passwords_ = [f"mauvais essai {n}" for n in range(CROWD - 1)] + [GOOD_PASSWORD]
    answers = submit_together(
        site, "/connexion", [{"username": EMAIL, "password": p} for p in passwords_]
    )

    attempts = attempts_for(site, EMAIL)
    assert checks.calls == len(attempts)
    failures_in_a_row = 0
    for attempt in attempts:
        if attempt.success:
            assert failures_in_a_row < signin.MAX_FAILURES
            failures_in_a_row = 0
        else:
            failures_in_a_row += 1
            assert failures_in_a_row <= signin.MAX_FAILURES
    successes = [attempt for attempt in attempts if attempt.success]
    assert answers[-1].status_code in (303, 429)
    assert len(successes) == (1 if answers[-1].status_code == 303 else 0)
    assert {answer.status_code for answer in answers[:-1]} <= {401, 429}


@pytest.mark.usefixtures("roomy_hashing")
def test_the_right_password_after_ten_failures_in_flight_is_refused_like_a_wrong_one(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten wrong passwords are still being checked when the right one arrives: it is refused
    with the very page a wrong password gets, and never checked."""
    active_person(site)
    held = HeldChecks(monkeypatch)
    crowd = threading.Thread(
        target=submit_together,
        args=(
            site,
            "/connexion",
            [{"username": EMAIL, "password": f"faux {n}"} for n in range(20)],
        ),
    )
    crowd.start()
    try:
        held.wait_in_flight(signin.MAX_FAILURES)
        with site.client() as browser:
            right = sign_in(browser, EMAIL, GOOD_PASSWORD)
    finally:
        held.release.set()
        crowd.join()
    with site.client() as browser:
        wrong = sign_in(browser, EMAIL, "encore un mauvais mot de passe")

    assert right.status_code == wrong.status_code == 429
    assert without_token(right) == without_token(wrong)
    assert held.checks.calls == signin.MAX_FAILURES
    assert not any(attempt.success for attempt in attempts_for(site, EMAIL))


@pytest.mark.usefixtures("roomy_hashing")
def test_the_block_started_by_concurrent_failures_is_audited_once(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from access.directory.models import AuditEntry

    active_person(site)
    held = HeldChecks(monkeypatch, hold=0.5)
    submit_together(
        site, "/connexion", [{"username": EMAIL, "password": f"faux {n}"} for n in range(15)]
    )
    assert held.checks.calls == signin.MAX_FAILURES
    with site.db.transaction() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "account.blocked")
        ).all()
    assert actions == ["account.blocked"]


@pytest.mark.usefixtures("roomy_hashing")
def test_one_client_on_many_addresses_at_once_checks_at_most_its_limit(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Password spraying from one visitor, all at once: the per-client limit holds too."""
    held = HeldChecks(monkeypatch, hold=1.0)
    total = signin.CLIENT_MAX_FAILURES + 10
    answers = submit_together(
        site,
        "/connexion",
        [
            {"username": f"personne{n}@example.org", "password": "Printemps2024!"}
            for n in range(total)
        ],
        headers=lambda _n: {"X-Forwarded-For": VISITOR},
    )
    assert held.checks.calls <= signin.CLIENT_MAX_FAILURES
    refused = [answer for answer in answers if answer.status_code == 429]
    assert len(refused) >= total - signin.CLIENT_MAX_FAILURES
    assert all("depuis cet appareil" in text_of(answer) for answer in refused)


def test_a_password_changed_while_the_old_one_is_checked_does_not_sign_in(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check runs outside any transaction: a reset that lands meanwhile wins, and the
    old password opens no session (which would carry the new password's version)."""
    person_id = active_person(site)
    checking, release = threading.Event(), threading.Event()
    verify = signin.verify_password

    def slow_check(stored: str | None, password: str) -> bool:
        checking.set()
        release.wait(10)
        return verify(stored, password)

    monkeypatch.setattr(signin, "verify_password", slow_check)
    seen: dict[str, httpx.Response] = {}

    def sign_in_with_the_old_password() -> None:
        with site.client() as browser:
            seen["answer"] = sign_in(browser, EMAIL, GOOD_PASSWORD)
            seen["after"] = browser.get("/mon-acces")

    visitor = threading.Thread(target=sign_in_with_the_old_password)
    visitor.start()
    assert checking.wait(10)
    with site.db.transaction() as session:
        account = session.scalars(select(Account).where(Account.person_id == person_id)).one()
        account.password_hash = passwords.HASHER.hash("un tout nouveau mot de passe")
    release.set()
    visitor.join()
    assert seen["answer"].status_code == 401
    assert seen["after"].status_code == 303


# --- Item 3: hashing cannot exhaust the server ------------------------------------------------


class CountingHasher:
    """The real hasher, slowed a little, counting how many hashes run at the same time."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.verify = CallCounter(self._slow(real.verify))
        self.hash = CallCounter(self._slow(real.hash))

    @staticmethod
    def _slow(function: object) -> object:
        def slowed(*args: object) -> object:
            time.sleep(0.05)
            return function(*args)  # type: ignore[operator]

        return slowed

    def check_needs_rehash(self, stored: str) -> bool:
        return self.real.check_needs_rehash(stored)

    @property
    def most_at_once(self) -> int:
        return max(self.verify.most_at_once, self.hash.most_at_once)


@pytest.mark.usefixtures("roomy_hashing")
def test_no_more_hashes_run_at_once_than_the_server_has_cores(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = CountingHasher(passwords.HASHER)
    monkeypatch.setattr(passwords, "HASHER", hasher)
    visitors = 16
    answers = submit_together(
        site,
        "/connexion",
        [{"username": f"personne{n}@example.org", "password": "faux"} for n in range(visitors)],
        headers=lambda n: {"X-Forwarded-For": f"81.246.1.{n + 1}"},
    )
    assert [answer.status_code for answer in answers] == [401] * visitors
    assert hasher.verify.calls == visitors
    assert 1 <= hasher.most_at_once <= passwords.HASHING.size


@pytest.fixture
def saturated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """One hashing slot, no queue, and the test holding that slot."""
    slots = passwords.HashingSlots(1, max_waiting=0, wait_seconds=0.05)
    monkeypatch.setattr(passwords, "HASHING", slots)
    with slots.hold():
        yield


def test_a_saturated_server_answers_503_in_french_and_counts_nothing(
    site: Site, request: pytest.FixtureRequest
) -> None:
    active_person(site)
    request.getfixturevalue("saturated")
    with site.client() as browser:
        answers = [sign_in(browser, EMAIL, f"faux {n}") for n in range(signin.MAX_FAILURES + 2)]
    for answer in answers:
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "5"
        assert "Réessayez dans quelques secondes" in text_of(answer)
        assert "Service très sollicité" in text_of(answer)
    # Nothing was checked, so nothing counts against the person.
    assert attempts_for(site, EMAIL) == []


def test_a_saturated_server_keeps_the_invitation_link_for_later(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    person_id = invited_person(site.db)
    token = invitation_token(site.db, person_id)
    slots = passwords.HashingSlots(1, max_waiting=0, wait_seconds=0.05)
    monkeypatch.setattr(passwords, "HASHING", slots)
    with slots.hold():
        busy = activate(site, token)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "5"
    assert activate(site, token).status_code == 200


def test_a_waiting_request_gets_the_slot_when_it_frees(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    active_person(site)
    slots = passwords.HashingSlots(1, max_waiting=1, wait_seconds=10)
    monkeypatch.setattr(passwords, "HASHING", slots)
    held = threading.Event()

    def hold_for_a_moment() -> None:
        with slots.hold():
            held.set()
            time.sleep(0.3)

    holder = threading.Thread(target=hold_for_a_moment)
    holder.start()
    held.wait(5)
    with site.client() as browser:
        answer = sign_in(browser, EMAIL, GOOD_PASSWORD)
    holder.join()
    assert answer.status_code == 303


# --- Item 3 and « decide and say » (b): which clients are counted ----------------------------

# A visitor's address as uvicorn reads it from X-Forwarded-For sent by a trusted proxy (the
# test server trusts loopback, uvicorn's default).
VISITOR = "81.246.0.10"


def fill_client_failures(site: Site, client: str, *, kind: str, count: int) -> datetime:
    """`count` attempts of `kind` from `client` just now, as if they had been made."""
    now = utcnow()
    with site.db.transaction() as session:
        session.add_all(
            LoginAttempt(
                kind=kind,
                email_key=email_key(f"someone{n}@example.org"),
                client=client_key(client),
                at=now - timedelta(seconds=n),
            )
            for n in range(count)
        )
    return now


@pytest.mark.parametrize(
    ("forwarded_for", "counted_as"),
    [(None, "127.0.0.1"), ("10.1.2.3", "10.1.2.3"), (VISITOR, VISITOR)],
    ids=["loopback", "private-visitor", "public-visitor"],
)
def test_sign_in_and_reset_limit_every_client_that_names_one_visitor(
    site: Site, forwarded_for: str | None, counted_as: str
) -> None:
    """Without a proxy the peer is the visitor, private or not; behind a trusted proxy the
    forwarded address is. Sign-in failures and reset requests are counted alike for it."""
    active_person(site)
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    fill_client_failures(site, counted_as, kind=signin.SIGNIN, count=signin.CLIENT_MAX_FAILURES)
    fill_client_failures(site, counted_as, kind=signin.RESET, count=signin.RESET_PER_CLIENT)
    with site.client() as browser:
        browser.headers.update(headers)
        refused = sign_in(browser, EMAIL, GOOD_PASSWORD)
        reset = submit(browser, "/mot-de-passe-oublie", {"email": EMAIL})
    assert refused.status_code == 429 and "depuis cet appareil" in text_of(refused)
    assert reset.status_code == 429 and "Trop de demandes" in text_of(reset)
    with site.client() as elsewhere:
        elsewhere.headers["X-Forwarded-For"] = "81.246.9.9"
        assert sign_in(elsewhere, EMAIL, GOOD_PASSWORD).status_code == 303


@pytest.fixture
def behind_untrusted_proxy(site: Site) -> Iterator[Site]:
    """The same site served by a uvicorn that trusts no proxy here (FORWARDED_ALLOW_IPS set
    to another address): requests from loopback with X-Forwarded-For come from a proxy it
    does not trust, whose private address every visitor would share."""
    port = free_port()
    live = LiveServer(create_app(site.settings, site.db), port)
    live.server.config.forwarded_allow_ips = "192.0.2.1"
    with live as server:
        yield Site(url=server.url, settings=site.settings, db=site.db, smtp=site.smtp)


def test_an_untrusted_proxys_address_is_never_refused_for_everyone(
    behind_untrusted_proxy: Site,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Counting the proxy would let 50 typos anywhere lock the whole site out: its address
    is not counted for sign-in nor for reset, and the operator is told what to set."""
    site = behind_untrusted_proxy
    monkeypatch.setattr(clients, "_operator_told", False)  # told once per process
    active_person(site)
    fill_client_failures(site, "127.0.0.1", kind=signin.SIGNIN, count=signin.CLIENT_MAX_FAILURES)
    fill_client_failures(site, "127.0.0.1", kind=signin.RESET, count=signin.RESET_PER_CLIENT)
    with caplog.at_level(logging.WARNING, logger="bot.web.clients"), site.client() as browser:
        browser.headers["X-Forwarded-For"] = VISITOR
        failed = sign_in(browser, EMAIL, "pas le bon mot de passe")
        reset = submit(browser, "/mot-de-passe-oublie", {"email": "personne@example.org"})
        signed_in = sign_in(browser, EMAIL, GOOD_PASSWORD)
    assert failed.status_code == 401
    assert reset.status_code == 200
    assert signed_in.status_code == 303
    assert "FORWARDED_ALLOW_IPS" in caplog.text
    with site.db.transaction() as session:
        counted = set(
            session.scalars(
                select(LoginAttempt.client).where(
                    LoginAttempt.at > utcnow() - timedelta(minutes=1),
                    LoginAttempt.email_key.in_(
                        [email_key(EMAIL), email_key("personne@example.org")]
                    ),
                )
            )
        )
    assert counted == {None}


@pytest.mark.parametrize("client", ["", "unknown"])
def test_a_request_without_a_client_address_is_counted_per_address_only(
    site: Site, client: str
) -> None:
    active_person(site)
    start = utcnow()
    for n in range(signin.CLIENT_MAX_FAILURES + 5):
        site.db.call(
            lambda session, n=n: session.add(
                LoginAttempt(
                    kind=signin.SIGNIN,
                    email_key=email_key(f"personne{n}@example.org"),
                    client=None,
                    at=start - timedelta(seconds=n),
                )
            )
        )
    outcome = signin.authenticate(
        site.db, site.settings, email=EMAIL, password=GOOD_PASSWORD, client=client
    ).outcome
    assert outcome is signin.SignInOutcome.OK
