"""A campaign's on-call number: stored with the campaign, carried by each claim, passed to the call's stream."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from agent.campaigns.service import CampaignError, CampaignService
from agent.campaigns.twilio_placer import TwilioPlacer
from agent.campaigns.waiters import Waiters
from dialog.clock import SEOUL

WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=SEOUL)
HOURS = {"days": "daily", "start": "09:00", "end": "18:00"}


def test_the_campaigns_handoff_number_reaches_the_calls_stream(sqlite_url):
    service = CampaignService(sqlite_url)
    campaign = service.create("안부", calling_hours=HOURS, handoff_number="010-7777-8888")
    assert campaign.handoff_number == "+821077778888" and service.get(campaign.id).handoff_number == "+821077778888"
    service.import_csv(campaign.id, "name,phone\n김영수,010-2000-0001\n")
    service.start(campaign.id, now=WEDNESDAY_NOON)
    service.plan_rounds(now=WEDNESDAY_NOON)
    [job] = service.take_due(now=WEDNESDAY_NOON)
    claim = service.claim(job.attempt_id, "dialer-1")
    assert claim.handoff_number == "+821077778888"
    placer = TwilioPlacer(None, service, Waiters(None), from_number="+8215880000", base_url="https://agent.example.org")
    query = parse_qs(urlsplit(placer.answer_url(claim)).query)
    assert query["handoff_number"] == ["+821077778888"]


def test_a_campaign_without_a_number_leaves_it_to_the_server(sqlite_url):
    service = CampaignService(sqlite_url)
    campaign = service.create("안부", calling_hours=HOURS)
    assert campaign.handoff_number is None


def test_an_undialable_handoff_number_is_refused(sqlite_url):
    with pytest.raises(CampaignError, match="handoff number"):
        CampaignService(sqlite_url).create("안부", calling_hours=HOURS, handoff_number="12")
