"""What became of one inbound message."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IngestResult:
    outcome: str  # "created", "appended", "duplicate", "ignored", "bounce"
    number: str | None = None
    reason: str | None = None
    missing: list[str] = field(default_factory=list)
    # The ticket the message named but could not join (its sender was not proven).
    cited: str | None = None
    # An answer joined to a ticket in a triage channel: the text to show in its thread.
    text: str | None = None
    reopened: bool = False
