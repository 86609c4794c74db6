"""The dashboard in a real browser: Playwright driving Debian's Chromium against the agent's own server.

Screenshots go to a temporary folder, or to $CARECALL_SCREENSHOTS_DIR (docs/screenshots refreshes them).
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from datetime import datetime
from datetime import time as dtime
from pathlib import Path

import pytest
import uvicorn

from agent.call.events import CallEvent
from agent.dashboard.live import LiveHub, LocalBroker
from dashboard_testkit import PASSWORDS, build, reservation_call, seed_call

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install -y chromium; scripts/test.sh does it)"
)


class Server:
    """The app under uvicorn on its own event loop in a thread."""

    def __init__(self, app):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.server.serve(),), daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        return self

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(5)

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--autoplay-policy=no-user-gesture-required"])
        yield browser
        browser.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("CARECALL_SCREENSHOTS_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def site(settings):
    app, store = build(settings)
    app.state.dashboard.hub = LiveHub(LocalBroker())
    with Server(app) as server:
        server.store, server.settings, server.app_hub = store, settings, app.state.dashboard.hub
        yield server
    store.engine.dispose()


def _log_in(page, site, username="minjun"):
    page.goto(f"{site.url}/dashboard/queue")
    assert "/dashboard/login" in page.url
    page.get_by_label("사용자 이름").fill(username)
    page.get_by_label("비밀번호").fill(PASSWORDS[username])
    page.get_by_role("button", name="로그인").click()
    page.wait_for_url("**/dashboard/queue")


def _wait_until(page, expression: str, timeout_s: float) -> None:
    """Poll ``expression`` from outside the page: the dashboard's Content-Security-Policy forbids the
    string evaluation ``page.wait_for_function`` does inside it."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        page.wait_for_timeout(50)


def test_operator_logs_in_plays_a_flagged_call_and_resolves_it(browser, site, shots):
    seed_call(site.store, site.settings, name="박순자", phone="+821030000001", flags=[("meal_skipped", "low", "입맛이 없어요", 1)])
    call_id = seed_call(site.store, site.settings, name="정영자", phone="+821030000002",
                        flags=[("fall", "high", "어제 넘어져서 무릎이 아파요.", 3)])  # fmt: skip
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    blocked = []  # what the Content-Security-Policy refused: nothing the pages need
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{site.url}/dashboard/login")
    page.screenshot(path=shots / "login.png")
    _log_in(page, site)

    rows = page.locator("#queue tbody tr")
    assert rows.count() == 2 and "정영자" in rows.nth(0).inner_text()  # high before low
    page.screenshot(path=shots / "queue.png", full_page=True)

    page.get_by_role("link", name="정영자").click()
    page.wait_for_url(f"**/dashboard/calls/{call_id}")
    assert page.locator("#turn-3.flagged").inner_text().find("넘어져서") >= 0
    page.evaluate("async () => { const a = document.getElementById('recording'); a.muted = true; await a.play(); }")
    _wait_until(page, "document.getElementById('recording').currentTime > 0.3", timeout_s=10)
    assert page.evaluate("document.getElementById('recording').readyState") >= 2
    page.evaluate("document.getElementById('recording').pause()")
    page.locator(".turn .at").nth(3).click()  # a turn's time seeks the recording
    _wait_until(page, "document.getElementById('recording').currentTime >= 7.5", timeout_s=5)
    page.evaluate("document.getElementById('recording').pause()")
    page.screenshot(path=shots / "call.png", full_page=True)

    page.get_by_label("처리 내용").fill("따님과 통화함, 내일 병원 동행 예정")
    page.get_by_role("button", name="처리 완료").click()
    page.wait_for_selector(".resolved")
    assert "minjun 님이" in page.locator(".resolved").inner_text()
    trail = page.locator("#audit-trail").inner_text()
    assert "알림 처리" in trail and "따님과 통화함, 내일 병원 동행 예정" in trail

    page.get_by_role("link", name="확인 대기").first.click()
    assert page.locator("#queue tbody tr").count() == 1 and "정영자" not in page.locator("#queue").inner_text()
    assert blocked == []


def test_bookings_page_follows_reservation_calls_and_live_calls_appear_without_reload(browser, site, shots):
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="ko-KR")
    _log_in(page, site, "hana")

    reservation_call(site.store, "reserve_dinner")
    page.get_by_role("link", name="예약").click()
    booking = page.locator("#bookings tbody tr")
    assert booking.count() == 1 and "01055501234" in booking.inner_text() and "19:00" in booking.inner_text()
    page.screenshot(path=shots / "bookings.png", full_page=True)
    reservation_call(site.store, "cancel_dinner")
    page.reload()
    assert page.locator("#bookings").count() == 0 and "예약이 없습니다." in page.content()

    page.get_by_role("link", name="실시간 통화").click()
    page.wait_for_selector("#live-status.on")
    site.run(site.app_hub(CallEvent("started", "live-1", data={"person": {"name": "김영수", "phone": "+821012345678"}})))
    site.run(site.app_hub(CallEvent("agent", "live-1", text="안녕하세요, 김영수 어르신. 식사는 하셨어요?", state="meal")))
    site.run(site.app_hub(CallEvent("caller", "live-1", text="네, 아침에 죽 먹었어요.")))
    card = page.locator('[data-call-id="live-1"]')
    card.locator(".turn.caller").wait_for()
    assert "김영수" in card.inner_text() and "죽 먹었어요" in card.inner_text()
    page.screenshot(path=shots / "live.png", full_page=True)
    site.run(site.app_hub(CallEvent("ended", "live-1", data={"outcome": "completed", "flags": []})))
    page.wait_for_selector('[data-call-id="live-1"].ended')


def test_a_weekly_report_shows_its_charts_and_prints_without_the_dashboard_around_it(browser, site, shots):
    from test_reports_operations import NOW, seed_week

    seed_week(site.store)
    site.server.config.app.state.dashboard.clock = lambda: NOW
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    _log_in(page, site)
    page.get_by_role("link", name="보고서").click()
    page.locator("#campaign-reports").get_by_role("link", name="11/23 주").click()
    page.wait_for_url("**/dashboard/reports/campaigns/camp-r?week=2026-11-23")
    assert page.locator('[data-k="placed"]').inner_text() == "8" and page.locator('[data-k="reached"]').inner_text() == "2"
    bars = page.locator('svg.chart[data-chart="calls"] g.week')
    assert bars.count() == 7 and bars.first.get_attribute("data-total") == "5"
    assert page.locator('svg.chart[data-chart="flags"]').is_visible()
    assert page.locator("#unreached tr:has(td)").count() == 2
    page.screenshot(path=shots / "report.png", full_page=True)
    page.emulate_media(media="print")  # what the browser's print and the PDF show
    assert not page.locator("header.top").is_visible() and not page.locator(".report-nav").is_visible()
    assert page.locator('svg.chart[data-chart="calls"]').is_visible()
    assert blocked == []


def test_an_operator_pauses_resumes_and_adds_contacts_to_a_campaign(browser, site, shots, tmp_path):
    from agent.campaigns.service import CampaignService
    from test_reports_operations import NOW

    service = CampaignService(engine=site.store.engine)
    campaign = service.create("12월 안부 전화", calling_hours={"days": "daily", "start": "09:00", "end": "18:00"})
    service.import_csv(campaign.id, "name,phone\n박순자,010-2000-0001\n")
    service.start(campaign.id, now=NOW)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    _log_in(page, site)
    page.get_by_role("link", name="캠페인").click()
    page.get_by_role("link", name="12월 안부 전화").click()
    assert page.locator("#campaign-status").inner_text() == "진행 중"
    page.get_by_role("button", name="일시 정지").click()
    page.wait_for_selector('#campaign-status[data-status="paused"]')
    assert service.get(campaign.id).status == "paused"
    page.get_by_role("button", name="다시 시작").click()
    page.wait_for_selector('#campaign-status[data-status="running"]')
    assert service.get(campaign.id).status == "running"

    upload = tmp_path / "명단.csv"
    upload.write_text("이름,전화번호\n이말순,010-2000-0002\n최복희,12345\n", encoding="utf-8")
    page.get_by_label("CSV 파일").set_input_files(upload)
    page.get_by_role("button", name="가져오기").click()
    page.wait_for_selector("#import-errors")
    assert "1명을 추가했습니다, 1줄은 건너뛰었습니다" in page.locator(".imported").inner_text()
    assert page.locator("#import-errors td").first.inner_text() == "3"
    assert "이말순" in page.locator("#contacts").inner_text()
    page.screenshot(path=shots / "campaign.png", full_page=True)


def test_an_admin_reads_a_persons_charts_and_opts_them_out_and_back_in(browser, site, shots):
    from agent.dashboard.people import week_starts
    from agent.store import PeopleStore, utcnow
    from dashboard_testkit import insert_row, update_row
    from dialog.clock import SEOUL

    now = utcnow()
    person_id = insert_row(site.store, "people", name="김영수", phone="+821012345678", care_worker="minjun", notes="",
                           consent="given", opted_out=False, created_at=now, updated_at=now)  # fmt: skip
    last_monday = week_starts(now, SEOUL)[-1]  # the page charts the eight weeks up to now
    call_id = seed_call(site.store, site.settings, flags=[("fall", "high", "어제 넘어졌어요", 3)],
                        answers={"meal": "skipped", "mood": "low"}, recording=False)  # fmt: skip
    update_row(site.store, "calls", call_id, started_at=datetime.combine(last_monday, dtime(12), SEOUL))
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    _log_in(page, site, "hana")
    page.get_by_role("link", name="대상자").click()
    page.get_by_role("link", name="김영수").click()
    page.wait_for_url(f"**/dashboard/people/{person_id}")
    meal = page.locator('svg.chart[data-answer="meal"]')
    assert meal.is_visible() and meal.locator('rect.seg[data-value="skipped"]').count() == 1
    page.screenshot(path=shots / "person.png", full_page=True)

    page.locator("#person-opt-out").get_by_label("사유").fill("본인이 전화 중단을 요청함")
    page.get_by_role("button", name="수신 거부로 변경").click()
    page.wait_for_selector('#person-opt-out-state[data-opted-out="true"]')
    assert PeopleStore(site.store.engine).is_opted_out("+821012345678")
    page.locator("#person-opt-out").get_by_label("사유").fill("본인이 다시 전화를 원함")
    page.get_by_role("button", name="다시 전화 받기로 변경").click()
    page.wait_for_selector('#person-opt-out-state[data-opted-out="false"]')
    assert not PeopleStore(site.store.engine).is_opted_out("+821012345678")
