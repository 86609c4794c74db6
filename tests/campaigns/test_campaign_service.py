"""The campaign service on SQLite and PostgreSQL: transitions, rounds, calling hours, claims, retries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest

from agent.campaigns.service import CampaignError, CampaignService
from agent.store.campaigns import AttemptRecord
from dialog.clock import SEOUL

WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=SEOUL)
HOURS = {"days": "mon-fri", "start": "10:00", "end": "18:00"}


def make(service: CampaignService, n: int = 3, **kwargs):
    campaign = service.create("안부", calling_hours=HOURS, **kwargs)
    rows = "\n".join(f"사람{i},010-7000-{i:04d}" for i in range(n))
    service.import_csv(campaign.id, "name,phone\n" + rows + "\n")
    return campaign


def attempts(service: CampaignService, campaign_id: str) -> list[AttemptRecord]:
    return service.ledger.attempts(campaign_id)


def test_transitions_are_checked(database_url):
    service = CampaignService(database_url)
    empty = service.create("빈 캠페인")
    with pytest.raises(CampaignError, match="no contacts"):
        service.start(empty.id, now=WEDNESDAY_NOON)
    with pytest.raises(CampaignError, match="max_concurrent"):
        service.create("x", max_concurrent=0)
    campaign = make(service)
    with pytest.raises(CampaignError, match="cannot go to running"):
        service.resume(campaign.id)
    assert service.start(campaign.id[:8], now=WEDNESDAY_NOON).status == "running"  # an id prefix is enough
    with pytest.raises(CampaignError, match="only a draft"):
        service.start(campaign.id, now=WEDNESDAY_NOON)
    assert service.pause("안부").status == "paused"  # or the name
    assert service.resume(campaign.id).status == "running"
    with pytest.raises(CampaignError, match="no campaign"):
        service.get("nope")


def test_calling_hours_decide_when_attempts_fall_due(database_url):
    service = CampaignService(database_url)
    campaign = make(service)
    service.start(campaign.id, now=WEDNESDAY_NOON)
    friday_evening = datetime(2026, 11, 27, 19, 0, tzinfo=SEOUL)
    assert service.plan_rounds(now=friday_evening) == 3
    assert service.plan_rounds(now=friday_evening) == 0  # once planned, never twice
    assert {a.scheduled_for.replace(tzinfo=UTC) for a in attempts(service, campaign.id)} == {
        datetime(2026, 11, 30, 10, 0, tzinfo=SEOUL)}  # Monday 10:00
    assert service.take_due(now=datetime(2026, 11, 29, 12, 0, tzinfo=SEOUL)) == []  # Sunday
    monday = datetime(2026, 11, 30, 10, 5, tzinfo=SEOUL)
    service.pause(campaign.id)
    assert service.take_due(now=monday) == []  # paused: nothing goes out
    service.resume(campaign.id)
    jobs = service.take_due(now=monday)
    assert len(jobs) == 3 and service.take_due(now=monday) == []


def test_a_campaign_at_its_cap_does_not_fill_the_queue_ahead_of_the_others(database_url):
    """Each campaign has at most QUEUED_PER_SLOT × its cap attempts queued or live, so a large campaign that
    started first cannot hold every dialer while a later one's calls wait behind it."""
    service = CampaignService(database_url)
    big = service.create("큰 캠페인", calling_hours=HOURS, max_concurrent=2)
    service.import_csv(big.id, "name,phone\n" + "\n".join(f"큰{i},010-7100-{i:04d}" for i in range(10)) + "\n")
    small = service.create("작은 캠페인", calling_hours=HOURS, max_concurrent=1)
    service.import_csv(small.id, "name,phone\n" + "\n".join(f"작은{i},010-7200-{i:04d}" for i in range(3)) + "\n")
    service.start(big.id, now=WEDNESDAY_NOON)
    service.plan_rounds(now=WEDNESDAY_NOON)
    service.start(small.id, now=WEDNESDAY_NOON)
    service.plan_rounds(now=WEDNESDAY_NOON)

    first = service.take_due(now=WEDNESDAY_NOON)
    by_campaign = {c.id: [j for j in first if j.campaign_id == c.id] for c in (big, small)}
    assert len(by_campaign[big.id]) == 2 * 2 and len(by_campaign[small.id]) == 2 * 1
    assert service.take_due(now=WEDNESDAY_NOON) == []  # nothing more while those wait

    claim = service.claim(by_campaign[big.id][0].attempt_id, "dialer-1")  # live: still counts
    assert claim is not None and service.take_due(now=WEDNESDAY_NOON) == []
    service.finish(claim.attempt_id, "completed", now=WEDNESDAY_NOON)  # ended: its room is free again
    [more] = service.take_due(now=WEDNESDAY_NOON)
    assert more.campaign_id == big.id
    assert sum(a.status == "scheduled" for a in attempts(service, big.id)) == 10 - 5  # the rest wait their turn


def test_only_one_claim_of_an_attempt_wins(database_url):
    service = CampaignService(database_url)
    campaign = make(service, n=1)
    service.start(campaign.id, now=WEDNESDAY_NOON)
    service.plan_rounds(now=WEDNESDAY_NOON)
    [job] = service.take_due(now=WEDNESDAY_NOON)
    with ThreadPoolExecutor(8) as pool:
        claims = list(pool.map(lambda i: service.claim(job.attempt_id, f"dialer-{i}", f"SIM{i}"), range(8)))
    winners = [c for c in claims if c is not None]
    assert len(winners) == 1
    [row] = attempts(service, campaign.id)
    assert row.status == "dialing" and row.dialer == f"dialer-{winners[0].call_sid[3:]}"


def test_a_paused_campaign_hands_its_queued_attempt_back(database_url):
    service = CampaignService(database_url)
    campaign = make(service, n=1)
    service.start(campaign.id, now=WEDNESDAY_NOON)
    service.plan_rounds(now=WEDNESDAY_NOON)
    [job] = service.take_due(now=WEDNESDAY_NOON)
    service.pause(campaign.id)
    assert service.claim(job.attempt_id, "d") is None
    assert attempts(service, campaign.id)[0].status == "scheduled"


def test_retries_follow_the_policy_and_the_hours_and_only_the_first_report_counts(database_url):
    service = CampaignService(database_url)
    campaign = make(service, n=1, retry_policy={"no_answer": {"max_retries": 1, "delay_minutes": 30}})
    service.start(campaign.id, now=WEDNESDAY_NOON)
    service.plan_rounds(now=WEDNESDAY_NOON)
    [job] = service.take_due(now=WEDNESDAY_NOON)
    assert service.claim(job.attempt_id, "d")
    late = datetime(2026, 11, 25, 17, 50, tzinfo=SEOUL)
    first = service.finish(job.attempt_id, "no_answer", now=late)
    assert first.recorded and not first.final
    assert first.retry_at == datetime(2026, 11, 26, 10, 0, tzinfo=SEOUL)  # 18:20 is closed: next morning
    assert not service.finish(job.attempt_id, "completed", now=late).recorded  # a late second report changes nothing
    second = attempts(service, campaign.id)[1]
    assert (second.attempt_no, second.status) == (2, "scheduled")
    [job2] = service.take_due(now=datetime(2026, 11, 26, 10, 1, tzinfo=SEOUL))
    service.claim(job2.attempt_id, "d")
    assert service.finish(job2.attempt_id, "no_answer", now=datetime(2026, 11, 26, 10, 2, tzinfo=SEOUL)).final
    assert service.finish_campaigns() == [campaign.id]


def test_daily_rounds_start_each_calling_day_and_keep_retries_within_the_day(database_url):
    service = CampaignService(database_url)
    campaign = make(service, n=2, recurrence="daily", start_date=date(2026, 11, 25),
                    retry_policy={"busy": {"max_retries": 3, "delay_minutes": 60}})
    service.start(campaign.id, now=datetime(2026, 11, 24, 9, 0, tzinfo=SEOUL))
    assert service.plan_rounds(now=datetime(2026, 11, 24, 12, 0, tzinfo=SEOUL)) == 0  # before the start date
    assert service.plan_rounds(now=WEDNESDAY_NOON) == 2
    assert service.plan_rounds(now=datetime(2026, 11, 25, 19, 0, tzinfo=SEOUL)) == 0
    jobs = service.take_due(now=WEDNESDAY_NOON)
    service.claim(jobs[0].attempt_id, "d")
    assert service.finish(jobs[0].attempt_id, "busy", now=datetime(2026, 11, 25, 17, 30, tzinfo=SEOUL)).final
    assert service.plan_rounds(now=datetime(2026, 11, 28, 12, 0, tzinfo=SEOUL)) == 0  # Saturday
    assert service.plan_rounds(now=datetime(2026, 11, 30, 9, 0, tzinfo=SEOUL)) == 2  # Monday's round
    rounds = {a.round_date for a in attempts(service, campaign.id)}
    assert rounds == {date(2026, 11, 25), date(2026, 11, 30)}
    assert service.finish_campaigns() == []  # a daily campaign keeps running
