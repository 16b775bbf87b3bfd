"""Directors in chat: `/invite-team`, `/team` and mission access (`/access`).

The procedure sheet in chat: « En tant que directeur c'est vous qui gérez l'accès à l'Extranet
des membres de votre personnel ». Every command, button and form asks `access.directory.authz`
again on the server side: a button value or a form context names a FASE or a person, and
nothing says the one pressing it is who the button was shown to. A refusal gets a French
message, changes nothing, and is audited (`directors.refused`).

Bulk sends run as a background `Job`: acknowledged at once, progress in the message, a summary
at the end. The idempotency key comes from the pressed message and a nonce the button carries,
so pressing twice (or Slack retrying) sends nothing more; `access.invitations.jobs` keeps one
running send per school, so a second director sees the running one instead of starting one.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.audit import record
from access.directory.authz import managed_establishments, require_manager
from access.directory.grants import add_grant, live_grants, remove_grant
from access.directory.models import Assignment, Establishment, Function, Person
from access.directory.people import effective_access
from access.directory.profiles import Profiles, default_profiles
from access.directory.team import Team, TeamStatus, team_of
from access.directory.team_export import export_filename, team_csv
from access.errors import AccessError, InvalidInput, NotAllowed, NotFound
from access.invitations import jobs
from access.invitations.delivery import last_failure_for
from access.invitations.service import InvitationReport, resend_one, send_invitations
from access.persistence.database import Database
from access.text import fold
from bot.conversation import action, command, form
from bot.conversation import messages as msg
from bot.conversation.features import directors_views as views
from bot.conversation.replies import File, FormErrors, Job, Message, Progress, Replies
from bot.conversation.turn import Turn

log = logging.getLogger(__name__)

AUDIT_REFUSED = "directors.refused"
FASE_PATTERN = re.compile(r"^\d{3,8}$")
PROGRESS_WRITE_INTERVAL = 0.5
# Bulk sends running at once in this process. Each holds database connections while it writes
# its chunks: fifty directors pressing together would exhaust the connection pool instead of
# finishing sooner. On SQLite every write queues on one lock anyway, and parallel sends only
# starve the other turns of it. The others wait their turn (their message says it started).
MAX_PARALLEL_SENDS = {"sqlite": 1}
DEFAULT_PARALLEL_SENDS = 4
_send_slots: dict[str, threading.BoundedSemaphore] = {}
_send_slots_lock = threading.Lock()


def _slots(db: Database) -> threading.BoundedSemaphore:
    dialect = db.engine.dialect.name
    with _send_slots_lock:
        if dialect not in _send_slots:
            limit = MAX_PARALLEL_SENDS.get(dialect, DEFAULT_PARALLEL_SENDS)
            _send_slots[dialect] = threading.BoundedSemaphore(limit)
        return _send_slots[dialect]


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


def _managed(session: Session, person_id: int) -> list[Establishment]:
    """The establishments this person directs; raises the precise refusal when none."""
    managed = managed_establishments(session, person_id)
    if managed:
        return managed
    # Say why: a director who left or whose account is disabled reads that, not "not a director".
    fases = session.scalars(
        sa.select(Establishment.fase)
        .join(Assignment, Assignment.establishment_id == Establishment.id)
        .join(Function, Function.code == Assignment.function_code)
        .where(Assignment.person_id == person_id, Function.is_direction.is_(True))
    ).all()
    for fase in fases:
        require_manager(session, person_id, fase)
    raise NotAllowed("not_director", msg.NOT_A_DIRECTOR)


@dataclass(frozen=True)
class _Target:
    """Which establishment a command is about, or the question of which one."""

    fase: str | None
    choice: Message | None = None


def _target(
    session: Session, person_id: int, fase: str | None, *, then: str, query: str = ""
) -> _Target:
    if fase:
        require_manager(session, person_id, fase)
        return _Target(fase)
    managed = _managed(session, person_id)
    if len(managed) == 1:
        return _Target(managed[0].fase)
    return _Target(
        None,
        views.choose_establishment([(e.fase, e.name) for e in managed], then=then, query=query),
    )


def _split_fase(text: str) -> tuple[str | None, str]:
    first, _, rest = text.strip().partition(" ")
    if FASE_PATTERN.match(first):
        return first, rest.strip()
    return None, text.strip()


def _profiles(turn: Turn) -> Profiles:
    return default_profiles(turn.settings.profiles_file)


def _team(session: Session, fase: str, **filters: Any) -> Team:
    ids = session.scalars(
        sa.select(Assignment.person_id)
        .join(Establishment, Establishment.id == Assignment.establishment_id)
        .where(Establishment.fase == fase)
    ).all()
    return team_of(session, fase, delivery_errors=last_failure_for(session, ids), **filters)


def _context(turn: Turn) -> dict[str, Any]:
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
        target = _target(session, person_id, fase, then="invite")
        if target.fase is None:
            return target.choice
        return views.team_page(_team(session, target.fase), nonce=new_nonce())


@action(views.ACTION_CHOOSE)
@guarded("choose-establishment")
def choose(turn: Turn) -> Replies:
    person_id = _identified(turn)
    context = _context(turn)
    fase = _fase_of(context)
    query = str(context.get("q") or "")
    with turn.db.session() as session:
        require_manager(session, person_id, fase)
        if context.get("then") == "team":
            return _members(session, turn, fase, query, replace=True)
        if context.get("then") == "access":
            return _find_person(session, turn, person_id, query, fases=[fase])
        return views.team_page(_team(session, fase), nonce=new_nonce(), replace=True)


@action(views.ACTION_PAGE)
@guarded("team-page")
def team_page(turn: Turn) -> Replies:
    person_id = _identified(turn)
    context = _context(turn)
    fase = _fase_of(context)
    with turn.db.session() as session:
        require_manager(session, person_id, fase)
        nonce = str(context.get("n") or "") or new_nonce()
        return views.team_page(_team(session, fase), _page_of(context), nonce=nonce, replace=True)


@action(views.ACTION_CSV)
@guarded("team-csv")
def team_export(turn: Turn) -> Replies:
    person_id = _identified(turn)
    fase = _fase_of(_context(turn))
    with turn.db.session() as session:
        require_manager(session, person_id, fase)
        team = _team(session, fase)
    return File(
        filename=export_filename(team),
        content=team_csv(team),
        title=msg.CSV_TITLE.format(name=team.establishment.name, fase=fase),
        comment=msg.CSV_COMMENT.format(count=len(team.rows)),
    )


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
    person_id = _identified(turn)
    context = _context(turn)
    fase = _fase_of(context)
    mode = context.get("m")
    if mode not in (views.MODE_NEW, views.MODE_RESEND):
        raise _bad_request()
    with turn.db.session() as session:
        establishment = require_manager(session, person_id, fase)
        establishment_id, name = establishment.id, establishment.name
    key = idempotency_key(turn, context)
    claim = jobs.claim(
        turn.db,
        establishment_id=establishment_id,
        fase=fase,
        mode=mode,
        idempotency_key=key,
        actor_person_id=person_id,
    )
    if not claim.started:
        return _job_state_reply(claim.job, name)
    runner = functools.partial(
        _run_send,
        turn,
        job_id=claim.job.id,
        person_id=person_id,
        fase=fase,
        name=name,
        mode=mode,
        key=key,
    )
    return Job(
        start=Message(msg.SEND_STARTED.format(name=name, fase=fase)),
        run=runner,
        label=msg.SEND_LABEL,
    )


def _run_send(
    turn: Turn,
    progress: Progress,
    *,
    job_id: int,
    person_id: int,
    fase: str,
    name: str,
    mode: str,
    key: str,
) -> Replies:
    writer = _ProgressWriter(turn.db, job_id)

    def on_progress(done: int, total: int) -> None:
        writer.seen = (done, total)
        progress.report(done, total)

    writer.start()
    try:
        with _slots(turn.db):
            report = send_invitations(
                turn.db,
                turn.settings,
                actor_person_id=person_id,
                fase=fase,
                mode=mode,
                idempotency_key=key,
                progress=on_progress,
            )
    except AccessError as error:
        writer.stop()
        jobs.fail(turn.db, job_id, error.code)
        return Message(error.user_message, replace=True)
    except Exception as error:
        writer.stop()
        log.exception("bulk invitation send failed (job %s)", job_id)
        jobs.fail(turn.db, job_id, type(error).__name__)
        done, total = writer.seen
        return Message(msg.SEND_FAILED.format(done=done, total=total), replace=True)
    writer.stop()
    summary = summarize(turn, report)
    jobs.finish(turn.db, job_id, summary.as_json())
    return views.summary_message(summary, name=name, fase=fase)


class _ProgressWriter(threading.Thread):
    """Saves the job's progress for other presses to see, from its own thread.

    The invitations service reports progress inside its per-chunk transaction; on SQLite a
    write from that callback would wait for the very lock its caller holds. This thread
    writes between chunks instead, at most every PROGRESS_WRITE_INTERVAL seconds.
    """

    def __init__(self, db: Database, job_id: int) -> None:
        super().__init__(name=f"invitation-job-{job_id}", daemon=True)
        self.db, self.job_id = db, job_id
        self.seen = (0, 0)
        self._written = (0, 0)
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(PROGRESS_WRITE_INTERVAL):
            self._write()

    def _write(self) -> None:
        current = self.seen
        if current != self._written:
            try:
                jobs.report(self.db, self.job_id, *current)
            except Exception:
                log.warning("could not save the progress of job %s", self.job_id, exc_info=True)
            self._written = current

    def stop(self) -> None:
        self._stopping.set()
        self.join()
        self._write()


def summarize(turn: Turn, report: InvitationReport) -> views.SendSummary:
    """The invitations service's report in the director's words, with the delivery failures
    the outbox already knows of (later ones appear on the list: « Échec d'envoi : … »)."""
    with turn.db.session() as session:
        failures = last_failure_for(session, [outcome.person_id for outcome in report.sent])
    by_name = {outcome.person_id: outcome.name for outcome in report.sent}
    return views.SendSummary(
        sent=len(report.sent) - len(failures),
        skipped=[(outcome.name, outcome.label) for outcome in [*report.to_fix, *report.skipped]],
        failed=[
            (by_name[pid], msg.DELIVERY_FAILED.format(reason=reason))
            for pid, reason in sorted(failures.items(), key=lambda item: by_name[item[0]])
        ],
    )


def _job_state_reply(state: jobs.JobState, name: str) -> Replies:
    if state.running:
        return views.running_message(state.id, state.done, state.total)
    if state.status == jobs.JobStatus.DONE and state.result is not None:
        return views.summary_message(
            views.SendSummary.from_json(state.result), name=name, fase=state.fase, replace=False
        )
    return Message(msg.SEND_FAILED.format(done=state.done, total=state.total))


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
    with turn.db.session() as session:
        establishment = require_manager(session, person_id, state.fase)
        name = establishment.name
    reply = _job_state_reply(state, name)
    if isinstance(reply, Message):
        return Message(*reply.blocks, replace=True)
    return reply


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


def _members(
    session: Session, turn: Turn, fase: str, query: str, page: int = 1, *, replace: bool = False
) -> Message:
    filters = parse_filter(query, _profiles(turn))
    return views.members_page(_team(session, fase, **filters), query, page, replace=replace)


@command("/team")
@guarded("team")
def team(turn: Turn) -> Replies:
    person_id = _identified(turn)
    fase, query = _split_fase(turn.text)
    with turn.db.session() as session:
        target = _target(session, person_id, fase, then="team", query=query)
        if target.fase is None:
            return target.choice
        return _members(session, turn, target.fase, query)


@action(views.ACTION_MEMBERS_PAGE)
@guarded("team-page")
def members_page(turn: Turn) -> Replies:
    person_id = _identified(turn)
    context = _context(turn)
    fase = _fase_of(context)
    with turn.db.session() as session:
        require_manager(session, person_id, fase)
        query = str(context.get("q") or "")
        page = context.get("p")
        return _members(
            session, turn, fase, query, page if isinstance(page, int) else 1, replace=True
        )


def _require_member(session: Session, establishment: Establishment, person_id: int) -> Assignment:
    assignment = session.scalar(
        sa.select(Assignment).where(
            Assignment.person_id == person_id, Assignment.establishment_id == establishment.id
        )
    )
    if assignment is None:
        raise NotAllowed("not_in_team", msg.NOT_IN_TEAM)
    return assignment


@action(views.ACTION_RESEND_ONE)
@guarded("resend-one")
def resend_invitation(turn: Turn) -> Replies:
    person_id = _identified(turn)
    context = _context(turn)
    fase, target_id = _fase_of(context), _person_of(context)
    with turn.db.session() as session:
        establishment = require_manager(session, person_id, fase)
        _require_member(session, establishment, target_id)
        target = session.get(Person, target_id)
        assert target is not None
        name, email = target.display_name, target.proeco_email or msg.NO_EMAIL
    resend_one(
        turn.db,
        turn.settings,
        actor_person_id=person_id,
        fase=fase,
        person_id=target_id,
        idempotency_key=idempotency_key(turn, {**context, "m": f"one-{target_id}"}),
    )
    return Message(msg.RESEND_ONE_DONE.format(name=name, email=email))


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
        return _find_person(session, turn, person_id, query, fases=fases)


def _find_person(
    session: Session, turn: Turn, person_id: int, query: str, *, fases: list[str]
) -> Replies:
    matches = []
    for fase in fases:
        team_rows = team_of(session, fase, name=query).rows
        matches.extend((fase, row) for row in team_rows)
    if not matches:
        return Message(msg.ACCESS_NOBODY.format(query=query))
    if len(matches) == 1:
        fase, row = matches[0]
        return _access_view(session, turn, person_id, fase, row.person_id)
    buttons = [
        views.Button(
            f"{row.full_name} — {row.function_label} ({fase})"[:75],
            views.ACTION_ACCESS,
            views.encode(f=fase, p=row.person_id),
        )
        for fase, row in matches[:20]
    ]
    return Message(msg.ACCESS_CHOOSE.format(query=query), views.Choices(buttons))


def _access_view(
    session: Session,
    turn: Turn,
    actor_id: int,
    fase: str,
    target_id: int,
    *,
    replace: bool = False,
) -> Message:
    establishment = require_manager(session, actor_id, fase)
    assignment = _require_member(session, establishment, target_id)
    target = session.get(Person, target_id)
    assert target is not None
    profiles = _profiles(turn)
    everything = effective_access(session, target_id, profiles=profiles)
    grants = [
        views.GrantLine(
            grant_id=grant.id,
            mission=grant.mission,
            resources=tuple(grant.resources),
            granted_by=grant.granted_by.display_name if grant.granted_by else msg.UNKNOWN_GRANTOR,
            granted_at=grant.granted_at,
            ends_at=grant.ends_at,
        )
        for grant in live_grants(session, target_id, establishment_id=establishment.id)
    ]
    current = assignment.ended_at is None and target.left_at is None
    return views.access_view(
        person_id=target_id,
        name=target.display_name,
        access=everything.establishments.get(fase) if current else None,
        fase=fase,
        establishment_name=establishment.name,
        function_label=assignment.function.label,
        grants=grants,
        profiles=profiles,
        replace=replace,
    )


@action(views.ACTION_ACCESS)
@guarded("access")
def show_access(turn: Turn) -> Replies:
    person_id = _identified(turn)
    context = _context(turn)
    with turn.db.session() as session:
        return _access_view(session, turn, person_id, _fase_of(context), _person_of(context))


@action(views.ACTION_ADD_GRANT)
@guarded("add-grant")
def open_grant_form(turn: Turn) -> Replies:
    person_id = _identified(turn)
    context = _context(turn)
    fase, target_id = _fase_of(context), _person_of(context)
    with turn.db.session() as session:
        establishment = require_manager(session, person_id, fase)
        assignment = _require_member(session, establishment, target_id)
        target = session.get(Person, target_id)
        assert target is not None
        return views.grant_form(
            fase=fase,
            person_id=target_id,
            name=target.display_name,
            function_label=assignment.function.label,
            profiles=_profiles(turn),
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
    person_id = _identified(turn)
    assert turn.submission is not None
    context = dict(turn.submission.context)
    fase, target_id = _fase_of(context), _person_of(context)
    values = turn.submission.values
    resources = values.get("resources") or []
    ends_on = values.get("ends_on")
    try:
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
            mission = grant.mission
    except InvalidInput as error:
        return FormErrors({_ERROR_FIELDS.get(error.code, "mission"): error.user_message})
    with turn.db.session() as session:
        target = session.get(Person, target_id)
        name = target.display_name if target else "?"
        return [
            Message(msg.GRANT_ADDED.format(mission=mission, name=name)),
            _access_view(session, turn, person_id, fase, target_id),
        ]


@action(views.ACTION_REMOVE_GRANT)
@guarded("remove-grant")
def remove(turn: Turn) -> Replies:
    person_id = _identified(turn)
    grant_id = _context(turn).get("g")
    if not isinstance(grant_id, int):
        raise _bad_request()
    with turn.db.transaction() as session:
        grant = remove_grant(session, actor_person_id=person_id, grant_id=grant_id)
        fase = session.scalar(
            sa.select(Establishment.fase).where(Establishment.id == grant.establishment_id)
        )
        target_id, mission = grant.person_id, grant.mission
    assert fase is not None
    with turn.db.session() as session:
        target = session.get(Person, target_id)
        name = target.display_name if target else "?"
        view = _access_view(session, turn, person_id, fase, target_id, replace=True)
    return [view, Message(msg.GRANT_REMOVED.format(mission=mission, name=name))]
