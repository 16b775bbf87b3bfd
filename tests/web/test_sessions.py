"""Sessions kept on the server, over real HTTP: signing out ends a session for every copy of
its cookie, « Se déconnecter de tous les appareils » ends them all, a new password or a
disabled account ends them, and they end by themselves when idle or too old."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from access.accounts import sessions, signin
from access.accounts.models import WebSession
from access.clock import as_utc, utcnow
from access.directory.models import Account, AccountStatus, AuditEntry
from bot.web.security import COOKIE_NAME, stored_secret
from tests.web.conftest import (
    GOOD_PASSWORD,
    Site,
    csrf_of,
    link_in,
    path_of,
    sign_in,
    submit,
    text_of,
)
from tests.web.test_signin import active_person

MARIE = "marie.curie@example.org"
NEW_PASSWORD = "un nouveau mot de passe solide"


@contextmanager
def signed_in(
    site: Site, email: str = MARIE, password: str = GOOD_PASSWORD, **extra: str
) -> Iterator[httpx.Client]:
    with site.client() as browser:
        assert sign_in(browser, email, password, **extra).status_code == 303
        yield browser


def cookie_of(browser: httpx.Client) -> str:
    value = browser.cookies.get(COOKIE_NAME)
    assert value
    return value


def replay(site: Site, cookie: str, path: str = "/mon-acces") -> httpx.Response:
    """The cookie as an attacker who copied it sends it, from another client."""
    with site.client() as other:
        return other.get(path, headers={"Cookie": f"{COOKIE_NAME}={cookie}"})


def is_signed_in(answer: httpx.Response) -> bool:
    if answer.status_code == 200:
        return True
    assert answer.status_code == 303
    assert httpx.URL(answer.headers["location"]).path == "/connexion"
    return False


def rows_of(site: Site, person_id: int) -> list[WebSession]:
    with site.db.session() as session:
        return list(session.scalars(select(WebSession).where(WebSession.person_id == person_id)))


def set_times(site: Site, person_id: int, **times: Any) -> None:
    with site.db.transaction() as session:
        for row in session.scalars(select(WebSession).where(WebSession.person_id == person_id)):
            for name, value in times.items():
                setattr(row, name, value)


@pytest.mark.parametrize("remember", [False, True], ids=["browser", "remembered"])
def test_a_cookie_copied_before_signing_out_signs_nobody_in_after(
    site: Site, remember: bool
) -> None:
    active_person(site)
    extra = {"remember": "on"} if remember else {}
    with signed_in(site, **extra) as browser:
        copied = cookie_of(browser)
        assert is_signed_in(replay(site, copied))
        page = browser.get("/mon-acces")
        out = submit(browser, "/deconnexion", {}, page=page)
        assert out.status_code == 200 and "Vous êtes déconnecté·e." in text_of(out)
    assert not is_signed_in(replay(site, copied))
    # Not even the pages that only show who is signed in.
    assert "/deconnexion" not in replay(site, copied, "/faq").text


def test_signing_out_of_every_device_ends_every_session_of_the_person(site: Site) -> None:
    marie = active_person(site)
    active_person(site, email="pierre.curie@example.org", first_name="Pierre")
    with (
        signed_in(site) as laptop,
        signed_in(site, remember="on") as phone,
        signed_in(site, "pierre.curie@example.org") as other_person,
    ):
        copied = cookie_of(phone)
        page = laptop.get("/mon-acces")
        forms = re.findall(r"<form .*?</form>", page.text, flags=re.DOTALL)
        everywhere = next(form for form in forms if "tous les appareils" in form)
        hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', everywhere))
        assert hidden.keys() == {"csrf_token", "partout"}
        out = laptop.post("/deconnexion", data=hidden)
        assert out.status_code == 200
        assert "déconnecté·e de tous les appareils" in text_of(out)
        assert not is_signed_in(laptop.get("/mon-acces"))
        assert not is_signed_in(phone.get("/mon-acces"))
        assert is_signed_in(other_person.get("/mon-acces"))
    assert not is_signed_in(replay(site, copied))
    assert all(row.revoked_at is not None for row in rows_of(site, marie))
    with site.db.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "sessions.ended")
        ).one()
    assert entry.actor == f"person:{marie}" and entry.target_id == str(marie)
    assert entry.after == {"sessions": 2}


def test_the_button_is_on_my_access_and_the_sign_out_page_as_an_accessible_form(
    site: Site,
) -> None:
    active_person(site)
    with signed_in(site) as browser:
        for path in ("/mon-acces", "/deconnexion"):
            page = text_of(browser.get(path))
            form = re.search(
                r'<form method="post" action="[^"]+/deconnexion">(?:(?!</form>).)*'
                r"tous les appareils(?:(?!</form>).)*</form>",
                page,
                flags=re.DOTALL,
            )
            assert form, path
            button = re.search(r'<button type="submit"[^>]*>([^<]+)</button>', form.group(0))
            assert button and button.group(1) == "Se déconnecter de tous les appareils"
            described = re.search(r'aria-describedby="([^"]+)"', form.group(0))
            assert described and f'id="{described.group(1)}"' in form.group(0)


def test_signing_out_everywhere_needs_the_forms_token(site: Site) -> None:
    active_person(site)
    with signed_in(site) as browser, signed_in(site) as phone:
        forged = browser.post("/deconnexion", data={"partout": "1"})
        assert forged.status_code == 403
        assert is_signed_in(phone.get("/mon-acces"))
        assert is_signed_in(browser.get("/mon-acces"))


def test_signing_out_everywhere_after_the_session_ended_says_to_sign_in_first(
    site: Site,
) -> None:
    active_person(site)
    with signed_in(site) as browser, signed_in(site) as phone:
        page = browser.get("/mon-acces")
        with site.db.transaction() as session:
            key = hashlib.sha256(_secret_of(site, browser).encode()).hexdigest()
            row = session.get(WebSession, key)
            assert row is not None
            row.revoked_at = utcnow()
        out = browser.post("/deconnexion", data={"csrf_token": csrf_of(page), "partout": "1"})
        assert out.status_code == 200 and "connectez-vous puis choisissez" in text_of(out)
        assert is_signed_in(phone.get("/mon-acces"))


def _secret_of(site: Site, browser: httpx.Client) -> str:
    data = URLSafeTimedSerializer(stored_secret(site.db), salt="extranet-session").loads(
        cookie_of(browser)
    )
    assert isinstance(data, dict)
    return str(data["sid"])


def test_the_cookie_names_nobody_and_the_table_keeps_only_a_hash(site: Site) -> None:
    person_id = active_person(site)
    with signed_in(site) as browser:
        data = URLSafeTimedSerializer(stored_secret(site.db), salt="extranet-session").loads(
            cookie_of(browser)
        )
        secret = _secret_of(site, browser)
    assert set(data) == {"sid", "remember", "since", "csrf"}
    assert len(secret) >= 43  # 256 bits
    (row,) = rows_of(site, person_id)
    assert row.id == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(vars(row))


def test_a_made_up_session_secret_signs_nobody_in(site: Site) -> None:
    active_person(site)
    serializer = URLSafeTimedSerializer(stored_secret(site.db), salt="extranet-session")
    forged = serializer.dumps({"sid": "a" * 43, "remember": True, "since": 0, "csrf": "x"})
    assert not is_signed_in(replay(site, str(forged)))


def test_signing_in_again_ends_the_session_the_browser_held(site: Site) -> None:
    person_id = active_person(site)
    with signed_in(site) as browser:
        before = cookie_of(browser)
        # The sign-in form of a tab opened earlier: the page now sends a signed-in visitor on.
        page = browser.get("/mon-acces")
        again = submit(
            browser, "/connexion", {"username": MARIE, "password": GOOD_PASSWORD}, page=page
        )
        assert again.status_code == 303
        after = cookie_of(browser)
    assert not is_signed_in(replay(site, before))
    assert is_signed_in(replay(site, after))
    assert sorted(row.revoked_at is None for row in rows_of(site, person_id)) == [False, True]


@pytest.mark.parametrize(
    ("remember", "idle", "alive"),
    [
        (False, timedelta(minutes=29), True),
        (False, timedelta(minutes=31), False),
        (True, timedelta(days=6), True),
        (True, timedelta(days=8), False),
    ],
)
def test_a_session_ends_after_its_idle_time(
    site: Site, remember: bool, idle: timedelta, alive: bool
) -> None:
    person_id = active_person(site)
    with signed_in(site, **({"remember": "on"} if remember else {})) as browser:
        set_times(site, person_id, last_seen_at=utcnow() - idle)
        assert is_signed_in(browser.get("/mon-acces")) is alive


def test_a_request_counts_as_activity(site: Site) -> None:
    person_id = active_person(site)
    with signed_in(site) as browser:
        set_times(site, person_id, last_seen_at=utcnow() - timedelta(minutes=20))
        assert is_signed_in(browser.get("/mon-acces"))
        (row,) = rows_of(site, person_id)
        seen = as_utc(row.last_seen_at)
        assert seen is not None and utcnow() - seen < timedelta(minutes=1)
        # Twenty minutes more make 40 since sign-in, but only 20 since the last request.
        set_times(site, person_id, last_seen_at=utcnow() - timedelta(minutes=20))
        assert is_signed_in(browser.get("/mon-acces"))


@pytest.mark.parametrize(("remember", "maximum"), [(False, 12), (True, 30 * 24)])
def test_a_session_ends_at_its_absolute_lifetime_even_when_busy(
    site: Site, remember: bool, maximum: int
) -> None:
    person_id = active_person(site)
    with signed_in(site, **({"remember": "on"} if remember else {})) as browser:
        (row,) = rows_of(site, person_id)
        assert row.expires_at is not None and row.created_at is not None
        assert row.expires_at - row.created_at == timedelta(hours=maximum)
        set_times(site, person_id, expires_at=utcnow() - timedelta(seconds=1))
        assert not is_signed_in(browser.get("/mon-acces"))


def test_a_new_password_ends_every_session_and_every_copy(site: Site) -> None:
    person_id = active_person(site)
    with signed_in(site, remember="on") as elsewhere:
        copied = cookie_of(elsewhere)
        assert site.db.call(signin.start_password_reset_for, site.settings, person_id).sent
        (mail,) = [m for m in site.deliver(2) if "/reinitialiser/" in m.text()]
        with site.client() as browser:
            done = submit(
                browser,
                path_of(link_in(mail, "/reinitialiser/")),
                {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD},
            )
            assert done.status_code == 200
        assert not is_signed_in(elsewhere.get("/mon-acces"))
    assert not is_signed_in(replay(site, copied))
    with signed_in(site, password=NEW_PASSWORD) as fresh:
        assert is_signed_in(fresh.get("/mon-acces"))


def test_a_disabled_account_is_signed_out_at_once(site: Site) -> None:
    person_id = active_person(site)
    with signed_in(site, remember="on") as browser:
        with site.db.transaction() as session:
            account = session.scalars(select(Account).where(Account.person_id == person_id)).one()
            account.status = AccountStatus.DISABLED.value
        assert not is_signed_in(browser.get("/mon-acces"))
        with site.db.transaction() as session:
            account = session.scalars(select(Account).where(Account.person_id == person_id)).one()
            account.status = AccountStatus.ACTIVE.value
        # Coming back does not bring the ended session back.
        assert not is_signed_in(browser.get("/mon-acces"))


def test_an_ended_session_keeps_the_forms_token_so_a_form_being_typed_survives(
    site: Site,
) -> None:
    person_id = active_person(site)
    with signed_in(site) as browser:
        page = browser.get("/support")
        set_times(site, person_id, last_seen_at=utcnow() - timedelta(hours=1))
        answer = browser.post("/support", data={"csrf_token": csrf_of(page), "last_name": ""})
        assert answer.status_code == 400
        assert "Ce formulaire a expiré" not in text_of(answer)
        assert "/deconnexion" not in answer.text


def test_sessions_that_ended_are_deleted_at_the_next_sign_in(site: Site) -> None:
    person_id = active_person(site)
    now = utcnow()
    ended = {
        "signed out": {"revoked_at": now},
        "too old": {"expires_at": now - timedelta(seconds=1)},
        "idle": {"last_seen_at": now - sessions.BROWSER.idle},
        "idle, remembered": {"remember": True, "last_seen_at": now - sessions.REMEMBERED.idle},
    }
    with site.db.transaction() as session:
        version = signin.session_version(
            session.scalars(
                select(Account.password_hash).where(Account.person_id == person_id)
            ).one()
        )
        for n, (why, change) in enumerate({**ended, "alive": {}}.items()):
            columns: dict[str, Any] = {
                "remember": False,
                "created_at": now - timedelta(minutes=n),
                "last_seen_at": now,
                "expires_at": now + timedelta(hours=1),
                **change,
            }
            session.add(
                WebSession(
                    id=hashlib.sha256(why.encode()).hexdigest(),
                    person_id=person_id,
                    credential_version=version,
                    **columns,
                )
            )
    with signed_in(site):
        pass
    left = {row.id for row in rows_of(site, person_id)}
    assert hashlib.sha256(b"alive").hexdigest() in left
    assert not left & {hashlib.sha256(why.encode()).hexdigest() for why in ended}
    assert len(left) == 2  # the one alive and the one just started
