"""The fake Slack Web API answers the official client like Slack does."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from tests.slack_fake import FakeSlack


def test_the_fake_answers_and_records_like_slack() -> None:
    with FakeSlack() as slack:
        slack.add_user("U1", email="marie@ecole.be", name="Marie Dupont")
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        assert client.auth_test()["user_id"] == slack.bot_user_id
        assert client.users_info(user="U1")["user"]["profile"]["email"] == "marie@ecole.be"
        posted = client.chat_postMessage(channel="D1", text="bonjour", blocks=[])
        assert posted["ts"] and posted["channel"] == "D1"
        client.chat_update(channel="D1", ts=posted["ts"], text="modifié")
        assert [s.text for s in slack.sent()] == ["bonjour", "modifié"]
        client.files_upload_v2(channel="D1", content="a;b\n", filename="x.csv", title="X")
        assert list(slack.uploads.values()) == [b"a;b\n"]


def test_the_fake_fails_and_rate_limits_on_demand() -> None:
    with FakeSlack() as slack:
        slack.fail("chat.postMessage", "channel_not_found")
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C1", text="x")
        slack.rate_limit("chat.postMessage", retry_after=1)
        patient = WebClient(
            token="xoxb-test",
            base_url=slack.api_url,
            retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
        )
        assert patient.chat_postMessage(channel="C1", text="x")["ok"]
        assert len(slack.calls_to("chat.postMessage")) == 3
