"""Settings of the access module (database, mail, links).

One settings object is built at the edge (CLI, web app) and passed down; nothing deep in the
code reads the environment, so tests can run several configurations side by side.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# A checkout or an editable install has data/ beside the packages; a regular install has it
# under <prefix>/share/extranet-bot/ (pyproject's data-files).
# The installed copy is under pip's data path, which is not always sys.prefix (Debian's
# system Python installs under /usr/local, `--user` under ~/.local). Beside the packages,
# a data/ folder counts only if it is ours: another distribution may ship one there.
_BESIDE = PROJECT_ROOT / "data"
_INSTALLED = Path(sysconfig.get_path("data"), "share", "extranet-bot", "data")
DEFAULT_DATA_DIR = (
    _INSTALLED
    if _INSTALLED.is_dir() and not (_BESIDE / "access-profiles.yaml").is_file()
    else _BESIDE
)


class AccessSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = "sqlite:///extranet-bot.db"

    mail_backend: Literal["smtp", "file"] = "file"
    mail_dir: Path = Path("mail-out")
    mail_from: str = "Extranet <no-reply@localhost>"
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    # How long one message may take, from MAIL FROM to the relay's answer to its content.
    smtp_timeout_seconds: float = 30.0
    outbox_concurrency: int = 4
    outbox_max_attempts: int = 8
    outbox_batch_size: int = 200
    # A claim older than this is taken to belong to a dead worker; keep it well above the
    # time one message can take (SMTP timeout), or a slow worker's message is sent twice.
    outbox_claim_timeout_seconds: float = 300.0
    outbox_retry_base_seconds: float = 30.0
    outbox_retry_max_seconds: float = 3600.0
    outbox_poll_seconds: float = 2.0

    public_base_url: str = "http://localhost:8000"
    extranet_url: str = "https://extranet.segec.be"
    helpdesk_email: str = "help.extranet@segec.be"

    invitation_ttl_days: int = 7
    invitation_cooldown_seconds: int = 180
    reset_ttl_minutes: int = 60

    data_dir: Path = DEFAULT_DATA_DIR

    @property
    def profiles_file(self) -> Path:
        return self.data_dir / "access-profiles.yaml"

    @property
    def templates_dir(self) -> Path:
        return self.data_dir / "templates"
