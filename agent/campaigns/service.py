"""Campaigns: create, import contacts, start / pause / resume, plan rounds, hand out due attempts, claim
an attempt for one dialer, record how it ended and schedule the retry.

This decides (calling hours, retry policy, rounds, which transitions are allowed); the campaign ledger
(``agent.store.campaigns``) keeps the rows and makes every change atomic, so a second dialer can never
dial the same attempt.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from agent.campaigns.csv_import import RowError, parse_contacts
from agent.campaigns.hours import CallingHours
from agent.campaigns.retry import RetryPolicy
from agent.store import Engine, make_engine
from agent.store.campaigns import (
    ACTIVE,
    CAMPAIGN_STATES,
    ENDED,
    WAITING,
    AttemptRecord,
    AttemptView,
    CampaignLedger,
    CampaignRecord,
    Claim,
    RetryContext,
)
from agent.store.clock import utcnow
from agent.store.people import PeopleStore
from dialog.phone_numbers import PhoneNumberError, to_e164
from dialog.wording import fill

# The attempt and campaign states, and what a dialer gets, are the ledger's; named here for the dialers.
__all__ = ["ACTIVE", "CAMPAIGN_STATES", "ENDED", "WAITING", "AttemptRecord", "AttemptView", "CampaignError",
           "CampaignService", "CampaignStatus", "Claim", "Finished", "ImportReport", "Job"]


class CampaignError(ValueError):
    """An operator mistake: unknown campaign, a transition that is not allowed, bad settings."""


@dataclass(frozen=True)
class Job:
    """One attempt to dial, as it travels through the queue."""

    attempt_id: str
    campaign_id: str


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
    campaign: CampaignRecord
    contacts: int
    done: int  # contacts whose latest attempt of the current round is final
    by_status: dict[str, int]  # latest attempt per contact
    attempts: int
    round_date: date | None

    @property
    def pending_retries(self) -> int:
        return self.by_status.get("retry_scheduled", 0)


class CampaignService:
    def __init__(self, database_url: str | None = None, *, engine: Engine | None = None):
        engine = engine if engine is not None else make_engine(database_url or "")
        self.ledger = CampaignLedger(engine)
        self.people = PeopleStore(engine)

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
        handoff_number: str | None = None,
        organization: str | None = None,
        disclosure: Sequence[str] = (),
    ) -> CampaignRecord:
        """``handoff_number``: the on-call person a caller asking for one is put through to (E.164 or Korean
        format; none: the server's CARECALL_HANDOFF_NUMBER). ``organization``: on whose behalf its calls are
        made ({organization} in the disclosure); ``disclosure``: its own wording of "an AI agent, recorded"
        in place of the scenario's. Both win over the line's and the server's (none: theirs, then the
        scenario's)."""
        if not name.strip():
            raise CampaignError("a campaign needs a name")
        if recurrence not in ("once", "daily"):
            raise CampaignError(f"recurrence '{recurrence}': expected once or daily")
        if max_concurrent < 1:
            raise CampaignError("max_concurrent must be at least 1")
        hours = CallingHours.parse(calling_hours, timezone)  # raises HoursError with the field
        policy = RetryPolicy.parse(retry_policy)
        try:
            on_call = to_e164(handoff_number) if handoff_number else None
        except PhoneNumberError as exc:
            raise CampaignError(f"handoff number: {exc}") from exc
        organization, lines = _disclosure(organization, disclosure)
        return self.ledger.add_campaign(
            name=name.strip(), scenario=scenario, timezone=timezone, calling_hours=hours.as_json(),
            start_date=start_date, recurrence=recurrence, retry_policy=policy.as_json(), max_concurrent=max_concurrent,
            handoff_number=on_call, organization=organization, disclosure=lines,
        )

    def get(self, ref: str) -> CampaignRecord:
        """By id, unique id prefix, or exact name."""
        found = self.ledger.get(ref)
        if found is not None:
            return found
        matches = self.ledger.find(ref)
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise CampaignError(f"no campaign '{ref}'")
        raise CampaignError(f"'{ref}' matches {len(matches)} campaigns; give more of the id")

    def list(self) -> list[CampaignRecord]:
        return self.ledger.all()

    def import_csv(self, ref: str, text: str) -> ImportReport:
        """Add the good rows, registering each person (or updating their registry entry); the report lists
        every skipped row by line number."""
        campaign = self.get(ref)
        parsed = parse_contacts(text, self.ledger.phones(campaign.id), care_workers=self.people.care_workers())
        self.ledger.add_contacts(campaign.id, parsed.rows)
        return ImportReport(len(parsed.rows), parsed.errors)

    def start(self, ref: str, now: datetime | None = None) -> CampaignRecord:
        campaign = self.get(ref)
        if campaign.status != "draft":
            raise CampaignError(f"campaign '{campaign.name}' is {campaign.status}; only a draft can start")
        if not self.ledger.count_contacts(campaign.id):
            raise CampaignError(f"campaign '{campaign.name}' has no contacts; import a CSV first")
        today = CallingHours.parse(campaign.calling_hours, campaign.timezone).today(now or utcnow())
        return self.ledger.start(campaign.id, start_date=today)

    def pause(self, ref: str) -> CampaignRecord:
        return self._transition(ref, {"running"}, "paused")

    def resume(self, ref: str) -> CampaignRecord:
        return self._transition(ref, {"paused"}, "running")

    def _transition(self, ref: str, allowed: set[str], to: str) -> CampaignRecord:
        campaign = self.get(ref)
        moved = self.ledger.transition(campaign.id, allowed, to)
        if moved is None:
            raise CampaignError(f"campaign '{campaign.name}' is {campaign.status}; cannot go to {to}")
        return moved

    # --- the scheduler's side ---------------------------------------------------------------------------

    def plan_rounds(self, now: datetime | None = None) -> int:
        """Create attempt 1 for every contact of every running campaign that has none in today's round
        (daily), or none at all (once). Returns how many were created."""
        now = now or utcnow()
        created = 0
        for campaign in self.ledger.running():
            hours = CallingHours.parse(campaign.calling_hours, campaign.timezone)
            if campaign.recurrence == "daily":
                today = hours.today(now)
                if campaign.start_date and today < campaign.start_date:
                    continue
                window = hours.window(today)
                if window is None or now >= window[1]:
                    continue  # not a calling day, or today's hours are over: the next round starts tomorrow
                round_date, per_round = today, True
            else:
                round_date, per_round = campaign.start_date or hours.today(now), False
            first = datetime.combine(round_date, hours.start, hours.tz)
            when = hours.next_open(max(now, first)).astimezone(UTC)  # stored as UTC (SQLite keeps no zone)
            created += self.ledger.add_first_attempts(campaign.id, round_date, when, per_round=per_round)
        return created

    def take_due(self, now: datetime | None = None, limit: int = 500) -> list[Job]:
        """Mark due attempts of running campaigns ``queued`` and return them for the queue. Attempts due
        outside their campaign's hours (a campaign resumed at night) move to the next opening instead."""
        now = now or utcnow()
        due = self.ledger.due(now, limit)
        hours_of: dict[str, CallingHours] = {}
        to_queue: list[str] = []
        to_move: dict[str, datetime] = {}
        for attempt in due:
            if attempt.campaign_id not in hours_of:
                hours_of[attempt.campaign_id] = CallingHours.parse(attempt.calling_hours, attempt.timezone)
            hours = hours_of[attempt.campaign_id]
            if hours.is_open(now):
                to_queue.append(attempt.attempt_id)
            else:
                to_move[attempt.attempt_id] = hours.next_open(now).astimezone(UTC)
        queued = set(self.ledger.queue_due(to_queue, to_move, now))
        return [Job(a.attempt_id, a.campaign_id) for a in due if a.attempt_id in queued]

    def stale_queued(self, older_than: timedelta, now: datetime | None = None) -> list[Job]:
        """Attempts queued long ago and never claimed (the queue lost them): to be enqueued again. A
        second copy in the queue is harmless: only one claim of an attempt can succeed."""
        cutoff = (now or utcnow()) - older_than
        return [Job(a, c) for a, c in self.ledger.touch_stale_queued(cutoff)]

    def live_attempts(self) -> list[Job]:
        """Attempts left live (dialing, ringing, in progress), e.g. by an embedded process that stopped."""
        return [Job(a, c) for a, c in self.ledger.live()]

    def next_due_at(self) -> datetime | None:
        return self.ledger.next_due_at()

    def finish_campaigns(self) -> list[str]:
        """Running one-off campaigns whose every contact has a final attempt become ``finished``."""
        finished = []
        for campaign in self.ledger.running():
            if campaign.recurrence != "once":
                continue
            total, done = self.ledger.completion(campaign.id)
            if total and done >= total:
                self.ledger.transition(campaign.id, {"running"}, "finished")
                finished.append(campaign.id)
        return finished

    # --- the dialer's side -------------------------------------------------------------------------------

    def view(self, attempt_id: str) -> AttemptView | None:
        return self.ledger.view(attempt_id)

    def claim(self, attempt_id: str, dialer: str, call_sid: str | None = None) -> Claim | None:
        """Take a queued attempt for ``dialer``: None when another dialer has it or had it, or when the
        campaign is no longer running (the attempt then goes back to ``scheduled`` for a resume)."""
        return self.ledger.claim(attempt_id, dialer, call_sid)

    def set_call_sid(self, attempt_id: str, call_sid: str) -> None:
        self.ledger.set_call_sid(attempt_id, call_sid)

    def unresolved_before(self, claim: Claim) -> AttemptRecord | None:
        """The contact's previous attempt of this round when it ended ``unknown`` (the network may have placed
        its call): the dialer looks that call up before dialing ``claim``."""
        if claim.attempt_no <= 1:
            return None
        for attempt in self.ledger.attempts(claim.campaign_id, claim.round_date):
            if attempt.contact_id == claim.contact_id and attempt.attempt_no == claim.attempt_no - 1:
                return attempt if attempt.status == "unknown" else None
        return None

    def progress(self, attempt_id: str, status: str) -> bool:
        """ringing / in_progress while the call is live; ignored once the attempt has ended."""
        if status not in ACTIVE:
            raise ValueError(f"'{status}' is not a live status")
        return self.ledger.progress(attempt_id, status)

    def attempt_by_sid(self, call_sid: str) -> str | None:
        return self.ledger.attempt_by_sid(call_sid)

    def call_id_by_sid(self, call_sid: str) -> str | None:
        """The agent's call record for this call SID, if the call reached the agent."""
        return self.ledger.call_id_by_sid(call_sid)

    def finish(
        self, attempt_id: str, status: str, *, call_id: str | None = None, detail: str | None = None,
        now: datetime | None = None,
    ) -> Finished:
        """Record how a live attempt ended and, by the retry policy and the calling hours, either schedule
        the next attempt or mark this one final — in one transaction. Only the first report counts."""
        if status not in ENDED:
            raise ValueError(f"'{status}' is not an ending status ({', '.join(ENDED)})")
        now = now or utcnow()
        context = self.ledger.retry_context(attempt_id)
        if context is None:
            return Finished(False)
        retry_at = self._retry_time(context, status, now)
        if not self.ledger.end(attempt_id, status, now=now, retry_at=retry_at, call_id=call_id, detail=detail):
            return Finished(False)
        if retry_at is None:
            return Finished(True, final=True)
        return Finished(True, final=False, retry_at=retry_at)

    def _retry_time(self, context: RetryContext, status: str, now: datetime) -> datetime | None:
        if status in ("completed", "canceled", "opted_out"):
            return None
        attempt, campaign = context.attempt, context.campaign
        delay = RetryPolicy.parse(campaign.retry_policy).retry_after(status, context.earlier)
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
        contacts = self.ledger.count_contacts(campaign.id)
        round_date = self.ledger.latest_round(campaign.id)
        attempts = self.ledger.attempts(campaign.id, round_date) if round_date else []
        latest: dict[int, tuple[int, str, bool]] = {}
        for a in attempts:
            if a.contact_id not in latest or a.attempt_no > latest[a.contact_id][0]:
                latest[a.contact_id] = (a.attempt_no, a.status, a.final)
        counts: Counter[str] = Counter()
        for no, status, final in latest.values():
            counts["retry_scheduled" if status in WAITING and no > 1 else status] += 1
        counts["not_scheduled"] = contacts - len(latest)
        done = sum(1 for _, _, final in latest.values() if final)
        return CampaignStatus(campaign, contacts, done, {k: v for k, v in counts.items() if v}, len(attempts),
                              round_date)


# A campaign's disclosure travels to the call server in the call's stream parameters (the TwiML Twilio
# fetches, which it caps at 4000 characters): a few short lines, not a script.
DISCLOSURE_MAX_CHARS = 300
ORGANIZATION_MAX_CHARS = 100


def _disclosure(organization: str | None, lines: Sequence[str]) -> tuple[str | None, list[str]]:
    """The campaign's organisation and disclosure lines, trimmed and checked (blank: none)."""
    name = (organization or "").strip() or None
    if name and len(name) > ORGANIZATION_MAX_CHARS:
        raise CampaignError(f"organization: at most {ORGANIZATION_MAX_CHARS} characters")
    kept = [line.strip() for line in lines if line.strip()]
    if sum(len(line) for line in kept) > DISCLOSURE_MAX_CHARS:
        raise CampaignError(f"disclosure: at most {DISCLOSURE_MAX_CHARS} characters in all")
    for line in kept:
        try:
            fill(line, {"organization": name or ""})
        except (ValueError, IndexError, KeyError, AttributeError) as exc:
            raise CampaignError(f"disclosure line {line!r}: {exc} (variables are written {{organization}})") from exc
    return name, kept
