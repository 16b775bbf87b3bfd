"""Settings of the whole product: the access module's and the scheduled jobs', plus the chat
transports'."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from scheduling.config import SchedulingSettings


class Settings(SchedulingSettings):
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    triage_channel: str | None = None
    # Where the scheduler alerts the operators in Slack (a refused ProECO file, a failed job).
    ops_channel: str | None = None
    port: int = 8000
    # Signs the web session cookies; when unset, one is generated and kept in the database.
    session_secret: SecretStr | None = None
    # `mail ingest`: a larger message is refused whole (quarantined from a Maildir).
    mail_ingest_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    # The authserv-id of our MTA's Authentication-Results header (e.g. mx.segec.be): set, its
    # dmarc=pass for the From domain lets a reply citing its ticket number join the ticket.
    mail_ingest_dmarc_authserv_id: str | None = None
    # Operators' view (docs/operations.md): `/metrics` with this bearer token on the app's
    # port, and/or on a port of its own (bound to METRICS_HOST); neither set, no metrics.
    metrics_token: SecretStr | None = None
    metrics_port: int | None = Field(default=None, gt=0, lt=65536)
    metrics_host: str = "127.0.0.1"
    # `json`: one JSON object per log line (with the request id), for log collectors.
    log_format: Literal["text", "json"] = "text"
