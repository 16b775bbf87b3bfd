"""What kind of message a person sent: a question, politeness, another subject, a fault."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import faq
from faq import KnowledgeBaseError, MessageKind, load
from faq.check import check
from faq.facts import FACTS, fill, placeholders
from faq.kb import DEFAULT_DATA_DIR


@pytest.fixture(scope="module")
def matcher() -> faq.Matcher:
    return faq.load_default()


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("bonjour", MessageKind.GREETING),
        ("Bonjour !", MessageKind.GREETING),
        ("Bonjoru", MessageKind.GREETING),  # a typo
        ("slt", MessageKind.GREETING),
        ("merci beaucoup !", MessageKind.THANKS),
        ("Merciiii", MessageKind.THANKS),  # a letter held down
        ("merci pour votre aide", MessageKind.THANKS),
        ("MERCI BIEN à vous", MessageKind.THANKS),
        ("ok super", MessageKind.SMALL_TALK),
        ("d'accord", MessageKind.SMALL_TALK),
        ("ça va ?", MessageKind.SMALL_TALK),
        ("au revoir", MessageKind.GOODBYE),
        ("merci, au revoir et bonne journée", MessageKind.GOODBYE),
    ],
)
def test_politeness_is_told_apart_from_a_question(matcher, message, kind) -> None:
    assert matcher.match(message).kind is kind
    assert kind.social


@pytest.mark.parametrize(
    "message",
    [
        "le wifi de l'école ne marche plus",
        "j'ai oublié mon mot de passe Smartschool",
        "quand commencent les vacances de Pâques ?",
        "où trouver ma fiche de paie ?",
        "l'imprimante de la salle des profs est en panne",
        "Smartschool affiche une page blanche",
    ],
)
def test_another_subject_is_off_topic(matcher, message) -> None:
    result = matcher.match(message)
    assert result.kind is MessageKind.OFF_TOPIC
    assert result.entry is None


@pytest.mark.parametrize(
    "message",
    [
        "page blanche",
        "j'ai une erreur 500 en me connectant",
        "l'Extranet est très lent depuis ce matin",
        "le site ne répond pas",
        "la page de connexion ne s'affiche plus",
        "l'extranet bugue",
        "le bouton Valider de mon profil ne fait rien",
        "les tableaux de l'Extranet s'affichent mal sur ma tablette",
    ],
)
def test_a_fault_of_the_extranet_is_a_problem_report(matcher, message) -> None:
    assert matcher.match(message).kind is MessageKind.PROBLEM


@pytest.mark.parametrize(
    "message",
    [
        "bonjour, j'ai oublié mon mot de passe",
        "merci de me renvoyer mon invitation",
        "le lien dans l'e-mail ne s'ouvre pas",
        "l'invitation est arrivée pendant les congés et le lien a expiré",
        "pourquoi l'Extranet ne m'affiche pas tous les documents",
        "mon horaire est réparti sur deux écoles, un seul compte ?",
        "je ne sais pas si c'est un bug mais je ne vois pas la rubrique des circulaires",
        "ce n'est pas un bug : pourquoi ma collègue voit plus de rubriques que moi ?",
    ],
)
def test_a_question_about_the_extranet_stays_a_question(matcher, message) -> None:
    assert matcher.match(message).kind is MessageKind.QUESTION


def test_every_phrasing_of_the_base_is_read_as_a_question(matcher) -> None:
    misread = [
        (entry.id, text, matcher.match(text).kind)
        for entry in matcher.entries
        for text in entry.all_phrasings
        if matcher.match(text).kind is not MessageKind.QUESTION
    ]
    assert misread == []


def test_the_check_refuses_a_phrasing_read_as_something_else(tmp_path: Path) -> None:
    data = tmp_path / "faq"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    kinds = data / "kinds.yaml"
    kinds.write_text(
        kinds.read_text(encoding="utf-8").replace("problem: [", "problem: [\n  numero fase,"),
        encoding="utf-8",
    )
    errors = check(load(data)).errors
    assert any("read as problem" in e and "fase-numero" in e for e in errors)


def test_editing_the_kinds_needs_no_refit_of_the_second_opinion(tmp_path: Path) -> None:
    data = tmp_path / "faq"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    with (data / "kinds.yaml").open("a", encoding="utf-8") as kinds:
        kinds.write("\n# a comment\n")
    assert load(data).classifier is not None


def test_a_bare_yes_in_the_kinds_file_is_refused_with_the_file_named(tmp_path: Path) -> None:
    data = tmp_path / "faq"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    (data / "kinds.yaml").write_text("small_talk: [ok, yes]\n", encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"kinds\.yaml.*quote it"):
        load(data)


def test_categories_have_their_accented_titles_in_order() -> None:
    kb = load()
    titles = [title for title, _ in kb.by_category()]
    assert titles == ["Accès", "Connexion", "Direction", "Support"]
    assert sum(len(entries) for _, entries in kb.by_category()) == len(kb.entries)


# -- facts: delays and rules stated from the product's settings -----------------------------


def test_answers_stating_a_delay_or_a_rule_use_placeholders() -> None:
    kb = load()
    used = {name for e in kb.entries for name in placeholders(e.answer)}
    assert {"invitation_days", "lockout_minutes", "password_rules"} <= used
    assert used <= set(FACTS)
    expired = kb.get("acces-lien-expire")
    assert expired is not None
    assert "valable {invitation_days} jours" in expired.answer


def test_fill_puts_the_values_in_and_leaves_an_unknown_name() -> None:
    text = "valable {invitation_days} jours, {other}"
    assert fill(text, {"invitation_days": "7"}) == "valable 7 jours, {other}"


def test_the_check_refuses_an_unknown_placeholder(tmp_path: Path) -> None:
    data = tmp_path / "faq"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    path = data / "entries" / "acces.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("{invitation_days}", "{invitation_weeks}", 1),
        encoding="utf-8",
    )
    errors = check(load(data)).errors
    assert any("unknown placeholder {invitation_weeks}" in e for e in errors)


def test_one_vague_word_of_ours_is_a_question_not_another_subject() -> None:
    from faq import load_default

    matcher = load_default()
    vague = matcher.match("adresse")
    assert vague.kind is MessageKind.QUESTION and vague.entry is None
    assert vague.suggestions  # the person is offered the nearest answers
    assert matcher.match("wifi").kind is MessageKind.OFF_TOPIC
