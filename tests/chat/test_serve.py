"""`extranet-bot serve` answers Slack at POST /slack/events when Slack is configured."""

from __future__ import annotations

from tests.conftest import run_cli
from tests.slack_app import SIGNING_SECRET, serve_process
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack


def test_serve_mounts_the_slack_endpoint(cli_env: dict[str, str], db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        return  # the process wiring is what is tested; once is enough
    with FakeSlack() as fake:
        env = {
            **cli_env,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
        }
        assert run_cli(env, "db", "upgrade").returncode == 0
        with serve_process(env) as base:
            client = SlackClient(base, SIGNING_SECRET, fake)
            assert client.command("U1", "/helpdesk").status_code == 200
            [post] = fake.wait_for("chat.postMessage")
            assert "help.extranet@segec.be" in str(post.params["blocks"])
            assert client.command("U1", "/helpdesk", secret="wrong").status_code == 401
            client.close()
