"""Changing one's password and reference e-mail while signed in (access.accounts.changes), and
the invitation link of an account already active, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from access import messages as msg
from access.accounts import activation, changes, sessions, signin, tokens
from access.accounts.models import LoginAttempt, WebSession, email_key
from access.accounts.passwords import hash_password
from access.clock import utcnow
from access.directory.models import Account, AccountStatus, AuditEntry, Person
from access.mail.outbox.models import OutboxMessage
from access.persistence.database import Database
from bot.settings import Settings
from tests import people

MARIE = "marie.curie@example.org"
PASSWORD = "cheval agrafe batterie correcte"
NEW_PASSWORD = "un nouveau mot de passe solide"


def key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def marie(db: Database) -> int:
    with db.transaction() as session:
        school = people.establishment(session)
        person = people.person(
            session,
            school,
            last_name="Curie",
            first_name="Marie",
            email=MARIE,
            status=AccountStatus.ACTIVE,
        )
        account = session.scalars(select(Account).where(Account.person_id == person.id)).one()
        account.password_hash = hash_password(PASSWORD)
        return person.id


def start(db: Database, person_id: int, *, remember: bool = False) -> str:
    with db.transaction() as session:
        stored = session.scalars(
            select(Account.password_hash).where(Account.person_id == person_id)
        ).one()
        return sessions.start_session(
            session,
            person_id,
            credential_version=signin.session_version(stored),
            remember=remember,
        )


def signed_in_by(db: Database, secret: str | None) -> int | None:
    return None if secret is None else db.call(sessions.session_person, secret)


def mails(db: Database) -> list[tuple[str, list[str]]]:
    with db.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.kind, list(row.recipients)) for row in rows]


def audit_actions(db: Database) -> list[str]:
    with db.session() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def change(
    db: Database, settings: Settings, person_id: int, **fields: str | None
) -> changes.ChangeResult:
    values: dict[str, str | None] = {
        "current": PASSWORD,
        "password": NEW_PASSWORD,
        "confirmation": NEW_PASSWORD,
        "session_secret": None,
        **fields,
    }
    return changes.change_password(db, settings, person_id, **values)  # type: ignore[arg-type]


def test_a_new_password_keeps_this_browser_and_ends_every_other_session(
    db: Database, settings: Settings
) -> None:
    person_id = marie(db)
    here = start(db, person_id, remember=True)
    laptop, phone = start(db, person_id), start(db, person_id, remember=True)
    # A session already over by itself is not one the change ends.
    stale = start(db, person_id)
    with db.transaction() as session:
        row = session.get(WebSession, key(stale))
        assert row is not None
        row.last_seen_at = utcnow() - sessions.BROWSER.idle
    with db.session() as session:
        before = session.get(WebSession, key(here))
        assert before is not None
        expires = before.expires_at

    result = change(db, settings, person_id, session_secret=here)

    assert result.ok and result.problems == [] and result.other_sessions_ended == 2
    assert result.session_secret not in (None, here)
    assert signed_in_by(db, result.session_secret) == person_id
    assert [signed_in_by(db, one) for one in (here, laptop, phone)] == [None, None, None]
    with db.session() as session:
        kept = session.get(WebSession, key(result.session_secret or ""))
        assert kept is not None and kept.remember and kept.expires_at == expires
    assert signin.authenticate(db, settings, email=MARIE, password=NEW_PASSWORD).outcome == "ok"
    assert signin.authenticate(db, settings, email=MARIE, password=PASSWORD).outcome == "failed"
    assert mails(db) == [("password_changed", [MARIE])]
    with db.session() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "password.changed")
        ).one()
    assert entry.actor == f"person:{person_id}"
    assert entry.after == {"other_sessions_ended": 2}


def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failed_sign_in(
    db: Database, settings: Settings
) -> None:
    person_id = marie(db)
    here = start(db, person_id)
    result = change(db, settings, person_id, current="pas le bon mot de passe", session_secret=here)
    assert not result.ok and result.problems == [msg.CURRENT_PASSWORD_WRONG]
    assert signed_in_by(db, here) == person_id
    assert mails(db) == [] and "password.changed" not in audit_actions(db)
    with db.session() as session:
        failures = session.scalars(
            select(LoginAttempt).where(
                LoginAttempt.email_key == email_key(MARIE), LoginAttempt.success.is_(False)
            )
        ).all()
    assert len(failures) == 1


def test_ten_wrong_current_passwords_block_the_address_like_ten_failed_sign_ins(
    db: Database, settings: Settings
) -> None:
    person_id = marie(db)
    for _ in range(signin.MAX_FAILURES):
        assert not change(db, settings, person_id, current="pas le bon mot de passe").ok
    blocked = change(db, settings, person_id)
    assert blocked.blocked and not blocked.ok
    assert "temporairement bloqué" in blocked.problems[0]
    refused = signin.authenticate(db, settings, email=MARIE, password=PASSWORD)
    assert refused.outcome == signin.SignInOutcome.BLOCKED


def test_every_problem_of_the_form_is_told_at_once(db: Database, settings: Settings) -> None:
    person_id = marie(db)
    both = change(db, settings, person_id, current="faux", password="azertyuiop12")
    assert both.problems[0] == msg.CURRENT_PASSWORD_WRONG and len(both.problems) >= 2
    assert change(db, settings, person_id, current="").problems == [msg.CURRENT_PASSWORD_REQUIRED]
    mismatch = change(db, settings, person_id, confirmation="autre chose encore")
    assert mismatch.problems == [msg.PASSWORD_MISMATCH]
    same = change(db, settings, person_id, password=PASSWORD, confirmation=PASSWORD)
    assert same.problems == [msg.PASSWORD_UNCHANGED]
    named = change(
        db, settings, person_id, password="Marie Curie 1867", confirmation="Marie Curie 1867"
    )
    assert msg.PASSWORD_CONTAINS_NAME in named.problems
    assert mails(db) == []


def test_a_reset_link_asked_for_before_dies_with_the_change(
    db: Database, settings: Settings
) -> None:
    person_id = marie(db)
    assert db.call(signin.start_password_reset_for, settings, person_id).sent
    assert change(db, settings, person_id).ok
    with db.session() as session:
        assert tokens.pending_for_person(session, person_id, purpose=tokens.RESET) == []


def test_a_disabled_account_cannot_change_anything(db: Database, settings: Settings) -> None:
    person_id = marie(db)
    with db.transaction() as session:
        account = session.scalars(select(Account).where(Account.person_id == person_id)).one()
        account.status = AccountStatus.DISABLED.value
    assert change(db, settings, person_id).problems == [msg.ACCOUNT_NOT_ACTIVE]
    asked = changes.request_new_reference_email(
        db, settings, person_id, new_email="m.curie@ecole.example", password=PASSWORD
    )
    assert asked.problems == [msg.ACCOUNT_NOT_ACTIVE] and mails(db) == []


def ask_email(
    db: Database, settings: Settings, person_id: int, new_email: str, password: str = PASSWORD
) -> changes.ChangeResult:
    return changes.request_new_reference_email(
        db, settings, person_id, new_email=new_email, password=password
    )


def test_a_new_reference_email_waits_for_its_link_and_the_current_address_is_told(
    db: Database, settings: Settings
) -> None:
    person_id = marie(db)
    result = ask_email(db, settings, person_id, " M.Curie@Ecole.example ")
    assert result.ok and result.pending_email == "M.Curie@ecole.example"
    assert mails(db) == [
        ("email_change_confirmation", ["M.Curie@ecole.example"]),
        ("email_change_notice", [MARIE]),
    ]
    with db.session() as session:
        person = session.get(Person, person_id)
        assert person is not None and person.account is not None
        assert person.account.reference_email == MARIE
        pending = activation.pending_email_change(session, person_id)
    assert pending is not None and pending.new_email == "M.Curie@ecole.example"
    assert "email_change.requested" in audit_actions(db)


def test_a_second_request_replaces_the_first(db: Database, settings: Settings) -> None:
    person_id = marie(db)
    assert ask_email(db, settings, person_id, "premiere@ecole.example").ok
    assert ask_email(db, settings, person_id, "seconde@ecole.example").ok
    with db.session() as session:
        waiting = tokens.pending_for_person(session, person_id, purpose=tokens.EMAIL_CHANGE)
        pending = activation.pending_email_change(session, person_id)
    assert [token.email for token in waiting] == ["seconde@ecole.example"]
    assert pending is not None and pending.new_email == "seconde@ecole.example"


def test_the_email_change_needs_the_current_password(db: Database, settings: Settings) -> None:
    person_id = marie(db)
    wrong = ask_email(db, settings, person_id, "m.curie@ecole.example", "pas le bon")
    assert wrong.problems == [msg.CURRENT_PASSWORD_WRONG]
    empty = ask_email(db, settings, person_id, "m.curie@ecole.example", "")
    assert empty.problems == [msg.CURRENT_PASSWORD_REQUIRED]
    assert mails(db) == []


def test_someone_elses_address_is_told_only_after_the_right_password(
    db: Database, settings: Settings
) -> None:
    person_id = marie(db)
    with db.transaction() as session:
        people.person(session, None, first_name="Pierre", email="pierre.curie@example.org")
    wrong = ask_email(db, settings, person_id, "pierre.curie@example.org", "pas le bon")
    assert wrong.problems == [msg.CURRENT_PASSWORD_WRONG]
    taken = ask_email(db, settings, person_id, "pierre.curie@example.org")
    assert taken.problems == [msg.EMAIL_TAKEN] and mails(db) == []


def test_an_address_that_cannot_be_asked_for_says_why(db: Database, settings: Settings) -> None:
    person_id = marie(db)
    assert ask_email(db, settings, person_id, "  ").problems == [msg.NEW_EMAIL_REQUIRED]
    assert ask_email(db, settings, person_id, "pas une adresse").problems == [msg.EMAIL_INVALID]
    same = ask_email(db, settings, person_id, "Marie.Curie@Example.org")
    assert same.problems == [msg.EMAIL_ALREADY_REFERENCE]


def test_the_addresses_a_person_may_try_are_limited_per_hour(
    db: Database, settings: Settings
) -> None:
    person_id = marie(db)
    with db.transaction() as session:
        people.person(session, None, first_name="Pierre", email="pierre.curie@example.org")
    for _ in range(activation.EMAIL_CHOICES_PER_PERSON):
        assert ask_email(db, settings, person_id, "pierre.curie@example.org").problems == [
            msg.EMAIL_TAKEN
        ]
    refused = ask_email(db, settings, person_id, "libre@ecole.example")
    assert refused.problems == [msg.EMAIL_CHANGES_TOO_MANY] and mails(db) == []


def invited(db: Database) -> tuple[int, str]:
    with db.transaction() as session:
        school = people.establishment(session)
        person = people.person(
            session,
            school,
            first_name="Marie",
            last_name="Curie",
            email=MARIE,
            status=AccountStatus.INVITED,
        )
        raw = tokens.issue(
            session,
            purpose=tokens.INVITATION,
            person_id=person.id,
            email=MARIE,
            ttl=timedelta(days=7),
        )
        return person.id, raw


def test_a_used_invitation_of_an_active_account_is_recognised_not_a_strangers_link(
    db: Database, settings: Settings
) -> None:
    person_id, raw = invited(db)
    with db.transaction() as session:
        wrong_address = tokens.issue(
            session,
            purpose=tokens.INVITATION,
            person_id=person_id,
            email="quelqu.un.dautre@example.org",
            ttl=timedelta(days=7),
        )
    used = db.call(activation.invitation_already_used, raw)
    assert used is False  # still to be used: the activation form shows
    done = activation.activate(db, settings, raw, password=PASSWORD, confirmation=PASSWORD)
    assert done.ok
    assert db.call(activation.invitation_already_used, raw) is True
    assert db.call(activation.invitation_already_used, wrong_address) is False
    assert db.call(activation.invitation_already_used, tokens.new_raw()) is False
    with db.transaction() as session:
        account = session.scalars(select(Account).where(Account.person_id == person_id)).one()
        account.status = AccountStatus.DISABLED.value
    assert db.call(activation.invitation_already_used, raw) is False


def test_a_session_says_why_it_ended(db: Database) -> None:
    person_id = marie(db)
    t0 = utcnow()
    idle, old, closed = (start(db, person_id) for _ in range(3))
    db.call(sessions.end_session, closed)
    with db.transaction() as session:
        for secret, change_ in (
            (idle, {"last_seen_at": t0 - sessions.BROWSER.idle}),
            (old, {"expires_at": t0 - timedelta(seconds=1)}),
        ):
            row = session.get(WebSession, key(secret))
            assert row is not None
            for name, value in change_.items():
                setattr(row, name, value)
    assert db.call(sessions.check_session, idle).ended == sessions.Ended.IDLE
    assert db.call(sessions.check_session, old).ended == sessions.Ended.EXPIRED
    assert db.call(sessions.check_session, closed).ended == sessions.Ended.CLOSED
    assert db.call(sessions.check_session, "jamais émis").ended == sessions.Ended.CLOSED
