"""The Slack side of a turn, run in a worker thread after Bolt has acknowledged the request.

Bolt (async) only parses, verifies and acknowledges; everything that touches the database or
waits on the Web API happens here, synchronously, in threads, so the event loop never blocks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import IntegrityError

from access.persistence.database import Database
from bot.conversation import messages
from bot.conversation.identity import find_person_id
from bot.conversation.links import get_link, is_fresh, save_link, user_for_person
from bot.conversation.replies import (
    File,
    FollowUp,
    Form,
    FormErrors,
    Job,
    Message,
    MessageRef,
    Recipient,
    Reply,
    as_replies,
)
from bot.conversation.router import Router
from bot.conversation.turn import Action, DeliveryFailed, Place, Speaker, Submission, Turn
from bot.settings import Settings
from bot.slack.blocks import (
    checked_view,
    read_submission,
    render_form,
    render_home,
    render_message,
)

log = logging.getLogger(__name__)

TRANSPORT = "slack"
PROGRESS_INTERVAL_SECONDS = 1.0
# How long a channel's member list is trusted: someone removed from the triage channel stops
# being an agent after at most this long.
MEMBERS_TTL_SECONDS = 30.0
# Background jobs (bulk sends) running at once in this process; the others queue, their first
# message already shown. A thread per job let a rush of presses start thousands of threads.
JOB_THREADS = 4


def web_client(settings: Settings) -> WebClient:
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


@dataclass(frozen=True)
class Origin:
    """Where a Slack turn came from, and the means Slack gave to answer it."""

    user_id: str
    channel: str | None
    is_direct: bool
    response_url: str | None = None
    trigger_id: str | None = None
    message_ts: str | None = None
    source_ephemeral: bool = False
    thread_ts: str | None = None


@dataclass
class SubmissionOutcome:
    """What to acknowledge a modal submission with, and the replies to deliver afterwards."""

    ack: dict[str, Any]
    replies: list[Reply]
    origin: Origin


class SlackTransport:
    def __init__(
        self, settings: Settings, db: Database, router: Router, client: WebClient | None = None
    ) -> None:
        self.settings = settings
        self.db = db
        self.router = router
        self.client = client or web_client(settings)
        self._dm_channels: dict[str, str] = {}
        self._lock = threading.Lock()
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._members_lock = threading.Lock()
        self._jobs = ThreadPoolExecutor(max_workers=JOB_THREADS, thread_name_prefix="chat-job")

    # -- identity ------------------------------------------------------------------------------

    def speaker(self, user_id: str) -> Speaker:
        return Speaker(user_id, self.person_of(user_id), TRANSPORT)

    def person_of(self, user_id: str) -> int | None:
        """The person behind a Slack user: cached link, else the Slack profile e-mail."""
        with self.db.session() as session:
            link = get_link(session, TRANSPORT, user_id)
            if link is not None and is_fresh(link):
                return link.person_id
            cached = link.person_id if link is not None else None
        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            log.warning("users.info failed: %s", error.response.get("error"))
            return cached
        email = None if user.get("is_bot") else (user.get("profile") or {}).get("email")
        person_id = find_person_id(self.db, email)
        for attempt in range(2):
            try:
                with self.db.transaction() as session:
                    return save_link(
                        session, TRANSPORT, user_id, person_id, method="email"
                    ).person_id
            except IntegrityError:  # two first messages at once: the other insert won; again
                if attempt:
                    raise
        return person_id

    def dm_channel(self, user_id: str) -> str:
        with self._lock:
            known = self._dm_channels.get(user_id)
        if known:
            return known
        try:
            channel = self.client.conversations_open(users=user_id)["channel"]["id"]
        except SlackApiError as error:
            raise DeliveryFailed(
                f"conversations.open failed: {error.response.get('error')}"
            ) from None
        with self._lock:
            self._dm_channels[user_id] = channel
        return channel

    def is_member(self, channel: str, user_id: str) -> bool:
        """From the channel's member list, cached briefly; a failed listing is not cached."""
        # One listing at a time: turns arriving together wait for it instead of each asking.
        with self._members_lock:
            cached = self._members.get(channel)
            if cached is None or time.monotonic() - cached[0] > MEMBERS_TTL_SECONDS:
                cached = (time.monotonic(), frozenset(self._list_members(channel)))
                self._members[channel] = cached
        return user_id in cached[1]

    def _list_members(self, channel: str) -> list[str]:
        members: list[str] = []
        cursor = None
        try:
            while True:
                page = self.client.conversations_members(channel=channel, cursor=cursor, limit=200)
                members.extend(page["members"])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return members
        except SlackApiError as error:
            raise DeliveryFailed(f"conversations.members failed: {_reason(error)}") from None

    def is_dm_with_bot(self, user_id: str, channel: str | None) -> bool:
        if not channel or not channel.startswith("D"):
            return False
        try:
            return self.dm_channel(user_id) == channel
        except DeliveryFailed:
            return False

    # -- turns ---------------------------------------------------------------------------------

    def _interaction_origin(
        self,
        body: Mapping[str, Any],
        user_id: str,
        channel: str | None,
        *,
        message_ts: str | None = None,
        source_ephemeral: bool = False,
    ) -> Origin:
        """A slash command's or a button's origin: both come with a response URL and a trigger."""
        return Origin(
            user_id=user_id,
            channel=channel,
            is_direct=self.is_dm_with_bot(user_id, channel),
            response_url=body.get("response_url"),
            trigger_id=body.get("trigger_id"),
            message_ts=message_ts,
            source_ephemeral=source_ephemeral,
        )

    def turn(self, origin: Origin, **kwargs: Any) -> Turn:
        return Turn(
            speaker=self.speaker(origin.user_id),
            db=self.db,
            settings=self.settings,
            services=SlackServices(self),
            place=Place(origin.channel or "", is_direct=origin.is_direct),
            **kwargs,
        )

    def on_command(self, body: Mapping[str, Any]) -> None:
        origin = self._interaction_origin(body, body["user_id"], body.get("channel_id"))
        turn = self.turn(origin, command=body["command"], text=body.get("text") or "")
        self.deliver(origin, self.router.dispatch(turn))

    def on_message(self, event: Mapping[str, Any], bot_user_id: str | None) -> None:
        # Only what a person typed is a turn: edits, deletions, joins, bots, apps (even when
        # they carry a person's user id) and the bot's own messages are ignored silently.
        if event.get("subtype") not in (None, "thread_broadcast", "file_share"):
            return
        if any(event.get(key) for key in ("bot_id", "bot_profile", "app_id")):
            return
        if not event.get("user") or event.get("user") == bot_user_id:
            return
        text = event.get("text") or ""
        mentioned = event.get("type") == "app_mention"
        if bot_user_id and f"<@{bot_user_id}>" in text:
            if not mentioned:
                return  # the app_mention event of the same message answers it
            text = text.replace(f"<@{bot_user_id}>", " ")
        channel = event.get("channel")
        thread_ts = event.get("thread_ts")
        origin = Origin(
            user_id=event["user"],
            channel=channel,
            is_direct=event.get("channel_type") == "im" and not mentioned,
            message_ts=event.get("ts"),
            thread_ts=thread_ts if thread_ts and thread_ts != event.get("ts") else None,
        )
        turn = self.turn(
            origin,
            text=" ".join(text.split()),
            message=MessageRef(channel, event["ts"]) if channel and event.get("ts") else None,
            thread=MessageRef(channel, origin.thread_ts) if channel and origin.thread_ts else None,
            mentioned=mentioned,
        )
        if not self.router.handles_message(turn):
            return
        self.deliver(origin, self.router.dispatch(turn))

    def on_action(self, body: Mapping[str, Any]) -> None:
        action = body["actions"][0]
        if action.get("type") == "datepicker" and body.get("view"):
            self.check_form_field(body["view"], action)
            return
        if action.get("type") != "button":
            return
        user_id = body["user"]["id"]
        container = body.get("container") or {}
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        message_ts = container.get("message_ts")
        origin = self._interaction_origin(
            body,
            user_id,
            channel,
            message_ts=message_ts,
            source_ephemeral=bool(container.get("is_ephemeral")),
        )
        if container.get("type") == "view":
            origin = replace(origin, channel=None, is_direct=False)
        turn = self.turn(
            origin,
            action=Action(action["action_id"], action.get("value") or ""),
            message=MessageRef(channel, message_ts) if channel and message_ts else None,
        )
        self.deliver(origin, self.router.dispatch(turn))

    def check_form_field(self, view: Mapping[str, Any], action: Mapping[str, Any]) -> None:
        """A date picked in an open form: a past one is refused under the field at once."""
        updated = checked_view(view, str(action.get("block_id")), action.get("selected_date"))
        if updated is None or not view.get("id"):
            return
        try:
            self.client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)
        except SlackApiError as error:
            # The person changed the form meanwhile (hash_conflict): the submission checks again.
            log.info("form field check not shown: %s", _reason(error))

    def on_view_submission(self, body: Mapping[str, Any]) -> SubmissionOutcome:
        view = body["view"]
        user_id = body["user"]["id"]
        form_id, values, errors, context, origin_data = read_submission(view)
        channel = origin_data.get("channel")
        origin = Origin(
            user_id=user_id,
            channel=channel,
            is_direct=bool(origin_data.get("direct")),
            message_ts=origin_data.get("ts"),
        )
        if errors:
            return SubmissionOutcome({"response_action": "errors", "errors": errors}, [], origin)
        turn = self.turn(
            origin,
            submission=Submission(form_id, values, context),
            message=MessageRef(channel, origin.message_ts)
            if channel and origin.message_ts
            else None,
        )
        replies = self.router.dispatch(turn)
        ack: dict[str, Any] = {}
        rest: list[Reply] = []
        for reply in replies:
            if isinstance(reply, FormErrors):
                ack = {"response_action": "errors", "errors": dict(reply.errors)}
            elif isinstance(reply, Form) and not ack:
                if reply.form_id == form_id and reply.errors:
                    ack = {"response_action": "errors", "errors": dict(reply.errors)}
                else:
                    ack = {"response_action": "update", "view": render_form(reply, origin_data)}
            else:
                rest.append(reply)
        if ack.get("response_action") == "errors":
            rest = []
        # A submitted form's answer goes to the DM: the modal may have come from anywhere.
        if rest and not origin.is_direct:
            origin = Origin(user_id, self.dm_channel(user_id), is_direct=True)
        return SubmissionOutcome(ack, rest, origin)

    def publish_home(self, user_id: str) -> None:
        origin = Origin(user_id=user_id, channel=None, is_direct=False)
        turn = self.turn(origin)
        view = render_home(self.router.home_blocks(turn))
        self.client.views_publish(user_id=user_id, view=view)

    # -- delivery ------------------------------------------------------------------------------

    def deliver(self, origin: Origin, replies: list[Reply]) -> None:
        for reply in replies:
            try:
                if isinstance(reply, Message):
                    self.deliver_message(origin, reply)
                elif isinstance(reply, Form):
                    self.open_form(origin, reply)
                elif isinstance(reply, Job):
                    self.start_job(origin, reply)
                elif isinstance(reply, File):
                    self.upload(origin, reply)
                elif isinstance(reply, FollowUp):
                    self.deliver(origin, as_replies(reply.run()))
                elif isinstance(reply, FormErrors):
                    log.warning("FormErrors outside a form submission ignored")
            except (SlackApiError, DeliveryFailed) as error:
                log.error("delivery failed: %s", _reason(error))

    def deliver_message(self, origin: Origin, message: Message) -> MessageRef | None:
        payloads = render_message(message)
        first, rest = payloads[0], payloads[1:]
        ref = self._deliver_first(origin, message, first)
        follow = replace(origin, message_ts=None, source_ephemeral=False)
        for payload in rest:
            self._deliver_first(follow, replace_message(message), payload)
        return ref

    def _deliver_first(
        self, origin: Origin, message: Message, payload: dict[str, Any]
    ) -> MessageRef | None:
        if isinstance(message.replace, MessageRef):
            self.client.chat_update(
                channel=message.replace.channel, ts=message.replace.ts, **payload
            )
            return message.replace
        if message.replace:
            if origin.source_ephemeral and origin.response_url:
                self._respond(origin.response_url, payload, replace_original=True)
                return None
            if origin.channel and origin.message_ts:
                self.client.chat_update(channel=origin.channel, ts=origin.message_ts, **payload)
                return MessageRef(origin.channel, origin.message_ts)
        thread = message.thread or (
            MessageRef(origin.channel, origin.thread_ts)
            if origin.channel and origin.thread_ts
            else None
        )
        if message.private and not origin.is_direct:
            if origin.response_url:
                self._respond(origin.response_url, payload, replace_original=False)
                return None
            if origin.channel:
                try:
                    self.client.chat_postEphemeral(
                        channel=origin.channel,
                        user=origin.user_id,
                        thread_ts=thread.ts if thread else None,
                        **payload,
                    )
                    return None
                except SlackApiError as error:
                    log.info("ephemeral refused (%s), answering in DM", _reason(error))
            channel = self.dm_channel(origin.user_id)
            thread = None
        else:
            channel = origin.channel or self.dm_channel(origin.user_id)
        answer = self.client.chat_postMessage(
            channel=channel, thread_ts=thread.ts if thread else None, **payload
        )
        return MessageRef(answer["channel"], answer["ts"])

    def _respond(
        self, response_url: str, payload: dict[str, Any], *, replace_original: bool
    ) -> None:
        response = WebhookClient(response_url, timeout=15).send(
            text=payload["text"],
            blocks=payload["blocks"],
            response_type="ephemeral",
            replace_original=replace_original,
        )
        if response.status_code != 200:
            raise DeliveryFailed(f"response_url answered {response.status_code}")

    def open_form(self, origin: Origin, form: Form) -> None:
        meta = {"channel": origin.channel, "direct": origin.is_direct, "ts": origin.message_ts}
        if not origin.trigger_id:
            self.deliver_message(origin, Message(messages.FORM_NEEDS_BUTTON))
            return
        self.client.views_open(trigger_id=origin.trigger_id, view=render_form(form, meta))

    def upload(self, origin: Origin, file: File) -> None:
        channel = self.dm_channel(origin.user_id)
        self.client.files_upload_v2(
            channel=channel,
            content=file.content,
            filename=file.filename,
            title=file.title,
            initial_comment=file.comment,
        )

    # -- background jobs -----------------------------------------------------------------------

    def start_job(self, origin: Origin, job: Job) -> None:
        """Show the job's first message at once, then run it on its own thread."""
        if job.start.replace is True and origin.message_ts and not origin.source_ephemeral:
            ref = self.deliver_message(origin, job.start)
        else:
            # Progress needs a message we can edit many times: a message in the DM.
            dm = Origin(origin.user_id, self.dm_channel(origin.user_id), is_direct=True)
            ref = self.deliver_message(dm, replace_message(job.start))
        if ref is None:
            raise DeliveryFailed("the job's message could not be posted")
        job_origin = Origin(origin.user_id, ref.channel, is_direct=True, message_ts=ref.ts)
        self._jobs.submit(self._run_job, job_origin, job, ref)

    def _run_job(self, origin: Origin, job: Job, ref: MessageRef) -> None:
        progress = SlackProgress(self, job, ref)
        try:
            result = job.run(progress)
            progress.flush()
            replies = as_replies(result)
        except Exception as error:
            user_message = getattr(error, "user_message", None)
            log.exception("background job failed")
            replies = [
                Message(user_message if isinstance(user_message, str) else messages.INTERNAL_ERROR)
            ]
        self.deliver(origin, replies)


def replace_message(message: Message) -> Message:
    """The same content as a new message (no replacement)."""
    return Message(*message.blocks, private=message.private, thread=message.thread)


class SlackProgress:
    """Edits the job's message, at most once a second (Slack's chat.update budget)."""

    def __init__(self, transport: SlackTransport, job: Job, ref: MessageRef) -> None:
        self._transport, self._job, self._ref = transport, job, ref
        self._last_sent = 0.0
        self._pending: Message | None = None

    def report(self, done: int, total: int) -> None:
        self._show(self._job.progress_message(done, total), final=done >= total)

    def update(self, message: Message) -> None:
        self._show(message, final=True)

    def flush(self) -> None:
        if self._pending is not None:
            self._send(self._pending)

    def _show(self, message: Message, *, final: bool) -> None:
        if not final and time.monotonic() - self._last_sent < PROGRESS_INTERVAL_SECONDS:
            self._pending = message
            return
        self._send(message)

    def _send(self, message: Message) -> None:
        self._pending = None
        self._last_sent = time.monotonic()
        payload = render_message(message)[0]
        try:
            self._transport.client.chat_update(
                channel=self._ref.channel, ts=self._ref.ts, **payload
            )
        except SlackApiError as error:
            log.warning("progress update failed: %s", _reason(error))


class SlackServices:
    """`turn.services` for Slack: reach people and channels other than the current one."""

    def __init__(self, transport: SlackTransport) -> None:
        self._t = transport

    def send(
        self, to: Recipient, message: Message, *, thread: MessageRef | None = None
    ) -> MessageRef | None:
        if to.kind == "person":
            user_id = self.user_of(int(to.id))
            if user_id is None:
                return None
            channel = self._t.dm_channel(user_id)
        elif to.kind == "user":
            channel = self._t.dm_channel(to.id)
        else:
            channel = to.id
        ref: MessageRef | None = None
        try:
            for payload in render_message(message):
                answer = self._t.client.chat_postMessage(
                    channel=channel,
                    thread_ts=(thread or message.thread).ts if (thread or message.thread) else None,
                    **payload,
                )
                ref = ref or MessageRef(answer["channel"], answer["ts"])
        except SlackApiError as error:
            raise DeliveryFailed(f"chat.postMessage failed: {_reason(error)}") from None
        return ref

    def update(self, ref: MessageRef, message: Message) -> None:
        try:
            self._t.client.chat_update(channel=ref.channel, ts=ref.ts, **render_message(message)[0])
        except SlackApiError as error:
            raise DeliveryFailed(f"chat.update failed: {_reason(error)}") from None

    def is_member(self, channel: str, user_id: str) -> bool:
        return self._t.is_member(channel, user_id)

    def person_of(self, user_id: str) -> int | None:
        return self._t.person_of(user_id)

    def user_of(self, person_id: int) -> str | None:
        with self._t.db.session() as session:
            return user_for_person(session, TRANSPORT, person_id)


def _reason(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error"))
    return str(error)


__all__ = ["Origin", "SlackTransport", "SubmissionOutcome", "web_client"]
