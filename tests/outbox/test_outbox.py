from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from access.clock import utcnow
from access.invitations.delivery import last_failure_for
from access.mail import outbox
from access.mail import templates as mail
from access.mail.outbox import OutboxBody, OutboxMessage, OutboxStatus
from access.persistence.database import Database
from bot.settings import Settings
from tests import people
from tests.smtp_server import SmtpServer


def _code_mail(settings: Settings, to: str, code: str = "123456") -> mail.Letter:
    return mail.render(
        settings,
        "link_code",
        to=("Jean Dupont", to),
        context={
            "person_name": "Jean Dupont",
            "code": code,
            "valid_minutes": 10,
            "channel_label": "Slack",
        },
    )


def queue(db: Database, settings: Settings, count: int, *, person_id: int | None = None) -> None:
    with db.transaction() as session:
        for n in range(count):
            outbox.enqueue(
                session,
                _code_mail(settings, f"person{n}@example.org", f"{n:06d}"),
                kind="invitation",
                person_id=person_id,
            )


def queue_to(db: Database, settings: Settings, recipient: str, message_id: str) -> None:
    """A message to an address `access.mail.templates` would refuse, as a damaged row would hold."""
    sealed = outbox.seal(_code_mail(settings, "anne@example.org"))
    with db.transaction() as session:
        outbox.enqueue(
            session,
            outbox.Sealed(message_id, sealed.mail_from, [recipient], sealed.raw),
            kind="test",
        )


def statuses(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(
            sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
        ).all()
    return {status: count for status, count in rows}


@pytest.fixture
def smtp_settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return settings.model_copy(
        update={**smtp_server.settings_update(), "outbox_retry_base_seconds": 0.05}
    )


def test_a_mail_whose_cause_rolls_back_is_never_sent(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        outbox.enqueue(session, _code_mail(smtp_settings, "a@example.org"), kind="link_code")
        raise RuntimeError("the change failed")
    report = outbox.deliver_due(smtp_settings, db)
    assert report.sent == 0
    assert smtp_server.messages == []


def test_every_queued_mail_arrives_once_over_reused_connections(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    queue(db, smtp_settings, 40)
    report = outbox.deliver_due(smtp_settings, db)
    assert report.sent == 40
    received = smtp_server.wait_for(40)
    assert sorted(r.rcpt_tos[0] for r in received) == sorted(
        f"person{n}@example.org" for n in range(40)
    )
    assert len({r.message_id for r in received}) == 40
    assert smtp_server.connections <= smtp_settings.outbox_concurrency
    assert statuses(db) == {"sent": 40}


def test_mail_queued_while_the_worker_sends_goes_out_in_the_same_run(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    """A school's invitations arrive chunk after chunk: the run that is sending takes them."""
    smtp_server.delay = 0.01
    quick_poll = smtp_settings.model_copy(update={"outbox_poll_seconds": 0.05})
    queue(db, quick_poll, 20)
    with ThreadPoolExecutor(max_workers=1) as pool:
        run = pool.submit(outbox.deliver_due, quick_poll, db)
        smtp_server.wait_for(1)
        with db.transaction() as session:
            outbox.enqueue(
                session, _code_mail(quick_poll, "late@example.org", "999999"), kind="invitation"
            )
        report = run.result(timeout=60)
    assert report.sent == 21
    assert "late@example.org" in {r.rcpt_tos[0] for r in smtp_server.wait_for(21)}
    assert statuses(db) == {"sent": 21}


def test_a_temporary_refusal_is_retried_later_with_the_same_message_id(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    queue(db, smtp_settings, 1)
    with db.session() as session:
        stored_id = session.scalars(sa.select(OutboxMessage.message_id)).one()
    smtp_server.fail_next("451 4.3.0 Try again later")
    first = outbox.deliver_due(smtp_settings, db)
    assert (first.sent, first.retried) == (0, 1)
    with db.session() as session:
        row = session.scalars(sa.select(OutboxMessage)).one()
        assert row.status == OutboxStatus.PENDING
        assert row.last_error == "451 4.3.0 Try again later"
        assert row.attempts == 1
    # Not due yet: the backoff holds it back.
    smtp_settings_slow = smtp_settings.model_copy(update={"outbox_retry_base_seconds": 3600})
    with db.transaction() as session:
        session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow() + timedelta(1)))
    assert outbox.deliver_due(smtp_settings_slow, db).claimed == 0
    with db.transaction() as session:
        session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
    assert outbox.deliver_due(smtp_settings, db).sent == 1
    (received,) = smtp_server.wait_for(1)
    assert received.message_id == stored_id


def test_a_permanent_refusal_fails_with_the_server_reason_shown_to_the_director(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    with db.transaction() as session:
        school = people.establishment(session)
        bounced = people.person(session, school, email="nobody@example.org")
        fine = people.person(session, school, first_name="Anne", email="anne@example.org")
        for someone in (bounced, fine):
            outbox.enqueue(
                session,
                _code_mail(smtp_settings, someone.proeco_email or ""),
                kind="invitation",
                person_id=someone.id,
            )
    smtp_server.refuse["nobody@example.org"] = "550 5.1.1 User unknown"
    report = outbox.deliver_due(smtp_settings, db)
    assert (report.sent, report.failed) == (1, 1)
    with db.session() as session:
        failures = last_failure_for(session, [bounced.id, fine.id])
    assert failures == {bounced.id: "550 5.1.1 User unknown"}


def test_after_a_refusal_the_same_connection_sends_the_next_messages_byte_for_byte(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    # One connection: the refused envelope must be reset before the next message uses it.
    one_connection = smtp_settings.model_copy(update={"outbox_concurrency": 1})
    smtp_server.refuse["person0@example.org"] = "550 5.1.1 User unknown"
    smtp_server.fail_next("552 5.3.4 Message too big")
    queue(db, one_connection, 4)
    with db.session() as session:
        stored = dict(
            session.execute(
                sa.select(OutboxMessage.message_id, OutboxBody.raw).join(
                    OutboxBody, OutboxBody.outbox_id == OutboxMessage.id
                )
            ).all()
        )
    report = outbox.deliver_due(one_connection, db)
    assert (report.sent, report.failed) == (2, 2)
    arrived = smtp_server.wait_for(2)
    assert smtp_server.connections == 1
    assert sorted(m.rcpt_tos[0] for m in arrived) == ["person2@example.org", "person3@example.org"]
    for message in arrived:
        assert message.data == bytes(stored[message.message_id])


def test_bytes_are_kept_until_sent_or_failed_for_good_and_no_longer(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    # A sent invitation's bytes hold a live activation link: the database must not keep it.
    smtp_server.refuse["person0@example.org"] = "550 5.1.1 User unknown"
    smtp_server.refuse["person1@example.org"] = "451 4.3.0 Try again later"
    queue(db, smtp_settings, 3)
    report = outbox.deliver_due(smtp_settings, db)
    assert (report.sent, report.retried, report.failed) == (1, 1, 1)
    with db.session() as session:
        kept = session.execute(
            sa.select(OutboxMessage.recipients, OutboxMessage.status, OutboxBody.raw)
            .outerjoin(OutboxBody, OutboxBody.outbox_id == OutboxMessage.id)
            .order_by(OutboxMessage.id)
        ).all()
    assert [(r.recipients, r.status, r.raw is not None) for r in kept] == [
        (["person0@example.org"], "failed", False),
        (["person1@example.org"], "pending", True),
        (["person2@example.org"], "sent", False),
    ]
    del smtp_server.refuse["person1@example.org"]
    time.sleep(0.3)  # the retry's backoff (0.05 s base, with jitter)
    report = outbox.deliver_due(smtp_settings, db)
    assert report.sent == 1
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxBody)) == 0
    assert "000001" in smtp_server.wait_for(2)[-1].text()


def test_a_message_whose_bytes_were_deleted_by_hand_fails_and_the_others_go_out(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    queue(db, smtp_settings, 3)
    with db.transaction() as session:
        damaged = session.scalars(sa.select(OutboxMessage.id).order_by(OutboxMessage.id)).all()[1]
        session.execute(sa.delete(OutboxBody).where(OutboxBody.outbox_id == damaged))
    report = outbox.deliver_due(smtp_settings, db)
    assert report.sent == 2
    assert sorted(m.rcpt_tos[0] for m in smtp_server.wait_for(2)) == [
        "person0@example.org",
        "person2@example.org",
    ]
    with db.session() as session:
        row = session.get(OutboxMessage, damaged)
        assert row is not None
        assert (row.status, row.last_error) == ("failed", outbox.BYTES_LOST)
    assert statuses(db) == {"sent": 2, "failed": 1}


def test_lines_starting_with_a_dot_arrive_as_written_and_bare_line_ends_as_crlf(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    # The worker doubles leading dots itself for bytes in SMTP's shape (CRLF only), and
    # leaves anything else to aiosmtplib, which also fixes the line endings.
    sender = "no-reply@example.org"
    raws = {
        "<crlf@x>": b"Subject: dots\r\n\r\n.\r\n..two\r\n.three\r\nend.\r\n.\r\n",
        "<no-final-crlf@x>": b"Subject: dots\r\n\r\n.one\r\nlast",
        "<bare-lf@x>": b"Subject: dots\n\n.one\nmiddle\rlast\r\n",
    }
    with db.transaction() as session:
        for message_id, raw in raws.items():
            sealed = outbox.Sealed(message_id, sender, ["anne@example.org"], raw)
            outbox.enqueue(session, sealed, kind="test")
    assert outbox.deliver_due(smtp_settings, db).sent == 3
    arrived = {m.data.split(b"\r\n\r\n")[1]: m.data for m in smtp_server.wait_for(3)}
    assert arrived[b".\r\n..two\r\n.three\r\nend.\r\n.\r\n"] == raws["<crlf@x>"]
    assert arrived[b".one\r\nlast\r\n"] == raws["<no-final-crlf@x>"] + b"\r\n"
    assert (
        arrived[b".one\r\nmiddle\r\nlast\r\n"] == b"Subject: dots\r\n\r\n.one\r\nmiddle\r\nlast\r\n"
    )


def test_a_relay_silent_past_the_timeout_is_dropped_and_the_message_sent_again_later(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    impatient = smtp_settings.model_copy(
        update={"smtp_timeout_seconds": 0.5, "outbox_concurrency": 1}
    )
    smtp_server.stall_next(3.0)
    queue(db, impatient, 1)
    report = outbox.deliver_due(impatient, db)
    assert (report.sent, report.retried) == (0, 1)
    with db.session() as session:
        row = session.scalars(sa.select(OutboxMessage)).one()
    assert (row.status, row.last_error) == ("pending", "connection failed: TimeoutError")
    deadline = utcnow() + timedelta(seconds=5)
    while outbox.deliver_due(impatient, db).sent == 0:
        assert utcnow() < deadline, "the message was not sent again"
    assert len(smtp_server.wait_for(1)) == 1
    assert smtp_server.connections == 2


def test_an_envelope_address_that_could_smuggle_a_command_is_never_sent(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    # Addresses are validated before they reach the outbox; the worker checks again because
    # it writes the SMTP command lines itself.
    queue_to(db, smtp_settings, "anne@example.org>\r\nRCPT TO:<evil@example.net", "<forged@x>")
    report = outbox.deliver_due(smtp_settings, db)
    assert (report.sent, report.failed) == (0, 1)
    assert smtp_server.messages == []


def test_an_accented_address_a_relay_cannot_carry_fails_for_good_and_the_rest_goes_out(
    db: Database, settings: Settings
) -> None:
    with SmtpServer(utf8=False) as relay:
        one_connection = settings.model_copy(
            update={**relay.settings_update(), "outbox_concurrency": 1}
        )
        queue_to(db, one_connection, "élodie@exemple.be", "<accent@segec.be>")
        queue(db, one_connection, 1)
        report = outbox.deliver_due(one_connection, db)
        assert (report.sent, report.failed) == (1, 1)
        assert [m.rcpt_tos for m in relay.wait_for(1)] == [["person0@example.org"]]
        assert relay.connections == 1
    with db.session() as session:
        error = session.scalar(
            sa.select(OutboxMessage.last_error).where(
                OutboxMessage.message_id == "<accent@segec.be>"
            )
        )
    assert error is not None and error.startswith("553 ") and "SMTPUTF8" in error


def test_a_later_successful_mail_clears_the_failure(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    with db.transaction() as session:
        someone = people.person(session, None, email="x@example.org")
    smtp_server.refuse["x@example.org"] = "550 5.1.1 User unknown"
    queue(db, smtp_settings, 0)
    with db.transaction() as session:
        outbox.enqueue(
            session,
            _code_mail(smtp_settings, "x@example.org"),
            kind="invitation",
            person_id=someone.id,
        )
    outbox.deliver_due(smtp_settings, db)
    del smtp_server.refuse["x@example.org"]
    with db.transaction() as session:
        outbox.enqueue(
            session,
            _code_mail(smtp_settings, "x@example.org"),
            kind="invitation",
            person_id=someone.id,
        )
    outbox.deliver_due(smtp_settings, db)
    with db.session() as session:
        assert last_failure_for(session, [someone.id]) == {}


def test_it_gives_up_after_the_maximum_number_of_attempts(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    settings = smtp_settings.model_copy(
        update={"outbox_max_attempts": 3, "outbox_retry_base_seconds": 0.0}
    )
    queue(db, settings, 1)
    smtp_server.fail_next("451 4.3.0 Try again later", count=5)
    reports = [outbox.deliver_due(settings, db) for _ in range(4)]
    assert [r.retried for r in reports] == [1, 1, 0, 0]
    assert [r.failed for r in reports] == [0, 0, 1, 0]
    assert statuses(db) == {"failed": 1}
    assert smtp_server.messages == []


def test_smtp_down_then_up_delivers_every_message_once(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    queue(db, smtp_settings, 25)
    smtp_server.stop()
    down = outbox.deliver_due(smtp_settings, db)
    assert (down.sent, down.retried) == (0, 25)
    with db.session() as session:
        errors = set(session.scalars(sa.select(OutboxMessage.last_error)))
        assert errors == {"connection failed: SMTPConnectError"}
    smtp_server.start()
    with db.transaction() as session:
        session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow()))
    up = outbox.deliver_due(smtp_settings, db)
    assert up.sent == 25
    received = smtp_server.wait_for(25)
    assert len({r.message_id for r in received}) == len(received) == 25
    assert statuses(db) == {"sent": 25}


def test_two_workers_running_together_never_send_a_message_twice(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    queue(db, smtp_settings, 200)
    smtp_server.delay = 0.002
    settings = smtp_settings.model_copy(update={"outbox_batch_size": 10})
    reports: list[outbox.DeliveryReport] = []
    start = threading.Barrier(2)

    def work() -> None:
        start.wait()
        reports.append(outbox.deliver_due(settings, Database(db.url)))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    received = smtp_server.wait_for(200)
    ids = [r.message_id for r in received]
    assert len(ids) == len(set(ids)) == 200
    assert sum(r.sent for r in reports) == 200
    assert all(r.sent > 0 for r in reports), "both workers took part"


def test_a_dead_workers_claim_expires_and_its_messages_are_sent(
    db: Database, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    queue(db, smtp_settings, 3)
    taken = outbox.claim(db, smtp_settings, worker_id="dead-worker", limit=10)
    assert len(taken) == 3
    assert outbox.deliver_due(smtp_settings, db).claimed == 0, "claimed by the dead worker"
    later = utcnow() + timedelta(seconds=smtp_settings.outbox_claim_timeout_seconds + 1)
    retaken = outbox.claim(db, smtp_settings, worker_id="new-worker", limit=10, now=later)
    assert sorted(item.id for item in retaken) == sorted(item.id for item in taken)
    assert all(item.attempts == 2 for item in retaken)


def test_the_idle_check_sees_what_a_claim_would_take_and_nothing_else(
    db: Database, smtp_settings: Settings
) -> None:
    # A backoff no slow machine outlasts between the failure and the check.
    smtp_settings = smtp_settings.model_copy(update={"outbox_retry_base_seconds": 60})
    assert not outbox.has_due(db, smtp_settings)
    queue(db, smtp_settings, 1)
    assert outbox.has_due(db, smtp_settings)
    (taken,) = outbox.claim(db, smtp_settings, worker_id="busy-worker", limit=10)
    assert not outbox.has_due(db, smtp_settings), "a live worker's claim"
    later = utcnow() + timedelta(seconds=smtp_settings.outbox_claim_timeout_seconds + 1)
    assert outbox.has_due(db, smtp_settings, now=later), "an abandoned claim"
    failure = outbox.Outcome(taken, ok=False, error="451 4.3.0 Try again later")
    outbox.record(db, smtp_settings, worker_id="busy-worker", outcomes=[failure])
    assert not outbox.has_due(db, smtp_settings), "backing off"
    assert outbox.has_due(db, smtp_settings, now=later)


def test_file_backend_writes_one_eml_file_per_message(db: Database, settings: Settings) -> None:
    queue(db, settings, 3)
    report = outbox.deliver_due(settings, db)
    assert report.sent == 3
    files = sorted(Path(settings.mail_dir).glob("*.eml"))
    assert len(files) == 3
    with db.session() as session:
        ids = set(session.scalars(sa.select(OutboxMessage.message_id)))
    from email import message_from_bytes

    assert {message_from_bytes(f.read_bytes())["Message-ID"] for f in files} == ids
    assert outbox.deliver_due(settings, db).sent == 0
