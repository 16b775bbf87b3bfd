"""Reading delivery reports (bounces): which of our messages could not be delivered, and why.

A delivery status notification (RFC 3464) is a `multipart/report; report-type=delivery-status`:
a text for people, a `message/delivery-status` part (one block about the message, then one
block per recipient with `Action`, `Status` and `Diagnostic-Code`), and the original message
or its headers (`message/rfc822`, `text/rfc822-headers`), where our Message-ID is. Some
servers also name it in an `Original-Message-ID` field. RFC 6533's UTF-8 variants
(`message/global-*`) are read the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.parser import HeaderParser

DELIVERY_STATUS = ("message/delivery-status", "message/global-delivery-status")
ORIGINAL_HEADERS = ("text/rfc822-headers", "message/global-headers")
ORIGINAL_MESSAGE = ("message/rfc822", "message/global")
MAX_REASON = 500


@dataclass(frozen=True)
class RecipientStatus:
    recipient: str
    action: str  # "failed", "delayed", "delivered", "relayed", "expanded"
    status: str  # "5.1.1"
    diagnostic: str  # the receiving server's words, when it gave any

    @property
    def failed(self) -> bool:
        return self.action == "failed"


@dataclass(frozen=True)
class DeliveryReport:
    original_message_ids: list[str] = field(default_factory=list)
    recipients: list[RecipientStatus] = field(default_factory=list)

    @property
    def failures(self) -> list[RecipientStatus]:
        return [r for r in self.recipients if r.failed]


def is_report(message: Message) -> bool:
    """Any `multipart/report` (delivery, read receipt, feedback): never a person writing."""
    return message.get_content_type() == "multipart/report"


def read_delivery_report(message: EmailMessage) -> DeliveryReport | None:
    """The delivery report in `message`, or None when it is not one."""
    if not is_report(message):
        return None
    if str(message.get_param("report-type") or "").strip().casefold() != "delivery-status":
        return None
    report = DeliveryReport()
    for part in message.iter_parts():
        kind = part.get_content_type()
        if kind in DELIVERY_STATUS:
            for block in _blocks(part):
                _read_block(block, report)
        elif kind in ORIGINAL_HEADERS:
            text = part.get_payload(decode=True) or b""
            headers = HeaderParser().parsestr(_text(text))
            _add_id(report, headers.get("Message-ID"))
        elif kind in ORIGINAL_MESSAGE:
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                _add_id(report, payload[0].get("Message-ID"))
    return report


def _text(data: bytes | str) -> str:
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data


def _blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    # The UTF-8 variant arrives as text: blocks are separated by an empty line.
    text = _text(part.get_payload(decode=True) or b"").replace("\r\n", "\n")
    return [HeaderParser().parsestr(block) for block in text.split("\n\n") if block.strip()]


def _read_block(block: Message, report: DeliveryReport) -> None:
    _add_id(report, block.get("Original-Message-ID"))
    recipient = block.get("Final-Recipient") or block.get("Original-Recipient")
    action = block.get("Action")
    if recipient is None or action is None:
        return
    report.recipients.append(
        RecipientStatus(
            recipient=_typed_value(str(recipient)),
            action=str(action).strip().casefold(),
            status=" ".join(str(block.get("Status") or "").split())[:32],
            diagnostic=" ".join(_typed_value(str(block.get("Diagnostic-Code") or "")).split())[
                :MAX_REASON
            ],
        )
    )


def _typed_value(value: str) -> str:
    # "rfc822; someone@example.org", "smtp; 550 5.1.1 ...": the part after the type.
    kind, separator, rest = value.partition(";")
    return (rest if separator else kind).strip()


def _add_id(report: DeliveryReport, value: object) -> None:
    text = " ".join(str(value or "").split())
    if text and text not in report.original_message_ids:
        report.original_message_ids.append(text)
