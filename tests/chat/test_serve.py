"""`extranet-bot serve` answers Slack at POST /slack/events when Slack is configured."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from tests.conftest import REPO_ROOT, free_port
from tests.slack_app import SIGNING_SECRET
from tests.slack_client import SlackClient
from tests.slack_fake import FakeSlack


def test_serve_mounts_the_slack_endpoint(cli_env: dict[str, str], db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        return  # the process wiring is what is tested; once is enough
    port = free_port()
    with FakeSlack() as fake:
        env = {
            **cli_env,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake.api_url,
        }
        subprocess.run(
            [sys.executable, "-m", "bot", "db", "upgrade"], cwd=REPO_ROOT, env=env, check=True
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
            client = SlackClient(base, SIGNING_SECRET, fake)
            assert client.command("U1", "/helpdesk").status_code == 200
            [post] = fake.wait_for("chat.postMessage")
            assert "help.extranet@segec.be" in str(post.params["blocks"])
            forged = client.command("U1", "/helpdesk", secret="wrong")
            assert forged.status_code == 401
            client.close()
        finally:
            process.terminate()
            process.wait(20)
