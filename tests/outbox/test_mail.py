from __future__ import annotations

import binascii
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import example, given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from access.clock import utcnow
from access.mail import letter as letter_module
from access.mail import outbox
from access.mail import templates as mail
from access.mail.letter import Letter
from access.persistence.database import Database
from bot.settings import Settings

INJECTIONS = [
    "Jean\r\nBcc: evil@example.net",
    "Jean\nBcc: evil@example.net",
    "=?utf-8?q?=0D=0ABcc=3A_evil=40example=2Enet?=",
    "Jean =?utf-8?b?DQpCY2M6IGV2aWxAZXhhbXBsZS5uZXQ=?= Dupont",
    "Jean\u2028Bcc: evil@example.net",
]


def invitation(settings: Settings, name: str, school: str = "École Saint-Joseph"):
    return mail.render(
        settings,
        "invitation",
        to=(name, "jean@example.org"),
        context={
            "person_name": name,
            "school_name": school,
            "fase": "1234",
            "director_name": name,
            "link": mail.activation_link(settings, "tok"),
            "valid_days": 7,
            "expires_at": utcnow() + timedelta(days=7),
        },
    )


def parse(db: Database, settings: Settings, message) -> object:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        row = outbox.enqueue(session, message, kind="test")
    return BytesParser(policy=policy.default).parsebytes(row.raw)


@pytest.mark.parametrize("name", INJECTIONS)
def test_names_from_proeco_cannot_add_headers(db: Database, settings: Settings, name: str) -> None:
    parsed = parse(db, settings, invitation(settings, name, school=name))
    header_names = [key.lower() for key in parsed]  # type: ignore[attr-defined]
    assert "bcc" not in header_names
    assert sorted(header_names) == sorted(
        [
            "subject",
            "from",
            "to",
            "auto-submitted",
            "mime-version",
            "content-type",
            "message-id",
            "date",
        ]
    )
    (recipient,) = parsed["To"].addresses  # type: ignore[index]
    assert recipient.addr_spec == "jean@example.org"
    assert "\n" not in recipient.display_name and "\n" not in str(parsed["Subject"])  # type: ignore[index]
    with db.session() as session:
        stored = session.scalars(sa.select(outbox.OutboxMessage.recipients)).all()
    assert stored == [["jean@example.org"]]


def test_an_address_with_a_line_break_is_refused(settings: Settings) -> None:
    with pytest.raises(ValueError):
        mail.render(
            settings,
            "link_code",
            to="jean@example.org\r\nBcc: evil@example.net",
            context={"person_name": "x", "code": "1", "valid_minutes": 10, "channel_label": "x"},
        )


def test_html_part_escapes_names_and_the_text_part_keeps_them(
    db: Database, settings: Settings
) -> None:
    parsed = parse(db, settings, invitation(settings, "<script>alert(1)</script>"))
    html = parsed.get_body(preferencelist=("html",)).get_content()  # type: ignore[attr-defined]
    text = parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>alert(1)</script>" in text


def test_the_invitation_names_school_director_link_validity_and_help(
    db: Database, settings: Settings
) -> None:
    parsed = parse(db, settings, invitation(settings, "Marie Martin"))
    text = parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]
    assert "École Saint-Joseph" in text and "Marie Martin" in text
    assert "http://extranet-bot.test/activer/tok" in text
    assert "valable 7 jours" in text
    assert "help.extranet@segec.be" in text
    assert str(parsed["Subject"]) == "Activez votre compte Extranet – École Saint-Joseph"  # type: ignore[index]


def test_links_use_the_public_base_url(settings: Settings) -> None:
    other = settings.model_copy(update={"public_base_url": "https://extranet.example.be/"})
    assert mail.activation_link(other, "a/b") == "https://extranet.example.be/activer/a%2Fb"
    assert mail.reset_link(other, "t") == "https://extranet.example.be/reinitialiser/t"


@pytest.mark.parametrize(
    ("template", "context"),
    [
        (
            "activation_confirmation",
            {"reference_email": "a@example.org", "signin_link": "http://x/connexion"},
        ),
        (
            "email_change_confirmation",
            {
                "new_email": "b@example.org",
                "link": "http://x/l",
                "valid_hours": 48,
                "expires_at": utcnow(),
            },
        ),
        ("email_change_notice", {"new_email_hint": "b…@example.org"}),
        (
            "password_reset",
            {"link": "http://x/reinitialiser/t", "valid_minutes": 60, "expires_at": utcnow()},
        ),
        ("link_code", {"code": "123456", "valid_minutes": 10, "channel_label": "Slack"}),
        (
            "direction_reminder",
            {
                "director_name": "Jean",
                "school_name": "École Saint-Joseph",
                "fase": "1234",
                "situation": "La direction n'a pas encore envoyé les invitations.",
                "email_to_fix": False,
            },
        ),
    ],
)
def test_every_template_renders_text_and_html_in_french(
    db: Database, settings: Settings, template: str, context: dict[str, object]
) -> None:
    message = mail.render(
        settings, template, to="a@example.org", context={"person_name": "Jean", **context}
    )
    parsed = parse(db, settings, message)
    text = parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]
    html = parsed.get_body(preferencelist=("html",)).get_content()  # type: ignore[attr-defined]
    assert text.startswith("Bonjour Jean")
    assert '<html lang="fr">' in html
    assert parsed["Message-ID"] is not None  # type: ignore[index]


def test_the_web_process_compiles_every_mail_template_at_startup_and_a_broken_one_stops_it(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    from jinja2 import TemplateSyntaxError

    from bot.web.app import create_app

    shipped = Path(settings.templates_dir) / mail.MAIL_TEMPLATES
    assert mail.preload(settings) == len(list(shipped.iterdir())) >= 30

    data = tmp_path / "data"
    (data / "templates" / mail.MAIL_TEMPLATES).mkdir(parents=True)
    (data / "templates" / "web").symlink_to(Path(settings.templates_dir) / "web")
    broken = data / "templates" / mail.MAIL_TEMPLATES / "invitation.txt"
    broken.write_text("Bonjour {{ person_name ", "utf-8")
    with pytest.raises(TemplateSyntaxError):
        create_app(settings.model_copy(update={"data_dir": data}), db)


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


@settings_(max_examples=300, deadline=None)
@given(name=_TEXT, subject=_TEXT, text=_TEXT, html=_TEXT, reply=st.booleans())
def test_any_letter_reads_back_the_same_with_the_standard_parser(
    name: str, subject: str, text: str, html: str, reply: bool
) -> None:
    """Whatever ProECO or a user typed, the bytes parse back to the same message, with no
    header added and every line within SMTP's limit."""
    letter = Letter(
        subject=mail.header_text(subject),
        sender=mail.address(("Extranet – Écoles", "extranet@segec.be")),
        to=mail.address((name, "marie.dupont@ecole.example.org")),
        reply_to=mail.address((name, "reply@example.org")) if reply else None,
        text=text,
        html=html,
    )
    raw = letter.to_bytes(message_id="<id-1@segec.be>", date=utcnow())
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert not parsed.defects
    expected_headers = {"subject", "from", "to", "auto-submitted", "message-id", "date"}
    expected_headers |= {"mime-version", "content-type"} | ({"reply-to"} if reply else set())
    assert {key.lower() for key in parsed} == expected_headers
    assert len(parsed.keys()) == len(expected_headers)
    (to,) = parsed["To"].addresses
    assert (to.display_name, to.addr_spec) == (letter.to.display_name, letter.to.addr_spec)
    assert str(parsed["Subject"]) == letter.subject
    assert parsed["From"].addresses[0].display_name == "Extranet – Écoles"

    def body(subtype: str) -> str:
        part = parsed.get_body(preferencelist=(subtype,))
        assert part is not None
        return str(part.get_content()).replace("\r\n", "\n")

    def lines(value: str) -> str:
        return value.replace("\r\n", "\n").replace("\r", "\n")

    assert body("plain") == lines(text)
    assert body("html") == lines(html)


@settings_(max_examples=300, deadline=None)
@given(text=_TEXT)
@example(text="x" * 67 + "é\t\nfin")
@example(text="x" * 68 + "é\t\nb")
def test_bodies_encoded_line_by_line_decode_to_the_text_within_the_line_limit(text: str) -> None:
    """The line cache changes nothing a reader sees: the same text once decoded, CRLF line
    ends, and no line over quoted-printable's 76 characters (encoding the whole text at
    once could give 77 before a tab at the end of a line)."""
    encoded = letter_module._quoted_printable(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    decoded = binascii.a2b_qp(encoded.encode("ascii")).decode("utf-8")
    assert decoded.replace("\r\n", "\n") == lines
    assert "\n" not in encoded.replace("\r\n", "")
    assert all(len(line) <= 76 for line in encoded.split("\r\n"))


_PEOPLE = [
    ("Marie <b>Martin</b> & Cie", "marie@example.org"),
    ("Éloïse D'Hondt", "eloise@example.org"),
    ('Jean "Jo" =?utf-8?q?x?= Dupont', "jean@example.org"),
]


def _invitation_context() -> dict[str, object]:
    return {
        "school_name": "École Saint-Joseph",
        "fase": "1234",
        "director_name": "Anne Lambert",
        "valid_days": 7,
        "expires_at": utcnow() + timedelta(days=7),
    }


def test_a_mail_merge_gives_each_person_the_letter_rendered_for_them(settings: Settings) -> None:
    context = _invitation_context()
    personal = [
        ((name, addr), {"person_name": name, "link": f"http://x/activer/{n}<&>"})
        for n, (name, addr) in enumerate(_PEOPLE)
    ]
    merged = mail.render_many(settings, "invitation", context=context, personal=personal)
    one_by_one = [
        mail.render(settings, "invitation", to=to, context={**context, **values})
        for to, values in personal
    ]
    assert merged == one_by_one
    assert "Marie &lt;b&gt;Martin&lt;/b&gt; &amp; Cie" in merged[0].html
    assert "Marie <b>Martin</b> & Cie" in merged[0].text


def test_a_template_that_tests_a_personal_value_is_rendered_person_by_person(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "templates" / "mail"
    folder.mkdir(parents=True)
    (folder / "greeting.subject.txt").write_text("Bonjour")
    (folder / "greeting.txt").write_text(
        "{% if person_name|length > 10 %}Madame, Monsieur"
        "{% else %}Bonjour {{ person_name }}{% endif %}"
    )
    (folder / "greeting.html").write_text("<p>{{ person_name }}</p>")
    custom = settings.model_copy(update={"data_dir": tmp_path})
    personal = [
        (("Al", "al@example.org"), {"person_name": "Al"}),
        (("Bartholomew Long", "b@example.org"), {"person_name": "Bartholomew Long"}),
    ]
    letters = mail.render_many(custom, "greeting", context={}, personal=personal)
    assert [letter.text for letter in letters] == ["Bonjour Al", "Madame, Monsieur"]
