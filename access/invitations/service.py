"""Invitations: the director sends each member of the team an e-mail to activate the account.

Rules (procedure sheet and issue 3):
- only a director of the establishment may send (access.directory.authz);
- "new" sends to everyone « Recevra un email d'invitation », "resend" to everyone invited who
  has not activated, `resend_one` to one person; never to a missing or invalid e-mail (listed
  as to fix in ProECO), never to someone who left or whose account is active;
- each invitation carries a fresh token and revokes the earlier ones;
- the same request twice (double click, retried HTTP call: same idempotency key) sends once,
  and a person invited less than `invitation_cooldown_seconds` ago is not invited again,
  which also covers two directors pressing the button together.

The team is prepared in chunks, each its own transaction (token, account status, audit entry
and the e-mail in the outbox commit together per person), so the worker starts delivering
the first e-mails while the rest are being written, and progress is real. Each chunk locks
its people (PostgreSQL: SELECT ... FOR UPDATE in id order; SQLite: BEGIN IMMEDIATE) and
checks status and cooldown again under the lock: that is what makes concurrent requests
send each person once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import audit
from access.accounts import tokens
from access.accounts.models import InvitationRequest, SecretToken
from access.clock import as_utc, utcnow
from access.config import AccessSettings
from access.diagnosis.delivery import team_notes
from access.directory.authz import require_manager
from access.directory.models import Account, AccountStatus, Assignment, Establishment, Named, Person
from access.directory.team import Team, TeamStatus, status_of, team_of
from access.emails import normalize_email
from access.errors import InvalidInput, NotFound
from access.invitations.delivery import last_failure_for
from access.invitations.preview import BAD_ADDRESS, is_refused, refused_addresses
from access.mail import outbox
from access.mail import templates as mail
from access.messages import (
    IDEMPOTENCY_KEY_REUSED,
    INVITATION_SENT,
    NO_ESTABLISHMENT,
    UNKNOWN_MODE,
    skip_label,
)
from access.persistence.database import Database, insert_many
from common import collector, metrics

NEW = "new"
RESEND = "resend"
ONE = "one"
MODES = (NEW, RESEND)

# People per transaction. The first chunk is small, so that the worker starts delivering at
# once; each next one is twice as big, up to a size where the dozen statements and the
# commit of a chunk cost little per person (larger chunks measured no faster), and
# progress still moves often.
FIRST_CHUNK_SIZE = 10
CHUNK_SIZE = 100
# A "running" request untouched for this long was abandoned (process killed): its key may
# then be taken over by a retry.
STALE_REQUEST = timedelta(minutes=10)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PersonOutcome:
    person_id: int
    name: str
    email: str | None
    # None when the invitation was sent; otherwise a key of SKIP_REASONS.
    reason: str | None
    label: str


@dataclass
class InvitationReport:
    fase: str
    establishment_name: str
    mode: str
    sent: list[PersonOutcome] = field(default_factory=list)
    skipped: list[PersonOutcome] = field(default_factory=list)
    to_fix: list[PersonOutcome] = field(default_factory=list)
    # True when this answers a request already made with the same idempotency key.
    replayed: bool = False
    # True when that earlier request is still being carried out.
    in_progress: bool = False

    def add(self, outcome: PersonOutcome) -> None:
        if outcome.reason is None:
            self.sent.append(outcome)
        elif outcome.reason == "email_to_fix":
            self.to_fix.append(outcome)
        else:
            self.skipped.append(outcome)

    def to_json(self) -> dict[str, Any]:
        # Not dataclasses.asdict: it deep-copies every field, which a school's 1,000
        # outcomes made a noticeable part of sending.
        values = dict(vars(self))
        for key in ("sent", "skipped", "to_fix"):
            values[key] = [dict(vars(outcome)) for outcome in values[key]]
        return values

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InvitationReport:
        values = dict(data)
        for key in ("sent", "skipped", "to_fix"):
            values[key] = [PersonOutcome(**item) for item in data.get(key, [])]
        return cls(**values)


# --- the director's requests -------------------------------------------------------------


def send_invitations(
    db: Database,
    settings: AccessSettings,
    *,
    actor_person_id: int | None,
    fase: str,
    mode: str,
    idempotency_key: str,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> InvitationReport:
    """Invite the team of `fase` ("new") or invite again who has not activated ("resend")."""
    if mode not in MODES:
        raise InvalidInput("unknown_mode", UNKNOWN_MODE, detail=f"unknown mode {mode!r}")
    return _run_request(
        db,
        settings,
        actor_person_id=actor_person_id,
        fase=fase,
        mode=mode,
        idempotency_key=idempotency_key,
        only_person_id=None,
        progress=progress,
        now=now,
    )


def resend_one(
    db: Database,
    settings: AccessSettings,
    *,
    actor_person_id: int | None,
    fase: str,
    person_id: int,
    idempotency_key: str,
    now: datetime | None = None,
) -> InvitationReport:
    """(Re)send the invitation of one member of the team."""
    return _run_request(
        db,
        settings,
        actor_person_id=actor_person_id,
        fase=fase,
        mode=ONE,
        idempotency_key=idempotency_key,
        only_person_id=person_id,
        progress=None,
        now=now,
    )


def _run_request(
    db: Database,
    settings: AccessSettings,
    *,
    actor_person_id: int | None,
    fase: str,
    mode: str,
    idempotency_key: str,
    only_person_id: int | None,
    progress: Progress | None,
    now: datetime | None,
) -> InvitationReport:
    fase = fase.strip()
    started = now or utcnow()
    actor = f"person:{actor_person_id}"
    try:
        with db.transaction() as session:
            establishment = require_manager(session, actor_person_id, fase)
            request = session.scalars(
                sa.select(InvitationRequest).where(
                    InvitationRequest.idempotency_key == idempotency_key
                )
            ).one_or_none()
            if request is not None:
                replay = _replay_or_take_over(request, actor, fase, mode, started)
                if replay is not None:
                    return replay
            else:
                request = InvitationRequest(
                    idempotency_key=idempotency_key,
                    actor=actor,
                    fase=fase,
                    mode=mode,
                    status="running",
                    created_at=started,
                    updated_at=started,
                )
                session.add(request)
                # PostgreSQL: a concurrent request with the same key waits here for this
                # transaction, then fails on the unique key and replays (below).
                session.flush()
            request_id = request.id
            report = InvitationReport(
                fase=establishment.fase, establishment_name=establishment.name, mode=mode
            )
            candidates = _candidates(session, settings, establishment, mode, only_person_id, report)
            director = session.get(Person, actor_person_id) if actor_person_id else None
    except sa.exc.IntegrityError:
        with db.session() as session:
            request = session.scalars(
                sa.select(InvitationRequest).where(
                    InvitationRequest.idempotency_key == idempotency_key
                )
            ).one()
            replay = _replay_or_take_over(request, actor, fase, mode, started, take_over=False)
            assert replay is not None
            return replay

    total = len(candidates)
    done = 0
    if progress is not None:
        progress(0, total)
    for chunk in _chunks(candidates):
        moment = now or utcnow()
        with collector.paused():
            # Writing the e-mails is the slow part: done before the write transaction, so
            # the database (SQLite: the whole file) is locked only while the rows are
            # inserted. What changed since the team was read is seen under the lock, and
            # written again there.
            prepared = _prepare(settings, chunk, establishment, director, moment)
            with db.transaction() as session:
                outcomes = _invite_chunk(
                    session,
                    settings,
                    person_ids=[m.person.id for m in chunk],
                    prepared=prepared,
                    establishment=establishment,
                    director=director,
                    mode=mode,
                    ref=f"invitation-request:{request_id}",
                    now=moment,
                )
                # Only a heartbeat while running: the report is written once, at the end.
                _save(session, request_id, None, status="running", now=moment)
        # After the commit: the caller may be slow (a chat message to update), and what it
        # reports is then really on its way.
        for outcome in outcomes:
            report.add(outcome)
            done += 1
            if progress is not None:
                progress(done, total)
    with db.transaction() as session:
        _save(session, request_id, report, status="done", now=now or utcnow())
        audit.record(
            session,
            actor=actor,
            action="invitations.requested",
            target_type="establishment",
            target_id=establishment.fase,
            after={
                "mode": mode,
                "sent": len(report.sent),
                "skipped": len(report.skipped),
                "to_fix": len(report.to_fix),
            },
        )
    return report


def _chunks(candidates: list[_Member]) -> list[list[_Member]]:
    chunks, start, size = [], 0, FIRST_CHUNK_SIZE
    while start < len(candidates):
        chunks.append(candidates[start : start + size])
        start, size = start + size, min(size * 2, CHUNK_SIZE)
    return chunks


def _replay_or_take_over(
    request: InvitationRequest,
    actor: str,
    fase: str,
    mode: str,
    now: datetime,
    *,
    take_over: bool = True,
) -> InvitationReport | None:
    """The answer to a repeated request, or None when this call takes an abandoned one over."""
    if (request.actor, request.fase, request.mode) != (actor, fase, mode):
        raise InvalidInput(
            "idempotency_key_reused",
            IDEMPOTENCY_KEY_REUSED,
            detail="idempotency key already used for another request",
        )
    running = request.status == "running"
    updated = as_utc(request.updated_at) or now
    if take_over and running and now - updated > STALE_REQUEST:
        request.updated_at = now
        return None
    if request.report:
        report = InvitationReport.from_json(request.report)
    else:
        report = InvitationReport(fase=fase, establishment_name="", mode=mode)
    report.replayed = True
    report.in_progress = running
    return report


def _save(
    session: Session,
    request_id: int,
    report: InvitationReport | None,
    *,
    status: str,
    now: datetime,
) -> None:
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if report is not None:
        values["report"] = report.to_json()
    session.execute(
        sa.update(InvitationRequest).where(InvitationRequest.id == request_id).values(**values)
    )


_TARGET_STATUSES = {
    NEW: frozenset({TeamStatus.WILL_BE_INVITED}),
    RESEND: frozenset({TeamStatus.INVITED}),
    ONE: frozenset({TeamStatus.WILL_BE_INVITED, TeamStatus.INVITED}),
}


# Not frozen: a frozen dataclass sets each field through object.__setattr__, several times
# slower to build, and a team is thousands of rows read twice per send. Nothing changes them.
@dataclass(slots=True)
class _PersonRow(Named):
    id: int
    first_name: str
    last_name: str
    proeco_email: str | None
    proeco_email_valid: bool | None
    left_at: datetime | None


@dataclass(slots=True)
class _AccountRow:
    id: int
    status: str
    status_before_disable: str | None
    reference_email: str | None
    reference_email_chosen: bool
    invited_at: datetime | None


@dataclass(slots=True)
class _AssignmentRow:
    ended_at: datetime | None


# Plain rows, not ORM objects: a team is read twice per send (once to choose, once per
# chunk under the lock), and building ORM objects weighs on the send call's time.
_PERSON_COLUMNS = [getattr(Person, name) for name in _PersonRow.__dataclass_fields__]
_ACCOUNT_COLUMNS = [getattr(Account, name) for name in _AccountRow.__dataclass_fields__]


@dataclass
class _Member:
    person: _PersonRow
    account: _AccountRow | None
    assignment: _AssignmentRow

    @property
    def status(self) -> TeamStatus:
        account = self.account
        return status_of(
            assignment_ended=self.assignment.ended_at is not None,
            person_left=self.person.left_at is not None,
            account_status=account.status if account else None,
            status_before_disable=account.status_before_disable if account else None,
            email_valid=bool(self.person.proeco_email_valid),
        )

    @cached_property
    def email(self) -> str | None:
        return normalize_email(self.person.proeco_email)


def _members(
    session: Session, establishment_id: int, person_ids: Sequence[int] | None = None
) -> list[_Member]:
    query = (
        sa.select(*_PERSON_COLUMNS, *_ACCOUNT_COLUMNS, Assignment.ended_at)
        .join(Assignment, Assignment.person_id == Person.id)
        .outerjoin(Account, Account.person_id == Person.id)
        .where(Assignment.establishment_id == establishment_id)
        .order_by(Person.last_name, Person.first_name, Person.id)
    )
    if person_ids is not None:
        query = query.where(Person.id.in_(list(person_ids)))
    people, accounts = len(_PERSON_COLUMNS), len(_ACCOUNT_COLUMNS)
    return [
        _Member(
            _PersonRow(*row[:people]),
            _AccountRow(*row[people : people + accounts]) if row[people] is not None else None,
            _AssignmentRow(row[-1]),
        )
        for row in session.execute(query)
    ]


def _skip_reason(member: _Member, mode: str) -> str | None:
    """Why this member is not to be invited in this mode (None: invite)."""
    status = member.status
    if status == TeamStatus.LEFT:
        return "left"
    if status == TeamStatus.ACTIVE:
        return "active"
    if member.account is not None and member.account.status == AccountStatus.DISABLED:
        return "disabled"
    if status == TeamStatus.EMAIL_TO_FIX or member.email is None:
        return "email_to_fix"
    if status not in _TARGET_STATUSES[mode]:
        return "already_invited" if status == TeamStatus.INVITED else "not_invited"
    return None


def _outcome(
    member: _Member, reason: str | None, settings: AccessSettings, email: str | None = None
) -> PersonOutcome:
    label = (
        INVITATION_SENT
        if reason is None
        else skip_label(reason, cooldown_seconds=settings.invitation_cooldown_seconds)
    )
    return PersonOutcome(
        person_id=member.person.id,
        name=member.person.full_name,
        email=email if email is not None else member.person.proeco_email,
        reason=reason,
        label=label,
    )


def _candidates(
    session: Session,
    settings: AccessSettings,
    establishment: Establishment,
    mode: str,
    only_person_id: int | None,
    report: InvitationReport,
) -> list[_Member]:
    """People to try (in name order); everyone else goes straight into the report."""
    members = _members(
        session, establishment.id, None if only_person_id is None else [only_person_id]
    )
    if only_person_id is not None and not members:
        raise NotFound(
            "not_in_establishment",
            skip_label("not_in_establishment"),
            detail=f"person {only_person_id} has no assignment in FASE {establishment.fase}",
        )
    # A bulk send does not write again to an address that refused the last invitation for
    # good; a director's one-person send may (the director may know it works again).
    refused = refused_addresses(session, [m.person.id for m in members]) if mode in MODES else {}
    chosen = []
    for member in members:
        reason = _skip_reason(member, mode)
        if reason is None and is_refused(refused, member.person.id, member.email):
            reason = BAD_ADDRESS
        if reason is None:
            chosen.append(member)
        elif not (mode == NEW and reason == "left"):
            # People who left long ago are not news to the director in a "new" send.
            report.add(_outcome(member, reason, settings))
    return chosen


def _lock_people(session: Session, person_ids: Sequence[int]) -> None:
    """PostgreSQL row locks in id order (no deadlock between two directors); SQLite's
    BEGIN IMMEDIATE already gives this transaction the whole database."""
    if session.get_bind().dialect.name == "sqlite":
        return
    session.execute(
        sa.select(Person.id)
        .where(Person.id.in_(list(person_ids)))
        .order_by(Person.id)
        .with_for_update()
    ).all()


@dataclass(slots=True)
class _Prepared:
    """An invitation written ahead of its transaction: the token and the sealed e-mail."""

    email: str
    raw_token: str
    sealed: outbox.Sealed


def _prepare(
    settings: AccessSettings,
    members: Sequence[_Member],
    establishment: Establishment,
    director: Person | None,
    now: datetime,
) -> dict[int, _Prepared]:
    """Each member's token and sealed invitation, by person id."""
    raws = [tokens.new_raw() for _ in members]
    letters = mail.render_many(
        settings,
        "invitation",
        context={
            "school_name": establishment.name,
            "fase": establishment.fase,
            "director_name": director.display_name if director is not None else None,
            "valid_days": settings.invitation_ttl_days,
            "expires_at": now + timedelta(days=settings.invitation_ttl_days),
        },
        personal=[
            (
                (member.person.display_name, _email_of(member)),
                {
                    "person_name": member.person.display_name,
                    "link": mail.activation_link(settings, raw),
                },
            )
            for member, raw in zip(members, raws, strict=True)
        ],
    )
    return {
        member.person.id: _Prepared(
            email=_email_of(member), raw_token=raw, sealed=outbox.seal(letter, now=now)
        )
        for member, raw, letter in zip(members, raws, letters, strict=True)
    }


def _email_of(member: _Member) -> str:
    email = member.email
    assert email is not None, "only members with a valid e-mail are invited"
    return email


def _invite_chunk(
    session: Session,
    settings: AccessSettings,
    *,
    person_ids: Sequence[int],
    prepared: dict[int, _Prepared],
    establishment: Establishment,
    director: Person | None,
    mode: str,
    ref: str,
    now: datetime,
) -> list[PersonOutcome]:
    """Under the people's locks, check again and record who is invited."""
    _lock_people(session, person_ids)
    members = {m.person.id: m for m in _members(session, establishment.id, person_ids)}
    chosen: list[tuple[_Member, _Prepared]] = []
    outcomes: dict[int, PersonOutcome] = {}
    for person_id in person_ids:
        member = members[person_id]
        reason = _skip_reason(member, mode)
        if reason is None and _in_cooldown(member, settings, now):
            reason = "cooldown"
        if reason is not None:
            outcomes[person_id] = _outcome(member, reason, settings)
            continue
        ready = prepared.get(person_id)
        if ready is None or ready.email != member.email:
            # Changed since it was prepared (a ProECO sync in between): write it again.
            ready = _prepare(settings, [member], establishment, director, now)[person_id]
        chosen.append((member, ready))
    revoked = set(
        session.scalars(
            sa.select(SecretToken.person_id).where(
                SecretToken.person_id.in_([m.person.id for m, _ in chosen]),
                SecretToken.purpose == tokens.INVITATION,
                SecretToken.consumed_at.is_(None),
                SecretToken.revoked_at.is_(None),
            )
        )
    )
    tokens.revoke_for_person(
        session, list(revoked), purposes=[tokens.INVITATION], reason="resent", now=now
    )
    _record_all(
        session,
        settings,
        chosen=chosen,
        establishment=establishment,
        actor=audit.actor_of(director),
        ref=ref,
        resent=revoked,
        now=now,
    )
    for member, ready in chosen:
        outcomes[member.person.id] = _outcome(member, None, settings, ready.email)
    return [outcomes[person_id] for person_id in person_ids]


def _in_cooldown(member: _Member, settings: AccessSettings, now: datetime) -> bool:
    invited_at = as_utc(member.account.invited_at) if member.account else None
    cooldown = timedelta(seconds=settings.invitation_cooldown_seconds)
    return invited_at is not None and now - invited_at < cooldown


def _record_all(
    session: Session,
    settings: AccessSettings,
    *,
    chosen: Sequence[tuple[_Member, _Prepared]],
    establishment: Establishment,
    actor: str,
    ref: str,
    resent: set[int],
    now: datetime,
) -> None:
    """Tokens, e-mails in the outbox, accounts invited, audit entries, in the caller's
    transaction: a few INSERTs and UPDATEs for the whole chunk, not a few per person.

    Earlier invitation tokens of these people must already be revoked; `resent` names who
    had one.
    """
    if not chosen:
        return
    metrics.on_commit(session, lambda: metrics.INVITATIONS_SENT.inc(len(chosen)))
    tokens.issue_many(
        session,
        purpose=tokens.INVITATION,
        grants=[(m.person.id, ready.email, ready.raw_token) for m, ready in chosen],
        ttl=timedelta(days=settings.invitation_ttl_days),
        payload={"fase": establishment.fase},
        now=now,
    )
    outbox.enqueue_many(
        session,
        [(ready.sealed, m.person.id) for m, ready in chosen],
        kind="invitation",
        ref=ref,
        now=now,
    )
    invited = AccountStatus.INVITED.value
    new_accounts: list[dict[str, Any]] = []
    updated_accounts: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for member, ready in chosen:
        account = member.account
        if account is None:
            new_accounts.append(
                {
                    "person_id": member.person.id,
                    "reference_email": ready.email,
                    "reference_email_chosen": False,
                    "status": invited,
                    "invited_at": now,
                }
            )
        else:
            # An address the person chose at activation stays; the ProECO one follows ProECO.
            keep = account.reference_email is not None and account.reference_email_chosen
            updated_accounts.append(
                {
                    "id": account.id,
                    "reference_email": account.reference_email if keep else ready.email,
                    "status": invited,
                    "invited_at": now,
                }
            )
        entries.append(
            audit.entry_values(
                actor=actor,
                action="invitation.sent",
                target_type="person",
                target_id=member.person.id,
                before={"status": account.status if account else None},
                after={"status": invited, "fase": establishment.fase},
                reason="resent" if member.person.id in resent else None,
            )
        )
    if new_accounts:
        insert_many(session, Account.__table__, new_accounts)
    if updated_accounts:
        session.execute(sa.update(Account), updated_accounts)
    audit.record_all(session, entries)


# --- self-service ------------------------------------------------------------------------


def resend_own_invitation(
    session: Session,
    settings: AccessSettings,
    *,
    person_id: int,
    actor: str | None = None,
    fase: str | None = None,
    now: datetime | None = None,
) -> PersonOutcome:
    """A person asks (in chat) for the invitation again; same rules, same cooldown. Only an
    invitation the direction already sent is sent again: the director decides who is
    invited (procedure sheet), so someone not invited yet gets « not_invited ».

    `actor`: who asked, for the audit ("person:<id>" by default; a helpdesk agent acting
    on a ticket). `fase`: the establishment to invite from, when the person has several."""
    moment = now or utcnow()
    _lock_people(session, [person_id])
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("unknown_person", NO_ESTABLISHMENT, detail=f"no person {person_id}")
    current_query = (
        sa.select(Assignment)
        .join(Establishment, Establishment.id == Assignment.establishment_id)
        .where(Assignment.person_id == person_id, Assignment.ended_at.is_(None))
    )
    current = None
    if fase:
        current = session.scalars(current_query.where(Establishment.fase == fase.strip())).first()
    if current is None:
        current = session.scalars(current_query.order_by(Establishment.fase)).first()
    if current is None:
        any_assignment = session.scalars(
            sa.select(Assignment).where(Assignment.person_id == person_id).limit(1)
        ).first()
        if any_assignment is None:
            raise NotFound(
                "no_establishment", NO_ESTABLISHMENT, detail=f"person {person_id} has none"
            )
        current = any_assignment
    (member,) = _members(session, current.establishment_id, [person_id])
    reason = _skip_reason(member, RESEND)
    if reason is None and _in_cooldown(member, settings, moment):
        reason = "cooldown"
    if reason is not None:
        return _outcome(member, reason, settings)
    establishment = session.get_one(Establishment, current.establishment_id)
    ready = _prepare(settings, [member], establishment, None, moment)[person_id]
    revoked = tokens.revoke_for_person(
        session, person_id, purposes=[tokens.INVITATION], reason="resent", now=moment
    )
    _record_all(
        session,
        settings,
        chosen=[(member, ready)],
        establishment=establishment,
        actor=actor or f"person:{person_id}",
        ref="self-service",
        resent={person_id} if revoked > 0 else set(),
        now=moment,
    )
    email = ready.email
    return _outcome(member, None, settings, email)


# --- what the team list shows ------------------------------------------------------------


def _team_person_ids(session: Session, fase: str) -> list[int]:
    return list(
        session.scalars(
            sa.select(Assignment.person_id)
            .join(Establishment, Establishment.id == Assignment.establishment_id)
            .where(Establishment.fase == fase.strip())
        )
    )


def delivery_errors_for(session: Session, fase: str) -> dict[int, str]:
    """For `team_of(..., delivery_errors=...)`: people of `fase` whose invitation bounced."""
    return last_failure_for(session, _team_person_ids(session, fase))


def team_list(
    session: Session,
    fase: str,
    *,
    status: TeamStatus | str | None = None,
    function: str | None = None,
    name: str | None = None,
) -> Team:
    """The team of `fase` as the director's list shows it: a row whose invitation was
    refused, bounced or whose link expired says so instead of its bare status
    (`access.diagnosis.delivery.team_notes`). Filters as in `team_of`."""
    person_ids = _team_person_ids(session, fase)
    # Only invited rows say more than their status; everyone else needs no delivery read.
    invited = session.scalars(
        sa.select(Account.person_id).where(
            Account.person_id.in_(person_ids), Account.status == AccountStatus.INVITED.value
        )
    ).all()
    return team_of(
        session,
        fase,
        status=status,
        function=function,
        name=name,
        delivery_errors=last_failure_for(session, person_ids),
        delivery_notes=team_notes(session, invited),
    )
