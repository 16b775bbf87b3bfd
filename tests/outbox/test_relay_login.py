"""A relay that wants a login, and encryption: STARTTLS and TLS with a certificate checked
against the authorities the process trusts (here a test authority, through SSL_CERT_FILE,
as an operator would for a relay with a private certificate)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from access.mail import outbox
from access.mail.outbox import OutboxMessage
from access.persistence.database import Database
from bot.settings import Settings
from tests.outbox.test_outbox import queue, statuses
from tests.smtp_server import SmtpServer

LOGIN = ("extranet", "s3cret-relay-password")


@pytest.fixture
def relay(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SmtpServer]:
    tls: Literal["none", "starttls", "tls"] = request.param
    server = SmtpServer(login=LOGIN, tls=tls, ca_dir=tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


def trusting(monkeypatch: pytest.MonkeyPatch, relay: SmtpServer) -> None:
    assert relay.ca_file is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(relay.ca_file))


@pytest.mark.parametrize("relay", ["starttls", "tls"], indirect=True)
def test_mail_goes_out_encrypted_and_logged_in(
    db: Database, settings: Settings, relay: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    trusting(monkeypatch, relay)
    live = settings.model_copy(update=relay.settings_update())
    queue(db, live, 6)
    assert outbox.deliver_due(live, db).sent == 6
    received = relay.wait_for(6)
    assert all(r.encrypted and r.logged_in for r in received)
    # One login per connection, not per message.
    assert relay.logins_tried <= live.outbox_concurrency
    assert statuses(db) == {"sent": 6}


@pytest.mark.parametrize("relay", ["starttls"], indirect=True)
def test_a_relay_whose_certificate_is_not_trusted_gets_nothing(
    db: Database, settings: Settings, relay: SmtpServer
) -> None:
    live = settings.model_copy(update=relay.settings_update())
    queue(db, live, 2)
    report = outbox.deliver_due(live, db)
    assert (report.sent, report.retried, report.failed) == (0, 2, 0)
    assert relay.messages == [] and relay.logins_tried == 0
    with db.session() as session:
        reasons = set(session.scalars(sa.select(OutboxMessage.last_error)))
    assert reasons == {"connection failed: SSLCertVerificationError"}


@pytest.mark.parametrize("relay", ["starttls"], indirect=True)
def test_refused_credentials_keep_the_mail_and_spare_the_relay_account(
    db: Database,
    settings: Settings,
    relay: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    trusting(monkeypatch, relay)
    wrong = settings.model_copy(
        update={**relay.settings_update(), "smtp_password": SecretStr("an-old-password")}
    )
    queue(db, wrong, 20)
    report = outbox.deliver_due(wrong, db)
    # Kept for a retry, not failed for good: the team list shows no « Échec d'envoi ».
    assert (report.sent, report.retried, report.failed) == (0, 20, 0)
    assert statuses(db) == {"pending": 20}
    with db.session() as session:
        reasons = set(session.scalars(sa.select(OutboxMessage.last_error)))
    assert len(reasons) == 1 and reasons.pop().startswith("535")
    # Not one login per message: relays lock an account after a few wrong passwords. (Each
    # connection tries the two mechanisms this relay offers, LOGIN and PLAIN.)
    assert relay.logins_tried <= 2 * wrong.outbox_concurrency
    assert "SMTP_PASSWORD" in caplog.text and "an-old-password" not in caplog.text

    # However long it takes to fix: more attempts than OUTBOX_MAX_ATTEMPTS fail nothing.
    for _ in range(wrong.outbox_max_attempts + 1):
        with db.transaction() as session:
            session.execute(sa.update(OutboxMessage).values(next_attempt_at=sa.func.now()))
        outbox.deliver_due(wrong, db)
    assert statuses(db) == {"pending": 20}

    # The operator fixes the password: the same messages go out with their next attempt.
    fixed = settings.model_copy(update=relay.settings_update())
    with db.transaction() as session:
        session.execute(sa.update(OutboxMessage).values(next_attempt_at=sa.func.now()))
    assert outbox.deliver_due(fixed, db).sent == 20
    assert len(relay.wait_for(20)) == 20
    assert statuses(db) == {"sent": 20}


@pytest.mark.parametrize("relay", ["none"], indirect=True)
def test_no_login_configured_for_a_relay_that_wants_one_is_a_setting_to_fix(
    db: Database, settings: Settings, relay: SmtpServer
) -> None:
    anonymous = settings.model_copy(
        update={**relay.settings_update(), "smtp_username": None, "smtp_password": None}
    )
    queue(db, anonymous, 3)
    report = outbox.deliver_due(anonymous, db)
    assert (report.sent, report.retried, report.failed) == (0, 3, 0)
    with db.session() as session:
        reasons = set(session.scalars(sa.select(OutboxMessage.last_error)))
    assert len(reasons) == 1 and reasons.pop().startswith("530")


@pytest.mark.parametrize("relay", ["starttls"], indirect=True)
def test_a_login_without_starttls_is_a_setting_to_fix(
    db: Database, settings: Settings, relay: SmtpServer
) -> None:
    """The relay offers AUTH only once the connection is encrypted; SMTP_TLS says none."""
    clear = settings.model_copy(update={**relay.settings_update(), "smtp_tls": "none"})
    queue(db, clear, 3)
    report = outbox.deliver_due(clear, db)
    assert (report.sent, report.retried, report.failed) == (0, 3, 0)
    assert relay.logins_tried == 0
    with db.session() as session:
        reasons = set(session.scalars(sa.select(OutboxMessage.last_error)))
    assert reasons == {"530 the relay offers no AUTH"}
