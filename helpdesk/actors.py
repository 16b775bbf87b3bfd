"""Who acts on a ticket: agents, requesters and the bot itself, as plain values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """`ref` is stable ("slack:U123", "person:42", "email", "system"); `name` is for display."""

    ref: str
    name: str = ""

    @classmethod
    def slack(cls, user_id: str, name: str = "") -> Actor:
        return cls(f"slack:{user_id}", name or user_id)

    @classmethod
    def person(cls, person_id: int, name: str = "") -> Actor:
        return cls(f"person:{person_id}", name)


SYSTEM = Actor("system", "Extranet bot")


@dataclass(frozen=True)
class Requester:
    """What the transport knows about the person opening a ticket."""

    person_id: int | None = None
    slack_user_id: str | None = None

    def actor(self, name: str) -> Actor:
        if self.slack_user_id:
            return Actor.slack(self.slack_user_id, name)
        if self.person_id is not None:
            return Actor.person(self.person_id, name)
        return Actor("requester", name)
