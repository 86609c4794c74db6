"""The campaign ledger: campaigns, their contacts and every dial attempt, in SQL.

The ``call_attempts`` row is the single source of truth. Every state change is a conditional UPDATE
(``WHERE status IN …``), so whichever process gets there first wins and a second dialer can never dial
the same attempt; the unique key (contact, round, attempt_no) stops a retry being created twice. What to
do and when (calling hours, retry policy, rounds) is decided by ``agent.campaigns.service``; this keeps the
rows and makes each change atomic.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Engine, and_, case, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from agent.store._models import Call, CallAttempt, Campaign, Contact, Flag, Person
from agent.store.calls import CallRecord, call_record, flag_record
from agent.store.clock import as_aware, utcnow
from agent.store.people import register

# An attempt's life: scheduled → queued → dialing → ringing → in_progress → one of ENDED.
WAITING = ("scheduled", "queued")
ACTIVE = ("dialing", "ringing", "in_progress")
# unknown: the network may or may not have placed the call (a timeout after the request was sent); the contact
# is not dialled again before a lookup shows no call was made (agent.campaigns.dialer).
# opted_out: the person asked for no more calls (agent.store.people); found when the attempt fell due or
# was about to be dialled, it ends there, final, undialled.
ENDED = ("completed", "no_answer", "busy", "failed", "voicemail", "canceled", "unknown", "opted_out")
OPTED_OUT_DETAIL = "not dialled: the person has opted out of calls"
CAMPAIGN_STATES = ("draft", "running", "paused", "finished")
# A campaign has at most this many queued or live attempts per call it may have at once (``Ledger.due``): enough
# that a slot freed is taken at once, few enough that one campaign cannot fill the queue ahead of the others.
QUEUED_PER_SLOT = 2


@dataclass(frozen=True)
class CampaignRecord:
    """A scenario called to a contact list within calling hours, with retries and a concurrency cap.
    The defaults are the table's."""

    id: str
    name: str
    scenario: str = "care_call"
    status: str = "draft"  # CAMPAIGN_STATES
    timezone: str = "Asia/Seoul"
    calling_hours: dict[str, Any] = field(default_factory=dict)  # {"days": [...], "start": "10:00", "end": "18:00"}
    start_date: date | None = None
    recurrence: str = "once"  # once | daily
    retry_policy: dict[str, Any] = field(default_factory=dict)  # {"no_answer": {"max_retries", "delay_minutes"}, …}
    max_concurrent: int = 5
    handoff_number: str | None = None  # E.164: where a caller asking for a person is put through
    organization: str | None = None  # on whose behalf its calls are made ({organization}); None: the line's/server's
    disclosure: tuple[str, ...] = ()  # its own disclosure lines; (): the scenario's
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class ContactRecord:
    id: int
    campaign_id: str
    name: str
    phone: str  # E.164
    notes: str = ""
    source_line: int | None = None  # line in the imported CSV


@dataclass(frozen=True)
class AttemptRecord:
    """One dial of one contact for one round (a day of a daily campaign)."""

    id: str
    campaign_id: str
    contact_id: int
    round_date: date
    attempt_no: int
    status: str  # WAITING, ACTIVE or ENDED
    final: bool  # no more attempts will follow this one
    scheduled_for: datetime
    call_sid: str | None = None
    call_id: str | None = None
    dialer: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    detail: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class AttemptView:
    """An attempt with what a dialer checks before and after dialing it."""

    id: str
    campaign_id: str
    status: str
    final: bool
    dialer: str | None
    call_sid: str | None
    call_id: str | None
    max_concurrent: int
    campaign_status: str


@dataclass(frozen=True)
class Claim:
    """An attempt a dialer now owns, with what the placer needs to call."""

    attempt_id: str
    campaign_id: str
    contact_id: int
    attempt_no: int
    round_date: date
    name: str
    phone: str
    notes: str
    scenario: str
    call_sid: str | None = None
    handoff_number: str | None = None  # the campaign's on-call number
    organization: str | None = None  # the campaign's {organization} in the disclosure
    disclosure: tuple[str, ...] = ()  # the campaign's own disclosure lines


@dataclass(frozen=True)
class DueAttempt:
    """A scheduled attempt whose time has come, with its campaign's hours (to check they are open)."""

    attempt_id: str
    campaign_id: str
    calling_hours: dict[str, Any]
    timezone: str


@dataclass(frozen=True)
class RetryContext:
    """What the retry policy looks at when an attempt ends."""

    attempt: AttemptRecord
    campaign: CampaignRecord
    earlier: list[str]  # statuses of the earlier attempts of the same contact and round


@dataclass(frozen=True)
class CampaignResults:
    """A campaign's contacts, every attempt (oldest round and attempt first) and the calls they reached,
    each call with its flags and without its turns."""

    campaign: CampaignRecord
    contacts: list[ContactRecord]
    attempts: list[AttemptRecord]
    calls: dict[str, CallRecord]


class NewContact(Protocol):
    """A contact to add (``agent.campaigns.csv_import.ContactRow``)."""

    @property
    def line(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def phone(self) -> str: ...
    @property
    def notes(self) -> str: ...
    # for the people registry (agent.store.people); empty: leave what the registry has
    @property
    def care_worker(self) -> str: ...
    @property
    def guardian_name(self) -> str: ...
    @property
    def guardian_phone(self) -> str: ...
    @property
    def person_notes(self) -> str: ...
    @property
    def consent(self) -> str: ...  # agent.store.people.CONSENT_STATES


def _opted_out(phone_column):
    """Whether the person with this number has opted out (checked by phone, so it holds for contacts
    imported before the registry too)."""
    return select(Person.id).where(Person.phone == phone_column, Person.opted_out.is_(True)).exists()


class CampaignLedger:
    def __init__(self, engine: Engine):
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # --- campaigns and contacts ---------------------------------------------------------------------------

    def add_campaign(
        self, *, name: str, scenario: str, timezone: str, calling_hours: dict[str, Any], start_date: date | None,
        recurrence: str, retry_policy: dict[str, Any], max_concurrent: int, handoff_number: str | None = None,
        organization: str | None = None, disclosure: Sequence[str] = (),
    ) -> CampaignRecord:
        """A new draft campaign."""
        row = Campaign(
            id=str(uuid.uuid4()), name=name, scenario=scenario, status="draft", timezone=timezone,
            calling_hours=calling_hours, start_date=start_date, recurrence=recurrence, retry_policy=retry_policy,
            max_concurrent=max_concurrent, handoff_number=handoff_number,
            organization=organization, disclosure=list(disclosure) or None,
        )  # fmt: skip
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            return _campaign(row)

    def get(self, campaign_id: str) -> CampaignRecord | None:
        with self._sessions() as session:
            row = session.get(Campaign, campaign_id)
            return _campaign(row) if row else None

    def find(self, ref: str) -> list[CampaignRecord]:
        """Campaigns whose id starts with ``ref`` or whose name is ``ref``."""
        with self._sessions() as session:
            rows = session.scalars(select(Campaign).where((Campaign.id.like(f"{ref}%")) | (Campaign.name == ref)))
            return [_campaign(r) for r in rows]

    def all(self) -> list[CampaignRecord]:
        """Newest first."""
        with self._sessions() as session:
            return [_campaign(r) for r in session.scalars(select(Campaign).order_by(Campaign.created_at.desc()))]

    def running(self) -> list[CampaignRecord]:
        with self._sessions() as session:
            return [_campaign(r) for r in session.scalars(select(Campaign).where(Campaign.status == "running"))]

    def phones(self, campaign_id: str) -> set[str]:
        """The phone numbers already on the campaign's list."""
        with self._sessions() as session:
            return set(session.scalars(select(Contact.phone).where(Contact.campaign_id == campaign_id)))

    def add_contacts(self, campaign_id: str, contacts: Iterable[NewContact]) -> int:
        """Add all in one transaction, each registered in (or updating) the people registry; returns how many."""
        added = 0
        with self._sessions.begin() as session:
            for c in contacts:
                person_id = register(
                    session, c.phone, c.name, care_worker=c.care_worker, guardian_name=c.guardian_name,
                    guardian_phone=c.guardian_phone, notes=c.person_notes,
                    consent=c.consent,
                )  # fmt: skip
                session.add(Contact(campaign_id=campaign_id, name=c.name, phone=c.phone, notes=c.notes,
                                    source_line=c.line, person_id=person_id))  # fmt: skip
                added += 1
        return added

    def count_contacts(self, campaign_id: str) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.count()).where(Contact.campaign_id == campaign_id)) or 0

    def start(self, campaign_id: str, start_date: date) -> CampaignRecord:
        """Set the campaign running; ``start_date`` is kept only where none was set."""
        with self._sessions.begin() as session:
            row = session.get(Campaign, campaign_id)
            if row is None:
                raise KeyError(campaign_id)
            row.status = "running"
            if row.start_date is None:
                row.start_date = start_date
            session.flush()
            return _campaign(row)

    def transition(self, campaign_id: str, allowed: Iterable[str], to: str) -> CampaignRecord | None:
        """Move the campaign to ``to`` if its status is one of ``allowed`` (else None), atomically."""
        with self._sessions.begin() as session:
            done = session.execute(
                update(Campaign).where(Campaign.id == campaign_id, Campaign.status.in_(list(allowed)))
                .values(status=to, updated_at=utcnow())
            ).rowcount
            if not done:
                return None
            return _campaign(session.get(Campaign, campaign_id))

    def completion(self, campaign_id: str) -> tuple[int, int]:
        """(contacts, contacts with a final attempt)."""
        with self._sessions() as session:
            total = session.scalar(select(func.count()).where(Contact.campaign_id == campaign_id)) or 0
            done = session.scalar(select(func.count(func.distinct(CallAttempt.contact_id))).where(
                CallAttempt.campaign_id == campaign_id, CallAttempt.final.is_(True))) or 0  # fmt: skip
            return total, done

    # --- the scheduler's side -------------------------------------------------------------------------------

    def add_first_attempts(self, campaign_id: str, round_date: date, scheduled_for: datetime,
                           per_round: bool) -> int:
        """Attempt 1 of ``round_date`` for every contact without one: without an attempt in that round
        (``per_round``, daily campaigns) or without any attempt at all. Returns how many were created."""
        missing = and_(CallAttempt.round_date == round_date) if per_round else true()
        with self._sessions.begin() as session:
            has_attempt = select(CallAttempt.id).where(CallAttempt.contact_id == Contact.id, missing).exists()
            contact_ids = session.scalars(
                select(Contact.id).where(Contact.campaign_id == campaign_id, ~has_attempt)
            ).all()
            for contact_id in contact_ids:
                session.add(CallAttempt(
                    id=str(uuid.uuid4()), campaign_id=campaign_id, contact_id=contact_id, round_date=round_date,
                    attempt_no=1, status="scheduled", scheduled_for=scheduled_for,
                ))  # fmt: skip
        return len(contact_ids)

    def due(self, now: datetime, limit: int = 500) -> list[DueAttempt]:
        """Scheduled attempts of running campaigns due by ``now``, the earliest first, each campaign's only
        while its queued and live attempts are fewer than ``QUEUED_PER_SLOT`` × its cap.

        Why the bound: the queue is first in, first out, and a dialer holds a job until its campaign has a free
        slot. A campaign at its cap with hundreds of jobs at the head of the queue would fill every dialer with
        jobs that wait, and the other campaigns' calls would wait behind them (seen in the campaign-scale
        benchmark: one campaign at a time, 10 calls at once of the 60 allowed)."""
        busy = (
            select(CallAttempt.campaign_id, func.count().label("n"))
            .where(CallAttempt.status.in_(("queued", *ACTIVE)))
            .group_by(CallAttempt.campaign_id)
            .subquery()
        )
        ranked = (
            select(CallAttempt.id, CallAttempt.campaign_id, CallAttempt.scheduled_for,
                   func.row_number().over(partition_by=CallAttempt.campaign_id,
                                          order_by=(CallAttempt.scheduled_for, CallAttempt.id)).label("place"))
            .join(Campaign, Campaign.id == CallAttempt.campaign_id)
            .where(Campaign.status == "running", CallAttempt.status == "scheduled",
                   CallAttempt.scheduled_for <= now)
            .subquery()
        )  # fmt: skip
        cap = case((Campaign.max_concurrent > 1, Campaign.max_concurrent), else_=1)
        room = QUEUED_PER_SLOT * cap - func.coalesce(busy.c.n, 0)
        with self._sessions() as session:
            rows = session.execute(
                select(ranked.c.id, ranked.c.campaign_id, Campaign.calling_hours, Campaign.timezone)
                .join(Campaign, Campaign.id == ranked.c.campaign_id)
                .outerjoin(busy, busy.c.campaign_id == ranked.c.campaign_id)
                .where(ranked.c.place <= room)
                .order_by(ranked.c.scheduled_for, ranked.c.id)
                .limit(limit)
            ).all()  # fmt: skip
        return [DueAttempt(a, c, dict(hours or {}), tz) for a, c, hours, tz in rows]

    def queue_due(self, to_queue: Iterable[str], to_move: dict[str, datetime], now: datetime) -> list[str]:
        """In one transaction: mark ``to_queue`` attempts ``queued`` and move ``to_move`` ones to a later
        time, each only while still ``scheduled``; but an attempt to a person who has opted out ends there
        (``opted_out``, final). Returns the ids this call queued."""
        queued: list[str] = []
        to_queue = list(to_queue)
        with self._sessions.begin() as session:
            if to_queue:
                opted_out = set(session.scalars(
                    select(CallAttempt.id).join(Contact, Contact.id == CallAttempt.contact_id)
                    .where(CallAttempt.id.in_(to_queue), _opted_out(Contact.phone))
                ))  # fmt: skip
                for attempt_id in opted_out:
                    session.execute(update(CallAttempt).where(CallAttempt.id == attempt_id,
                                                              CallAttempt.status == "scheduled")
                                    .values(status="opted_out", final=True, ended_at=now, updated_at=now,
                                            detail=OPTED_OUT_DETAIL))  # fmt: skip
                to_queue = [a for a in to_queue if a not in opted_out]
            for attempt_id, when in to_move.items():
                session.execute(update(CallAttempt).where(CallAttempt.id == attempt_id,
                                                          CallAttempt.status == "scheduled")
                                .values(scheduled_for=when, updated_at=now))  # fmt: skip
            for attempt_id in to_queue:
                moved = session.execute(
                    update(CallAttempt).where(CallAttempt.id == attempt_id, CallAttempt.status == "scheduled")
                    .values(status="queued", updated_at=now)
                ).rowcount
                if moved:
                    queued.append(attempt_id)
        return queued

    def touch_stale_queued(self, cutoff: datetime) -> list[tuple[str, str]]:
        """(attempt id, campaign id) of running campaigns' attempts queued before ``cutoff`` and never
        claimed; their clock restarts, so each is handed out again once per ``cutoff`` interval."""
        with self._sessions.begin() as session:
            rows = session.execute(
                select(CallAttempt.id, CallAttempt.campaign_id).join(Campaign, Campaign.id == CallAttempt.campaign_id)
                .where(Campaign.status == "running", CallAttempt.status == "queued", CallAttempt.updated_at < cutoff)
            ).all()
            for attempt_id, _ in rows:
                session.execute(update(CallAttempt).where(CallAttempt.id == attempt_id).values(updated_at=utcnow()))
        return [(a, c) for a, c in rows]

    def live(self) -> list[tuple[str, str]]:
        """(attempt id, campaign id) of attempts live now (dialing, ringing, in progress)."""
        with self._sessions() as session:
            rows = session.execute(select(CallAttempt.id, CallAttempt.campaign_id)
                                   .where(CallAttempt.status.in_(ACTIVE))).all()  # fmt: skip
        return [(a, c) for a, c in rows]

    def next_due_at(self) -> datetime | None:
        """When the earliest scheduled attempt of a running campaign falls due."""
        with self._sessions() as session:
            return as_aware(session.scalar(
                select(func.min(CallAttempt.scheduled_for)).join(Campaign, Campaign.id == CallAttempt.campaign_id)
                .where(Campaign.status == "running", CallAttempt.status == "scheduled")
            ))  # fmt: skip

    # --- the dialer's side ----------------------------------------------------------------------------------

    def view(self, attempt_id: str) -> AttemptView | None:
        with self._sessions() as session:
            row = session.execute(
                select(CallAttempt, Campaign.max_concurrent, Campaign.status)
                .join(Campaign, Campaign.id == CallAttempt.campaign_id).where(CallAttempt.id == attempt_id)
            ).first()
        if row is None:
            return None
        a, cap, campaign_status = row
        return AttemptView(a.id, a.campaign_id, a.status, a.final, a.dialer, a.call_sid, a.call_id, cap,
                           campaign_status)  # fmt: skip

    def claim(self, attempt_id: str, dialer: str, call_sid: str | None = None) -> Claim | None:
        """Take a queued attempt for ``dialer``: None when another dialer has it or had it, when the
        campaign is no longer running (the attempt then goes back to ``scheduled`` for a resume), or when the
        person has opted out (the attempt then ends ``opted_out``, final)."""
        now = utcnow()
        with self._sessions.begin() as session:
            row = session.execute(
                select(CallAttempt, Contact, Campaign).join(Contact, Contact.id == CallAttempt.contact_id)
                .join(Campaign, Campaign.id == CallAttempt.campaign_id).where(CallAttempt.id == attempt_id)
            ).first()
            if row is None:
                return None
            attempt, contact, campaign = row
            if campaign.status != "running":
                session.execute(update(CallAttempt).where(CallAttempt.id == attempt_id, CallAttempt.status == "queued")
                                .values(status="scheduled", updated_at=now))  # fmt: skip
                return None
            if session.scalar(select(_opted_out(contact.phone))):  # opted out while the job waited in the queue
                session.execute(update(CallAttempt).where(CallAttempt.id == attempt_id, CallAttempt.status == "queued")
                                .values(status="opted_out", final=True, ended_at=now, updated_at=now,
                                        detail=OPTED_OUT_DETAIL))  # fmt: skip
                return None
            won = session.execute(
                update(CallAttempt).where(CallAttempt.id == attempt_id, CallAttempt.status == "queued")
                .values(status="dialing", dialer=dialer, call_sid=call_sid, started_at=now, updated_at=now)
            ).rowcount
            if not won:
                return None
            return Claim(attempt.id, campaign.id, contact.id, attempt.attempt_no, attempt.round_date,
                         contact.name, contact.phone, contact.notes or "", campaign.scenario, call_sid,
                         handoff_number=campaign.handoff_number, organization=campaign.organization,
                         disclosure=tuple(campaign.disclosure or ()))  # fmt: skip

    def set_call_sid(self, attempt_id: str, call_sid: str) -> None:
        with self._sessions.begin() as session:
            session.execute(update(CallAttempt).where(CallAttempt.id == attempt_id).values(
                call_sid=call_sid, updated_at=utcnow()))  # fmt: skip

    def progress(self, attempt_id: str, status: str) -> bool:
        """Set a live status; False (and nothing changed) once the attempt is no longer live."""
        with self._sessions.begin() as session:
            return bool(session.execute(
                update(CallAttempt).where(CallAttempt.id == attempt_id, CallAttempt.status.in_(ACTIVE))
                .values(status=status, updated_at=utcnow())
            ).rowcount)  # fmt: skip

    def attempt_by_sid(self, call_sid: str) -> str | None:
        with self._sessions() as session:
            return session.scalar(select(CallAttempt.id).where(CallAttempt.call_sid == call_sid))

    def call_id_by_sid(self, call_sid: str) -> str | None:
        """The newest call record made under this SID (the agent writes it when the media stream starts)."""
        with self._sessions() as session:
            return session.scalar(
                select(Call.id).where(Call.call_sid == call_sid).order_by(Call.started_at.desc()).limit(1)
            )

    def retry_context(self, attempt_id: str) -> RetryContext | None:
        with self._sessions() as session:
            attempt = session.get(CallAttempt, attempt_id)
            if attempt is None:
                return None
            campaign = session.get(Campaign, attempt.campaign_id)
            earlier = session.scalars(select(CallAttempt.status).where(
                CallAttempt.contact_id == attempt.contact_id, CallAttempt.round_date == attempt.round_date,
                CallAttempt.attempt_no < attempt.attempt_no)).all()  # fmt: skip
            return RetryContext(_attempt(attempt), _campaign(campaign), list(earlier))

    def end(self, attempt_id: str, status: str, *, now: datetime, retry_at: datetime | None,
            call_id: str | None = None, detail: str | None = None) -> bool:
        """Record how a live attempt ended and, in the same transaction, either mark it final
        (``retry_at`` None) or schedule the next attempt at ``retry_at``. Only the first report counts:
        False when the attempt was no longer live."""
        with self._sessions.begin() as session:
            won = session.execute(
                update(CallAttempt).where(CallAttempt.id == attempt_id, CallAttempt.status.in_(ACTIVE))
                .values(status=status, ended_at=now, detail=detail, updated_at=now,
                        **({"call_id": call_id} if call_id else {}))
            ).rowcount  # fmt: skip
            if not won:
                return False
            attempt = session.get(CallAttempt, attempt_id)
            if retry_at is None:
                attempt.final = True
                return True
            try:
                with session.begin_nested():
                    session.add(CallAttempt(
                        id=str(uuid.uuid4()), campaign_id=attempt.campaign_id, contact_id=attempt.contact_id,
                        round_date=attempt.round_date, attempt_no=attempt.attempt_no + 1, status="scheduled",
                        scheduled_for=retry_at,
                    ))  # fmt: skip
            except IntegrityError:  # already there: nothing to add
                pass
            return True

    # --- reading --------------------------------------------------------------------------------------------

    def latest_round(self, campaign_id: str) -> date | None:
        with self._sessions() as session:
            return session.scalar(select(func.max(CallAttempt.round_date)).where(
                CallAttempt.campaign_id == campaign_id))  # fmt: skip

    def attempts(self, campaign_id: str, round_date: date | None = None) -> list[AttemptRecord]:
        """The campaign's attempts (of one round when given) by contact, then attempt number."""
        query = select(CallAttempt).where(CallAttempt.campaign_id == campaign_id)
        if round_date is not None:
            query = query.where(CallAttempt.round_date == round_date)
        with self._sessions() as session:
            rows = session.scalars(query.order_by(CallAttempt.contact_id, CallAttempt.attempt_no))
            return [_attempt(a) for a in rows]

    def results(self, campaign_id: str) -> CampaignResults | None:
        """Everything the campaign's progress is worked out from, read in one session."""
        with self._sessions() as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign is None:
                return None
            contacts = session.scalars(
                select(Contact).where(Contact.campaign_id == campaign_id).order_by(Contact.id)
            ).all()
            attempts = session.scalars(
                select(CallAttempt)
                .where(CallAttempt.campaign_id == campaign_id)
                .order_by(CallAttempt.round_date, CallAttempt.attempt_no)
            ).all()
            call_ids = [a.call_id for a in attempts if a.call_id]
            calls = list(session.scalars(select(Call).where(Call.id.in_(call_ids)))) if call_ids else []
            flags: dict[str, list] = {c.id: [] for c in calls}
            if call_ids:
                for flag in session.scalars(select(Flag).where(Flag.call_id.in_(call_ids)).order_by(Flag.id)):
                    flags[flag.call_id].append(flag_record(flag))
            return CampaignResults(
                campaign=_campaign(campaign),
                contacts=[ContactRecord(c.id, c.campaign_id, c.name, c.phone, c.notes or "", c.source_line)
                          for c in contacts],
                attempts=[_attempt(a) for a in attempts],
                calls={c.id: call_record(c, with_turns=False, flags=flags[c.id]) for c in calls},
            )  # fmt: skip


def _campaign(row: Campaign) -> CampaignRecord:
    return CampaignRecord(
        id=row.id, name=row.name, scenario=row.scenario, status=row.status, timezone=row.timezone,
        calling_hours=dict(row.calling_hours or {}), start_date=row.start_date, recurrence=row.recurrence,
        retry_policy=dict(row.retry_policy or {}), max_concurrent=row.max_concurrent,
        handoff_number=row.handoff_number, organization=row.organization, disclosure=tuple(row.disclosure or ()),
        created_at=as_aware(row.created_at), updated_at=as_aware(row.updated_at),
    )  # fmt: skip


def _attempt(a: CallAttempt) -> AttemptRecord:
    return AttemptRecord(
        id=a.id, campaign_id=a.campaign_id, contact_id=a.contact_id, round_date=a.round_date,
        attempt_no=a.attempt_no, status=a.status, final=bool(a.final), scheduled_for=as_aware(a.scheduled_for),
        call_sid=a.call_sid, call_id=a.call_id, dialer=a.dialer, started_at=as_aware(a.started_at),
        ended_at=as_aware(a.ended_at), detail=a.detail, updated_at=as_aware(a.updated_at),
    )  # fmt: skip
