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
