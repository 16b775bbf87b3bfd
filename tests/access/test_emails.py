"""The quick path of e-mail normalisation agrees with the validator it stands in for."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from access.emails import normalize_email

ADDRESS_LIKE = st.from_regex(
    r"\A[A-Za-z0-9_%+.-]{1,70}@[a-z0-9.-]{1,40}\.[a-z]{2,6}\Z"
) | st.from_regex(r"\A[A-Za-z0-9_.é-]{1,20}@[A-Za-z0-9.é-]{1,20}\Z")


def _reference(candidate: str) -> str | None:
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


@settings(max_examples=400, deadline=None)
@given(ADDRESS_LIKE)
def test_quick_path_gives_the_validators_answer(candidate: str) -> None:
    assert normalize_email(candidate) == _reference(candidate)


def test_usual_addresses() -> None:
    assert normalize_email(" Anne.Dubois@ecole.be ") == "Anne.Dubois@ecole.be"
    assert normalize_email("anne@ECOLE.BE") == "anne@ecole.be"
    assert normalize_email("anne..dubois@ecole.be") is None
    assert normalize_email("anne@ecole") is None
    assert normalize_email("anne@ecole.test") is None
    assert normalize_email("") is None
