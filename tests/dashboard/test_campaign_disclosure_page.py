"""The campaign page says on whose behalf, and in what words, the campaign's calls disclose themselves."""

from __future__ import annotations

from dashboard_testkit import login

from agent.campaigns.service import CampaignService

HOURS = {"days": "daily", "start": "09:00", "end": "18:00"}


def test_the_campaign_page_shows_its_organisation_and_disclosure(env):
    service = CampaignService(engine=env.store.engine)
    own = service.create("구청 안부", calling_hours=HOURS, organization="행복구청",
                         disclosure=["{organization}에서 자동으로 거는 안부 전화예요."])  # fmt: skip
    plain = service.create("기본 안부", calling_hours=HOURS)
    client = login(env.app, "minjun")
    page = client.get(f"/dashboard/campaigns/{own.id}").text
    assert "안내 기관: 행복구청" in page and "「{organization}에서 자동으로 거는 안부 전화예요.」" in page
    page = client.get(f"/dashboard/campaigns/{plain.id}").text
    assert "안내 기관: 회선·서버 설정" in page and "시나리오 기본 문구" in page
