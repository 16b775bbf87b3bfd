"""The matcher answers people's phrasings, and abstains on everything else."""

from __future__ import annotations

import contextlib
import io
import json
import runpy
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import faq
from faq.evaluation import evaluate, read_examples
from faq.kb import DEFAULT_DATA_DIR, LEARNT_DIR
from tests.conftest import REPO_ROOT

# The labelled sets, which the second opinion also learns from.
LABELLED = DEFAULT_DATA_DIR / LEARNT_DIR
# 10,000 characters built from short random pieces (Hypothesis shrinks those well).
LONG_TEXT = st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=6).map(
    lambda parts: ("".join(parts) * 10_000)[:10_000]
)


def assert_answers(matcher: faq.Matcher, question: str, expected: str) -> None:
    """The bot answers `question` with the entry `expected` (not a suggestion)."""
    result = matcher.match(question)
    assert result.entry is not None and result.entry.id == expected, result


@pytest.fixture(scope="module")
def matcher() -> faq.Matcher:
    return faq.load_default()


def test_dev_set_stays_at_95_percent_and_answers_no_out_of_scope_question(matcher) -> None:
    report = evaluate(matcher, read_examples(LABELLED / "dev_set.jsonl"))
    assert report.accuracy >= 0.95, report.misses
    assert report.oos_answered == 0.0, report.misses


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("J'ai oublié mon mot de passe", "mdp-oublie"),
        ("jai oublie mon mdp", "mdp-oublie"),
        ("mot de passe oubllié", "mdp-oublie"),  # typo
        ("comment activer mon compte extarnet", "acces-activer-compte"),  # typo
        ("C'EST QUOI LE NUMERO FASE", "fase-numero"),
        ("comment envoyer les invitations à mes profs", "direction-envoyer-invitations"),
    ],
)
def test_answers_plain_informal_and_misspelt_questions(matcher, question, expected) -> None:
    assert_answers(matcher, question, expected)


@pytest.mark.parametrize(
    "question",
    [
        "",
        "   ",
        "bonjour",
        "merci !",
        "👍",
        "le wifi ne fonctionne pas",
        "les bulletins des élèves",
    ],
)
def test_abstains_on_small_talk_and_other_topics(matcher, question: str) -> None:
    result = matcher.match(question)
    assert result.entry is None
    assert result.score < matcher.tuning.threshold


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("l'invitation vient d'arriver dans ma boîte, et maintenant ?", "acces-activer-compte"),
        ("l'invitation est bien arrivée, et ensuite ?", "acces-activer-compte"),
        ("les autres ont leur invitation, moi rien", "acces-invitation-non-recue"),
        ("je n'ai rien eu dans ma boîte", "acces-invitation-non-recue"),
    ],
)
def test_having_the_invitation_and_not_having_it_get_different_answers(
    matcher, question: str, expected: str
) -> None:
    assert_answers(matcher, question, expected)


@pytest.mark.parametrize(
    "question",
    [
        "le menu du self",  # « menu » is also the Extranet's menu
        "mail du concierge",  # a staff member and « mail »: everyday words
        "numéro de la comptable",
        "mot de passe de smartschool oublié",  # another system
        "mon compte office est bloqué",
    ],
)
def test_everyday_words_or_another_system_get_no_answer(matcher, question: str) -> None:
    assert matcher.match(question).entry is None


def test_naming_the_extranet_outweighs_an_off_topic_word(matcher) -> None:
    assert not matcher.in_scope("mot de passe de smartschool oublié")
    assert matcher.in_scope("mot de passe de l'extranet oublié sur l'ordinateur")


def test_result_says_why_and_offers_at_most_three_other_entries(matcher) -> None:
    result = matcher.match("je n'ai pas reçu le mail d'invitation")
    assert result.entry is not None and result.entry.id == "acces-invitation-non-recue"
    assert result.matched_phrasing in result.entry.all_phrasings
    assert 0.0 <= result.score <= 1.0
    assert len(result.suggestions) <= 3
    assert result.entry.id not in [s.entry.id for s in result.suggestions]
    assert all(s.score <= result.score for s in result.suggestions)


def test_unsure_question_gets_suggestions_instead_of_an_answer(matcher) -> None:
    # « Mon compte » alone could be about activating, signing in, a blocked account…
    result = matcher.match("mon compte")
    assert result.entry is None
    assert result.suggestions and result.suggestions[0].score == result.score
    assert result.suggestions[0].entry.id == "acces-activer-compte"


@pytest.mark.parametrize("question", ["mot de passe", "invitation", "activation"])
def test_one_word_several_topics_share_gets_suggestions_not_an_answer(matcher, question) -> None:
    result = matcher.match(question)
    assert result.entry is None
    assert len(result.suggestions) >= 2


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # Part-time work in two schools is the several-schools question.
        (
            "je suis à mi-temps dans deux écoles, j'ai besoin de deux accès ?",
            "plusieurs-etablissements",
        ),
        # « en tant que direction » says who asks; the question is about inviting the staff.
        (
            "en tant que direction, comment ouvrir l'extranet à mes enseignants ?",
            "direction-envoyer-invitations",
        ),
        (
            "mon compte extranet est verrouillé, je dois attendre combien de temps ?",
            "compte-bloque",
        ),
    ],
)
def test_topic_words_outweigh_who_asks_and_asides(matcher, question: str, expected: str) -> None:
    assert_answers(matcher, question, expected)


@pytest.mark.parametrize(
    "question",
    [
        "invitation au barbecue de fin d'année des profs",
        "mes mails ne se synchronisent plus sur mon smartphone",
    ],
)
def test_school_events_and_phones_are_another_subject(matcher, question: str) -> None:
    assert matcher.match(question).entry is None


def test_get_returns_an_entry_by_id(matcher) -> None:
    assert matcher.get("fase-numero").category == "support"
    assert matcher.get("inconnu") is None


def test_load_default_builds_the_matcher_once() -> None:
    assert faq.load_default() is faq.load_default()


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_matcher_never_crashes_and_scores_stay_in_range(text: str) -> None:
    result = faq.load_default().match(text)
    assert 0.0 <= result.score <= 1.0
    assert len(result.suggestions) <= 3


@settings(max_examples=40, deadline=None)
@given(LONG_TEXT)
@example("\x00\x1b\u200b\ufeff" * 2500)
@example("🙂🔥" * 5000)
@example("mot de passe oublié fase " * 400)
def test_matcher_time_is_bounded_on_long_or_strange_input(text: str) -> None:
    matcher = faq.load_default()
    # This thread's CPU, not the clock: other workers on the same cores must not fail it.
    started = time.thread_time()
    matcher.match(text)
    assert time.thread_time() - started < 0.25


def _faq_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "faq", *args], cwd=REPO_ROOT, capture_output=True, text=True
    )


def _faq(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m faq ARGS` run in this process: its `__main__` module, argv and exit code
    (`_faq_process` starts the real thing, once per sub-command)."""
    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["faq", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            runpy.run_module("faq", run_name="__main__")
        code: int | str | None = 0
    except SystemExit as exit_:
        code = exit_.code
    finally:
        sys.argv = argv
    if isinstance(code, str):
        err.write(code + "\n")
        code = 1
    return subprocess.CompletedProcess(["faq", *args], code or 0, out.getvalue(), err.getvalue())


def test_cli_eval_read_through_head_stops_quietly() -> None:
    """`python -m faq eval FILE | head -1`: no traceback when the reader stops early."""
    process = subprocess.Popen(
        [sys.executable, "-m", "faq", "eval", "data/faq/learnt/fresh6.jsonl"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(b"n=104")
    process.stdout.close()
    assert process.wait(timeout=60) == 0
    assert process.stderr.read() == b""


def test_cli_ask_prints_the_contracted_json() -> None:
    result = _faq_process("ask", "Je ne trouve pas l'adresse de l'extranet", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["id"] == "adresse-extranet"
    assert 0 < payload["score"] <= 1
    assert all(set(s) == {"id", "score"} for s in payload["suggestions"])


def test_cli_ask_shows_the_answer_to_a_person() -> None:
    result = _faq("ask", "où trouver le numéro fase")
    assert result.returncode == 0
    assert "numéro FASE" in result.stdout


def test_cli_eval_prints_the_metrics(tmp_path: Path) -> None:
    data = tmp_path / "set.jsonl"
    data.write_text(
        '{"question": "mdp oublié", "expected": "mdp-oublie"}\n'
        '{"question": "bonjour", "expected": null}\n',
        encoding="utf-8",
    )
    result = _faq("eval", str(data), "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert set(metrics) == {"accuracy", "top3", "wrong", "oos_answered", "p50_ms", "p99_ms", "n"}
    assert metrics["n"] == 2 and metrics["accuracy"] == 1.0 and metrics["oos_answered"] == 0.0


def test_cli_eval_fails_with_one_line_on_a_bad_file(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text("not json\n", encoding="utf-8")
    result = _faq("eval", str(data))
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and "bad.jsonl:1" in result.stderr


def test_cli_check_passes_on_the_shipped_base_and_fails_on_a_broken_one(tmp_path: Path) -> None:
    assert _faq_process("check").returncode == 0
    (tmp_path / "entries").mkdir()
    (tmp_path / "entries" / "x.yaml").write_text("- id: x\n", encoding="utf-8")
    broken = _faq("--data", str(tmp_path), "check")
    assert broken.returncode != 0 and "x.yaml" in broken.stderr


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # A long, polite message around the question still gets its answer.
        (
            "Bonjour Madame, je travaille comme secrétaire depuis peu et je n'ai toujours pas "
            "compris comment mettre en service mon compte Extranet : pourriez-vous m'indiquer "
            "la marche à suivre ?",
            "acces-activer-compte",
        ),
        # A head leaving and a successor, words apart, are a change of direction.
        (
            "Notre directrice s'en va fin juin ; comment son successeur obtiendra-t-il les "
            "droits de direction sur l'Extranet ?",
            "changement-direction",
        ),
        # A director speaking of a teacher who left is not a change of direction.
        (
            "je suis directeur et une enseignante a quitté l'école en décembre, que devient "
            "son accès ?",
            "depart-membre",
        ),
        # Holidays set the scene; the question is still about the expired link.
        ("pendant les vacances le lien de mon invitation a expiré", "acces-lien-expire"),
        # Chat abbreviations.
        ("nouveau dir ds l'école, pas d'accès direction", "changement-direction"),
    ],
)
def test_long_polite_or_abbreviated_questions_get_their_answer(
    matcher, question: str, expected: str
) -> None:
    assert_answers(matcher, question, expected)


@pytest.mark.parametrize(
    "question",
    [
        "demande de congé pour les vacances",
        "Outlook me demande mon mot de passe constamment",
        "la réunion de parents est reportée, qui prévenir ?",
    ],
)
def test_holidays_and_other_mail_programs_are_another_subject(matcher, question: str) -> None:
    assert matcher.match(question).entry is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # A link that no longer works is an expired link, not a question about activating.
        ("le lien pour activer mon accès ne marche plus", "acces-lien-expire"),
        ("j'ouvre le lien de l'invitation et une erreur s'affiche", "acces-lien-expire"),
        # « plusieurs » tries are not « plusieurs » schools.
        (
            "je me suis trompée de mot de passe plusieurs fois et l'Extranet refuse de me "
            "laisser entrer",
            "compte-bloque",
        ),
        (
            "un seul compte suffit-il si je donne cours dans deux écoles ?",
            "plusieurs-etablissements",
        ),
    ],
)
def test_a_word_that_only_hints_does_not_decide_the_answer(
    matcher, question: str, expected: str
) -> None:
    assert_answers(matcher, question, expected)


@pytest.mark.parametrize(
    "question",
    [
        "où est le lien du site de l'école ?",
        "je n'arrive pas à me connecter au réseau avec mon portable",
        "mon compte",
        "le lien",
    ],
)
def test_the_school_site_its_network_and_a_lone_vague_word_get_no_answer(
    matcher, question: str
) -> None:
    assert matcher.match(question).entry is None


def test_failing_to_sign_in_is_not_an_invitation_that_did_not_arrive(matcher) -> None:
    result = matcher.match("je n'arrive pas à me connecter à l'Extranet")
    assert result.entry is None or result.entry.id != "acces-invitation-non-recue"


def test_two_nearly_tied_entries_are_both_offered_rather_than_one_chosen() -> None:
    # The matcher's own rule, without the second opinion (which may break a tie it agrees on).
    kb = replace(faq.load_default().kb, classifier=None)
    strict = faq.Matcher(kb, replace(faq.Tuning(), min_lead=10.0))
    result = strict.match("j'ai oublié mon mot de passe")
    assert result.entry is None
    assert result.suggestions and result.suggestions[0].entry.id == "mdp-oublie"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # Resigning, a transfer or a contract that ends is leaving: what becomes of the access.
        (
            "une institutrice a remis sa démission, garde-t-elle l'accès à l'Extranet ?",
            "depart-membre",
        ),
        (
            "notre économe a été mutée dans une autre école, et son compte Extranet ?",
            "depart-membre",
        ),
        # Not listed, missing from the staff table: someone is missing from the list.
        (
            "notre nouvelle logopède n'est pas listée dans la gestion des accès",
            "membre-absent-liste",
        ),
        # A help page is the FAQ, not writing to the support.
        ("existe-t-il une page d'aide sur l'Extranet pour les soucis courants ?", "faq-ou-trouver"),
    ],
)
def test_leaving_missing_from_the_list_and_the_help_page_get_their_answer(
    matcher, question: str, expected: str
) -> None:
    assert_answers(matcher, question, expected)


def test_a_menu_that_does_not_appear_is_not_a_person_missing_from_the_list(matcher) -> None:
    result = matcher.match("le menu Administration n'apparaît pas chez moi, je suis directeur")
    assert result.entry is None or result.entry.id != "membre-absent-liste"
