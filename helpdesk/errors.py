"""Refusals of the tickets domain: a French message for the user, English for the operator."""

from __future__ import annotations


class TicketError(Exception):
    def __init__(self, message: str, user_message: str) -> None:
        super().__init__(message)
        self.user_message = user_message


class TicketNotFound(TicketError):
    pass


class InvalidTicketInput(TicketError):
    pass


class MessageTooLarge(Exception):
    """An inbound e-mail over the size limit: refused whole, never cut (English, operators)."""

    def __init__(self, size: int | None, limit: int) -> None:
        shown = "more than " + f"{limit:,}" if size is None else f"{size:,}"
        super().__init__(
            f"message too large: {shown} bytes, the limit is {limit:,} bytes "
            "(MAIL_INGEST_MAX_BYTES); not ingested"
        )
        self.size = size
        self.limit = limit
