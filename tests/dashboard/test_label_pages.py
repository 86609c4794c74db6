"""Every page and export names what a call recorded in Korean, by the call's own scenario: the built-in
scenarios' names, and an operator's scenario's own."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

from dashboard_testkit import insert_row, login, seed_call, update_row

WINTER_CHECK = Path(__file__).parents[1] / "dialog" / "winter_check.yaml"  # an operator's own scenario


def test_queue_call_page_and_history_show_korean_names(env):
    store, settings = env.store, env.settings
    earlier = seed_call(store, settings, flags=[("not_eating", "medium", "입맛이 없어요", 1)],
                        answers={"meal": "skipped", "symptoms": ["fever", "cough"]})  # fmt: skip
    update_row(store, "calls", earlier, started_at=datetime(2026, 11, 30, 1, tzinfo=UTC), outcome="opted_out")
    call_id = seed_call(store, settings, flags=[("fall", "high", "어제 넘어졌어요", 3)],
                        answers={"meal": "eaten", "health": "unwell", "mood": "unknown"})  # fmt: skip
    client = login(env.app, "minjun")

    queue = client.get("/dashboard/queue").text
    assert '<b class="flag-label">낙상</b>' in queue and '<b class="flag-label">식사 거름</b>' in queue
    assert "<td>완료</td>" in queue and "<td>수신 거부</td>" in queue
    assert ">fall<" not in queue and ">not_eating<" not in queue  # (the seeded messages quote the rule)

    page = client.get(f"/dashboard/calls/{call_id}").text
    assert '<strong class="flag-label">낙상</strong>' in page
    assert "<th>식사</th><td>드심</td>" in page and "<th>건강</th><td>불편하심</td>" in page
    assert "<th>기분</th><td>확인 못 함</td>" in page
    assert "<dt>결과</dt><dd>완료" in page
    # The person's earlier call, in the history table: its outcome, flag and answers by name too.
    assert "<td>수신 거부</td>" in page and ">식사 거름</span>" in page and "식사: 거르심, 증상: 열, 기침" in page
    for code in ("skipped", "eaten", "unwell", "opted_out", "<code>fall</code>"):
        assert code not in page


def test_a_call_of_an_operators_scenario_shows_that_scenarios_names(env, tmp_path):
    path = WINTER_CHECK
    call_id = seed_call(env.store, env.settings, flags=[("cold_home", "high", "보일러가 고장 났어요", 1)],
                        answers={"heating": "cold", "walked_today": "no"})  # fmt: skip
    update_row(env.store, "calls", call_id, scenario=str(path))
    client = login(env.app, "minjun")
    page = client.get(f"/dashboard/calls/{call_id}").text
    assert '<strong class="flag-label">난방 문제</strong>' in page
    assert "<th>난방</th><td>추움</td>" in page and "<th>오늘 산책</th><td>아니요</td>" in page
    assert "<dt>결과</dt><dd>안부 확인 완료" in page  # the scenario renamed an outcome
    assert '<b class="flag-label">난방 문제</b>' in client.get("/dashboard/queue").text


def test_campaign_page_and_csv_use_the_campaign_scenarios_names(env):
    store = env.store
    call_id = seed_call(store, env.settings, flags=[("missed_medication", "medium", "깜빡했어요", 2)],
                        answers={"medication": "missed", "take_when": "ran_out"})  # fmt: skip
    update_row(store, "calls", call_id, scenario="medication_reminder")
    now = datetime.now(UTC)
    insert_row(store, "campaigns", id="camp-m", name="복약 안내", scenario="medication_reminder", status="running",
               timezone="Asia/Seoul", calling_hours={}, recurrence="once", retry_policy={}, max_concurrent=5,
               created_at=now, updated_at=now)  # fmt: skip
    contact = insert_row(store, "contacts", campaign_id="camp-m", name="김영수", phone="+821012345678", notes="",
                         created_at=now)  # fmt: skip
    insert_row(store, "call_attempts", id="m1", campaign_id="camp-m", contact_id=contact, attempt_no=1,
               status="completed", final=True, scheduled_for=now, call_id=call_id, round_date=date.today(),
               updated_at=now)  # fmt: skip
    client = login(env.app, "minjun")
    page = client.get("/dashboard/campaigns/camp-m").text
    assert ">복약 누락</span>" in page and ">완료</a>" in page

    text = client.get("/dashboard/campaigns/camp-m/export.csv").content.decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert (row["통화 결과"], row["최고 위험도"]) == ("완료", "보통")
    assert row["알림"] == "복약 누락(보통): 깜빡했어요"
    assert (row["답변:복약"], row["답변:복용 예정"]) == ("안 드심", "약이 떨어짐")
