"""The operator-editable access profiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from access.directory.functions import function_of
from access.directory.profiles import DEFAULT_PROFILES_FILE, load_profiles
from access.errors import InvalidInput

SHEET_FUNCTIONS = [
    "direction",
    "enseignant",
    "educateur",
    "econome",
    "secretaire_direction",
    "personnel_administratif",
    "personnel_paramedical",
    "personnel_ouvrier",
]


def test_every_function_of_the_sheet_has_a_profile() -> None:
    profiles = load_profiles(DEFAULT_PROFILES_FILE)
    assert sorted(profiles.functions) == sorted(SHEET_FUNCTIONS)
    for code in SHEET_FUNCTIONS:
        assert profiles.minimal <= profiles.resources_for(code)
    assert [p.code for p in profiles.functions.values() if p.is_direction] == ["direction"]
    assert "gestion_acces" in profiles.resources_for("direction")
    assert "gestion_acces" not in profiles.resources_for("enseignant")


def test_unknown_function_gets_the_minimal_profile() -> None:
    profiles = load_profiles(DEFAULT_PROFILES_FILE)
    assert profiles.resources_for("logopede") == profiles.minimal == {"actualites", "support"}
    assert profiles.label_of_resource("support") == "Questions fréquentes et support"
    assert all(resource.label for resource in profiles.all_resources())


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Directeur", "direction"),
        ("DIRECTRICE", "direction"),
        ("Enseignant-e", "enseignant"),
        ("enseignante", "enseignant"),
        ("Éducateur·rice", "educateur"),
        ("Économiste", "econome"),
        ("Secrétaire  de direction", "secretaire_direction"),
        ("personnel PARAMEDICAL", "personnel_paramedical"),
        ("Ouvrier", "personnel_ouvrier"),
    ],
)
def test_export_spellings_name_the_known_functions(label: str, code: str) -> None:
    ref = function_of(label, load_profiles(DEFAULT_PROFILES_FILE))
    assert (ref.code, ref.known) == (code, True)


def test_unknown_function_label_is_kept_as_it_comes() -> None:
    ref = function_of(" Coordinateur  CEB ", load_profiles(DEFAULT_PROFILES_FILE))
    assert (ref.code, ref.label, ref.known) == ("coordinateur_ceb", "Coordinateur CEB", False)


def test_a_profile_naming_an_unknown_resource_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "profiles.yaml"
    path.write_text(
        "resources: [{code: a, label: A}]\nminimal: [a]\n"
        "functions: {direction: {label: Direction, resources: [a, b]}}\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput, match="unknown resources: b"):
        load_profiles(path)
