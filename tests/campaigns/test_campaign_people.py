"""Campaigns and the people registry, on SQLite and PostgreSQL: the CSV import fills the registry (bad rows
reported by line), and an opted-out person is never dialled: not when their attempt falls due, and not when
they opt out while its job waits in the queue; the attempt ends ``opted_out``, never silently."""

from __future__ import annotations

import asyncio
from datetime import datetime

from agent.campaigns.dialer import Dialer, DialerConfig
from agent.campaigns.placers import Outcome
from agent.campaigns.queue import MemoryJobQueue
from agent.campaigns.service import CampaignService
from agent.campaigns.slots import MemorySlots
from agent.store import UserStore, make_engine
from agent.store.campaigns import OPTED_OUT_DETAIL
from dialog.clock import SEOUL

WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=SEOUL)
HOURS = {"days": "mon-fri", "start": "10:00", "end": "18:00"}


class RecordingPlacer:
    """Answers every call at once, and remembers whom it dialled."""

    name = "test"

    def __init__(self) -> None:
        self.dialled: list[str] = []

    def new_sid(self) -> str | None:
        return None

    async def place(self, claim, progress) -> Outcome:
        self.dialled.append(claim.phone)
        await progress("in_progress")
        return Outcome("completed", None, "answered")

    async def recover(self, attempt) -> Outcome:
        raise AssertionError("nothing to recover here")

    async def reconcile(self, earlier, claim) -> Outcome | None:
        return None


def _service(database_url: str, n: int = 3, **kwargs):
    service = CampaignService(database_url)
    campaign = service.create("안부", calling_hours=HOURS, **kwargs)
    rows = "\n".join(f"사람{i},010-7000-{i:04d}" for i in range(n))
    assert service.import_csv(campaign.id, "name,phone\n" + rows + "\n").added == n
    service.start(campaign.id, now=WEDNESDAY_NOON)
    return service, campaign


def test_the_csv_import_fills_the_registry_and_reports_bad_registry_cells_by_line(database_url):
    engine = make_engine(database_url)
    service = CampaignService(engine=engine)
    UserStore(engine).add("minjun", "x", "operator")
    campaign = service.create("안부", calling_hours=HOURS)
    report = service.import_csv(campaign.id, (
        "이름,전화번호,메모,담당자,보호자,보호자 연락처,특이사항\n"
        "김영수,010-1111-2222,sim=answer,minjun,김딸,010-9999-0001,귀가 어두우심\n"  # 2 ok
        "박순자,010-3333-4444,,nobody,,,\n"                                          # 3 unknown care worker
        "이말순,010-5555-6666,,,아들,02-12,\n"                                        # 4 bad guardian phone
        "최복희,010-7777-8888,,,,,\n"                                                 # 5 ok, nothing for the registry
    ))  # fmt: skip
    assert report.added == 2
    assert [(e.line, e.reason) for e in report.errors] == [
        (3, "care worker 'nobody' is not a dashboard user"),
        (4, "guardian phone: '02-12' is not a phone number (expected +821012345678 or 010-1234-5678)"),
    ]
    people = service.people
    kim = people.by_phone("+821011112222")
    assert (kim.name, kim.care_worker, kim.guardian_name, kim.guardian_phone, kim.notes) == (
        "김영수", "minjun", "김딸", "+821099990001", "귀가 어두우심")
    assert people.by_phone("+821077778888").care_worker is None
    assert people.by_phone("+821033334444") is None  # a skipped row registers no one
    assert service.ledger.results(campaign.id).contacts[0].notes == "sim=answer"  # the contact keeps its notes


def test_an_opted_out_person_is_not_scheduled_and_one_opting_out_while_queued_is_not_dialled(database_url):
    service, campaign = _service(database_url, n=3)
    people = service.people
    people.set_opted_out("010-7000-0002", True, actor="hana", reason="전화 사절")  # before it falls due
    assert service.plan_rounds(now=WEDNESDAY_NOON) == 3
    jobs = service.take_due(now=WEDNESDAY_NOON)
    assert len(jobs) == 2  # the opted-out person's attempt never goes on the queue ...
    by_phone = _attempts_by_phone(service, campaign.id)
    assert (by_phone["+821070000002"].status, by_phone["+821070000002"].final) == ("opted_out", True)
    assert by_phone["+821070000002"].detail == OPTED_OUT_DETAIL  # ... and ends saying why

    people.set_opted_out("+821070000001", True, actor="call", reason="통화 중 요청", call_id=7)  # while queued
    placer = RecordingPlacer()
    queue = MemoryJobQueue()

    async def run() -> None:
        for job in jobs:
            await queue.enqueue(job)
        dialer = Dialer(service, queue, MemorySlots(), placer, DialerConfig(name="d1", block_ms=20))
        stop = asyncio.Event()
        task = asyncio.create_task(dialer.run(stop))
        for _ in range(500):
            if all(a.final for a in service.ledger.attempts(campaign.id)):
                break
            await asyncio.sleep(0.01)
        stop.set()
        await task

    asyncio.run(run())
    assert placer.dialled == ["+821070000000"]
    by_phone = _attempts_by_phone(service, campaign.id)
    assert {p: (a.status, a.final) for p, a in by_phone.items()} == {
        "+821070000000": ("completed", True), "+821070000001": ("opted_out", True),
        "+821070000002": ("opted_out", True)}
    assert by_phone["+821070000001"].dialer is None and by_phone["+821070000001"].ended_at is not None
    assert service.status(campaign.id).by_status == {"completed": 1, "opted_out": 2}
    assert service.finish_campaigns() == [campaign.id]  # every contact ended: nothing waits forever


def test_an_opted_out_person_is_skipped_every_round_of_a_daily_campaign_and_never_retried(database_url):
    service, campaign = _service(database_url, n=1, recurrence="daily",
                                 retry_policy={"no_answer": {"max_retries": 3, "delay_minutes": 5}})
    service.people.set_opted_out("010-7000-0000", True, actor="hana", reason="x")
    thursday = datetime(2026, 11, 26, 12, 0, tzinfo=SEOUL)
    for day in (WEDNESDAY_NOON, thursday):
        assert service.plan_rounds(now=day) == 1
        assert service.take_due(now=day) == []
    assert [(a.round_date.day, a.status, a.final) for a in service.ledger.attempts(campaign.id)] == [
        (25, "opted_out", True), (26, "opted_out", True)]
    assert service.finish("missing", "opted_out").recorded is False  # an ending status the service accepts


def _attempts_by_phone(service: CampaignService, campaign_id: str):
    results = service.ledger.results(campaign_id)
    phones = {c.id: c.phone for c in results.contacts}
    return {phones[a.contact_id]: a for a in results.attempts}
