"""Campaigns in the database: create, import contacts, start / pause / resume, plan rounds, hand out due
attempts, claim an attempt for one dialer, record how it ended and schedule the retry.

The ``call_attempts`` row is the single source of truth. Every state change is a conditional UPDATE
(``WHERE status IN …``), so whichever process gets there first wins and a second dialer can never dial
the same attempt; the unique key (contact, round, attempt_no) stops a retry being created twice.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from agent.campaigns.csv_import import RowError, parse_contacts
from agent.campaigns.hours import CallingHours
from agent.campaigns.retry import RetryPolicy
from agent.store.models import CallAttempt, Campaign, Contact
from agent.store.repository import make_engine

WAITING = ("scheduled", "queued")
ACTIVE = ("dialing", "ringing", "in_progress")
ENDED = ("completed", "no_answer", "busy", "failed", "voicemail", "canceled")
CAMPAIGN_STATES = ("draft", "running", "paused", "finished")


class CampaignError(ValueError):
    """An operator mistake: unknown campaign, a transition that is not allowed, bad settings."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; everything stored is UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@dataclass(frozen=True)
class Job:
    """One attempt to dial, as it travels through the queue."""

    attempt_id: str
    campaign_id: str


@dataclass(frozen=True)
class Claim:
    """An attempt this dialer now owns, with what the placer needs to call."""

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


@dataclass(frozen=True)
class AttemptView:
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
class Finished:
    recorded: bool  # False: someone else had already recorded this attempt's end
    final: bool = False
    retry_at: datetime | None = None


@dataclass
class ImportReport:
    added: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass
class CampaignStatus:
    campaign: Campaign
    contacts: int
    done: int  # contacts whose latest attempt of the current round is final
    by_status: dict[str, int]  # latest attempt per contact
    attempts: int
    round_date: date | None

    @property
    def pending_retries(self) -> int:
        return self.by_status.get("retry_scheduled", 0)


class CampaignService:
    def __init__(self, database_url: str | None = None, *, engine=None):
        self.engine = engine if engine is not None else make_engine(database_url or "")
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    # --- operator actions ----------------------------------------------------------------------------

    def create(
        self,
        name: str,
        *,
        scenario: str = "care_call",
        calling_hours: dict[str, Any] | None = None,
        timezone: str = "Asia/Seoul",
        start_date: date | None = None,
        recurrence: str = "once",
        retry_policy: dict[str, Any] | None = None,
        max_concurrent: int = 5,
    ) -> Campaign:
        if not name.strip():
            raise CampaignError("a campaign needs a name")
        if recurrence not in ("once", "daily"):
            raise CampaignError(f"recurrence '{recurrence}': expected once or daily")
        if max_concurrent < 1:
            raise CampaignError("max_concurrent must be at least 1")
        hours = CallingHours.parse(calling_hours, timezone)  # raises HoursError with the field
        policy = RetryPolicy.parse(retry_policy)
        campaign = Campaign(
            id=str(uuid.uuid4()), name=name.strip(), scenario=scenario, status="draft", timezone=timezone,
            calling_hours=hours.as_json(), start_date=start_date, recurrence=recurrence,
            retry_policy=policy.as_json(), max_concurrent=max_concurrent,
        )
        with self._sessions.begin() as session:
            session.add(campaign)
        return campaign

    def get(self, ref: str) -> Campaign:
        """By id, unique id prefix, or exact name."""
        with self._sessions() as session:
            found = session.get(Campaign, ref)
            if found is not None:
                return found
            matches = session.scalars(
                select(Campaign).where((Campaign.id.like(f"{ref}%")) | (Campaign.name == ref))
            ).all()
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise CampaignError(f"no campaign '{ref}'")
        raise CampaignError(f"'{ref}' matches {len(matches)} campaigns; give more of the id")

    def list(self) -> list[Campaign]:
        with self._sessions() as session:
            return list(session.scalars(select(Campaign).order_by(Campaign.created_at.desc())))

    def import_csv(self, ref: str, text: str) -> ImportReport:
        """Add the good rows; the report lists every skipped row by line number."""
        campaign = self.get(ref)
        with self._sessions.begin() as session:
            known = set(session.scalars(select(Contact.phone).where(Contact.campaign_id == campaign.id)))
            parsed = parse_contacts(text, known)
            for row in parsed.rows:
                session.add(Contact(campaign_id=campaign.id, name=row.name, phone=row.phone,
                                    notes=row.notes, source_line=row.line))
        return ImportReport(len(parsed.rows), parsed.errors)

    def start(self, ref: str, now: datetime | None = None) -> Campaign:
        campaign = self.get(ref)
        if campaign.status != "draft":
            raise CampaignError(f"campaign '{campaign.name}' is {campaign.status}; only a draft can start")
        with self._sessions.begin() as session:
            if not session.scalar(select(func.count()).where(Contact.campaign_id == campaign.id)):
                raise CampaignError(f"campaign '{campaign.name}' has no contacts; import a CSV first")
            row = session.get(Campaign, campaign.id)
            row.status = "running"
            if row.start_date is None:
                row.start_date = CallingHours.parse(row.calling_hours, row.timezone).today(now or utcnow())
            return row

    def pause(self, ref: str) -> Campaign:
        return self._transition(ref, {"running"}, "paused")

    def resume(self, ref: str) -> Campaign:
        return self._transition(ref, {"paused"}, "running")

    def _transition(self, ref: str, allowed: set[str], to: str) -> Campaign:
        campaign = self.get(ref)
        with self._sessions.begin() as session:
            done = session.execute(
                update(Campaign).where(Campaign.id == campaign.id, Campaign.status.in_(allowed)).values(
                    status=to, updated_at=utcnow())
            ).rowcount
            if not done:
                raise CampaignError(f"campaign '{campaign.name}' is {campaign.status}; cannot go to {to}")
            return session.get(Campaign, campaign.id)

    # --- the scheduler's side ---------------------------------------------------------------------------

    def plan_rounds(self, now: datetime | None = None) -> int:
        """Create attempt 1 for every contact of every running campaign that has none in today's round
        (daily), or none at all (once). Returns how many were created."""
        now = now or utcnow()
        created = 0
        for campaign in self._running():
            hours = CallingHours.parse(campaign.calling_hours, campaign.timezone)
            if campaign.recurrence == "daily":
                today = hours.today(now)
                if campaign.start_date and today < campaign.start_date:
                    continue
                window = hours.window(today)
                if window is None or now >= window[1]:
                    continue  # not a calling day, or today's hours are over: the next round starts tomorrow
                round_date, missing = today, and_(CallAttempt.round_date == today)
            else:
                round_date, missing = campaign.start_date or hours.today(now), true()
            first = datetime.combine(round_date, hours.start, hours.tz)
            when = hours.next_open(max(now, first)).astimezone(UTC)  # stored as UTC (SQLite keeps no zone)
            with self._sessions.begin() as session:
                has_attempt = select(CallAttempt.id).where(CallAttempt.contact_id == Contact.id, missing).exists()
                contact_ids = session.scalars(
                    select(Contact.id).where(Contact.campaign_id == campaign.id, ~has_attempt)
                ).all()
                for contact_id in contact_ids:
                    session.add(CallAttempt(
                        id=str(uuid.uuid4()), campaign_id=campaign.id, contact_id=contact_id,
                        round_date=round_date, attempt_no=1, status="scheduled", scheduled_for=when,
                    ))
            created += len(contact_ids)
        return created

    def take_due(self, now: datetime | None = None, limit: int = 500) -> list[Job]:
        """Mark due attempts of running campaigns ``queued`` and return them for the queue. Attempts due
        outside their campaign's hours (a campaign resumed at night) move to the next opening instead."""
        now = now or utcnow()
        jobs: list[Job] = []
        with self._sessions.begin() as session:
            rows = session.execute(
                select(CallAttempt.id, CallAttempt.campaign_id, Campaign.calling_hours, Campaign.timezone)
                .join(Campaign, Campaign.id == CallAttempt.campaign_id)
                .where(Campaign.status == "running", CallAttempt.status == "scheduled",
                       CallAttempt.scheduled_for <= now)
                .order_by(CallAttempt.scheduled_for)
                .limit(limit)
            ).all()
            hours_of: dict[str, CallingHours] = {}
            for attempt_id, campaign_id, calling_hours, tz in rows:
                hours = hours_of.setdefault(campaign_id, CallingHours.parse(calling_hours, tz))
                if not hours.is_open(now):
                    session.execute(update(CallAttempt).where(CallAttempt.id == attempt_id).values(
                        scheduled_for=hours.next_open(now).astimezone(UTC), updated_at=now))
                    continue
                moved = session.execute(
                    update(CallAttempt).where(CallAttempt.id == attempt_id, CallAttempt.status == "scheduled")
                    .values(status="queued", updated_at=now)
                ).rowcount
                if moved:
                    jobs.append(Job(attempt_id, campaign_id))
        return jobs

    def stale_queued(self, older_than: timedelta, now: datetime | None = None) -> list[Job]:
        """Attempts queued long ago and never claimed (the queue lost them): to be enqueued again. A
        second copy in the queue is harmless: only one claim of an attempt can succeed."""
        cutoff = (now or utcnow()) - older_than
        with self._sessions.begin() as session:
            rows = session.execute(
                select(CallAttempt.id, CallAttempt.campaign_id).join(Campaign, Campaign.id == CallAttempt.campaign_id)
                .where(Campaign.status == "running", CallAttempt.status == "queued", CallAttempt.updated_at < cutoff)
            ).all()
            for attempt_id, _ in rows:
                session.execute(update(CallAttempt).where(CallAttempt.id == attempt_id).values(updated_at=utcnow()))
        return [Job(a, c) for a, c in rows]

    def live_attempts(self) -> list[Job]:
        """Attempts left live (dialing, ringing, in progress), e.g. by an embedded process that stopped."""
        with self._sessions() as session:
            rows = session.execute(select(CallAttempt.id, CallAttempt.campaign_id)
                                   .where(CallAttempt.status.in_(ACTIVE))).all()
        return [Job(a, c) for a, c in rows]

    def next_due_at(self) -> datetime | None:
        with self._sessions() as session:
            return aware(session.scalar(
                select(func.min(CallAttempt.scheduled_for)).join(Campaign, Campaign.id == CallAttempt.campaign_id)
                .where(Campaign.status == "running", CallAttempt.status == "scheduled")
            ))

    def finish_campaigns(self) -> list[str]:
        """Running one-off campaigns whose every contact has a final attempt become ``finished``."""
        finished = []
        for campaign in self._running():
            if campaign.recurrence != "once":
                continue
            with self._sessions.begin() as session:
                total = session.scalar(select(func.count()).where(Contact.campaign_id == campaign.id))
                done = session.scalar(select(func.count(func.distinct(CallAttempt.contact_id))).where(
                    CallAttempt.campaign_id == campaign.id, CallAttempt.final.is_(True)))
                if total and done >= total:
                    session.execute(update(Campaign).where(Campaign.id == campaign.id, Campaign.status == "running")
                                    .values(status="finished", updated_at=utcnow()))
                    finished.append(campaign.id)
        return finished

    def _running(self) -> list[Campaign]:
        with self._sessions() as session:
            return list(session.scalars(select(Campaign).where(Campaign.status == "running")))

    # --- the dialer's side -------------------------------------------------------------------------------

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
                           campaign_status)

    def claim(self, attempt_id: str, dialer: str, call_sid: str | None = None) -> Claim | None:
        """Take a queued attempt for ``dialer``: None when another dialer has it or had it, or when the
        campaign is no longer running (the attempt then goes back to ``scheduled`` for a resume)."""
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
                                .values(status="scheduled", updated_at=now))
                return None
            won = session.execute(
                update(CallAttempt).where(CallAttempt.id == attempt_id, CallAttempt.status == "queued")
                .values(status="dialing", dialer=dialer, call_sid=call_sid, started_at=now, updated_at=now)
            ).rowcount
            if not won:
                return None
            return Claim(attempt.id, campaign.id, contact.id, attempt.attempt_no, attempt.round_date,
                         contact.name, contact.phone, contact.notes or "", campaign.scenario, call_sid)

    def set_call_sid(self, attempt_id: str, call_sid: str) -> None:
        with self._sessions.begin() as session:
            session.execute(update(CallAttempt).where(CallAttempt.id == attempt_id).values(
                call_sid=call_sid, updated_at=utcnow()))

    def progress(self, attempt_id: str, status: str) -> bool:
        """ringing / in_progress while the call is live; ignored once the attempt has ended."""
        if status not in ACTIVE:
            raise ValueError(f"'{status}' is not a live status")
        with self._sessions.begin() as session:
            return bool(session.execute(
                update(CallAttempt).where(CallAttempt.id == attempt_id, CallAttempt.status.in_(ACTIVE))
                .values(status=status, updated_at=utcnow())
            ).rowcount)

    def attempt_by_sid(self, call_sid: str) -> str | None:
        with self._sessions() as session:
            return session.scalar(select(CallAttempt.id).where(CallAttempt.call_sid == call_sid))

    def finish(
        self, attempt_id: str, status: str, *, call_id: str | None = None, detail: str | None = None,
        now: datetime | None = None,
    ) -> Finished:
        """Record how a live attempt ended and, by the retry policy and the calling hours, either schedule
        the next attempt or mark this one final — in one transaction. Only the first report counts."""
        if status not in ENDED:
            raise ValueError(f"'{status}' is not an ending status ({', '.join(ENDED)})")
        now = now or utcnow()
        with self._sessions.begin() as session:
            won = session.execute(
                update(CallAttempt).where(CallAttempt.id == attempt_id, CallAttempt.status.in_(ACTIVE))
                .values(status=status, ended_at=now, detail=detail, updated_at=now,
                        **({"call_id": call_id} if call_id else {}))
            ).rowcount
            if not won:
                return Finished(False)
            attempt = session.get(CallAttempt, attempt_id)
            campaign = session.get(Campaign, attempt.campaign_id)
            retry_at = self._retry_time(session, attempt, campaign, status, now)
            if retry_at is None:
                attempt.final = True
                return Finished(True, final=True)
            try:
                with session.begin_nested():
                    session.add(CallAttempt(
                        id=str(uuid.uuid4()), campaign_id=campaign.id, contact_id=attempt.contact_id,
                        round_date=attempt.round_date, attempt_no=attempt.attempt_no + 1, status="scheduled",
                        scheduled_for=retry_at,
                    ))
            except IntegrityError:  # already there: nothing to add
                pass
            return Finished(True, final=False, retry_at=retry_at)

    def _retry_time(self, session: Session, attempt: CallAttempt, campaign: Campaign, status: str,
                    now: datetime) -> datetime | None:
        if status in ("completed", "canceled"):
            return None
        earlier = session.scalars(select(CallAttempt.status).where(
            CallAttempt.contact_id == attempt.contact_id, CallAttempt.round_date == attempt.round_date,
            CallAttempt.attempt_no < attempt.attempt_no)).all()
        delay = RetryPolicy.parse(campaign.retry_policy).retry_after(status, list(earlier))
        if delay is None:
            return None
        hours = CallingHours.parse(campaign.calling_hours, campaign.timezone)
        at = hours.next_open(now + delay)
        if campaign.recurrence == "daily" and at.date() != attempt.round_date:
            return None  # a daily round's retries stay within its day; tomorrow has its own round
        return at.astimezone(UTC)

    # --- reading ---------------------------------------------------------------------------------------

    def status(self, ref: str) -> CampaignStatus:
        campaign = self.get(ref)
        with self._sessions() as session:
            contacts = session.scalar(select(func.count()).where(Contact.campaign_id == campaign.id)) or 0
            round_date = session.scalar(select(func.max(CallAttempt.round_date)).where(
                CallAttempt.campaign_id == campaign.id))
            attempts = session.execute(
                select(CallAttempt.contact_id, CallAttempt.attempt_no, CallAttempt.status, CallAttempt.final)
                .where(CallAttempt.campaign_id == campaign.id, CallAttempt.round_date == round_date)
            ).all() if round_date else []
        latest: dict[int, tuple[int, str, bool]] = {}
        for contact_id, no, status, final in attempts:
            if contact_id not in latest or no > latest[contact_id][0]:
                latest[contact_id] = (no, status, final)
        counts: Counter[str] = Counter()
        for no, status, final in latest.values():
            counts["retry_scheduled" if status in WAITING and no > 1 else status] += 1
        counts["not_scheduled"] = contacts - len(latest)
        done = sum(1 for _, _, final in latest.values() if final)
        return CampaignStatus(campaign, contacts, done, {k: v for k, v in counts.items() if v}, len(attempts),
                              round_date)
