"""What the diagnosis of one person's access is made of: plain, frozen facts.

`access.diagnosis.service.diagnose` reads them; `access.diagnosis.explain` turns them into
the French sentences every surface shows (chat, console, triage card, CLI).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Delivery(enum.StrEnum):
    """What became of the invitation's e-mail, as the outbox and the bounces tell it."""

    QUEUED = "queued"  # waiting in the outbox, not tried yet
    RETRYING = "retrying"  # the relay answered « try later » (4xx) or could not be reached
    ACCEPTED = "accepted"  # the relay took it (250)
    REFUSED = "refused"  # refused for good (5xx, or attempts exhausted)
    BOUNCED = "bounced"  # accepted, then a delivery report said it could not be delivered
    UNKNOWN = "unknown"  # no trace in the outbox (sent before it kept rows, or purged)


class LinkState(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"  # replaced by a later one, or the address changed in ProECO
    NONE = "none"  # no link on file


class Failure(enum.StrEnum):
    """Why a mail server would not deliver, read from its status code (RFC 3463)."""

    UNKNOWN_MAILBOX = "unknown_mailbox"  # 5.1.1, 550 user unknown
    UNKNOWN_DOMAIN = "unknown_domain"  # 5.1.2, 5.4.4
    BAD_ADDRESS = "bad_address"  # 5.1.3
    MAILBOX_FULL = "mailbox_full"  # 5.2.2, 552
    MAILBOX_DISABLED = "mailbox_disabled"  # 5.2.1
    REJECTED = "rejected"  # 5.7.x: refused by the receiving side's policy (spam filter)
    UNREACHABLE = "unreachable"  # our relay could not be reached at all
    OTHER = "other"

    @property
    def address_is_wrong(self) -> bool:
        """The address itself must change (in ProECO): resending to it cannot help."""
        return self in (
            Failure.UNKNOWN_MAILBOX,
            Failure.UNKNOWN_DOMAIN,
            Failure.BAD_ADDRESS,
            Failure.MAILBOX_DISABLED,
        )


class Action(enum.StrEnum):
    """The one step that would unblock the person."""

    SIGN_IN = "sign_in"  # nothing blocks: sign in (a reset link if the password is lost)
    RESET_PASSWORD = "reset_password"  # locked out: a new password lifts the block
    ACTIVATE = "activate"  # a valid link was delivered: use it
    WAIT_DELIVERY = "wait_delivery"  # the e-mail is on its way
    RESEND_INVITATION = "resend_invitation"  # invited, but the link is gone or never came
    REMIND_DIRECTION = "remind_direction"  # not invited yet: the direction sends invitations
    FIX_EMAIL_IN_PROECO = "fix_email_in_proeco"  # the address is missing, invalid or refused
    CONFIRM_EMAIL_CHANGE = "confirm_email_change"  # a new reference address awaits its click
    LEFT = "left"  # no longer on any staff: nothing to do unless ProECO is wrong
    CONTACT_HELPDESK = "contact_helpdesk"  # only the helpdesk can look further


class Who(enum.StrEnum):
    PERSON = "person"
    DIRECTION = "direction"
    SECRETARIAT = "secretariat"  # the school's secretariat, in ProECO
    HELPDESK = "helpdesk"
    NOBODY = "nobody"  # wait


@dataclass(frozen=True)
class Place:
    """One establishment of the person, now or formerly."""

    fase: str
    name: str
    function: str
    is_direction: bool
    ended_at: datetime | None
    # The direction of this school has sent invitations (to anyone) at least once, and when.
    direction_sent_at: datetime | None

    @property
    def current(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True)
class Invitation:
    """The person's last invitation."""

    sent_at: datetime
    address: str
    # Who sent it: a name, or None when the person asked for it themself, or the helpdesk.
    sent_by: str | None
    sent_by_self: bool
    sent_by_helpdesk: bool
    fase: str | None
    delivery: Delivery
    # Accepted by the relay / refused / bounced at: the moment that state was reached.
    delivery_at: datetime | None
    # The mail server's words ("550 5.1.1 <…>: User unknown"), for refusals and bounces.
    server_reply: str | None
    failure: Failure | None
    next_attempt_at: datetime | None
    link: LinkState
    link_expires_at: datetime | None
    link_used_at: datetime | None


@dataclass(frozen=True)
class NextStep:
    action: Action
    who: Who
    # The establishment the step is about (remind its direction, resend from it), if one.
    fase: str | None = None


@dataclass(frozen=True)
class Diagnosis:
    person_id: int
    name: str
    status: str  # an AccountStatus value
    places: tuple[Place, ...]
    proeco_email: str | None
    proeco_email_valid: bool
    reference_email: str | None
    left: bool
    invitation: Invitation | None
    activated_at: datetime | None
    locked_until: datetime | None
    email_change_to: str | None
    email_change_until: datetime | None
    direction_reminded_at: datetime | None
    next: NextStep
    # The establishment asked about (the others are still listed), if any.
    focus: str | None = None

    @property
    def current_places(self) -> tuple[Place, ...]:
        return tuple(place for place in self.places if place.current)
