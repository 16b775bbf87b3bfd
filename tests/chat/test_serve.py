"""`extranet-bot serve` answers Slack at POST /slack/events when Slack is configured."""

from __future__ import annotations

import pytest

from tests.conftest import ServedWithSlack
from tests.slack_app import SIGNING_SECRET
from tests.slack_client import SlackClient


def test_serve_mounts_the_slack_endpoint(db_url: str, request: pytest.FixtureRequest) -> None:
    if not db_url.startswith("sqlite"):
        return  # the process wiring is what is tested; once is enough
    served: ServedWithSlack = request.getfixturevalue("served_with_slack")
    served.fake.clear()
    client = SlackClient(served.url, SIGNING_SECRET, served.fake)
    try:
        assert client.command("U1", "/helpdesk").status_code == 200
        [post] = served.fake.wait_for("chat.postMessage")
        assert "help.extranet@segec.be" in str(post.params["blocks"])
        assert client.command("U1", "/helpdesk", secret="wrong").status_code == 401
    finally:
        client.close()
