"""One table of cases, run by two drivers: the Slack app over signed HTTP, and the console
as a subprocess. The same input must give the same visible answer in both."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from access.persistence.database import Database
from bot.settings import Settings
from tests.chat.conftest import SLACK_USERS, Staff
from tests.chat.drivers import ConsoleDriver, Driver, SlackDriver
from tests.slack_app import serve_slack
from tests.slack_fake import FakeSlack

PRESS = "press:"


@dataclass(frozen=True)
class Case:
    name: str
    speaker: str  # a field of Staff
    steps: tuple[tuple[str, tuple[str, ...]], ...]


CASES = [
    Case(
        "help",
        "active",
        (("/helpdesk", ("https://extranet.segec.be", "help.extranet@segec.be", "/extranet")),),
    ),
    Case(
        "extranet_active",
        "active",
        (
            (
                "/extranet",
                (
                    "Compte activé",
                    "Marie Active",
                    "École Saint-Joseph",
                    "M'envoyer un lien de réinitialisation",
                    "!Renvoyer mon invitation",
                ),
            ),
        ),
    ),
    Case(
        "extranet_invited",
        "invited",
        (
            (
                "/extranet",
                (
                    "Invitation envoyée",
                    "Renvoyer mon invitation",
                    "!M'envoyer un lien de réinitialisation",
                ),
            ),
        ),
    ),
    Case(
        "extranet_unknown",
        "unknown",
        (("/extranet", ("Je ne vous retrouve pas", "/extranet lier", "!Compte activé")),),
    ),
    Case(
        "reset_password",
        "active",
        (
            ("/extranet", ()),
            (PRESS + "M'envoyer un lien de réinitialisation", ("marie.active@ecole.be",)),
        ),
    ),
    Case(
        "resend_invitation",
        "invited",
        (("/extranet", ()), (PRESS + "Renvoyer mon invitation", ("paul.invite@ecole.be",))),
    ),
    Case(
        "faq_confident_then_helpful",
        "active",
        (
            ("j'ai oublié mon mot de passe", ("mot de passe", "Ça m'aide", "Ça ne m'aide pas")),
            (PRESS + "Ça m'aide", ("Merci pour votre retour",)),
        ),
    ),
    Case(
        "faq_not_helpful_offers_the_helpdesk",
        "active",
        (
            ("j'ai oublié mon mot de passe", ("Ça ne m'aide pas",)),
            (PRESS + "Ça ne m'aide pas", ("Désolé", "Contacter le helpdesk")),
        ),
    ),
    Case(
        "faq_unsure_offers_suggestions_and_the_helpdesk",
        "active",
        (("adresse", ("Je ne suis pas sûr", "Contacter le helpdesk", "!Ça m'aide")),),
    ),
    Case(
        "faq_out_of_domain",
        "active",
        (
            (
                "quel temps fera-t-il demain à la mer ?",
                ("Je n'ai pas de réponse", "Contacter le helpdesk", "!Ça m'aide"),
            ),
        ),
    ),
]


def run_case(driver: Driver, case: Case) -> None:
    for line, expected in case.steps:
        out = driver.press(line[len(PRESS) :]) if line.startswith(PRESS) else driver.say(line)
        for text in expected:
            if text.startswith("!"):
                assert text[1:] not in out, f"{case.name}: {line!r} showed {text[1:]!r}:\n{out}"
            else:
                assert text in out, f"{case.name}: {line!r} did not show {text!r}:\n{out}"


@pytest.fixture
def slack_client(settings: Settings, db: Database, fake: FakeSlack) -> Iterator[object]:
    with serve_slack(settings, db, fake) as client:
        yield client


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_in_slack(case: Case, slack_client, fake: FakeSlack, staff: Staff) -> None:
    run_case(SlackDriver(slack_client, fake, SLACK_USERS[case.speaker]), case)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_in_the_console(
    case: Case, cli_env: dict[str, str], staff: Staff, db_url: str
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the console subprocess runs once, on SQLite")
    email = getattr(staff, case.speaker)
    driver = ConsoleDriver(cli_env, None if case.speaker == "unknown" else email)
    try:
        if case.speaker == "unknown":
            driver.say(f"/as {email}")
        run_case(driver, case)
    finally:
        driver.close()
