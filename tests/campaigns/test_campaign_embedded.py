"""The embedded default: scheduler and dialer in one process, no Redis, SQLite; the fast carrier runs the
real dialog as text."""

from __future__ import annotations

import asyncio

from agent.campaigns.carrier import SimulatedCarrier
from agent.campaigns.network import SimulatedNetwork
from agent.campaigns.runtime import backend, run_embedded
from agent.campaigns.service import CampaignService
from agent.settings import Settings
from agent.store import CallStore

ALL_DAY = {"days": "daily", "start": "00:00", "end": "24:00"}
FAST_RETRY = {k: {"max_retries": 2, "delay_minutes": 0.002} for k in ("no_answer", "busy", "failed", "voicemail")}


async def run_until_finished(settings, service, placer, campaign_id, timeout=60):
    back = backend(settings)
    stop = asyncio.Event()
    runner = asyncio.create_task(run_embedded(settings, service, back, placer, stop, idle_s=0.2))
    try:
        async with asyncio.timeout(timeout):
            while service.get(campaign_id).status != "finished":
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await runner
        await back.close()


async def test_embedded_campaign_runs_to_the_end_with_retries_and_real_dialogs(sqlite_url, tmp_path):
    service = CampaignService(sqlite_url)
    campaign = service.create("안부 전화", calling_hours=ALL_DAY, retry_policy=FAST_RETRY, max_concurrent=3)
    rows = ["name,phone,notes",
            "김영수,010-1111-0001,",
            "이순자,010-1111-0002,sim=no_answer,answer; persona=fever_cough",
            "박민수,010-1111-0003,sim=busy",
            "최영희,+821011110004,sim=voicemail,no_answer,answer"]
    # the notes of line 3 hold a comma: quote them as a CSV must
    rows[2] = '이순자,010-1111-0002,"sim=no_answer,answer; persona=fever_cough"'
    rows[4] = '최영희,+821011110004,"sim=voicemail,no_answer,answer"'
    report = service.import_csv(campaign.id, "\n".join(rows) + "\n")
    assert report.added == 4 and report.errors == []
    service.start(campaign.id)
    settings = Settings(data_dir=tmp_path, database_url=sqlite_url, redis_url=None, dialer_node_max_concurrent=2)
    store = CallStore(sqlite_url)
    await run_until_finished(settings, service, SimulatedCarrier(store, SimulatedNetwork(), ring_s=0.01), campaign.id)

    status = service.status(campaign.id)
    assert status.done == status.contacts == 4
    assert status.by_status == {"completed": 3, "busy": 1}
    calls = {c.person_name: c for c in store.list_calls(limit=50)}
    assert set(calls) == {"김영수", "이순자", "최영희"}
    assert calls["김영수"].outcome == "completed" and calls["김영수"].answers["meal"] == "eaten"
    assert "fever" in {f.rule for f in calls["이순자"].flags}
    assert len(calls["이순자"].turns) > 6


async def test_embedded_run_settles_a_call_an_earlier_process_left_live(sqlite_url, tmp_path):
    service = CampaignService(sqlite_url)
    store = CallStore(sqlite_url)
    campaign = service.create("재시작", calling_hours=ALL_DAY, retry_policy=FAST_RETRY)
    service.import_csv(campaign.id, "name,phone,notes\n김영수,010-3000-0001,sim=answer\n")
    service.start(campaign.id)
    service.plan_rounds()
    [job] = service.take_due()
    claim = service.claim(job.attempt_id, "old-process", "SIMdead")
    store.start_call(call_sid=claim.call_sid, phone_number=claim.phone, person_name=claim.name)  # then it died

    settings = Settings(data_dir=tmp_path, database_url=sqlite_url, redis_url=None)
    await run_until_finished(settings, service, SimulatedCarrier(store, SimulatedNetwork(), ring_s=0.01), campaign.id)

    first, second = sorted(attempts_of(service, campaign.id), key=lambda a: a.attempt_no)
    assert (first.status, first.final, first.attempt_no) == ("failed", False, 1)
    assert "old-process stopped during the call" in first.detail
    assert (second.status, second.final) == ("completed", True)
    outcomes = sorted(c.outcome for c in store.list_calls())
    assert outcomes == ["completed", "dropped"]  # the dead call closed, one new call, nothing dialed twice


def attempts_of(service, campaign_id):
    return service.ledger.attempts(campaign_id)
