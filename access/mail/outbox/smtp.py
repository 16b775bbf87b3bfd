"""Sending over SMTP: one reused connection per sender, answers sorted into temporary and
permanent."""

from __future__ import annotations

import asyncio
import contextlib
import re

import aiosmtplib

from access.config import AccessSettings
from access.mail.outbox.store import Claimed

IDLE_CLOSE_SECONDS = 10.0


# Answers about our login, not about a message (RFC 4954): authentication required (530),
# mechanism too weak (534), credentials invalid (535), encryption required (538).
_LOGIN_REFUSALS = frozenset({530, 534, 535, 538})


def login_refusal(error: BaseException) -> aiosmtplib.SMTPResponseException | None:
    if isinstance(error, aiosmtplib.SMTPResponseException) and (
        isinstance(error, aiosmtplib.SMTPAuthenticationError) or error.code in _LOGIN_REFUSALS
    ):
        return error
    return None


def describe_error(error: BaseException) -> tuple[bool, str]:
    """(permanent?, reason for the log and the team list) of a failed send."""
    refusal = login_refusal(error)
    if refusal is not None:
        # A setting to fix (SMTP_USERNAME, SMTP_PASSWORD, SMTP_TLS), not a bad message: once
        # it is fixed, the messages go out with their next attempt.
        return False, f"{refusal.code} {refusal.message}"[:500]
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        first = error.recipients[0] if error.recipients else None
        text = f"{first.code} {first.message}" if first else "recipients refused"
        return permanent, text[:500]
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return 500 <= error.code < 600, f"{error.code} {error.message}"[:500]
    if isinstance(error, aiosmtplib.SMTPNotSupported):
        # This relay cannot carry an address written with accents; trying again will not help.
        return True, f"553 {error}"[:500]
    return False, f"connection failed: {type(error).__name__}"


def _smtp_client(settings: AccessSettings) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_tls == "tls",
        start_tls=settings.smtp_tls == "starttls",
        timeout=settings.smtp_timeout_seconds,
        local_hostname="localhost",
    )


_RECIPIENT_ACCEPTED = (aiosmtplib.SMTPStatus.completed, aiosmtplib.SMTPStatus.will_forward)
# What an envelope address may hold once validated; anything else (a line break above all,
# which would smuggle a command) is refused even if it got past validation somehow.
_ENVELOPE_ADDRESS = re.compile(r"[^\s<>@]+@[^\s<>@]+")


def _envelope_address(address: str) -> bytes:
    if not _ENVELOPE_ADDRESS.fullmatch(address):
        raise aiosmtplib.SMTPRecipientRefused(501, "invalid address", address)
    return b"<" + address.encode("utf-8") + b">"


async def _data(client: aiosmtplib.SMTP, raw: bytes) -> None:
    """DATA and the message, as `SMTP.data` sends them, for bytes already in SMTP's shape.

    `SMTP.data` rewrites every line ending of the message with a regular expression, then
    doubles leading dots with another: on messages the outbox wrote with CRLF endings
    (access.mail.letter), the first changes nothing, and both cost the worker time on every
    message. Here the line endings are only checked, and the dots doubled
    with one `bytes.replace`; anything else goes through `SMTP.data`."""
    protocol = client.protocol
    crlf = raw.count(b"\r\n")
    if protocol is None or raw.count(b"\r") != crlf or raw.count(b"\n") != crlf:
        await client.data(raw, timeout=None)
        return
    response = await client.execute_command(b"DATA", timeout=None)
    if response.code != aiosmtplib.SMTPStatus.start_input:
        raise aiosmtplib.SMTPDataError(response.code, response.message)
    # Transparency (RFC 5321, 4.5.2): a line starting with "." gets another one.
    payload = raw.replace(b"\r\n.", b"\r\n..")
    if payload.startswith(b"."):
        payload = b"." + payload
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    # The protocol's own write and read: this connection has one user, this sender, and
    # nothing can arrive between the write and the read, which starts without yielding.
    protocol.write(payload + b".\r\n")
    response = await protocol.read_response(timeout=None)
    if response.code != aiosmtplib.SMTPStatus.completed:
        raise aiosmtplib.SMTPDataError(response.code, response.message)


class SmtpSender:
    """One reused SMTP connection; reconnects after any connection-level failure."""

    def __init__(self, settings: AccessSettings) -> None:
        self.settings = settings
        self.client: aiosmtplib.SMTP | None = None

    async def _connected(self) -> aiosmtplib.SMTP:
        if self.client is not None and self.client.is_connected:
            return self.client
        client = _smtp_client(self.settings)
        await client.connect()
        try:
            if client.last_ehlo_response is None and client.last_helo_response is None:
                # The commands below are sent as they are: the extensions must be known first.
                try:
                    await client.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await client.helo()
            if self.settings.smtp_username:
                if not client.supports_extension("auth"):
                    # Many relays offer AUTH only after STARTTLS: a login refused (a
                    # setting to fix), not a message the relay cannot carry.
                    raise aiosmtplib.SMTPAuthenticationError(530, "the relay offers no AUTH")
                password = self.settings.smtp_password
                await client.login(
                    self.settings.smtp_username, password.get_secret_value() if password else ""
                )
        except BaseException:
            # Not kept, so closed now rather than whenever it is collected.
            client.close()
            raise
        self.client = client
        return client

    async def send(self, item: Claimed) -> None:
        client = await self._connected()
        try:
            # One deadline for the whole message rather than one per command: aiosmtplib
            # arms a timer around every answer it waits for, a cost paid on every message
            # (docs/benchmarks.md).
            async with asyncio.timeout(self.settings.smtp_timeout_seconds):
                await self._transaction(client, item)
        except aiosmtplib.SMTPResponseException as error:
            if error.code == 421:
                await self.close()
            else:
                await self._reset(client)
            raise
        except aiosmtplib.SMTPRecipientsRefused:
            await self._reset(client)
            raise
        except aiosmtplib.SMTPNotSupported:
            # Refused before any command: the connection is fine for the next message.
            raise
        except TimeoutError:
            # An answer may still come and would be read as the next command's: drop the
            # connection without a QUIT (which would wait on the same silent server).
            self._drop()
            raise
        except (aiosmtplib.SMTPException, OSError):
            await self.close()
            raise

    @staticmethod
    async def _transaction(client: aiosmtplib.SMTP, item: Claimed) -> None:
        """What `SMTP.sendmail` does, through aiosmtplib's own commands, minus the work this
        outbox has already done: the addresses were validated when the message was enqueued
        (access.emails) and the bytes have CRLF line endings (access.mail.letter). Parsing every
        address again with the standard library's parser was a large share of its CPU."""
        utf8 = not (item.mail_from.isascii() and all(r.isascii() for r in item.recipients))
        if utf8 and not client.supports_extension("smtputf8"):
            raise aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server")
        options = [b"SMTPUTF8"] if utf8 else []
        if client.supports_extension("size"):
            options.insert(0, b"SIZE=%d" % len(item.raw))
        response = await client.execute_command(
            b"MAIL", b"FROM:" + _envelope_address(item.mail_from), *options, timeout=None
        )
        if response.code != aiosmtplib.SMTPStatus.completed:
            raise aiosmtplib.SMTPSenderRefused(response.code, response.message, item.mail_from)
        refused: list[aiosmtplib.SMTPRecipientRefused] = []
        for recipient in item.recipients:
            response = await client.execute_command(
                b"RCPT", b"TO:" + _envelope_address(recipient), timeout=None
            )
            if response.code not in _RECIPIENT_ACCEPTED:
                refused.append(
                    aiosmtplib.SMTPRecipientRefused(response.code, response.message, recipient)
                )
        if len(refused) == len(item.recipients):
            raise aiosmtplib.SMTPRecipientsRefused(refused)
        await _data(client, item.raw)

    @staticmethod
    async def _reset(client: aiosmtplib.SMTP) -> None:
        # As sendmail does: the next message on this connection starts a clean envelope.
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            if client.is_connected:
                await client.rset()

    def _drop(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            client.close()

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            if client.is_connected:
                await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()
