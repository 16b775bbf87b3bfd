"""The normaliser: what people type and what the base says meet as the same words."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import faq
from faq import normalize
from faq.kb import DEFAULT_DATA_DIR
from faq.normalize import MAX_QUESTION_CHARS, Lexicon, Normalizer, fold, stem


def _normalizer():
    return faq.load_default().normalizer


def test_fold_removes_case_accents_elisions_and_punctuation() -> None:
    assert fold("L’Extranet : j'ai oublié l'e-mail d'invitation !!") == (
        "extranet ai oublie e mail invitation"
    )
    assert fold("ŒUVRE Ça Déjà") == "oeuvre ca deja"


def test_the_t_of_an_inverted_question_is_dropped_so_the_negation_still_reaches() -> None:
    assert fold("Pourquoi n'y figure-t-elle pas ? A-t-on reçu") == (
        "pourquoi y figure elle pas a on recu"
    )
    words = _normalizer().words
    assert words("pourquoi n'y figure-t-elle pas") == words("elle n'y figure pas")


def test_abbreviations_and_synonyms_become_one_word() -> None:
    words = _normalizer().words
    assert words("Mot de passe oublié") == words("mdp oublie") == ["mdp", "oublie"]
    assert words("courriel de l'école") == words("mail etablissement") == ["email", "etablissement"]
    assert words("nom d'utilisateur") == ["identifiant"]
    assert words("je ne me souviens plus de mon mot de passe") == ["oublie", "mdp"]


def test_a_denied_reception_is_another_word_than_a_reception() -> None:
    words = _normalizer().words
    received = set(words("j'ai reçu l'invitation"))
    for denied in (
        "je n'ai pas reçu l'invitation",
        "invitation jamais arrivée",
        "aucune invitation reçue",
        "les autres ont reçu l'invitation, pas moi",
    ):
        assert "invitation" in words(denied)
        assert not received - {"invitation"} & set(words(denied)), denied
    assert words("je viens d'arriver dans l'école") != words("l'invitation vient d'arriver")


def test_synonyms_compose_across_phrases_and_words() -> None:
    words = _normalizer().words
    assert (
        words("nouveau dirlo") == words("nouvelle directrice") == words("changement de direction")
    )


def test_stop_words_and_greetings_leave_nothing() -> None:
    assert _normalizer().words("Bonjour, merci beaucoup !") == []


def test_inflections_share_a_stem() -> None:
    assert stem("activer") == stem("activation") == stem("activez")
    assert stem("oublie") == stem("oubliee") == stem("oublier")
    assert stem("invitations") == stem("invitation")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_normaliser_accepts_any_unicode(text: str) -> None:
    words = _normalizer().words(text)
    assert all(w.isascii() and w == w.strip() and w for w in words)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=6).map(
        lambda parts: ("".join(parts) * 10_000)[:10_000]
    )
)
@example("\x00\x07\u202e" * 3000)
def test_normaliser_time_is_bounded_on_long_input(text: str) -> None:
    started = time.perf_counter()
    _normalizer().stems(text)
    assert time.perf_counter() - started < 0.25


def test_only_the_beginning_of_a_very_long_message_is_read() -> None:
    text = "mot de passe oublié " + "x" * 20_000 + " fase"
    assert "fase" not in " ".join(_normalizer().words(text))
    assert len(fold("é" * 50_000)) == MAX_QUESTION_CHARS


def test_a_text_read_again_gives_the_words_a_fresh_normaliser_reads() -> None:
    lexicon = faq.load_default().kb.lexicon
    normalizer = Normalizer(lexicon)
    question = "je n'ai pas reçu l'invitation, mon collègue si"
    first = normalizer.words(question)
    first.append("changed")
    assert normalizer.words(question) == first[:-1] == Normalizer(lexicon).words(question)
    # Read once, cut to the beginning the normaliser reads.
    text = "mot de passe oublié " * 100
    assert normalizer.words(text) == normalizer.words(text[:MAX_QUESTION_CHARS])
    assert normalizer.words(text) == Normalizer(lexicon).words(text)


def test_matchers_of_one_lexicon_share_a_normaliser_and_another_lexicon_gets_its_own() -> None:
    kb = faq.load_default().kb
    shared = faq.Matcher(kb).normalizer
    # The calibration's folds: the base with fewer phrasings, the same lexicon.
    assert faq.Matcher(replace(kb, entries=kb.entries[1:])).normalizer is shared
    # `faq accept` loads the base again for each of check, fit and calibrate.
    reloaded = faq.load(DEFAULT_DATA_DIR)
    assert reloaded.lexicon is not kb.lexicon
    assert faq.Matcher(reloaded).normalizer is shared
    # Equal, but read in another order: `Normalizer` reads some mappings in order.
    negatable = dict(reversed(list(kb.lexicon.negatable.items())))
    reordered = replace(kb.lexicon, negatable=negatable)
    assert reordered == kb.lexicon
    assert normalize.shared_normalizer(reordered) is not shared
    assert normalize.shared_normalizer(reordered).lexicon is reordered
    other = replace(kb.lexicon, stopwords=kb.lexicon.stopwords | {"extranet"})
    assert normalize.shared_normalizer(other).words("l'extranet") == []


def test_two_words_near_each_other_add_the_word_they_mean() -> None:
    lexicon = Lexicon.build(
        {"directeur": ["directrice"]},
        ["la", "sa", "notre", "en"],
        pairs={"passation": ["directeur remplacant"]},
    )
    normalizer = Normalizer(lexicon)
    assert "passation" in normalizer.words("notre directrice part, sa remplacant arrive")
    far = "directeur " + " ".join(f"mot{i}" for i in range(8)) + " remplacant"
    assert "passation" not in normalizer.words(far)


def test_a_pair_must_be_two_words() -> None:
    with pytest.raises(ValueError):
        Lexicon.build({}, [], pairs={"passation": ["directeur"]})


def test_failing_to_do_something_is_not_a_message_that_did_not_arrive() -> None:
    normalizer = _normalizer()
    assert "nonrecu" not in normalizer.words("je n'arrive pas à me connecter")
    assert "nonrecu" in normalizer.words("l'invitation n'arrive pas")


def test_a_link_that_does_not_work_reads_as_an_expired_one() -> None:
    normalizer = _normalizer()
    assert "expire" in normalizer.words("le lien de mon invitation ne fonctionne plus")
    assert "expire" in normalizer.words("une erreur quand je clique sur le lien")
    assert "expire" not in normalizer.words("une erreur dans mon adresse mail")


def test_an_elision_typed_without_its_apostrophe_is_read_as_one() -> None:
    normalizer = _normalizer()
    assert normalizer.words("lextranet") == normalizer.words("l'extranet")
    assert "identifiant" in normalizer.words("mon nom dutilisateur")
    # a word of its own stays whole, even when a known word ends it
    assert "couvre" in fold("mon compte couvre-t-il deux écoles").split()
    assert normalizer.words("couvre") == ["couvre"]


_PHRASES = [
    "mot de passe",
    "mot de passe perdu",
    "mot de",
    "pas recu",
    "pas recu le mail",
    "de passe",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["mot", "de", "passe", "perdu", "pas", "recu", "le", "mail", "x", "motde"]),
        max_size=14,
    )
)
def test_the_phrase_pattern_matches_as_the_longest_first_list_of_phrases_did(
    words: list[str],
) -> None:
    """The trie pattern finds the same phrases at the same places as the plain alternation
    sorted longest first, which it replaced for speed."""
    text = " ".join(words)
    ordered = sorted(_PHRASES, key=len, reverse=True)
    plain = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in ordered) + r")\b")
    trie = normalize._alternation(_PHRASES)
    assert trie is not None
    assert [m.span() for m in trie.finditer(text)] == [m.span() for m in plain.finditer(text)]
