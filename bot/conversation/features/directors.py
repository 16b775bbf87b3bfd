"""Directors in chat: `/invite-team`, `/team` and mission access (`/access`).

The procedure sheet in chat: « En tant que directeur c'est vous qui gérez l'accès à l'Extranet
des membres de votre personnel ». Every command, button and form asks `access.directory.authz`
again on the server side: a button value or a form context names a FASE or a person, and
nothing says the one pressing it is who the button was shown to. A refusal gets a French
message, changes nothing, and is audited (`directors.refused`).

Handlers parse, call the access services and render with `directors_views`. Every button and
form about one establishment opens with `directing`: who presses, the FASE it names, a read
session and `require_manager`, in that order.

Bulk sends run as a background `Job`: acknowledged at once, progress in the message, a summary
at the end. The idempotency key comes from the pressed message and a nonce the button carries,
so pressing twice (or Slack retrying) sends nothing more; `access.invitations.jobs` keeps one
running send per school, so a second director sees the running one instead of starting one,
and carries the send out (`run_team_send`).
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from access.audit import record
from access.directory.authz import establishments_to_manage, require_manager
from access.directory.grants import SCHOOL_TIMEZONE, add_grant, remove_grant
from access.directory.models import Establishment
from access.directory.people import MemberAccess, member_access
from access.directory.profiles import Profiles, default_profiles
from access.directory.team import TeamMember, TeamStatus, search_teams, team_member
from access.errors import AccessError, InvalidInput, NotAllowed, NotFound
from access.invitations import jobs
from access.invitations.preview import send_preview
from access.invitations.service import resend_one, team_list
from access.messages import GRANT_NOT_FOUND, SELF_GRANT
from access.text import fold
from bot.conversation import action, command, form
from bot.conversation import messages as msg
from bot.conversation.features import directors_views as views
from bot.conversation.replies import FormErrors, Job, Message, Progress, Replies
from bot.conversation.turn import Turn

log = logging.getLogger(__name__)

AUDIT_REFUSED = "directors.refused"
FASE_PATTERN = re.compile(r"^\d{3,8}$")

Handler = Callable[[Turn], Replies]


# -- authorization, refusals ------------------------------------------------------------------


def guarded(request: str) -> Callable[[Handler], Handler]:
    """Turn an authorization refusal into a French reply and an audit entry.

    Invalid input (InvalidInput) is answered without an audit entry: it is a mistake, not an
    attempt to act beyond one's rights.
    """

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(turn: Turn) -> Replies:
            try:
                return handler(turn)
            except (NotAllowed, NotFound) as error:
                return _refuse(turn, request, error)
            except AccessError as error:
                return Message(error.user_message)

        return run

    return wrap


def _refuse(turn: Turn, request: str, error: AccessError) -> Message:
    given = turn.action.value if turn.action else turn.text
    if turn.submission is not None:
        given = str(dict(turn.submission.context))
    with turn.db.transaction() as session:
        record(
            session,
            actor=turn.actor,
            action=AUDIT_REFUSED,
            target_type="request",
            target_id=request,
            after={"input": (given or "")[:500], "transport": turn.speaker.transport},
            reason=error.code,
        )
    log.info("director request %s refused: %s", request, error.code)
    return Message(error.user_message)


def _identified(turn: Turn) -> int:
    if turn.speaker.person_id is None:
        raise NotAllowed("not_identified", msg.UNKNOWN_USER)
    return turn.speaker.person_id


def _bad_request() -> NotAllowed:
    return NotAllowed("bad_request", msg.BAD_REQUEST)


def _not_in_team() -> NotAllowed:
    return NotAllowed("not_in_team", msg.NOT_IN_TEAM)


def _managed(session: Session, person_id: int) -> list[Establishment]:
    """The establishments this person directs; raises the precise refusal when none."""
    managed = establishments_to_manage(session, person_id)
    if not managed:
        raise NotAllowed("not_director", msg.NOT_A_DIRECTOR)
    return managed


# -- the prologue: who acts, on which establishment -------------------------------------------


@dataclass(frozen=True)
class Director:
    """A director acting on one establishment that the server found they may manage."""

    turn: Turn
    person_id: int
    session: Session
    establishment: Establishment
    # What the pressed button or the submitted form carries: it names, it proves nothing.
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def fase(self) -> str:
        return self.establishment.fase

    @property
    def profiles(self) -> Profiles:
        return _profiles(self.turn)

    def member(self, person_id: int) -> TeamMember:
        """A person of this establishment's staff (even one who left); refused otherwise."""
        found = team_member(self.session, self.establishment.id, person_id)
        if found is None:
            raise _not_in_team()
        return found

    def access_of(self, person_id: int) -> MemberAccess:
        seen = member_access(self.session, self.establishment, person_id, profiles=self.profiles)
        if seen is None:
            raise _not_in_team()
        return seen


def _as_manager(
    turn: Turn, session: Session, person_id: int, fase: str, context: dict[str, Any] | None = None
) -> Director:
    return Director(
        turn, person_id, session, require_manager(session, person_id, fase), context or {}
    )


@contextmanager
def _managing(turn: Turn, person_id: int, fase: str) -> Iterator[Director]:
    """A read session in which `person_id` may manage `fase`; refused otherwise."""
    with turn.db.session() as session:
        yield _as_manager(turn, session, person_id, fase)


@contextmanager
def directing(
    turn: Turn, *, check: Callable[[dict[str, Any]], object] | None = None
) -> Iterator[Director]:
    """The prologue of every button and form about one establishment: who presses, the FASE
    the button or form names, a read session, and whether they may manage it (asked again
    here: nothing proves the presser is who the button was shown to).

    `check` refuses a malformed context before anything is read. Writes go after the block,
    on their own connection: the read session is closed by then.
    """
    person_id = _identified(turn)
    context = _context(turn)
    fase = _fase_of(context)
    if check is not None:
        check(context)
    with turn.db.session() as session:
        yield _as_manager(turn, session, person_id, fase, context)


def _target(
    turn: Turn, session: Session, person_id: int, fase: str | None, *, then: str, query: str = ""
) -> Director | Message:
    """The establishment a command is about (the one named, or the only one directed), or
    the question of which one."""
    if fase:
        return _as_manager(turn, session, person_id, fase)
    managed = _managed(session, person_id)
    if len(managed) == 1:
        return Director(turn, person_id, session, managed[0])
    return views.choose_establishment([(e.fase, e.name) for e in managed], then=then, query=query)


# -- reading what a command, a button or a form says -----------------------------------------


def _split_fase(text: str) -> tuple[str | None, str]:
    first, _, rest = text.strip().partition(" ")
    if FASE_PATTERN.match(first):
        return first, rest.strip()
    return None, text.strip()


def _profiles(turn: Turn) -> Profiles:
    return default_profiles(turn.settings.profiles_file)


def _context(turn: Turn) -> dict[str, Any]:
    if turn.submission is not None:
        return dict(turn.submission.context)
    if turn.action is None:
        raise _bad_request()
    return views.decode(turn.action.value)


def _fase_of(context: dict[str, Any]) -> str:
    fase = context.get("f")
    if not isinstance(fase, str) or not FASE_PATTERN.match(fase):
        raise _bad_request()
    return fase


def _person_of(context: dict[str, Any]) -> int:
    person_id = context.get("p")
    if not isinstance(person_id, int):
        raise _bad_request()
    return person_id


def _page_of(context: dict[str, Any]) -> int:
    page = context.get("p", 1)
    return page if isinstance(page, int) else 1


def _mode_of(context: dict[str, Any]) -> str:
    mode = context.get("m")
    if mode not in (views.MODE_NEW, views.MODE_RESEND):
        raise _bad_request()
    return str(mode)


# -- /invite-team -------------------------------------------------------------------------------


@command("/invite-team")
@guarded("invite-team")
def invite_team(turn: Turn) -> Replies:
    person_id = _identified(turn)
    fase, _ = _split_fase(turn.text)
    if turn.text.strip() and fase is None:
        raise NotFound(
            "unknown_establishment", msg.UNKNOWN_FASE.format(fase=turn.text.strip()[:16])
        )
    with turn.db.session() as session:
        target = _target(turn, session, person_id, fase, then="invite")
        if isinstance(target, Message):
            return target
        return _team_page(target, nonce=new_nonce())


@action(views.ACTION_CHOOSE)
@guarded("choose-establishment")
def choose(turn: Turn) -> Replies:
    with directing(turn) as director:
        query = str(director.context.get("q") or "")
        if director.context.get("then") == "team":
            return _members(director, query, replace=True)
        if director.context.get("then") == "access":
            return _find_person(director.session, turn, director.person_id, query, [director.fase])
        return _team_page(director, nonce=new_nonce(), replace=True)


@action(views.ACTION_PAGE)
@guarded("team-page")
def team_page(turn: Turn) -> Replies:
    with directing(turn) as director:
        nonce = str(director.context.get("n") or "") or new_nonce()
        return _team_page(director, _page_of(director.context), nonce=nonce, replace=True)


def _team_page(director: Director, page: int = 1, *, nonce: str, replace: bool = False) -> Message:
    """The team screen, its send buttons counting who a send would really write to now."""
    team = team_list(director.session, director.fase)
    preview = send_preview(director.session, director.turn.settings, director.establishment.id)
    return views.team_page(team, page, preview=preview, nonce=nonce, replace=replace)


@action(views.ACTION_CSV)
@guarded("team-csv")
def team_export(turn: Turn) -> Replies:
    with directing(turn) as director:
        team = team_list(director.session, director.fase)
    return views.team_file(team)


# -- sending invitations ----------------------------------------------------------------------


def new_nonce() -> str:
    return secrets.token_hex(6)


def idempotency_key(turn: Turn, context: dict[str, Any]) -> str:
    """Same pressed message + same button = same key; a new list gives new buttons (nonce)."""
    where = f"{turn.message.channel}:{turn.message.ts}" if turn.message else "-"
    nonce = str(context.get("n") or "")[:32]
    mode = context.get("m")
    return f"chat:{turn.speaker.transport}:{where}:{context.get('f')}:{mode}:{nonce}"[:200]


@action(views.ACTION_SEND)
@guarded("send-invitations")
def send(turn: Turn) -> Replies:
    with directing(turn, check=_mode_of) as director:
        establishment_id, name = director.establishment.id, director.establishment.name
    claim = jobs.claim(
        turn.db,
        establishment_id=establishment_id,
        fase=director.fase,
        mode=_mode_of(director.context),
        idempotency_key=idempotency_key(turn, director.context),
        actor_person_id=director.person_id,
    )
    if not claim.started:
        return views.job_message(claim.job, name)
    return Job(
        start=Message(msg.SEND_STARTED.format(name=name, fase=director.fase)),
        run=functools.partial(_run_send, turn, claim.job, name),
        label=msg.SEND_LABEL,
    )


def _run_send(turn: Turn, job: jobs.JobState, name: str, progress: Progress) -> Replies:
    try:
        summary = jobs.run_team_send(turn.db, turn.settings, job, on_progress=progress.report)
    except AccessError as error:
        return Message(error.user_message, replace=True)
    except jobs.SendInterrupted as stopped:
        return views.interrupted_message(stopped.done, stopped.total)
    return views.summary_message(summary, name=name, fase=job.fase)


@action(views.ACTION_JOB_STATUS)
@guarded("job-status")
def job_status(turn: Turn) -> Replies:
    person_id = _identified(turn)
    job_id = _context(turn).get("j")
    if not isinstance(job_id, int):
        raise _bad_request()
    state = jobs.get(turn.db, job_id)
    if state is None:
        raise _bad_request()
    with _managing(turn, person_id, state.fase) as director:
        name = director.establishment.name
    return views.job_message(state, name, replace=True)


# -- /team ------------------------------------------------------------------------------------

_STATUS_WORDS = {
    TeamStatus.WILL_BE_INVITED: ("a inviter", "recevra", "recevront", "non invite", "non invites"),
    TeamStatus.INVITED: ("invite", "invites", "invitee", "invitees", "invitation envoyee"),
    TeamStatus.ACTIVE: ("active", "actif", "actifs", "actives", "activé", "compte active"),
    TeamStatus.EMAIL_TO_FIX: ("a corriger", "corriger", "email", "e-mail", "adresse"),
    TeamStatus.LEFT: ("parti", "partis", "partie", "quitte", "a quitte"),
}


def parse_filter(query: str, profiles: Profiles) -> dict[str, str]:
    """A status word, else a function (any spelling the profiles know), else a name."""
    folded = fold(query.strip())
    if not folded:
        return {}
    for status, words in _STATUS_WORDS.items():
        if folded in {fold(word) for word in words}:
            return {"status": status.value}
    function_code = profiles.code_for(query)
    if function_code is not None:
        return {"function": function_code}
    return {"name": query.strip()}


def _members(director: Director, query: str, page: int = 1, *, replace: bool = False) -> Message:
    filters = parse_filter(query, director.profiles)
    team = team_list(director.session, director.fase, **filters)
    return views.members_page(team, query, page, replace=replace)


@command("/team")
@guarded("team")
def team(turn: Turn) -> Replies:
    person_id = _identified(turn)
    fase, query = _split_fase(turn.text)
    with turn.db.session() as session:
        target = _target(turn, session, person_id, fase, then="team", query=query)
        if isinstance(target, Message):
            return target
        return _members(target, query)


@action(views.ACTION_MEMBERS_PAGE)
@guarded("team-page")
def members_page(turn: Turn) -> Replies:
    with directing(turn) as director:
        query = str(director.context.get("q") or "")
        return _members(director, query, _page_of(director.context), replace=True)


@action(views.ACTION_RESEND_ONE)
@guarded("resend-one")
def resend_invitation(turn: Turn) -> Replies:
    with directing(turn, check=_person_of) as director:
        target = director.member(_person_of(director.context))
    resend_one(
        turn.db,
        turn.settings,
        actor_person_id=director.person_id,
        fase=director.fase,
        person_id=target.person_id,
        idempotency_key=idempotency_key(turn, {**director.context, "m": f"one-{target.person_id}"}),
    )
    email = target.proeco_email or msg.NO_EMAIL
    return Message(msg.RESEND_ONE_DONE.format(name=target.name, email=email))


# -- /access: a person's access and mission grants -------------------------------------------


@command("/access")
@guarded("access")
def access(turn: Turn) -> Replies:
    person_id = _identified(turn)
    query = turn.text.strip()
    with turn.db.session() as session:
        fases = [e.fase for e in _managed(session, person_id)]
        if not query:
            return Message(msg.ACCESS_USAGE)
        return _find_person(session, turn, person_id, query, fases)


def _find_person(
    session: Session, turn: Turn, person_id: int, query: str, fases: list[str]
) -> Replies:
    matches = search_teams(session, fases, query)
    if not matches:
        return Message(msg.ACCESS_NOBODY.format(query=query))
    if len(matches) > 1:
        return views.people_choice(query, matches)
    fase, row = matches[0]
    director = _as_manager(turn, session, person_id, fase)
    return _access_view(director, row.person_id)


def _access_view(director: Director, person_id: int, *, replace: bool = False) -> Message:
    seen = director.access_of(person_id)
    return views.access_view(seen, director.profiles, viewer_id=director.person_id, replace=replace)


@action(views.ACTION_ACCESS)
@guarded("access")
def show_access(turn: Turn) -> Replies:
    with directing(turn, check=_person_of) as director:
        return _access_view(director, _person_of(director.context))


@action(views.ACTION_ADD_GRANT)
@guarded("add-grant")
def open_grant_form(turn: Turn) -> Replies:
    with directing(turn, check=_person_of) as director:
        target = director.member(_person_of(director.context))
        if target.person_id == director.person_id:
            # Refused when the form opens, not after it was filled in.
            raise NotAllowed("self_grant", SELF_GRANT)
        seen = director.access_of(target.person_id)
    given = seen.access.function_resources if seen.access is not None else frozenset()
    if given and all(r.code in given for r in director.profiles.all_resources()):
        return Message(msg.FORM_ALL_GIVEN)
    return views.grant_form(
        fase=director.fase,
        person_id=target.person_id,
        name=target.name,
        function_label=target.function_label,
        profiles=director.profiles,
        given=frozenset(given),
        today=datetime.now(SCHOOL_TIMEZONE).date(),
    )


_ERROR_FIELDS = {
    "mission_required": "mission",
    "mission_too_long": "mission",
    "mission_invalid": "mission",
    "duplicate_mission": "mission",
    "resources_required": "resources",
    "unknown_resources": "resources",
    "end_in_past": "ends_on",
    "reason_too_long": "reason",
}


@form(views.FORM_GRANT)
@guarded("add-grant")
def submit_grant(turn: Turn) -> Replies:
    with directing(turn, check=_person_of) as director:
        person_id, fase = director.person_id, director.fase
    target_id = _person_of(director.context)
    try:
        mission = _add_grant(turn, person_id, fase, target_id)
    except InvalidInput as error:
        return FormErrors({_ERROR_FIELDS.get(error.code, "mission"): error.user_message})
    with _managing(turn, person_id, fase) as director:
        name = director.member(target_id).name
        return [
            Message(msg.GRANT_ADDED.format(mission=mission, name=name)),
            _access_view(director, target_id),
        ]


def _add_grant(turn: Turn, person_id: int, fase: str, target_id: int) -> str:
    """The form's values, as the grants service takes them; the mission's label as saved."""
    assert turn.submission is not None
    values = turn.submission.values
    resources = values.get("resources") or []
    ends_on = values.get("ends_on")
    with turn.db.transaction() as session:
        grant = add_grant(
            session,
            actor_person_id=person_id,
            fase=fase,
            person_id=target_id,
            mission=str(values.get("mission") or ""),
            resources=resources if isinstance(resources, list) else [str(resources)],
            profiles=_profiles(turn),
            ends_on=ends_on if not isinstance(ends_on, str | list) else None,
            reason=str(values.get("reason") or "") or None,
        )
        return grant.mission


@action(views.ACTION_REMOVE_GRANT)
@guarded("remove-grant")
def open_remove_form(turn: Turn) -> Replies:
    """« Retirer »: a form asking why, which is also the confirmation."""
    with directing(turn, check=_grant_of) as director:
        grant_id = _grant_of(director.context)
        seen = director.access_of(_person_of(director.context))
        grant = next((g for g in seen.grants if g.grant_id == grant_id), None)
        if grant is None:
            raise NotFound("grant_not_live", GRANT_NOT_FOUND)
    return views.remove_form(
        fase=director.fase,
        person_id=seen.member.person_id,
        grant_id=grant_id,
        name=seen.member.name,
        mission=grant.mission,
    )


def _grant_of(context: dict[str, Any]) -> int:
    _person_of(context)
    grant_id = context.get("g")
    if not isinstance(grant_id, int):
        raise _bad_request()
    return grant_id


@form(views.FORM_REMOVE_GRANT)
@guarded("remove-grant")
def remove(turn: Turn) -> Replies:
    with directing(turn, check=_grant_of) as director:
        person_id, grant_id = director.person_id, _grant_of(director.context)
    assert turn.submission is not None
    reason = str(turn.submission.values.get("reason") or "").strip()
    if not reason:
        return FormErrors({"reason": msg.FIELD_REQUIRED})
    try:
        with turn.db.transaction() as session:
            grant = remove_grant(
                session, actor_person_id=person_id, grant_id=grant_id, reason=reason
            )
            fase, target_id, mission = grant.establishment.fase, grant.person_id, grant.mission
    except InvalidInput as error:
        return FormErrors({"reason": error.user_message})
    with _managing(turn, person_id, fase) as director:
        name = director.member(target_id).name
        return [
            _access_view(director, target_id),
            Message(msg.GRANT_REMOVED.format(mission=mission, name=name)),
        ]
