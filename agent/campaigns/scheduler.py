"""The scheduler: plans each round's attempts, and puts attempts on the queue when they fall due and
their campaign's calling hours are open. It sleeps until the next attempt is due, or until a dialer wakes
it (a retry was scheduled, a campaign resumed); one scheduler at a time holds the tick lock.

Redis may restart under it: a failed tick is tried again, jobs it could not put on the queue are sent first
at the next tick, and the tick lock carries this scheduler's own token, so a lock whose release Redis lost
does not shut its own holder out until it expires."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from loguru import logger

from agent.campaigns.queue import JobQueue
from agent.campaigns.service import CampaignService, Job
from agent.store.clock import utcnow

LOCK_MS = 60_000
# Take the lock, or keep it when it is already this scheduler's (a release or a reply lost in a restart).
LEAD = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Scheduler:
    def __init__(
        self,
        service: CampaignService,
        queue: JobQueue,
        *,
        redis=None,  # for the tick lock when several schedulers run
        lock_name: str = "carecall:campaigns:scheduler",
        idle_s: float = 30.0,
        requeue_after: timedelta = timedelta(minutes=10),
        clock: Callable[[], datetime] = utcnow,  # a test's fixed `now`; calling hours are judged by it
    ):
        self.service = service
        self.queue = queue
        self.redis = redis
        self.lock_name = lock_name
        self.idle_s = idle_s
        self.requeue_after = requeue_after
        self.clock = clock
        self.enqueued = 0
        self._token = uuid.uuid4().hex
        self._unsent: list[Job] = []  # marked queued in the database, not yet on the queue
        if redis is not None:
            self._lead = redis.register_script(LEAD)
            self._release = redis.register_script(RELEASE)

    def _wait_s(self, queued: int, due: datetime | None, now: datetime) -> float:
        """How long to sleep after a tick. An attempt already due that the tick left (its campaign has
        ``QUEUED_PER_SLOT`` × its cap queued or live) waits for a dialer's wake-up, sent as each attempt ends,
        not for a busy loop; one tick's limit reached means more to take at once."""
        if due is None:
            return self.idle_s
        wait = (due - now).total_seconds()
        if wait > 0:
            return min(self.idle_s, max(0.05, wait))
        return 0.05 if queued else self.idle_s

    async def tick(self) -> int:
        """One pass; returns how many jobs went on the queue."""
        if self.redis is None:
            return await self._tick()
        if not await self._lead(keys=[self.lock_name], args=[self._token, LOCK_MS]):
            return 0
        try:
            return await self._tick()
        finally:
            await self._release(keys=[self.lock_name], args=[self._token])

    async def _tick(self) -> int:
        service, now = self.service, self.clock()
        created = await asyncio.to_thread(service.plan_rounds, now)
        if created:
            logger.info(f"scheduler: {created} attempt(s) planned")
        jobs = self._unsent + await asyncio.to_thread(service.take_due, now)
        jobs += await asyncio.to_thread(service.stale_queued, self.requeue_after, now)
        for i, job in enumerate(jobs):
            try:
                await self.queue.enqueue(job)
            except Exception:
                self._unsent = jobs[i:]  # a copy that did reach the queue is harmless: one claim wins
                raise
        self._unsent = []
        await asyncio.to_thread(service.finish_campaigns)
        self.enqueued += len(jobs)
        return len(jobs)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                queued = await self.tick()
                due = await asyncio.to_thread(self.service.next_due_at)
            except Exception:
                logger.exception("scheduler tick failed; trying again")
                queued, due = 0, None
            try:
                await self.queue.wait_wake(self._wait_s(queued, due, self.clock()))
            except Exception as exc:  # the queue is unreachable (Redis restarting): wait, then tick again
                logger.warning(f"scheduler: waiting for wake-ups failed ({type(exc).__name__}: {exc})")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), min(self.idle_s, 1.0))
