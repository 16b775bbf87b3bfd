"""`extranet-bot demo` on a terminal: the default SQLite file, the demo data, the console; mail
lands in a folder at once."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pexpect

from access.demo import demo_rows

PROMPT = "\n> "


def _say(child: pexpect.spawn, line: str) -> str:
    child.sendline(line)
    child.expect_exact(PROMPT)
    return str(child.before).replace("\r\n", "\n")


def test_demo_opens_the_console_on_the_demo_data(cli_env: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in cli_env.items() if k not in ("DATABASE_URL", "MAIL_DIR")}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bot", "demo"],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=120,
    )
    try:
        child.expect_exact(PROMPT)
        banner = str(child.before)
        assert str(tmp_path / "mail-out") in banner
        assert (tmp_path / "extranet-bot.db").exists()
        assert "Anne Dubois" in _say(child, "/whoami")
        assert "Direction" in _say(child, "/extranet")

        # An unknown person links by a code that is written, as an e-mail, into the folder.
        _, last, first, *_rest, fase, _name = next(
            r for r in demo_rows() if r[2] == "Sophie" and r[1] == "Peeters"
        )
        assert "inconnu" in _say(child, "/as personne@ailleurs.example")
        assert "Nom" in _say(child, "/extranet lier")
        _say(child, last)
        _say(child, first)
        out = _say(child, fase)
        assert "code à 6 chiffres" in out
        assert "e-mail(s) écrit(s) dans" in out
        [mail] = list((tmp_path / "mail-out").glob("*.eml"))
        code = re.search(r"\b(\d{6})\b", mail.read_text(encoding="utf-8"))
        assert code is not None
        assert "Sophie Peeters" in _say(child, f"/extranet lier {code.group(1)}")
    finally:
        child.sendline("/quitter")
        child.expect(pexpect.EOF)
        child.close()
    assert child.exitstatus == 0
