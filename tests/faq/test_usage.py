"""The FAQ usage log: what was asked, what was proposed, what happened next."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from access.persistence.database import Database
from faq.usage import (
    TicketTrace,
    deflection,
    faq_questions,
    metadata,
    record_outcome,
    record_question,
    unanswered_report,
)
from tests.conftest import REPO_ROOT, run_cli


def _ask(db: Database, question: str, entry_id: str | None, **kwargs) -> int:
    with db.transaction() as session:
        return record_question(
            session,
            user_ref=kwargs.get("user_ref", "U123"),
            question=question,
            entry_id=entry_id,
            score=kwargs.get("score", 0.9 if entry_id else 0.2),
            suggestions=kwargs.get("suggestions", []),
            channel=kwargs.get("channel", "slack"),
            asked_at=kwargs.get("asked_at"),
        )


def _outcome(db: Database, question_id: int, outcome: str) -> None:
    with db.transaction() as session:
        record_outcome(session, question_id=question_id, outcome=outcome)


def test_migrations_create_the_tables_the_faq_describes(db: Database) -> None:
    import faq.learning  # noqa: F401  (its table joins the FAQ's MetaData)

    assert set(metadata.tables) == {"faq_questions", "faq_proposals"}
    for table in metadata.tables.values():
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns(table.name)}
        assert columns == {c.name for c in table.columns}


def test_a_question_and_its_outcome_are_kept(db: Database) -> None:
    question_id = _ask(
        db, "J'ai oublié mon mot de passe", "mdp-oublie", suggestions=["changer-mot-de-passe"]
    )
    _outcome(db, question_id, "helpful")
    with db.session() as session:
        row = session.execute(sa.select(faq_questions)).one()
    assert row.question == "J'ai oublié mon mot de passe"
    assert row.entry_id == "mdp-oublie"
    assert row.suggestions == ["changer-mot-de-passe"]
    assert row.outcome == "helpful" and row.outcome_at is not None


def test_e_mail_addresses_and_phone_numbers_typed_in_a_question_are_not_stored(
    db: Database,
) -> None:
    _ask(db, "mon adresse jean.dupont@ecole.be est fausse, appelez le 0471 23 45 67", None)
    with db.session() as session:
        stored = session.execute(sa.select(faq_questions.c.question)).scalar_one()
    assert "jean.dupont" not in stored and "0471" not in stored
    assert "[e-mail]" in stored and "[téléphone]" in stored


def test_user_reference_must_not_be_an_e_mail(db: Database) -> None:
    with pytest.raises(ValueError, match="opaque"), db.transaction() as session:
        record_question(
            session,
            user_ref="jean@ecole.be",
            question="bonjour",
            entry_id=None,
            score=0.0,
            suggestions=[],
            channel="slack",
        )
    with db.session() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(faq_questions)).scalar() == 0


def test_unknown_outcome_or_question_is_refused(db: Database) -> None:
    question_id = _ask(db, "fase", "fase-numero")
    with pytest.raises(ValueError, match="outcome"):
        _outcome(db, question_id, "great")
    with pytest.raises(LookupError):
        _outcome(db, question_id + 100, "helpful")


def test_a_ticket_is_not_hidden_by_later_feedback(db: Database) -> None:
    question_id = _ask(db, "compte bloqué", "compte-bloque")
    _outcome(db, question_id, "ticket_opened")
    _outcome(db, question_id, "helpful")
    with db.session() as session:
        outcome = session.execute(sa.select(faq_questions.c.outcome)).scalar_one()
    assert outcome == "ticket_opened"


def test_report_lists_the_most_frequent_unsettled_questions_first(db: Database) -> None:
    for text in ("Le mot de passe du wifi ?", "mot de passe wifi", "wifi : mot de passe"):
        _ask(db, text, None)
    _outcome(db, _ask(db, "Mon compte est bloqué", "compte-bloque"), "not_helpful")
    _outcome(db, _ask(db, "mot de passe oublié", "mdp-oublie"), "helpful")
    _ask(db, "adresse de l'extranet", "adresse-extranet")

    with db.session() as session:
        report = unanswered_report(session, limit=10)
    assert [g.count for g in report] == [3, 1]
    assert report[0].example == "wifi : mot de passe"
    assert report[0].unanswered == 3
    assert report[1].example == "Mon compte est bloqué"
    assert report[1].not_helpful == 1 and report[1].proposed == "compte-bloque"
    with db.session() as session:
        assert len(unanswered_report(session, limit=1)) == 1


def test_deflection_counts_only_answers_that_settled_the_question(db: Database) -> None:
    now = datetime.now(UTC)
    before = now - timedelta(days=3)
    # Pressed « Ça m'a aidé »: settled.
    _outcome(
        db, _ask(db, "mot de passe oublié", "mdp-oublie", user_ref="U1", asked_at=before), "helpful"
    )
    # No feedback, nothing else asked, no ticket within a day: settled.
    _ask(db, "adresse de l'extranet", "adresse-extranet", user_ref="U2", asked_at=before)
    # « Ça ne m'aide pas »: a miss.
    question = _ask(db, "compte bloqué", "compte-bloque", user_ref="U3", asked_at=before)
    _outcome(db, question, "not_helpful")
    # No answer, then a ticket from the button.
    _outcome(db, _ask(db, "le wifi", None, user_ref="U4", asked_at=before), "ticket_opened")
    # Asked something else two hours later: not settled.
    _ask(db, "numéro fase", "fase-numero", user_ref="U5", asked_at=before)
    _ask(db, "et mon identifiant ?", None, user_ref="U5", asked_at=before + timedelta(hours=2))
    # A confident answer, then a ticket on the same subject the same afternoon: a miss.
    _ask(db, "comment activer mon compte", "acces-activer-compte", user_ref="U6", asked_at=before)
    later = TicketTrace(
        "U6", before + timedelta(hours=3), "Activation\nJe n'arrive pas à activer mon compte"
    )
    # A ticket on the same subject four days later does not count against this answer.
    too_late = TicketTrace("U2", before + timedelta(days=2), "L'adresse de l'Extranet ?")
    # An hour ago, no feedback yet: pending.
    _ask(db, "mot de passe oublié", "mdp-oublie", user_ref="U7", asked_at=now - timedelta(hours=1))
    # Nobody to follow: only « Ça m'a aidé » would have counted.
    _ask(db, "règles du mot de passe", "mot-de-passe-regles", user_ref=None, asked_at=before)
    _ask(db, "fase", "fase-numero", asked_at=now - timedelta(days=40))

    with db.session() as session:
        recent = deflection(session, since=now - timedelta(days=7), tickets=[later, too_late])
        everything = deflection(session, tickets=[later, too_late])
    assert recent == {
        "asked": 9,
        "answered": 7,
        "helpful": 1,
        "not_helpful": 1,
        "tickets": 1,
        "deflected": 2,
        "answered_then_ticket": 1,
        "followed_up": 1,
        "pending": 1,
        "untraceable": 1,
        "answer_rate": 0.7778,
        "deflection_rate": 0.2222,
    }
    # The old one: answered, no feedback, nothing followed.
    assert everything["asked"] == 10 and everything["deflected"] == 3


def test_report_command_prints_the_unanswered_questions(db: Database, tmp_path) -> None:
    _ask(db, "le wifi ne marche pas", None)
    _ask(db, "wifi ne marche pas", None)
    env = {"DATABASE_URL": db.url, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "faq", "report", "--json", "--limit", "5"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["deflection"]["asked"] == 2
    assert payload["unanswered"][0]["count"] == 2
    text = run_cli(env, "faq", "report", text=True)
    assert text.returncode == 0 and "wifi ne marche pas" in text.stdout
    # One language for the operator: the report's own words are English, only the
    # questions are as people typed them.
    lines = text.stdout.splitlines()
    assert lines[0].startswith("2 questions, 0 answered by the FAQ")
    assert lines[3].split() == [
        "asked",
        "unanswered",
        "not",
        "helpful",
        "tickets",
        "question",
        "entry",
        "proposed",
    ]
    assert lines[5].split()[:4] == ["2", "2", "0", "0"]


def test_an_engine_can_be_passed_and_each_call_commits(db: Database) -> None:
    question_id = record_question(
        db.engine,
        user_ref=None,
        question="numéro fase",
        entry_id="fase-numero",
        score=0.93,
        suggestions=[],
        channel="console",
    )
    record_outcome(db.engine, question_id=question_id, outcome="helpful")
    assert deflection(db.engine)["deflected"] == 1
    assert unanswered_report(db.engine) == []
