"""The Slack app manifest stays in step with the code."""

from __future__ import annotations

import yaml

from bot.conversation import load_features
from tests.conftest import REPO_ROOT


def _manifest() -> dict:
    return yaml.safe_load((REPO_ROOT / "slack-manifest.yml").read_text(encoding="utf-8"))


def test_every_command_the_bot_handles_is_declared_to_slack() -> None:
    declared = {c["command"] for c in _manifest()["features"]["slash_commands"]}
    assert set(load_features().command_names) <= declared


def test_slack_sends_everything_to_the_one_endpoint_with_the_scopes_the_bot_uses() -> None:
    manifest = _manifest()
    settings = manifest["settings"]
    urls = {c["url"] for c in manifest["features"]["slash_commands"]}
    urls |= {
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    }
    assert {url.rsplit("/", 2)[-2:] == ["slack", "events"] for url in urls} == {True}
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"users:read.email", "chat:write", "commands", "im:history", "files:write"} <= scopes
    assert {"message.im", "app_mention", "app_home_opened"} <= set(
        settings["event_subscriptions"]["bot_events"]
    )
