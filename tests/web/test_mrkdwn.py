"""The FAQ's mrkdwn as HTML: escaped first, then marked up."""

from __future__ import annotations

from bot.web.mrkdwn import to_html


def test_mrkdwn_is_escaped_before_it_is_marked_up() -> None:
    html = str(to_html("*gras* <b>x</b> `a*b*` https://extranet.segec.be. fin"))
    assert html == (
        "<p><strong>gras</strong> &lt;b&gt;x&lt;/b&gt; <code>a*b*</code> "
        '<a href="https://extranet.segec.be">https://extranet.segec.be</a>. fin</p>'
    )


def test_steps_and_bullets_become_lists() -> None:
    html = str(to_html("Avant :\n1. un\n2. deux\n• a\n• b\nAprès _fin_"))
    assert html == (
        "<p>Avant :</p>\n<ol><li>un</li><li>deux</li></ol>\n<ul><li>a</li><li>b</li></ul>\n"
        "<p>Après <em>fin</em></p>"
    )


def test_an_address_becomes_a_mailto_link() -> None:
    assert str(to_html("Écrivez à help.extranet@segec.be.")) == (
        '<p>Écrivez à <a href="mailto:help.extranet@segec.be">help.extranet@segec.be</a>.</p>'
    )
