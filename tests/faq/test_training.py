"""The fit learns from the labelled questions of learnt/, the digest follows that folder, and
the cross-validation measures each file with models that never saw it."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

import faq
from faq import training
from faq.__main__ import main
from faq.check import check
from faq.evaluation import Example, Report
from faq.kb import DEFAULT_DATA_DIR, LEARNT_DIR, KnowledgeBaseError, Labelled, load
from faq.second_opinion import NOT_QUESTION

# A real question (from a labelled set) that is none of the base's phrasings, and that
# neither the words alone nor a second opinion fitted on the phrasings alone answer.
LEARNT = "pas d'invit extranet dans ma boite, normal ?"
LEARNT_ENTRY = "acces-invitation-non-recue"


def _line(question: str, expected: str | None) -> str:
    return json.dumps({"question": question, "expected": expected}, ensure_ascii=False) + "\n"


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A copy of the shipped base whose learnt/ holds one small file."""
    copy = tmp_path / "faq"
    shutil.copytree(DEFAULT_DATA_DIR, copy, ignore=shutil.ignore_patterns(LEARNT_DIR))
    (copy / LEARNT_DIR).mkdir()
    (copy / LEARNT_DIR / "helpdesk.jsonl").write_text(
        _line(LEARNT, LEARNT_ENTRY)
        + _line("merci beaucoup pour votre aide !", None)
        + _line("l'extranet affiche une page blanche depuis ce matin", None)
        + _line("mon compte Smartschool est bloqué", None),
        encoding="utf-8",
    )
    return copy


def test_the_fit_reads_the_training_folder(base: Path) -> None:
    kb = load(base)
    assert kb.learnt["helpdesk.jsonl"][0] == Labelled(LEARNT, LEARNT_ENTRY)
    matcher = faq.Matcher(kb)
    examples, weights = training.training_set(kb, matcher)
    learnt = examples[len(examples) - 4 :]
    assert learnt == [
        (LEARNT, LEARNT_ENTRY),
        ("merci beaucoup pour votre aide !", NOT_QUESTION + "small_talk"),
        ("l'extranet affiche une page blanche depuis ce matin", NOT_QUESTION + "problem_report"),
        ("mon compte Smartschool est bloqué", NOT_QUESTION + "off_topic"),
    ]
    assert len(weights) == len(examples)
    # A file left out (the cross-validation's fold) is not learnt.
    without, _ = training.training_set(kb, matcher, leave_out={"helpdesk.jsonl"})
    assert len(without) == len(examples) - 4


def test_a_long_message_is_learnt_as_the_second_opinion_reads_it() -> None:
    matcher = faq.load_default()
    story = (
        "Bonjour, je suis arrivée dans l'école en septembre et ma directrice a envoyé les "
        "invitations la semaine passée. Mes collègues ont tous reçu la leur. Que dois-je faire ?"
    )
    text = matcher.opinion_text(story)
    assert text != story and text.endswith(story)
    assert matcher.opinion_text(LEARNT) == LEARNT


def test_a_labelled_question_not_among_the_phrasings_is_answered_after_the_fit(
    base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kb = load(base)
    assert all(LEARNT not in entry.all_phrasings for entry in kb.entries)
    assert faq.Matcher(replace(kb, classifier=None)).match(LEARNT).entry is None

    assert main(["--data", str(base), "fit"]) == 0
    assert "4 labelled questions from 1 file(s) of learnt/" in capsys.readouterr().out
    fitted = load(base)
    assert fitted.classifier is not None and not fitted.classifier_stale
    result = faq.Matcher(fitted).match(LEARNT)
    assert result.entry is not None and result.entry.id == LEARNT_ENTRY


def test_the_digest_changes_when_the_training_folder_changes(base: Path) -> None:
    before = load(base).digest
    learnt = base / LEARNT_DIR / "helpdesk.jsonl"
    learnt.write_text(
        learnt.read_text(encoding="utf-8") + _line("mdp perdu", "mdp-oublie"), encoding="utf-8"
    )
    edited = load(base).digest
    assert edited != before
    (base / LEARNT_DIR / "accepted.jsonl").write_text(_line("mdp perdu", "mdp-oublie"))
    assert load(base).digest not in {before, edited}
    # The shipped base's fit covers its learnt/: a forgotten fit is a failing test.
    shipped = load(DEFAULT_DATA_DIR)
    assert shipped.learnt and shipped.classifier is not None


def test_a_model_fitted_on_another_training_folder_is_ignored(base: Path) -> None:
    # The copy holds the shipped model, fitted on the shipped learnt/, not on this one.
    assert (base / "classifier.npz").read_bytes() == (
        DEFAULT_DATA_DIR / "classifier.npz"
    ).read_bytes()
    stale = load(base)
    assert stale.classifier is None and stale.classifier_stale
    assert any("python -m faq fit" in warning for warning in check(stale).warnings)


def test_check_names_a_labelled_question_for_no_entry(base: Path) -> None:
    (base / LEARNT_DIR / "typo.jsonl").write_text(_line("mdp perdu", "mdp-oubli"))
    errors = check(load(base)).errors
    assert errors == [
        "learnt/typo.jsonl: question 1 expects 'mdp-oubli', which is no entry",
    ]


@pytest.mark.parametrize(
    "content", ['{"question": 3}\n', "not json\n", '{"question": "ok", "expected": 1}\n']
)
def test_a_damaged_training_file_names_its_line(base: Path, content: str) -> None:
    (base / LEARNT_DIR / "bad.jsonl").write_text(_line("mdp perdu", None) + content)
    with pytest.raises(KnowledgeBaseError, match=r"bad\.jsonl:2"):
        load(base)


def test_crossval_and_decide_take_only_files_of_the_training_folder(
    base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("crossval", "decide"):
        assert main(["--data", str(base), command, "tests/faq/holdout.jsonl"]) == 2
        assert "not files of the base's learnt/: holdout.jsonl" in capsys.readouterr().err


def test_the_files_figures_pool_over_their_questions() -> None:
    small = Report(n=10, in_scope=8, out_of_scope=2, accuracy=0.5, top3=1.0, wrong=0.25)
    large = Report(n=100, in_scope=92, out_of_scope=8, accuracy=1.0, top3=1.0, oos_answered=0.5)
    measured = [training.Measured("a", small), training.Measured("b", large)]
    total = training.pooled(measured)
    assert (total.in_scope, total.out_of_scope) == (100, 10)
    assert total.accuracy == pytest.approx(0.96)
    assert total.wrong == pytest.approx(0.02)
    assert total.oos_answered == pytest.approx(0.4)
    summary = training.summary(measured)
    assert summary["accuracy"] == pytest.approx((0.75, 0.5))
    assert summary["wrong"] == pytest.approx((0.125, 0.25))


def test_the_decision_is_fitted_without_the_file_it_is_measured_on() -> None:
    rows = {
        "a.jsonl": [(Example("q1", "x"), [("x", (1.0, 0.0, 0.0, 1.0, 0.0))])],
        "b.jsonl": [(Example("q2", "y"), [("z", (1.0, 0.0, 0.0, 1.0, 0.0))])],
    }
    both = training.fit_decision(rows)
    assert both.questions == 2
    assert training.fit_decision(rows, {"b.jsonl"}).questions == 1
