"""Shapes of question the FAQ used to leave unanswered although its first suggestion was
right: a word of another subject beside more of ours, staff named by where they work, a link
that « ne marche plus », the bot asked how to reach it, wrong tries that lock, and the person
who leaves asking about their own access (docs/faq.md, « Abstentions on unseen text »).
The phrasings are in none of the base's entries nor its labelled sets."""

from __future__ import annotations

import pytest

import faq
from faq import MessageKind


@pytest.fixture(scope="module")
def matcher() -> faq.Matcher:
    return faq.load_default()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # a device or a place beside two of the Extranet's words
        (
            "mon adresse mail est mal écrite dans l'ordinateur du secrétariat, qui peut la "
            "corriger ?",
            "email-incorrect-erreur",
        ),
        (
            "la directrice ne me trouve pas dans la liste des accès sur son ordinateur",
            "membre-absent-liste",
        ),
        # who works at the canteen or the after-school care is staff
        (
            "la surveillante de la cantine n'a jamais reçu l'invitation pour l'Extranet",
            "acces-invitation-non-recue",
        ),
    ],
)
def test_a_word_of_another_subject_outnumbered_by_ours_does_not_keep_the_answer_out(
    matcher, question: str, expected: str
) -> None:
    result = matcher.match(question)
    assert result.entry is not None and result.entry.id == expected


@pytest.mark.parametrize(
    "question",
    [
        "le menu de la cantine de cette semaine",
        "le mot de passe de l'ordinateur de la classe",
        "ma collègue de la garderie cherche le code du portail",
        "l'imprimante de la garderie est bloquée",
        "mon ordinateur ne démarre plus, j'ai besoin de mon compte",
    ],
)
def test_another_subject_as_present_as_ours_stays_out(matcher, question: str) -> None:
    result = matcher.match(question)
    assert result.entry is None
    assert result.reason.out_of_scope


@pytest.mark.parametrize(
    "question",
    [
        # the school's own devices and advice for school life, asked of this helpdesk
        "mon ordinateur de service ne s'allume plus, c'est vous qu'il faut prévenir ?",
        "vous auriez un bon traiteur à recommander pour la fête de fin d'année ?",
    ],
)
def test_a_device_or_an_errand_asked_of_the_helpdesk_is_not_answered(
    matcher, question: str
) -> None:
    assert matcher.match(question).entry is None


def test_a_link_that_no_longer_works_is_not_a_fault_of_the_site(matcher) -> None:
    link = matcher.match("le lien dans le mail ne veut plus s'ouvrir depuis la rentrée")
    assert link.kind is MessageKind.QUESTION
    assert link.entry is not None and link.entry.id == "acces-lien-expire"
    assert matcher.rules_kind("le lien de la page ne s'ouvre plus") is MessageKind.QUESTION
    # the site itself, or a link in another clause than the failing page, is still a fault
    assert matcher.rules_kind("l'Extranet ne fonctionne plus") is MessageKind.PROBLEM
    assert (
        matcher.rules_kind("j'ai cliqué sur le lien et le site ne répond pas")
        is MessageKind.PROBLEM
    )


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("par quel moyen est-ce que je peux vous contacter ?", "contacter-support"),
        ("je me suis trompé trois fois de suite et c'est verrouillé", "compte-bloque"),
        ("où sont les questions que les gens posent souvent ?", "faq-ou-trouver"),
        ("j'ai perdu le site, quelle est son adresse déjà ?", "adresse-extranet"),
        ("mon intérim s'achève en juin, l'accès à l'Extranet me restera-t-il ?", "depart-membre"),
    ],
)
def test_short_informal_questions_without_the_base_words_get_their_answer(
    matcher, question: str, expected: str
) -> None:
    result = matcher.match(question)
    assert result.entry is not None and result.entry.id == expected
