"""The dashboard in a real browser: Playwright driving Debian's Chromium against the agent's own server.

Screenshots go to a temporary folder, or to $CARECALL_SCREENSHOTS_DIR (docs/screenshots refreshes them).
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
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
