"""A person's status in an establishment's team, apart from the team's queries: the command
line lists its values without loading the database layer."""

from __future__ import annotations

import enum

from access import messages


class TeamStatus(enum.StrEnum):
    WILL_BE_INVITED = "will_be_invited"
    INVITED = "invited"
    ACTIVE = "active"
    EMAIL_TO_FIX = "email_to_fix"
    LEFT = "left"

    @property
    def label(self) -> str:
        """The generic French label (the invited one without its date)."""
        return {
            TeamStatus.WILL_BE_INVITED: messages.STATUS_WILL_BE_INVITED,
            TeamStatus.INVITED: messages.STATUS_INVITED_SOME_DAY,
            TeamStatus.ACTIVE: messages.STATUS_ACTIVE,
            TeamStatus.EMAIL_TO_FIX: messages.STATUS_EMAIL_TO_FIX,
            TeamStatus.LEFT: messages.STATUS_LEFT,
        }[self]
