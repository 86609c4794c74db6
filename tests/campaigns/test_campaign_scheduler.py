"""The scheduler sleeps while a campaign's attempts are held back by the queue bound, and wakes when one ends."""

from __future__ import annotations

import asyncio
from datetime import datetime

from dialog.clock import SEOUL

from agent.campaigns.queue import MemoryJobQueue
from agent.campaigns.scheduler import Scheduler
from agent.campaigns.service import CampaignService
from agent.store import migrate

WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=SEOUL)  # inside the campaign's calling hours


class CountingScheduler(Scheduler):
    ticks = 0

    async def tick(self) -> int:
        self.ticks += 1
        return await super().tick()


def test_held_back_attempts_wait_for_a_wake_up_not_a_busy_loop(tmp_path):
    url = f"sqlite:///{tmp_path / 'calls.db'}"
    migrate(url)
    service = CampaignService(url)
    campaign = service.create("안부", max_concurrent=1)
    service.import_csv(campaign.id, "name,phone\n" + "\n".join(f"사람{i},010-7300-{i:04d}" for i in range(5)) + "\n")
    service.start(campaign.id, now=WEDNESDAY_NOON)

    async def run() -> None:
        queue = MemoryJobQueue()
        scheduler = CountingScheduler(service, queue, idle_s=30.0, clock=lambda: WEDNESDAY_NOON)
        stop = asyncio.Event()
        task = asyncio.create_task(scheduler.run(stop))
        try:
            await asyncio.sleep(0.6)
            jobs = await queue.read("test", 10, 10)
            assert len(jobs) == 2  # 2 × the cap of 1; three attempts are due and held back
            assert scheduler.ticks <= 3, f"{scheduler.ticks} ticks in 0.6 s: a busy loop"

            claim = service.claim(jobs[0].job.attempt_id, "test")
            service.finish(claim.attempt_id, "completed")
            await queue.wake()  # what a dialer does after recording an end
            more = await queue.read("test", 10, 2000)
            assert len(more) == 1 and more[0].job.attempt_id not in {j.job.attempt_id for j in jobs}
        finally:
            stop.set()
            await queue.wake()
            await asyncio.wait_for(task, 5)

    asyncio.run(run())
