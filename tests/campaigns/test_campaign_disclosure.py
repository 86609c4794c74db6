"""A campaign's own disclosure (on whose behalf, in what words): stored with the campaign, carried by each
claim to the call's stream, preferred by the call over the line's, the server's and the scenario's; and a
simulated call in which the callee opts out is stored on the person, as a live call is."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from agent.call.disclosure import call_disclosure
from agent.call.lines import PhoneLine
from agent.campaigns.carrier import SimulatedCarrier
from agent.campaigns.service import CampaignError, CampaignService
from agent.campaigns.twilio_placer import TwilioPlacer
from agent.campaigns.waiters import Waiters
from agent.store import AuditLog, CallStore, PeopleStore
from dialog import DialogSession, load_scenario
from dialog.clock import SEOUL
from telephony.routes import DEFAULT_PASSTHROUGH

WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=SEOUL)
HOURS = {"days": "daily", "start": "09:00", "end": "18:00"}
OWN_WORDS = "{organization}에서 자동으로 거는 안부 전화예요. 통화는 녹음돼요."


def _claim(service: CampaignService, notes: str = "", **campaign):
    created = service.create("안부", calling_hours=HOURS, **campaign)
    service.import_csv(created.id, f"name,phone,notes\n김영수,010-2000-0001,{notes}\n")
    service.start(created.id, now=WEDNESDAY_NOON)
    service.plan_rounds(now=WEDNESDAY_NOON)
    [job] = service.take_due(now=WEDNESDAY_NOON)
    return created, service.claim(job.attempt_id, "dialer-1", call_sid="SIM-1")


def _opening(params: dict[str, str], line: PhoneLine | None = None, server: str | None = None) -> str:
    told = call_disclosure(params, line, server)
    session = DialogSession(load_scenario("care_call"), person={"name": "김영수"}, now=WEDNESDAY_NOON,
                            organization=told.organization, disclosure=told.lines)
    return session.start().text


def test_the_campaigns_disclosure_travels_to_the_stream_and_the_call_says_it(sqlite_url):
    service = CampaignService(sqlite_url)
    campaign, claim = _claim(service, organization=" 행복구청 ", disclosure=[OWN_WORDS, "  "])
    assert (campaign.organization, campaign.disclosure) == ("행복구청", (OWN_WORDS,))
    assert service.get(campaign.id).disclosure == (OWN_WORDS,)
    assert (claim.organization, claim.disclosure) == ("행복구청", (OWN_WORDS,))

    placer = TwilioPlacer(None, service, Waiters(None), from_number="+8215880000", base_url="https://agent.example.org")
    query = {k: v[0] for k, v in parse_qs(urlsplit(placer.answer_url(claim)).query).items()}
    assert {"organization", "disclosure"} <= set(DEFAULT_PASSTHROUGH)  # /twiml hands them on to the stream
    assert json.loads(query["disclosure"]) == [OWN_WORDS]

    line = PhoneLine("+8215881234", "구청", "care_call", None, None, "한빛복지관", ("한빛복지관 AI 상담원입니다.",))
    opening = _opening(query, line, server="돌봄재단")  # the campaign's, not the line's or the server's
    assert "행복구청에서 자동으로 거는 안부 전화예요" in opening
    assert "한빛복지관" not in opening and "돌봄재단" not in opening


def test_without_campaign_wording_the_line_then_the_server_then_the_scenario_speak():
    line = PhoneLine("+8215881234", "복지관", "care_call", None, None, "한빛복지관", ())
    assert "저는 한빛복지관의 AI 상담원이고" in _opening({}, line, server="돌봄재단")
    assert "저는 돌봄재단의 AI 상담원이고" in _opening({"organization": " "}, None, server="돌봄재단")
    assert "저는 돌봄센터의 AI 상담원이고" in _opening({"disclosure": "not json"})  # the scenario's default
    only_org = _opening({"organization": "행복구청"}, line)  # the campaign's name in the line's words
    assert "저는 행복구청의 AI 상담원이고" in only_org


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"organization": "가" * 101}, "organization"),
    ({"disclosure": ["가" * 301]}, "at most 300"),
    ({"disclosure": ["{organization 녹음돼요"]}, "disclosure line"),
])  # fmt: skip
def test_bad_campaign_wording_is_refused(sqlite_url, kwargs, error):
    with pytest.raises(CampaignError, match=error):
        CampaignService(sqlite_url).create("안부", calling_hours=HOURS, **kwargs)


def test_a_simulated_call_that_ends_opted_out_opts_the_person_out(sqlite_url):
    service = CampaignService(sqlite_url)
    _, claim = _claim(service, notes="sim=answer; persona=opts_out", organization="행복구청")
    carrier = SimulatedCarrier(CallStore(sqlite_url), ring_s=0, turn_s=0)

    async def progress(_: str) -> None:
        return None

    outcome = asyncio.run(carrier.place(claim, progress))
    assert (outcome.status, outcome.detail) == ("completed", "opted_out")
    record = CallStore(sqlite_url).get_call(outcome.call_id)
    assert "행복구청" in record.turns[0].text  # the simulated call opens with the campaign's organisation too
    engine = CallStore(sqlite_url).engine
    person = PeopleStore(engine).by_phone("+821020000001")
    assert person.opted_out and person.opt_out_source == f"call:{outcome.call_id}"
    assert person.opt_out_reason  # the callee's own words
    [event] = AuditLog(engine).recent(action="person.opt_out")
    assert event.username == "callee"
