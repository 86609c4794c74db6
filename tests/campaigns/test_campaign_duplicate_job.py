"""A job delivered twice (the scheduler re-sends one that waited too long in the queue) must not let two calls
of one campaign run past its cap: each delivery holds its own slots, so the copy that loses the claim frees
only its own."""

from __future__ import annotations

import asyncio
from datetime import datetime

from agent.campaigns.dialer import Dialer, DialerConfig
from agent.campaigns.placers import Outcome
from agent.campaigns.queue import MemoryJobQueue
from agent.campaigns.service import CampaignService
from agent.campaigns.slots import MemorySlots
from agent.store import migrate
from dialog.clock import SEOUL

WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=SEOUL)


class SlowPlacer:
    """Each call lasts a moment; remembers whom it dialled and the most calls it had at once."""

    name = "test"

    def __init__(self) -> None:
        self.dialled: list[str] = []
        self.live = 0
        self.most_at_once = 0

    def new_sid(self) -> str | None:
        return None

    async def place(self, claim, progress) -> Outcome:
        self.dialled.append(claim.phone)
        self.live += 1
        self.most_at_once = max(self.most_at_once, self.live)
        await asyncio.sleep(0.2)
        self.live -= 1
        return Outcome("completed", None, "answered")

    async def recover(self, attempt) -> Outcome:
        raise AssertionError("nothing to recover here")

    async def reconcile(self, earlier, claim) -> Outcome | None:
        return None


def test_a_second_copy_of_a_job_cannot_free_the_campaign_slot_of_the_call_in_progress(tmp_path):
    url = f"sqlite:///{tmp_path / 'calls.db'}"
    migrate(url)
    service = CampaignService(url)
    campaign = service.create("안부", max_concurrent=1,
                              calling_hours={"days": "mon-fri", "start": "10:00", "end": "18:00"})  # fmt: skip
    assert service.import_csv(campaign.id, "name,phone\n김하나,010-7100-0001\n박둘,010-7100-0002\n").added == 2
    service.start(campaign.id, now=WEDNESDAY_NOON)
    service.plan_rounds(now=WEDNESDAY_NOON)
    first, second = service.take_due(now=WEDNESDAY_NOON)
    placer = SlowPlacer()

    async def run() -> None:
        queue = MemoryJobQueue()
        for job in (first, first, second):  # the first job twice, as a re-sent job arrives
            await queue.enqueue(job)
        dialer = Dialer(service, queue, MemorySlots(), placer, DialerConfig(name="d1", block_ms=20))
        stop = asyncio.Event()
        task = asyncio.create_task(dialer.run(stop))
        for _ in range(300):
            if all(a.final for a in service.ledger.attempts(campaign.id)):
                break
            await asyncio.sleep(0.01)
        stop.set()
        await task

    asyncio.run(run())
    assert sorted(placer.dialled) == ["+821071000001", "+821071000002"]  # each once
    assert placer.most_at_once == 1  # the campaign's cap held
