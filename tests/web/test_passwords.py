"""Password rules as a person meets them on the activation and reset forms, and hashing."""

from __future__ import annotations

import random
import string
import unicodedata
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher, Type

from access import messages as msg
from access.accounts import strength
from access.accounts.passwords import (
    COMMON_PASSWORDS_FILE,
    HASHER,
    MAX_LENGTH,
    hash_password,
    load_common_passwords,
    needs_rehash,
    password_problems,
    verify_password,
    visible_length,
)

NAMES = ["Dupont-Lefèvre", "Éloïse"]
EMAILS = ["eloise.dupont@ecole.be"]
SCHOOLS = ["Institut Saint-Joseph Namur"]
TOO_SHORT = msg.PASSWORD_TOO_SHORT.format(minimum=12)
# Every sentence the rules may show: anything else (zxcvbn's English) must never reach a page.
FRENCH_PROBLEMS = {
    TOO_SHORT,
    msg.PASSWORD_TOO_LONG.format(maximum=MAX_LENGTH),
    msg.PASSWORD_TOO_COMMON,
    msg.PASSWORD_CONTAINS_NAME,
    msg.PASSWORD_CONTAINS_EMAIL,
    msg.PASSWORD_CONTAINS_SCHOOL,
    msg.PASSWORD_CONTAINS_PRODUCT,
    msg.PASSWORD_KEYBOARD,
    msg.PASSWORD_SEQUENCE,
    msg.PASSWORD_REPEAT,
    msg.PASSWORD_DATE,
    msg.PASSWORD_COMMON_PART,
    msg.PASSWORD_COMMON_WORDS,
    msg.PASSWORD_L33T,
    msg.PASSWORD_REVERSED,
    msg.PASSWORD_TOO_GUESSABLE,
}


def problems(password: str) -> list[str]:
    return password_problems(password, names=NAMES, emails=EMAILS, schools=SCHOOLS)


def test_a_long_passphrase_is_accepted_without_composition_rules() -> None:
    assert problems("cheval agrafe batterie correcte") == []
    assert problems("tout en minuscules sans chiffre") == []


def test_eleven_characters_are_refused_and_twelve_accepted() -> None:
    assert problems("k9v!rt2mq#z") == [TOO_SHORT]
    assert problems("k9v!rt2mq#zp") == []


def test_128_characters_are_accepted_and_129_refused() -> None:
    phrase = (
        "le vieux phare de la pointe veille sur les barques des pêcheurs quand la marée "
        "monte et que les mouettes crient sur le port gris"
    )
    assert len(phrase) == MAX_LENGTH
    assert problems(phrase) == []
    assert problems("x" * 129) == [msg.PASSWORD_TOO_LONG.format(maximum=MAX_LENGTH)]


@pytest.mark.parametrize(
    "common", ["motdepasse123", "AZERTYUIOP123", "azertyazerty", "jetaimejetaime", "password1234"]
)
def test_common_passwords_are_refused_whatever_the_case(common: str) -> None:
    assert msg.PASSWORD_TOO_COMMON in problems(common)


def test_the_shipped_list_holds_thousands_of_entries_with_french_ones() -> None:
    common = load_common_passwords()
    assert len(common) > 5000
    assert {"azerty", "motdepasse", "soleil", "bonjour", "123456"} <= common


# --- The cases of issue 16, item 5: accepted before although weak.


@pytest.mark.parametrize(
    "password", [" " * 12, "\u200b" * 12], ids=["12 spaces", "12 zero-width spaces"]
)
def test_nothing_visible_is_too_short(password: str) -> None:
    assert problems(password) == [TOO_SHORT]


def test_a_repeated_pair_of_digits_is_refused_as_a_repetition() -> None:
    assert problems("121212121212") == [msg.PASSWORD_REPEAT]


def test_a_keyboard_row_is_refused_as_a_keyboard_walk() -> None:
    assert problems("qwertyuiopas") == [msg.PASSWORD_KEYBOARD]


def test_the_name_of_ones_school_is_refused() -> None:
    assert problems("saintjosephnamur") == [msg.PASSWORD_CONTAINS_SCHOOL]


def test_the_products_name_with_a_year_is_refused() -> None:
    assert msg.PASSWORD_CONTAINS_PRODUCT in password_problems("extranet2026!")


# --- The cases of issue 16, item 5: refused before although strong.


def test_a_greeting_that_contains_anne_inside_annee_is_accepted_for_anne() -> None:
    passphrase = "bonne année à toute l'équipe"
    assert password_problems(passphrase, names=["Lambert", "Anne"], emails=[]) == []
    assert password_problems(passphrase, names=["Anne"], emails=["anne@example.org"]) == []


def test_a_phrase_ending_with_prof_is_accepted_when_the_address_contains_prof() -> None:
    passphrase = "cartable bleu sur la table du prof"
    assert password_problems(passphrase, names=["Lambert"], emails=["prof.lambert@ecole.be"]) == []


# --- Names, e-mail and schools: judged by strength, refused when they are most of it.


@pytest.mark.parametrize(
    "password", ["eloise-dupont-2026", "ELOISE DUPONT-LEFEVRE !", "monnom:dupont-lefevre!"]
)
def test_the_persons_name_is_refused_ignoring_case_and_accents(password: str) -> None:
    assert msg.PASSWORD_CONTAINS_NAME in problems(password)


def test_the_email_local_part_is_refused() -> None:
    assert msg.PASSWORD_CONTAINS_EMAIL in problems("xx eloise.dupont xx 42")


def test_name_particles_alone_do_not_refuse_a_password() -> None:
    names = ["Van der Berg", "Li"]
    assert password_problems("le vent de la mer du nord", names=names, emails=[]) == []
    assert msg.PASSWORD_CONTAINS_NAME in password_problems("berg berg berg!", names=names)


@pytest.mark.parametrize(
    "passphrase",
    ["Éloïse collectionne les cerfs-volants rouges", "eloise-est-la-meilleure"],
)
def test_a_first_name_among_other_words_is_judged_by_the_whole_phrase(passphrase: str) -> None:
    assert problems(passphrase) == []


def test_the_name_of_the_school_is_refused_in_any_spelling() -> None:
    for password in ["Saint-Joseph Namur !", "SAINT JOSEPH namur", "st-joseph-namur-saint"]:
        assert msg.PASSWORD_CONTAINS_SCHOOL in problems(password), password


def test_the_products_names_are_refused_even_in_l33t() -> None:
    found = password_problems("3xtr@n3t-s3g3c")
    assert msg.PASSWORD_CONTAINS_PRODUCT in found
    assert msg.PASSWORD_L33T in found


# --- Ordinary French passphrases pass; predictable patterns are named.


@pytest.mark.parametrize(
    "passphrase",
    [
        "le chat mange la souris",
        "il fait beau aujourd'hui",
        "les enfants jouent dans la cour",
        "je vais à la plage demain",
        "un nouveau mot de passe solide",
        "mon vélo est rouge et bleu",
        "nous partons en voyage demain",
        "ma grand-mère fait des crêpes",
        "les élèves sont en classe",
    ],
)
def test_ordinary_french_passphrases_of_four_words_or_more_are_accepted(passphrase: str) -> None:
    assert problems(passphrase) == []


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("&é\"'(§è!çà)-", msg.PASSWORD_KEYBOARD),  # the AZERTY number row, unshifted
        ("q w e r t y u i o p a s", msg.PASSWORD_KEYBOARD),  # separators do not hide a walk
        ("wxcvbn,;:=qs", msg.PASSWORD_KEYBOARD),
        ("abcdefghijkl", msg.PASSWORD_SEQUENCE),
        ("zyxwvutsrqpo", msg.PASSWORD_SEQUENCE),
        ("drowssap drowssap", msg.PASSWORD_REPEAT),
        ("01/02/2024 bonjour", msg.PASSWORD_DATE),
        ("p@ssw0rd2024!", msg.PASSWORD_L33T),
        ("soleil soleil soleil", msg.PASSWORD_REPEAT),
    ],
)
def test_a_predictable_password_is_refused_with_what_makes_it_so(
    password: str, reason: str
) -> None:
    assert reason in problems(password)


@pytest.mark.parametrize(
    "password",
    [
        "121212121212",
        "qwertyuiopas",
        "saintjosephnamur",
        "extranet2026!",
        "dimanche matin",
        "azerqsdf2024",
        "Éloïse2026!!",
        "p@ssw0rd2024!",
        "aaaaaaaaaaaaaaaa",
        "xkcdxkcdxkcd",
    ],
)
def test_every_refusal_is_explained_in_our_french_sentences(password: str) -> None:
    found = problems(password)
    assert found, "a weak password must be refused"
    assert set(found) <= FRENCH_PROBLEMS


# --- Unicode: NFKC, and only what a person sees counts.


def test_full_width_letters_are_read_as_the_letters_they_look_like() -> None:
    assert problems("ｑｗｅｒｔｙｕｉｏｐａｓ") == [msg.PASSWORD_KEYBOARD]
    assert problems("ｍｏｔｄｅｐａｓｓｅ１２３") == [msg.PASSWORD_TOO_COMMON]
    assert problems("Ｃｈｅｖａｌ ａｇｒａｆｅ ｂａｔｔｅｒｉｅ") == []


@pytest.mark.parametrize(
    "invisible",
    [
        "\u200b",  # zero width space
        "\u200c",  # zero width non-joiner
        "\u200d",  # zero width joiner
        "\u2060",  # word joiner
        "\ufeff",  # byte order mark
        "\u00ad",  # soft hyphen
        "\u180e",  # Mongolian vowel separator
        "\u202e",  # right-to-left override
        "\u3164",  # Hangul filler, a "letter" that shows nothing
        "\u2800",  # braille blank
        "\t",
        "\u00a0",  # no-break space
        "\u3000",  # ideographic space
    ],
)
def test_invisible_and_format_characters_are_not_counted(invisible: str) -> None:
    assert problems(invisible * 12) == [TOO_SHORT]
    assert problems("k9v!rt2mq#z" + invisible * 3) == [TOO_SHORT]
    assert visible_length("k9v!rt2mq#z" + invisible) == 11


def test_invisible_characters_do_not_hide_a_weak_password() -> None:
    assert problems("qwe\u200brty\u200buiop\u200bas") == [msg.PASSWORD_KEYBOARD]
    assert problems("motdepasse\u2060123") == [msg.PASSWORD_TOO_COMMON]


def test_combining_marks_and_runs_of_spaces_count_for_nothing_a_single_space_counts() -> None:
    assert problems("e" + "\u0301" * 11) == [TOO_SHORT]
    assert problems("  k9v!rt2mq#z  ") == [TOO_SHORT]
    assert problems("ab" + " " * 10 + "cd") == [TOO_SHORT]
    assert visible_length("k9v!rt2 mq#z") == 12
    assert problems("k9v!rt2 mq#z") == []


# --- Bounded work, and no state shared between two people checked at once.


@pytest.mark.parametrize(
    "password",
    [
        "x" * 1000,
        "\u200b" * 1000,
        "1l|!7+4@3$5" * 11,
        "4@3$5+7|1!0%2({[<86" * 6,
        ("4@3$5+7|1!0%2({[<86" * 3)[:60] * 2,
        "".join(random.Random(16).choice(string.printable[:94]) for _ in range(MAX_LENGTH)),
        "le la les de du des un une " * 4,
    ],
    ids=["1000 x", "1000 zero-width", "l33t soup", "every l33t", "repeated", "random", "words"],
)
def test_long_and_adversarial_inputs_are_answered(password: str) -> None:
    found = problems(password)
    assert set(found) <= FRENCH_PROBLEMS
    if len(password) > MAX_LENGTH:
        assert found == [msg.PASSWORD_TOO_LONG.format(maximum=MAX_LENGTH)]


def test_two_people_checked_at_once_each_get_their_own_words() -> None:
    anne = {"names": ["Lambert", "Anne"], "emails": ["anne.lambert@example.org"]}
    paul = {"names": ["Martin", "Paul"], "emails": ["paul.martin@example.org"]}
    cases = [
        ("anne lambert 2026", anne),
        ("anne lambert 2026", paul),
        ("paul martin 2026!", paul),
        ("paul martin 2026!", anne),
    ]
    alone = [password_problems(password, **who) for password, who in cases]
    assert msg.PASSWORD_CONTAINS_NAME in alone[0] and msg.PASSWORD_CONTAINS_NAME not in alone[1]
    assert msg.PASSWORD_CONTAINS_NAME in alone[2] and msg.PASSWORD_CONTAINS_NAME not in alone[3]
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = list(pool.map(lambda case: password_problems(case[0], **case[1]), cases * 10))
    assert together == alone * 10


# --- Hashing.


@pytest.mark.production_hashing
def test_hash_is_argon2id_with_owasp_parameters_and_verifies() -> None:
    stored = hash_password("une phrase de passe correcte")
    assert stored.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in stored
    assert verify_password(stored, "une phrase de passe correcte")
    assert not verify_password(stored, "une phrase de passe incorrecte")


def test_missing_or_damaged_hash_never_matches() -> None:
    assert not verify_password(None, "anything at all really")
    assert not verify_password("not-a-hash", "anything at all really")


@pytest.mark.production_hashing
def test_a_hash_made_with_weaker_parameters_needs_rehash() -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)
    weak = old.hash("une phrase de passe correcte")
    assert needs_rehash(weak)
    assert verify_password(weak, "une phrase de passe correcte")
    assert not needs_rehash(HASHER.hash("x"))


def test_the_same_password_typed_in_another_unicode_form_signs_in() -> None:
    stored = hash_password("Ｃｈｅｖａｌ ａｇｒａｆｅ ｂａｔｔｅｒｉｅ ²")
    assert verify_password(stored, "Cheval agrafe batterie 2")
    decomposed = unicodedata.normalize("NFD", "élève café crème brûlée")
    assert verify_password(hash_password("élève café crème brûlée"), decomposed)
    assert not verify_password(stored, "cheval agrafe batterie 2")


def test_a_hash_made_before_normalisation_still_matches_the_text_as_typed() -> None:
    typed = "Ｃｈｅｖａｌ ａｇｒａｆｅ ｂａｔｔｅｒｉｅ"
    legacy = HASHER.hash(typed)
    assert verify_password(legacy, typed)
    assert not verify_password(legacy, "Cheval agrafe batterie?")


def test_the_lexicon_knows_every_beginning_of_every_word_and_no_other() -> None:
    # Built from the distinct longest beginnings (cheaper): the same set as word by word.
    lexicon = strength._lexicon(COMMON_PASSWORDS_FILE)
    for words in (list(lexicon.entries), ["a", "é", "ab", "abcdef", "abcz", ""]):
        naive = {w[:n] for w in words for n in range(1, min(strength.PREFIX, len(w)) + 1)}
        assert strength._prefixes(words) == naive
    assert lexicon.prefixes == strength._prefixes(lexicon.entries)
