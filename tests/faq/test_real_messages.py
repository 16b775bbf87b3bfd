"""The FAQ on real messages: long stories, faults of the Extranet, subjects that share its
words, greetings, and close pairs of entries. Every message here is worded unlike anything in
the base (a test checks it), so they say how the matcher reads, not what it memorised."""

from __future__ import annotations

import pytest

import faq
from faq.focus import request_span
from faq.kb import SCOPE_KINDS
from faq.kinds import MessageKind
from faq.matcher import Reason
from faq.normalize import fold

LONG = [
    (
        "Bonjour, je suis logopède à mi-temps et je n'utilise presque jamais l'ordinateur de "
        "l'école. Hier soir j'ai voulu consulter un document et je me suis rendu compte que je "
        "ne sais plus du tout quel mot de passe j'avais choisi en septembre. Comment est-ce que "
        "je peux en recevoir un nouveau ?",
        "mdp-oublie",
    ),
    (
        "Bonjour, notre école a accueilli trois nouveaux enseignants à la Toussaint et la "
        "direction a déjà fait les invitations pour eux. Le problème, c'est que l'un d'eux a "
        "laissé traîner le message plus de deux semaines. Quand il clique maintenant sur le "
        "bouton, on lui dit que ce n'est plus valable. Que doit-il faire ?",
        "acces-lien-expire",
    ),
    (
        "Bonjour à vous, je viens de prendre mes fonctions de directrice adjointe après le "
        "départ à la retraite de celui qui dirigeait l'école depuis vingt ans. Je voudrais "
        "savoir comment je récupère l'accès de direction sur l'Extranet pour gérer l'équipe.",
        "changement-direction",
    ),
    (
        "Bonsoir, j'enseigne la religion dans trois implantations différentes du même pouvoir "
        "organisateur, avec trois directions. Est-ce que chaque école va m'envoyer sa propre "
        "invitation, et devrai-je jongler avec plusieurs comptes ?",
        "plusieurs-etablissements",
    ),
]

CLOSE_PAIRS = [
    # « c'est quoi mon identifiant » is not the forgotten password,
    ("je ne connais pas mon nom d'utilisateur pour me connecter", "identifiant-oublie"),
    # the rules of a password are not the forgotten password,
    ("il faut combien de caractères minimum pour le mot de passe ?", "mot-de-passe-regles"),
    # who decides what I see is not how the director signs in,
    ("qui décide des rubriques que je peux voir sur l'Extranet ?", "acces-par-fonction"),
    # two functions with « les mêmes » or « identiques » access is what a function sees,
    (
        "une secrétaire et une institutrice ont-elles les mêmes accès à l'Extranet ?",
        "acces-par-fonction",
    ),
    (
        "les droits d'une éducatrice et d'un professeur sont identiques sur l'Extranet ?",
        "acces-par-fonction",
    ),
    # a colleague missing from the list is not sending the invitations,
    (
        "notre nouvelle surveillante n'est pas dans la liste de Gestion des accès",
        "membre-absent-liste",
    ),
    # changing a known password « sans passer par mot de passe oublié » is not forgetting it,
    (
        "Bonjour, je me connecte tous les matins sans souci à l'Extranet. Un collègue a aperçu "
        "mon mot de passe par-dessus mon épaule. Puis-je en choisir un autre sans passer par le "
        "mot de passe oublié ?",
        "changer-mot-de-passe",
    ),
    (
        "Je ne veux pas utiliser la procédure, comment remplacer mon mdp sans passer par mot de "
        "passe oublié ?",
        "changer-mot-de-passe",
    ),
    # and changing it « sans me déconnecter » is not staying signed in.
    ("on peut modifier son code sans se déconnecter de l'extranet ?", "changer-mot-de-passe"),
    (
        "je suis dans mon espace Extranet, puis-je changer de mot de passe sans me déconnecter ?",
        "changer-mot-de-passe",
    ),
    # the contact address is not what to write to the support.
    ("à quelle adresse écrire au helpdesk ?", "contacter-support"),
    (
        "que dois-je mettre dans mon mail au helpdesk pour qu'il me retrouve ?",
        "infos-a-fournir-support",
    ),
]

PROBLEM_REPORTS = [
    "j'ai une erreur 502 en ouvrant l'extranet",
    "l'extranet est d'une lenteur pas possible depuis ce matin",
    "je clique sur enregistrer dans l'extranet et rien ne se passe",
    "un message d'erreur incompréhensible en anglais s'affiche sur l'extranet",
    # A button that does nothing, in the words of an entry (« relancer les invitations »).
    "dans Gestion des accès, le bouton pour relancer les invitations ne réagit plus",
    # Slowness told as a story that asks nothing, with an entry's words in it.
    "Depuis mardi, ouvrir la gestion des accès de l'Extranet est très lent. Je dois inviter "
    "trois nouveaux collègues cette semaine et je n'avance pas.",
]

NEAR_MISSES = [
    "ma boîte mail professionnelle est saturée, je ne reçois plus rien",
    "j'ai reçu une invitation pour la concertation de jeudi, je dois m'inscrire où ?",
    "mon mot de passe ProECO expire la semaine prochaine, comment le changer ?",
    "j'ai oublié le mot de passe de mon compte Office 365",
    # ProECO's own login, forgotten, is ProECO's question.
    "mon login ProECO ne me revient plus",
    "un parent n'arrive pas à activer son compte sur l'application de l'école",
    # A parent's e-mail that did not arrive is not an invitation that did not.
    "une maman m'a envoyé un mail hier et je ne l'ai toujours pas reçu",
    # Another product named in the story, the question after it says nothing of it.
    "Bonjour, je viens d'arriver dans l'école et la secrétaire m'a donné des codes pour "
    "Smartschool. Quand je les tape, on me dit que l'utilisateur n'existe pas. Je fais quoi ?",
]

SMALL_TALK = ["bonjour !", "merci beaucoup pour votre aide", "ok super, bonne journée"]


@pytest.fixture(scope="module")
def matcher() -> faq.Matcher:
    return faq.load_default()


def _said_by_the_base(matcher: faq.Matcher) -> set[str]:
    kb = matcher.kb
    texts = [t for e in kb.entries for t in e.all_phrasings]
    texts += [t for kind in SCOPE_KINDS for t in kb.scope_examples.get(kind, ())]
    return {fold(t) for t in texts}


def test_no_message_of_these_tests_is_in_the_base(matcher) -> None:
    messages = [q for q, _ in LONG + CLOSE_PAIRS + DOUBTED_FAULTS] + PROBLEM_REPORTS + NEAR_MISSES
    assert not {fold(m) for m in messages} & _said_by_the_base(matcher)


@pytest.mark.parametrize(("message", "expected"), LONG)
def test_a_long_message_is_answered_by_its_request_not_its_story(
    matcher, message: str, expected: str
) -> None:
    result = matcher.match(message)
    assert result.entry is not None and result.entry.id == expected, result
    assert result.reason is Reason.ANSWERED


@pytest.mark.parametrize(("message", "expected"), CLOSE_PAIRS)
def test_close_pairs_of_entries_are_told_apart(matcher, message: str, expected: str) -> None:
    result = matcher.match(message)
    assert result.entry is not None and result.entry.id == expected, result


@pytest.mark.parametrize("message", PROBLEM_REPORTS)
def test_a_fault_of_the_extranet_gets_no_lookalike_entry(matcher, message: str) -> None:
    result = matcher.match(message)
    assert result.entry is None
    assert result.reason is Reason.PROBLEM_REPORT and result.reason.out_of_scope


@pytest.mark.parametrize("message", NEAR_MISSES)
def test_a_subject_that_shares_the_extranet_words_is_not_answered(matcher, message: str) -> None:
    result = matcher.match(message)
    assert result.entry is None
    assert result.reason is Reason.OFF_TOPIC


@pytest.mark.parametrize("message", SMALL_TALK)
def test_greetings_and_thanks_are_not_questions(matcher, message: str) -> None:
    result = matcher.match(message)
    assert result.entry is None and result.reason is Reason.SMALL_TALK


DOUBTED_FAULTS = [
    # « si c'est un bug »: a doubt about what one sees is a question about one's access,
    (
        "Bonjour, je suis puéricultrice en maternelle. Sur l'Extranet je ne vois presque aucun "
        "document, contrairement aux institutrices. Je me demande si c'est un bug. Est-ce "
        "normal ?",
        "acces-par-fonction",
    ),
    # and « on tourne en rond » is the person going round in circles, not the site.
    (
        "Bonjour, on tourne en rond avec ma direction depuis deux semaines pour mon accès à "
        "l'Extranet et personne ne sait m'aider. Comment joindre directement le helpdesk ?",
        "contacter-support",
    ),
]


@pytest.mark.parametrize(("message", "expected"), DOUBTED_FAULTS)
def test_a_doubted_or_personal_fault_is_still_answered(
    matcher, message: str, expected: str
) -> None:
    result = matcher.match(message)
    assert result.entry is not None and result.entry.id == expected, result
    assert result.kind is MessageKind.QUESTION


@pytest.mark.parametrize(
    ("message", "words"),
    [
        # English, as some type it,
        ("forgot my extranet password", {"oublie", "mdp"}),
        # and a change of head in any person of the verb.
        ("nous changeons de directrice en janvier", {"passation"}),
    ],
)
def test_other_ways_of_saying_a_topic_word(matcher, message: str, words: set[str]) -> None:
    assert words <= set(matcher.normalizer.words(message))


def test_unsure_and_ambiguous_abstentions_say_so(matcher) -> None:
    assert matcher.match("mot de passe").reason is Reason.AMBIGUOUS
    unsure = matcher.match("ma fiche dans l'extranet indique encore mon ancien nom de famille")
    assert unsure.entry is None and unsure.reason is Reason.UNSURE
    assert not unsure.reason.out_of_scope


def test_the_request_is_the_sentence_that_asks() -> None:
    story = (
        "Bonjour, je suis secrétaire depuis la rentrée. La directrice a envoyé les invitations "
        "lundi et j'ai reçu la mienne. Comment je fais pour activer mon compte ? Merci d'avance."
    )
    assert request_span(story) == "Comment je fais pour activer mon compte ?"
    # A short request leans on the sentence before it.
    pointer = (
        "Bonjour, je travaille ici depuis septembre. J'ai oublié mon mot de passe de "
        "l'Extranet. Que faire ?"
    )
    assert request_span(pointer) == "J'ai oublié mon mot de passe de l'Extranet. Que faire ?"
    # Without a question, the last sentence that says something.
    assert (
        request_span(
            "Bonjour, je suis nouvelle dans l'école et un peu perdue. Je voudrais activer mon "
            "compte Extranet. Merci."
        )
        == "Je voudrais activer mon compte Extranet."
    )
    # A short message is all request.
    assert request_span("mot de passe oublié, que faire ?") is None


def test_without_its_second_opinion_the_word_gate_still_keeps_other_subjects_out() -> None:
    from dataclasses import replace

    kb = replace(faq.load_default().kb, classifier=None)
    matcher = faq.Matcher(kb)
    result = matcher.match("mot de passe de smartschool oublié")
    assert result.entry is None and result.reason is Reason.OFF_TOPIC
    assert matcher.match("j'ai oublié mon mot de passe").entry is not None
