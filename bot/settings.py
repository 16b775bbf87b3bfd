"""Settings of the whole product: the access module's plus the chat transports'."""

from __future__ import annotations

from pydantic import SecretStr

from access.config import AccessSettings


class Settings(AccessSettings):
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    triage_channel: str | None = None
    port: int = 8000
    # Signs the web session cookies; when unset, one is generated and kept in the database.
    session_secret: SecretStr | None = None
