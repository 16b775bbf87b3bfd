"""Password rules as a person meets them on the activation and reset forms, and hashing."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from access import messages as msg
from access.accounts.passwords import (
    HASHER,
    MAX_LENGTH,
    hash_password,
    load_common_passwords,
    needs_rehash,
    password_problems,
    verify_password,
)

NAMES = ["Dupont-Lefèvre", "Éloïse"]
EMAILS = ["eloise.dupont@ecole.be"]


def problems(password: str) -> list[str]:
    return password_problems(password, names=NAMES, emails=EMAILS)


def test_a_long_passphrase_is_accepted_without_composition_rules() -> None:
    assert problems("cheval agrafe batterie correcte") == []
    assert problems("tout en minuscules sans chiffre") == []


def test_eleven_characters_are_refused_and_twelve_accepted() -> None:
    assert problems("k9v!rt2mq#z") == [msg.PASSWORD_TOO_SHORT.format(minimum=12)]
    assert problems("k9v!rt2mq#zp") == []


def test_128_characters_are_accepted_and_129_refused() -> None:
    assert problems("ab cd ef gh " * 10 + "ijklmnop") == []
    assert len("ab cd ef gh " * 10 + "ijklmnop") == MAX_LENGTH
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


@pytest.mark.parametrize(
    "password", ["eloise-est-la-meilleure", "ELOISE2026 et toujours", "monnom:dupont-lefevre!"]
)
def test_the_persons_name_is_refused_ignoring_case_and_accents(password: str) -> None:
    assert msg.PASSWORD_CONTAINS_NAME in problems(password)


def test_the_email_local_part_is_refused() -> None:
    assert msg.PASSWORD_CONTAINS_EMAIL in problems("xx eloise.dupont xx 42")


def test_name_particles_alone_do_not_refuse_a_password() -> None:
    names = ["Van der Berg", "Li"]
    assert password_problems("le vent de la mer du nord", names=names, emails=[]) == []
    assert msg.PASSWORD_CONTAINS_NAME in password_problems("berg berg berg!", names=names)


def test_hash_is_argon2id_with_owasp_parameters_and_verifies() -> None:
    stored = hash_password("une phrase de passe correcte")
    assert stored.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in stored
    assert verify_password(stored, "une phrase de passe correcte")
    assert not verify_password(stored, "une phrase de passe incorrecte")


def test_missing_or_damaged_hash_never_matches() -> None:
    assert not verify_password(None, "anything at all really")
    assert not verify_password("not-a-hash", "anything at all really")


def test_a_hash_made_with_weaker_parameters_needs_rehash() -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)
    weak = old.hash("une phrase de passe correcte")
    assert needs_rehash(weak)
    assert verify_password(weak, "une phrase de passe correcte")
    assert not needs_rehash(HASHER.hash("x"))
