"""The whole journey the procedure sheet promises, through the real services: the director
sends the invitations, the mail arrives by SMTP, the link opens the form (spending nothing),
the form activates the account, the person signs in and sees « Mon accès »."""

from __future__ import annotations

from access.directory.models import AccountStatus
from access.invitations import service as invitations
from tests import people
from tests.web.conftest import (
    GOOD_PASSWORD,
    Site,
    account_status,
    link_in,
    path_of,
    sign_in,
    submit,
    text_of,
)


def test_from_the_directors_invitation_to_my_access(site: Site) -> None:
    with site.db.transaction() as session:
        school = people.establishment(session, "4321", "Collège Saint-Michel")
        director = people.person(
            session,
            school,
            last_name="Martin",
            first_name="Claire",
            email="direction@college.be",
            function_code="DIR",
            status=AccountStatus.ACTIVE,
        )
        teacher = people.person(
            session, school, last_name="Lambert", first_name="Sophie", email="s.lambert@college.be"
        )
        director_id, teacher_id = director.id, teacher.id

    report = invitations.send_invitations(
        site.db,
        site.settings,
        actor_person_id=director_id,
        fase="4321",
        mode="new",
        idempotency_key="journey-1",
    )
    assert [outcome.person_id for outcome in report.sent] == [teacher_id]
    (mail,) = site.deliver(1)
    assert mail.rcpt_tos == ["s.lambert@college.be"]
    assert "Collège Saint-Michel" in mail.text() and "Claire Martin" in mail.text()
    link = link_in(mail, "/activer/")
    assert link.startswith(site.url)

    with site.client() as browser:
        form = browser.get(path_of(link))
        assert form.status_code == 200
        assert account_status(site.db, teacher_id)[0] == AccountStatus.INVITED.value
        done = submit(
            browser,
            path_of(link),
            {"password": GOOD_PASSWORD, "password_confirmation": GOOD_PASSWORD},
            page=form,
        )
        assert done.status_code == 200 and "Votre compte est activé" in text_of(done)
        assert account_status(site.db, teacher_id)[0] == AccountStatus.ACTIVE.value

        assert sign_in(browser, "s.lambert@college.be", GOOD_PASSWORD).status_code == 303
        mine = browser.get("/mon-acces")
    assert mine.status_code == 200
    assert "Sophie Lambert" in text_of(mine)
    assert "Collège Saint-Michel" in text_of(mine) and "FASE 4321" in text_of(mine)
    site.deliver(2)
    (confirmation,) = [m for m in site.mails_to("s.lambert@college.be") if m is not mail]
    assert "Votre compte Extranet est activé" in confirmation.text()
