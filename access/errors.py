"""Errors the access module raises on purpose.

Each error carries two texts: `user_message`, in French, for the person in front of the chat
or the web page, and `str(error)`, in English, for operators and logs. `code` is a stable
machine-readable reason (tests and transports branch on it, never on wording).
"""

from __future__ import annotations


class AccessError(Exception):
    default_user_message = "L'opération n'a pas pu aboutir."

    def __init__(
        self, code: str, user_message: str | None = None, *, detail: str | None = None
    ) -> None:
        self.code = code
        self.user_message = user_message or self.default_user_message
        self.detail = detail
        super().__init__(detail or code.replace("_", " "))


class NotAllowed(AccessError):
    """The person may not do this (not a director there, account disabled, unknown person)."""

    default_user_message = "Vous n'êtes pas autorisé·e à effectuer cette opération."


class NotFound(AccessError):
    default_user_message = "Élément introuvable."


class InvalidInput(AccessError):
    """Bad input from a user or a file; nothing was written."""

    default_user_message = "Les informations fournies ne sont pas valides."
