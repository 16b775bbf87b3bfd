"""A ticket's life without any transport: numbers, duplicates, agents' actions, history."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from access.persistence.database import Database
from bot.settings import Settings
from helpdesk import tickets
from helpdesk.actors import Actor, Requester
from helpdesk.errors import InvalidTicketInput, TicketNotFound
from helpdesk.models import Ticket
from helpdesk.queries import TicketFilters, list_tickets, ticket_with_history
from helpdesk.stats import stats
from tests.tickets.conftest import Directory, make_form

AGENT = Actor.slack("UAGENT1", "Agent Alice")
OTHER_AGENT = Actor.slack("UAGENT2", "Agent Bob")
SLACK_REQUESTER = Requester(person_id=None, slack_user_id="UREQ1")


def _open(db: Database, settings: Settings, **kwargs: object) -> str:
    options: dict[str, object] = {
        "source": "slack",
        "requester": SLACK_REQUESTER,
        "triage_enabled": True,
    }
    options.update(kwargs)
    form = options.pop("form", make_form())
    with db.transaction() as session:
        opened = tickets.open_ticket(session, settings, form, **options)  # type: ignore[arg-type]
        return opened.ticket.number


def test_tickets_are_numbered_per_year_without_gaps(
    db: Database, settings: Settings, directory: Directory
) -> None:
    first = _open(db, settings, now=datetime(2026, 3, 1, tzinfo=UTC))
    second = _open(db, settings, now=datetime(2026, 3, 2, tzinfo=UTC))
    next_year = _open(db, settings, now=datetime(2027, 1, 2, tzinfo=UTC))
    assert (first, second, next_year) == ("T-2026-00001", "T-2026-00002", "T-2027-00001")


def test_a_failed_opening_gives_its_number_back(
    db: Database, settings: Settings, directory: Directory
) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        tickets.open_ticket(
            session,
            settings,
            make_form(),
            source="slack",
            triage_enabled=True,
            now=datetime(2026, 5, 1, tzinfo=UTC),
        )
        raise RuntimeError("crash after opening")
    assert _open(db, settings, now=datetime(2026, 5, 1, tzinfo=UTC)) == "T-2026-00001"


def test_concurrent_openings_get_distinct_consecutive_numbers(
    db: Database, settings: Settings, directory: Directory
) -> None:
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            for _ in range(5):
                number = _open(db, settings, now=datetime(2026, 6, 1, tzinfo=UTC))
                with lock:
                    numbers.append(number)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"T-2026-{n:05d}" for n in range(1, 31)]


def test_a_double_submit_opens_one_ticket(
    db: Database, settings: Settings, directory: Directory
) -> None:
    first = _open(db, settings, idempotency_key="view:V123")
    again = _open(db, settings, idempotency_key="view:V123")
    assert first == again
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


def test_racing_duplicate_submissions_open_one_ticket(
    db: Database, settings: Settings, directory: Directory
) -> None:
    barrier = threading.Barrier(4)
    numbers: list[str] = []

    def worker() -> None:
        barrier.wait()
        numbers.append(_open(db, settings, idempotency_key="retry:E42"))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(numbers)) == 1 and len(numbers) == 4
    with db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


def test_a_new_ticket_is_nouveau_with_its_source_and_identification(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _open(
        db,
        settings,
        form=make_form(phone="+32 2 511 22 33", fase="9999", fase_unknown=True),
        proposed_faq_ids=["mot-de-passe-oublie", "mot-de-passe-oublie", "compte-bloque"],
    )
    with db.session() as session:
        ticket = tickets.get_ticket(session, number.lower())
        assert ticket.status == "nouveau"
        assert ticket.source == "slack"
        assert (ticket.last_name, ticket.first_name, ticket.fase) == ("Dupont", "Émilie", "9999")
        assert ticket.fase_unknown is True
        assert ticket.phone == "+32 2 511 22 33"
        assert ticket.proposed_faq_ids == ["mot-de-passe-oublie", "compte-bloque"]
        history = ticket_with_history(session, number)
        assert [e.kind for e in history.events] == ["opened"]
        assert history.events[0].author_ref == "slack:UREQ1"


def test_claiming_assigns_the_agent_and_starts_the_work(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _open(db, settings)
    with db.transaction() as session:
        ticket = tickets.claim(session, number, AGENT)
        assert (ticket.status, ticket.assignee_name) == ("en_cours", "Agent Alice")
    with db.transaction() as session:
        ticket = tickets.claim(session, number, OTHER_AGENT)
        assert ticket.assignee_ref == "slack:UAGENT2"
    with db.session() as session:
        kinds = [e.kind for e in ticket_with_history(session, number).events]
        assert kinds == ["opened", "claimed", "claimed"]


def test_priority_and_status_changes_are_recorded_with_before_and_after(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _open(db, settings)
    with db.transaction() as session:
        tickets.set_priority(session, number, AGENT, "haute")
        ticket, notice = tickets.set_status(session, settings, number, AGENT, "en_attente")
        assert notice is None
        assert (ticket.priority, ticket.status) == ("haute", "en_attente")
    with db.session() as session:
        events = ticket_with_history(session, number).events
        assert [(e.kind, e.data) for e in events[1:]] == [
            ("priority", {"from": "normale", "to": "haute"}),
            ("status", {"from": "nouveau", "to": "en_attente"}),
        ]
        assert all(e.author_name == "Agent Alice" for e in events[1:])


def test_unknown_status_or_priority_is_refused_in_french(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _open(db, settings)
    with db.transaction() as session, pytest.raises(InvalidTicketInput) as refused:
        tickets.set_status(session, settings, number, AGENT, "ferme")
    assert "Statut inconnu" in refused.value.user_message
    with db.transaction() as session, pytest.raises(InvalidTicketInput):
        tickets.set_priority(session, number, AGENT, "extreme")


def test_a_reply_reaches_a_slack_requester_by_dm_and_counts_as_first_response(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _open(db, settings)
    with db.transaction() as session:
        tickets.record_requester_thread(session, number, channel="DREQ1", ts="111.222")
        ticket, notice = tickets.reply(session, settings, number, AGENT, "Essayez ceci.")
        assert notice is not None and notice.via_slack
        assert (notice.slack_user_id, notice.channel, notice.thread_ts) == (
            "UREQ1",
            "DREQ1",
            "111.222",
        )
        assert ticket.first_response_at is not None
        assert ticket.status == "en_cours"
        assert ticket.assignee_ref == AGENT.ref


def test_the_same_thread_message_delivered_twice_is_relayed_once(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _open(db, settings)
    with db.transaction() as session:
        _, first = tickets.reply(
            session, settings, number, AGENT, "Bonjour", source_ref="slack:C1:1.1"
        )
    with db.transaction() as session:
        _, second = tickets.reply(
            session, settings, number, AGENT, "Bonjour", source_ref="slack:C1:1.1"
        )
    assert first is not None and second is None
    with db.session() as session:
        assert [e.kind for e in ticket_with_history(session, number).events] == ["opened", "reply"]


def test_an_internal_note_is_kept_out_of_the_requesters_history(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _open(db, settings)
    with db.transaction() as session:
        tickets.internal_note(session, number, AGENT, "Compte bloqué côté LDAP")
    with db.session() as session:
        everything = ticket_with_history(session, number).events
        public = ticket_with_history(session, number, include_internal=False).events
        assert [e.kind for e in everything] == ["opened", "note"]
        assert [e.kind for e in public] == ["opened"]


def test_an_empty_reply_is_refused(db: Database, settings: Settings, directory: Directory) -> None:
    number = _open(db, settings)
    with db.transaction() as session, pytest.raises(InvalidTicketInput):
        tickets.reply(session, settings, number, AGENT, "   ")


def test_the_requester_writing_back_wakes_a_waiting_ticket(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _open(db, settings)
    requester = SLACK_REQUESTER.actor("Émilie Dupont")
    with db.transaction() as session:
        tickets.set_status(session, settings, number, AGENT, "en_attente")
        outcome = tickets.requester_reply(session, number, requester, "Voici la capture.")
        assert outcome.ticket.status == "en_cours"
        assert outcome.event is not None and outcome.event.internal is False


def test_resolving_asks_the_requester_and_no_reopens(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _open(db, settings)
    requester = SLACK_REQUESTER.actor("Émilie Dupont")
    with db.transaction() as session:
        tickets.claim(session, number, AGENT)
        ticket, notice = tickets.resolve(
            session, settings, number, AGENT, "Mot de passe réinitialisé."
        )
        assert ticket.status == "resolu" and ticket.resolved_at is not None
        assert notice is not None and notice.kind == "resolved"
        assert notice.body.endswith("Votre problème est-il résolu ?")
    with db.transaction() as session:
        outcome = tickets.confirm_resolution(session, number, requester, resolved=False)
        assert outcome.reopened and outcome.ticket.status == "en_cours"
        assert outcome.ticket.resolved_at is None
    with db.transaction() as session:
        again = tickets.confirm_resolution(session, number, requester, resolved=False)
        assert not again.changed
    with db.transaction() as session:
        tickets.resolve(session, settings, number, AGENT)
        yes = tickets.confirm_resolution(session, number, requester, resolved=True)
        assert yes.changed and not yes.reopened
        assert yes.ticket.status == "resolu" and yes.ticket.resolution_confirmed is True
    with db.session() as session:
        kinds = [e.kind for e in ticket_with_history(session, number).events]
        assert kinds == ["opened", "claimed", "resolved", "reopened", "resolved", "confirmed"]


def test_a_message_on_a_resolved_ticket_reopens_it(
    db: Database, settings: Settings, directory: Directory
) -> None:
    number = _open(db, settings)
    with db.transaction() as session:
        tickets.resolve(session, settings, number, AGENT)
        outcome = tickets.requester_reply(
            session, number, SLACK_REQUESTER.actor("Émilie"), "Toujours bloquée."
        )
        assert outcome.reopened and outcome.ticket.status == "en_cours"


def test_an_unknown_number_is_reported_in_french(db: Database, directory: Directory) -> None:
    with db.session() as session, pytest.raises(TicketNotFound) as missing:
        tickets.get_ticket(session, "T-2026-09999")
    assert missing.value.user_message == "Le ticket T-2026-09999 n'existe pas."


def test_lists_filter_open_mine_fase_and_status(
    db: Database, settings: Settings, directory: Directory
) -> None:
    mine = _open(db, settings)
    other_school = _open(db, settings, form=make_form(fase=directory.other_fase))
    done = _open(db, settings)
    with db.transaction() as session:
        tickets.claim(session, mine, AGENT)
        tickets.resolve(session, settings, done, OTHER_AGENT)
    with db.session() as session:

        def numbers(**filters: object) -> list[str]:
            return [t.number for t in list_tickets(session, TicketFilters(**filters))]  # type: ignore[arg-type]

        assert set(numbers()) == {mine, other_school}
        assert numbers(assignee_ref=AGENT.ref) == [mine]
        assert numbers(fase=directory.other_fase) == [other_school]
        assert numbers(status="resolu") == [done]
        assert numbers(status="en_cours") == [mine]


def test_stats_give_the_queue_and_median_times(
    db: Database, settings: Settings, directory: Directory
) -> None:
    now = datetime.now(UTC)
    numbers = [
        _open(db, settings, now=now - timedelta(hours=10), form=make_form(category="password")),
        _open(db, settings, now=now - timedelta(hours=8), form=make_form(category="activation")),
        _open(db, settings, now=now - timedelta(hours=6), form=make_form(category="activation")),
        _open(db, settings, now=now - timedelta(days=60)),
    ]
    with db.transaction() as session:
        for number, responded_after in zip(numbers[:3], (1, 3, 2), strict=True):
            ticket = tickets.get_ticket(session, number)
            ticket.first_response_at = ticket.created_at + timedelta(hours=responded_after)
        tickets.resolve(session, settings, numbers[0], AGENT)
        tickets.get_ticket(session, numbers[0]).resolved_at = now - timedelta(hours=6)
        tickets.set_status(session, settings, numbers[1], AGENT, "en_attente")
    with db.session() as session:
        result = stats(session, now=now)
    assert result.open_by_status == {"nouveau": 2, "en_cours": 0, "en_attente": 1}
    assert result.open_by_category["activation"] == 2
    assert result.open_by_category["password"] == 1  # the old one, still open
    assert result.open_total == 3
    assert result.opened == 3
    assert result.median_first_response == timedelta(hours=2)
    assert result.median_resolution == timedelta(hours=4)
    assert result.as_dict()["median_first_response_seconds"] == 7200.0


def test_stats_include_the_faq_deflection(
    db: Database, settings: Settings, directory: Directory
) -> None:
    from faq import usage

    answers = [
        ("mot de passe oublié", "mot-de-passe-oublie"),
        ("wifi", None),
        ("activer", "activer"),
    ]
    # Two days ago, by three people: each answer had its day to settle.
    asked = [
        usage.record_question(
            db.engine,
            user_ref=f"slack:U{number}",
            question=question,
            entry_id=entry,
            score=0.9 if entry else 0.1,
            suggestions=[],
            channel="slack",
            asked_at=datetime.now(UTC) - timedelta(days=2),
        )
        for number, (question, entry) in enumerate(answers)
    ]
    usage.record_outcome(db.engine, question_id=asked[0], outcome="ticket_opened")
    with db.session() as session:
        result = stats(session)
    assert result.deflection is not None
    # Answered and not followed by a ticket: only « activer ».
    assert (result.deflection.questions, result.deflection.deflected) == (3, 1)
    assert result.as_dict()["faq_deflection"]["questions"] == 3
