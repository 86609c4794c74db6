"""The scheduler: plans each round's attempts, and puts attempts on the queue when they fall due and
their campaign's calling hours are open. It sleeps until the next attempt is due, or until a dialer wakes
it (a retry was scheduled, a campaign resumed); one scheduler at a time holds the tick lock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from loguru import logger

from agent.campaigns.queue import JobQueue
from agent.campaigns.service import CampaignService
from agent.store.clock import utcnow


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
    ):
        self.service = service
        self.queue = queue
        self.redis = redis
        self.lock_name = lock_name
        self.idle_s = idle_s
        self.requeue_after = requeue_after
        self.enqueued = 0

    async def tick(self) -> int:
        """One pass; returns how many jobs went on the queue."""
        if self.redis is None:
            return await self._tick()
        lock = self.redis.lock(self.lock_name, timeout=60)
        if not await lock.acquire(blocking=False):
            return 0
        try:
            return await self._tick()
        finally:
            await lock.release()

    async def _tick(self) -> int:
        service = self.service
        created = await asyncio.to_thread(service.plan_rounds)
        if created:
            logger.info(f"scheduler: {created} attempt(s) planned")
        jobs = await asyncio.to_thread(service.take_due)
        jobs += await asyncio.to_thread(service.stale_queued, self.requeue_after)
        for job in jobs:
            await self.queue.enqueue(job)
        await asyncio.to_thread(service.finish_campaigns)
        self.enqueued += len(jobs)
        return len(jobs)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
                due = await asyncio.to_thread(self.service.next_due_at)
            except Exception:
                logger.exception("scheduler tick failed; trying again")
                due = None
            wait = self.idle_s if due is None else (due - utcnow()).total_seconds()
            await self.queue.wait_wake(min(self.idle_s, max(0.05, wait)))
