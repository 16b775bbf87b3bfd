"""The shipped knowledge base: complete, valid, faithful to the procedure sheet."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from faq import KnowledgeBaseError, load
from faq.check import check
from faq.kb import DEFAULT_DATA_DIR
from faq.matcher import Matcher


@pytest.fixture(scope="module")
def kb():
    return load()


def test_every_required_topic_has_an_entry_under_its_id(kb) -> None:
    required = (DEFAULT_DATA_DIR / "required_ids.txt").read_text(encoding="utf-8").split()
    assert len(required) == 26
    assert set(required) <= {e.id for e in kb.entries}


def test_shipped_base_passes_the_check_without_error(kb) -> None:
    assert check(kb).errors == []


@pytest.mark.parametrize(
    ("entry_id", "facts"),
    [
        (
            "direction-envoyer-invitations",
            [
                "https://extranet.segec.be",
                "« *Administration* »",
                "« *Gestion des accès* »",
                "Envoyer les emails d'invitation destinés à mon équipe",
                "`/invite-team`",
            ],
        ),
        ("email-incorrect-erreur", ["ProECO", "Quelques jours plus tard", "renvoyer"]),
        ("email-autre-adresse", ["activation", "adresse e-mail de référence"]),
        ("contacter-support", ["help.extranet@segec.be", "`/helpdesk ticket`", "FASE"]),
        ("infos-a-fournir-support", ["*nom*", "*prénom*", "*numéro FASE*", "coordonnées"]),
        ("mdp-oublie", ["Identifiant ou mot de passe oublié ?", "`/extranet`"]),
        ("direction-renvoyer-invitation", ["pas encore activé", "`/invite-team`"]),
        ("direction-personnaliser-acces", ["mission", "`/access"]),
        ("adresse-extranet", ["https://extranet.segec.be"]),
        ("faq-ou-trouver", ["Autres questions fréquentes", "support"]),
        ("compte-direction-connexion", ["compte direction", "Administration"]),
    ],
)
def test_answer_states_what_the_procedure_sheet_says(kb, entry_id: str, facts: list[str]) -> None:
    answer = kb.get(entry_id).answer
    for fact in facts:
        assert fact in answer, f"{entry_id} should mention {fact!r}"


def test_answers_render_in_slack_and_terminal(kb) -> None:
    for entry in kb.entries:
        assert "<" not in entry.answer and ">" not in entry.answer.replace("» ", "").replace(
            " > ", ""
        ), entry.id
        assert "**" not in entry.answer, f"{entry.id}: Slack bold is *single*"
        assert max(len(line) for line in entry.answer.splitlines()) < 400, entry.id


def _write_base(root: Path, entries: str, required: str = "") -> Path:
    (root / "entries").mkdir(parents=True)
    (root / "entries" / "base.yaml").write_text(entries, encoding="utf-8")
    (root / "required_ids.txt").write_text(required, encoding="utf-8")
    return root


ENTRY = """
- id: {id}
  category: test
  question: {question}
  answer: "{answer}"
  related: [{related}]
"""


def _entry(
    id: str,
    question: str = "Question de test ?",
    answer: str = "Une réponse simple.",
    related: str = "",
) -> str:
    return ENTRY.format(id=id, question=question, answer=answer, related=related)


def test_check_rejects_invented_urls_emails_phones_html_and_commands(tmp_path: Path) -> None:
    base = _write_base(
        tmp_path,
        _entry("a", answer="Allez sur https://extranet.example.org ou appelez le 02 123 45 67.")
        + _entry("b", answer="Écrivez à support@segec.be ou tapez `/reset` <b>vite</b>."),
    )
    errors = "\n".join(check(load(base)).errors)
    assert "https://extranet.example.org" in errors
    assert "phone number" in errors
    assert "support@segec.be" in errors
    assert "HTML" in errors
    assert "/reset" in errors


def test_check_reports_missing_required_ids_and_unknown_related(tmp_path: Path) -> None:
    base = _write_base(tmp_path, _entry("a", related="nulle-part"), required="a\nb\n")
    errors = check(load(base)).errors
    assert "required entry 'b' is missing" in errors
    assert any("'nulle-part'" in e for e in errors)


def test_check_warns_when_two_entries_share_a_phrasing(tmp_path: Path) -> None:
    base = _write_base(
        tmp_path,
        _entry("a", question="Comment activer mon compte ?")
        + _entry("b", question="Activer le compte, comment faire ?"),
    )
    shutil.copy(DEFAULT_DATA_DIR / "synonyms.yaml", base / "synonyms.yaml")
    report = check(load(base))
    assert report.errors == []
    assert any("'a'" in w and "'b'" in w for w in report.warnings)


def test_load_names_the_file_and_entry_at_fault(tmp_path: Path) -> None:
    base = _write_base(tmp_path, _entry("Pas Un Id"))
    with pytest.raises(KnowledgeBaseError, match=r"base\.yaml: entry Pas Un Id: id"):
        load(base)


def test_load_rejects_duplicate_ids(tmp_path: Path) -> None:
    base = _write_base(tmp_path, _entry("a") + _entry("a", question="Autre question ?"))
    with pytest.raises(KnowledgeBaseError, match="duplicate entry ids: a"):
        load(base)


def test_load_rejects_a_synonym_mapped_twice(tmp_path: Path) -> None:
    base = _write_base(tmp_path, _entry("a"))
    (base / "synonyms.yaml").write_text(
        "synonyms:\n  email: [mail]\n  courrier: [mail]\nstopwords: []\n", encoding="utf-8"
    )
    with pytest.raises(KnowledgeBaseError, match=r"synonyms\.yaml: synonym variant 'mail'"):
        load(base)


def test_load_rejects_an_unknown_scope_key(tmp_path: Path) -> None:
    base = _write_base(tmp_path, _entry("a"))
    (base / "synonyms.yaml").write_text(
        "synonyms: {}\nstopwords: []\nscope:\n  anchor: [extranet]\n", encoding="utf-8"
    )
    with pytest.raises(KnowledgeBaseError, match=r"synonyms\.yaml: 'scope'"):
        load(base)


def test_every_phrasing_of_the_shipped_base_passes_the_scope_gate(kb) -> None:
    report = check(kb)
    assert not [w for w in report.warnings if "scope gate" in w]


def test_load_rejects_a_bare_word_yaml_reads_as_a_boolean(tmp_path: Path) -> None:
    # Unquoted, the stop word « on » would silently become the word « true ».
    base = _write_base(tmp_path, _entry("a"))
    (base / "synonyms.yaml").write_text("synonyms: {}\nstopwords: [le, on]\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"synonyms\.yaml: .*quote it"):
        load(base)


def test_on_is_a_stop_word_of_the_shipped_lexicon(kb) -> None:
    assert "on" in kb.lexicon.stopwords


def test_weak_words_of_the_shipped_lexicon_cannot_answer_alone(kb) -> None:
    # « plusieurs » and « lien » each belong to a few entries; alone they decide nothing.
    assert {"plusieurs", "lien", "compte"} <= kb.lexicon.weak


def test_the_check_reads_each_phrasing_of_the_base_once(kb, monkeypatch) -> None:
    # Matching is most of the check's time: every verification reuses one reading.
    matcher = Matcher(kb)
    read: Counter[str] = Counter()
    query = matcher._query
    monkeypatch.setattr(matcher, "_query", lambda text: read.update([text]) or query(text))
    check(kb, matcher)
    assert read == Counter({text for entry in kb.entries for text in entry.all_phrasings})
