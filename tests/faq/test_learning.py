"""The knowledge base learns from the helpdesk: a ticket's FAQ question becomes a proposed
phrasing, scrubbed of personal data, reported per entry, and written into the YAML once
accepted, comments and layout kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import faq
from access.persistence.database import Database
from faq import learning
from faq.editing import EditError, add_phrasing
from faq.kb import DEFAULT_DATA_DIR, load
from faq.privacy import scrub
from faq.usage import record_question

ENTRIES = [e.id for e in faq.load_default().entries]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    copy = tmp_path / "faq"
    shutil.copytree(DEFAULT_DATA_DIR, copy)
    return copy


# -- the YAML writer ----------------------------------------------------------------------------


def test_a_phrasing_is_appended_to_its_entry_and_nothing_else_changes(base: Path) -> None:
    path = base / "entries" / "connexion.yaml"
    before = path.read_text(encoding="utf-8")
    edit = add_phrasing(base, "mdp-oublie", "mon sésame de l'Extranet s'est envolé : « aide » !")
    assert edit.added and edit.path == path
    after = path.read_text(encoding="utf-8")
    # One line more, the file's comments kept.
    assert len(after.splitlines()) == len(before.splitlines()) + 1
    assert after.splitlines()[0] == before.splitlines()[0] and after.startswith("#")
    entries = {e["id"]: e for e in yaml.safe_load(after)}
    assert entries["mdp-oublie"]["phrasings"][-1] == (
        "mon sésame de l'Extranet s'est envolé : « aide » !"
    )
    old = {e["id"]: e for e in yaml.safe_load(before)}
    assert {k: v for k, v in entries.items() if k != "mdp-oublie"} == {
        k: v for k, v in old.items() if k != "mdp-oublie"
    }
    # The same phrasing again, however typed, changes nothing.
    assert not add_phrasing(
        base, "mdp-oublie", "Mon sésame de l'extranet s'est envolé : « aide » !"
    ).added
    assert path.read_text(encoding="utf-8") == after


def test_an_entry_without_phrasings_gets_the_list(base: Path) -> None:
    path = base / "entries" / "zz.yaml"
    path.write_text(
        "# Test.\n- id: seule\n  category: test\n  question: Une question seule ?\n"
        "  answer: Une réponse assez longue.\n",
        encoding="utf-8",
    )
    add_phrasing(base, "seule", "autre façon de demander")
    assert load(base).get("seule").phrasings == ("autre façon de demander",)


def test_nothing_is_written_for_an_unknown_entry_or_an_empty_phrasing(base: Path) -> None:
    snapshot = {p: p.read_bytes() for p in (base / "entries").glob("*.yaml")}
    with pytest.raises(EditError, match="no entry"):
        add_phrasing(base, "inconnue", "une question")
    with pytest.raises(EditError, match="three characters"):
        add_phrasing(base, "mdp-oublie", "  ")
    assert snapshot == {p: p.read_bytes() for p in (base / "entries").glob("*.yaml")}


# -- personal data ------------------------------------------------------------------------------


def test_addresses_phone_numbers_and_names_are_masked() -> None:
    known = faq.load_default().vocabulary
    text = (
        "Bonjour, je m'appelle Paul Durand (paul.durand@ecole.be, 0471 12 34 56), j'habite "
        "rue de la Station 12. Notre prof Mme Janssens et ma collègue Marie-Claire n'ont pas "
        "reçu l'invitation de l'Extranet dans Gmail."
    )
    scrubbed = scrub(text, known_words=known, names=["Lambert"])
    for secret in ("Paul", "Durand", "paul.durand", "0471", "Station", "Janssens", "Marie"):
        assert secret not in scrubbed
    assert "[e-mail]" in scrubbed and "[téléphone]" in scrubbed and "[adresse]" in scrubbed
    # What the question is about stays.
    for kept in ("invitation", "Extranet", "Gmail", "Bonjour", "reçu"):
        assert kept in scrubbed
    assert scrub("Mme Lambert ne voit rien", names=["lambert"]) == "Mme [nom] ne voit rien"


# -- proposals ----------------------------------------------------------------------------------


def _asked(db: Database, question: str, ticket: str, entry_id: str | None = None) -> int:
    with db.transaction() as session:
        question_id = record_question(
            session,
            user_ref="slack:U1",
            question=question,
            entry_id=entry_id,
            score=0.3,
            suggestions=["changement-direction"],
            channel="slack",
        )
        learning.link_ticket(session, question_id=question_id, ticket_number=ticket)
    return question_id


def test_a_proposal_per_question_masked_reported_and_decided(db: Database, base: Path) -> None:
    _asked(db, "Sophie Lambert ne voit pas les rubriques de sa fonction, 0471 12 34 56", "T-1")
    _asked(db, "je ne vois pas les rubriques de ma fonction", "T-2")
    _asked(db, "Je ne vois pas les rubriques de ma fonction !", "T-3")
    _asked(db, "ma fiche indique encore mon ancien nom de famille", "T-4")
    with db.transaction() as session:
        first = learning.propose(
            session,
            ticket_number="T-1",
            entry_id="acces-par-fonction",
            proposed_by="slack:UAGENT",
            known_entries=ENTRIES,
            names=["Sophie", "Lambert"],
        )
        for number in ("T-2", "T-3"):
            learning.propose(
                session,
                ticket_number=number,
                entry_id="acces-par-fonction",
                proposed_by="slack:UAGENT",
                known_entries=ENTRIES,
            )
        learning.propose(
            session,
            ticket_number="T-4",
            entry_id=None,
            proposed_by="slack:U",
            known_entries=ENTRIES,
        )
        # Asked again before the review, the agent's second answer replaces the first.
        learning.propose(
            session,
            ticket_number="T-4",
            entry_id=None,
            proposed_by="slack:U",
            known_entries=ENTRIES,
            phrasing="mon ancien nom de famille est encore affiché",
        )
    assert "Sophie" not in first.phrasing and "Lambert" not in first.phrasing
    assert "0471" not in first.phrasing and "[nom]" in first.phrasing

    with db.session() as session:
        [entry] = learning.proposals_by_entry(session)
        [topic] = learning.new_topics(session)
    assert entry.entry_id == "acces-par-fonction" and entry.count == 3
    # « je ne vois pas… » twice (as typed or not), the masked one once.
    assert [p.count for p in entry.phrasings] == [2, 1]
    assert topic.example == "mon ancien nom de famille est encore affiché" and topic.count == 1

    accepted_id = entry.phrasings[0].ids[0]
    with db.transaction() as session:
        done = learning.accept(session, accepted_id, data_dir=base, decided_by="cli")
    assert done.edit.added and len(done.also) == 1
    assert (
        "je ne vois pas les rubriques de ma fonction"
        in load(base).get("acces-par-fonction").phrasings
    )
    with db.session() as session:
        [left] = learning.proposals_by_entry(session)
        assert learning.counts(session) == {"proposed": 2, "accepted": 2, "rejected": 0}
    assert left.count == 1

    with db.transaction() as session, pytest.raises(learning.LearningError, match="already"):
        learning.accept(session, accepted_id, data_dir=base, decided_by="cli")
    with db.transaction() as session, pytest.raises(learning.LearningError, match="new subject"):
        learning.accept(session, topic.ids[0], data_dir=base, decided_by="cli")
    with db.transaction() as session:
        learning.reject(session, topic.ids[0], decided_by="cli")
    with db.session() as session:
        assert learning.new_topics(session) == []


def test_only_a_ticket_from_the_faq_and_a_known_entry_can_be_proposed(db: Database) -> None:
    _asked(db, "une question", "T-9")
    with db.transaction() as session, pytest.raises(learning.LearningError, match="FAQ"):
        learning.propose(
            session, ticket_number="T-404", entry_id=None, proposed_by="x", known_entries=ENTRIES
        )
    with db.transaction() as session, pytest.raises(learning.LearningError, match="no FAQ entry"):
        learning.propose(
            session, ticket_number="T-9", entry_id="nope", proposed_by="x", known_entries=ENTRIES
        )
    with db.transaction() as session, pytest.raises(learning.LearningError, match="opaque"):
        learning.propose(
            session,
            ticket_number="T-9",
            entry_id=None,
            proposed_by="agent@segec.be",
            known_entries=ENTRIES,
        )
