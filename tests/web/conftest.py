"""The web app served for real: uvicorn on a loopback port, a real SMTP server receiving the
mails, httpx as the browser (cookies kept, redirects shown)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from access.accounts import tokens
from access.clock import utcnow
from access.directory.models import AccountStatus, Person
from access.mail import outbox
from access.mail import templates as mail
from access.persistence.database import Database
from bot.settings import Settings
from bot.web.app import create_app
from bot.web.limits import HttpLimits, uvicorn_options
from tests import people
from tests.conftest import TLS, command_env, free_port, settings_of_a_copy
from tests.live_server import ThreadedServer
from tests.slack_app import serve_process
from tests.smtp_server import Received, SmtpServer, smtp_server  # noqa: F401  (fixture)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
GOOD_PASSWORD = "cheval agrafe batterie correcte"


class LiveServer:
    """uvicorn in a thread, as `extranet-bot serve` runs it (its limits on slow clients
    included), stopped cleanly at the end."""

    def __init__(self, app: Starlette, port: int, limits: HttpLimits | None = None) -> None:
        self.server = ThreadedServer(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=port,
                log_level="warning",
                **uvicorn_options(limits or HttpLimits()),
            )
        )
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> LiveServer:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


@dataclass
class Site:
    """The running site and what a test needs around it."""

    url: str
    settings: Settings
    db: Database
    smtp: SmtpServer

    def client(self) -> httpx.Client:
        return httpx.Client(verify=TLS, base_url=self.url, follow_redirects=False, timeout=30)

    def deliver(self, count: int) -> list[Received]:
        """Run the outbox once and wait until `count` messages in all reached the SMTP server."""
        outbox.deliver_due(self.settings, self.db)
        return self.smtp.wait_for(count)

    def mails_to(self, address: str) -> list[Received]:
        return [m for m in self.smtp.messages if address.lower() in [r.lower() for r in m.rcpt_tos]]


def text_of(page: httpx.Response) -> str:
    """The page as a person reads it: HTML entities decoded."""
    return html.unescape(page.text)


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def submit(
    client: httpx.Client, path: str, fields: dict[str, str], *, page: httpx.Response | None = None
) -> httpx.Response:
    """GET the page (unless given), then POST its form with the CSRF token, as a browser does."""
    page = page if page is not None else client.get(path)
    return client.post(path, data={"csrf_token": csrf_of(page), **fields})


def link_in(mail: Received, path_part: str) -> str:
    links = [link for link in mail.links() if path_part in link]
    assert links, f"no {path_part} link in the mail"
    return links[0]


def path_of(url: str) -> str:
    return httpx.URL(url).raw_path.decode()


@pytest.fixture
def site(
    settings: Settings,
    db: Database,
    smtp_server: SmtpServer,  # noqa: F811
) -> Iterator[Site]:
    port = free_port()
    update = {**smtp_server.settings_update(), "public_base_url": f"http://127.0.0.1:{port}"}
    live_settings = settings.model_copy(update=update)
    with LiveServer(create_app(live_settings, db), port) as server:
        yield Site(url=server.url, settings=live_settings, db=db, smtp=smtp_server)


@dataclass
class Served:
    url: str
    log: Path


@pytest.fixture(scope="session")
def served(migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`extranet-bot serve` as operators start it (no Slack), its output in a log file: one
    process per xdist worker on a database of its own, which the tests of the command share
    (starting the process is most of their time); each reads only what its requests logged."""
    settings = settings_of_a_copy(migrated_sqlite, tmp_path_factory.mktemp("served"))
    log = settings.mail_dir.parent / "serve.log"
    with log.open("wb") as output, serve_process(command_env(settings), log=output) as url:
        yield Served(url, log)


def invited_person(
    db: Database,
    *,
    email: str = "marie.curie@example.org",
    first_name: str = "Marie",
    last_name: str = "Curie",
    fase: str = "1234",
    school_name: str = "École Saint-Joseph",
) -> int:
    with db.transaction() as session:
        school = people.establishment(session, fase=fase, name=school_name)
        someone = people.person(
            session,
            school,
            last_name=last_name,
            first_name=first_name,
            email=email,
            status=AccountStatus.INVITED,
        )
        return someone.id


def invitation_token(db: Database, person_id: int, *, ttl: timedelta = timedelta(days=7)) -> str:
    with db.transaction() as session:
        person = session.get(Person, person_id)
        assert person is not None and person.proeco_email
        return tokens.issue(
            session,
            purpose=tokens.INVITATION,
            person_id=person_id,
            email=person.proeco_email,
            ttl=ttl,
        )


def send_invitation(site: Site, person_id: int) -> None:
    """Put the person's invitation e-mail in the outbox, as the invitation service writes it."""
    ttl = timedelta(days=site.settings.invitation_ttl_days)
    with site.db.transaction() as session:
        person = session.get(Person, person_id)
        assert person is not None and person.proeco_email
        school = person.assignments[0].establishment
        raw = tokens.issue(
            session,
            purpose=tokens.INVITATION,
            person_id=person_id,
            email=person.proeco_email,
            ttl=ttl,
        )
        message = mail.render(
            site.settings,
            "invitation",
            to=(person.display_name, person.proeco_email),
            context={
                "person_name": person.display_name,
                "school_name": school.name,
                "fase": school.fase,
                "director_name": None,
                "link": mail.activation_link(site.settings, raw),
                "valid_days": site.settings.invitation_ttl_days,
                "expires_at": utcnow() + ttl,
            },
        )
        outbox.enqueue(session, message, kind="invitation", person_id=person_id)


def account_status(db: Database, person_id: int) -> tuple[str, str | None]:
    with db.transaction() as session:
        person = session.get(Person, person_id)
        assert person is not None and person.account is not None
        return person.account.status, person.account.reference_email


def activate(site: Site, token: str, password: str = GOOD_PASSWORD, **extra: str) -> httpx.Response:
    with site.client() as browser:
        return submit(
            browser,
            f"/activer/{token}",
            {"password": password, "password_confirmation": password, **extra},
        )


def sign_in(browser: httpx.Client, username: str, password: str, **extra: str) -> httpx.Response:
    return submit(browser, "/connexion", {"username": username, "password": password, **extra})
