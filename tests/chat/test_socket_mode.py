"""`extranet-bot socket`: the same app over Slack's Socket Mode WebSocket (the fake serves it)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT, run_cli
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack


def test_socket_mode_answers_a_slash_command(cli_env: dict[str, str], db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        return  # one run is enough: the transport is what is tested here
    with FakeSlack() as fake:
        env = {
            **cli_env,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_APP_TOKEN": "xapp-test",
            "SLACK_API_URL": fake.api_url,
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "socket"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            fake.wait_socket(timeout=120)  # the process starts Python and the app first
            payload = SlackClient("http://unused", "", fake).command_payload("U1", "/helpdesk")
            ack = fake.socket_send("slash_commands", payload)
            assert ack["envelope_id"]
            [post] = fake.wait_for("chat.postMessage")
            assert "help.extranet@segec.be" in str(post.params["blocks"])
            [opened] = fake.calls_to("apps.connections.open")
            assert opened.token == "xapp-test"
        finally:
            process.terminate()
            output = process.communicate(timeout=20)[0]
        assert process.returncode == 0, output


def test_socket_mode_without_an_app_token_says_what_is_missing(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "SLACK_BOT_TOKEN": "xoxb-test"}
    result = run_cli(env, "socket", text=True)
    assert result.returncode != 0
    assert "SLACK_APP_TOKEN is not set" in result.stderr
