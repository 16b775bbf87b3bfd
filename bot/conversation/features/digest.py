"""Directors turn their weekly digest off or on: `/team recap [on|off]`, or the button under
the digest itself. Only for oneself: the setting is the speaker's, nobody else's."""

from __future__ import annotations

from access.directory.digest import digest_enabled, set_digest
from bot.conversation import action, command
from bot.conversation import messages as msg
from bot.conversation.features.digest_views import ACTION_DIGEST_OFF
from bot.conversation.replies import Message
from bot.conversation.turn import Turn

_OFF = ("off", "non", "stop", "arrêt", "arret")
_ON = ("on", "oui")


@command("/team", "recap", "récap")
def recap(turn: Turn) -> Message:
    if turn.speaker.person_id is None:
        return Message(msg.UNKNOWN_USER)
    wanted = turn.text.strip().casefold()
    with turn.db.transaction() as session:
        if wanted in _OFF or wanted in _ON:
            set_digest(session, turn.speaker.person_id, enabled=wanted in _ON)
            return Message(msg.DIGEST_TURNED_ON if wanted in _ON else msg.DIGEST_TURNED_OFF)
        enabled = digest_enabled(session, turn.speaker.person_id)
    return Message(msg.DIGEST_STATUS_ON if enabled else msg.DIGEST_STATUS_OFF)


@action(ACTION_DIGEST_OFF)
def turn_off(turn: Turn) -> Message:
    if turn.speaker.person_id is None:
        return Message(msg.UNKNOWN_USER)
    with turn.db.transaction() as session:
        set_digest(session, turn.speaker.person_id, enabled=False)
    return Message(msg.DIGEST_TURNED_OFF)
