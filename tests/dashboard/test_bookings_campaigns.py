"""Bookings made by the reservation dialog on the bookings page; campaign progress and its CSV export."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

from agent.store import CampaignRecord
from dashboard_testkit import insert_row, login, reservation_call, seed_call
from dialog.clock import SEOUL


def test_a_booking_by_phone_shows_until_a_second_call_cancels_it(db_env):
    booked = reservation_call(db_env.store, "reserve_dinner")
    assert booked.outcome == "booked"
    client = login(db_env.app, "minjun")
    html = client.get("/dashboard/bookings").text
    assert 'id="bookings"' in html and "19:00" in html and "2명" in html and "01055501234" in html
    assert booked.answers["name"] in html and booked.answers["date"] in html

    cancelled = reservation_call(db_env.store, "cancel_dinner")
    assert cancelled.outcome == "cancelled"
    html = client.get("/dashboard/bookings").text
    assert "01055501234" not in html and "예약이 없습니다." in html
    shown = client.get("/dashboard/bookings?cancelled=1").text
    assert "01055501234" in shown and "취소됨" in shown


def _campaign(store) -> str:
    """Four contacts: answered with a flag, answered cleanly, a no-answer waiting for its retry, not dialled."""
    flagged = seed_call(store.store, store.settings, name="박순자", phone="+821020000001",
                        flags=[("fall", "high", "=HYPERLINK(\"x\") 넘어졌어요", 3)], answers={"meal": "skipped"})  # fmt: skip
    clean = seed_call(store.store, store.settings, name="이말순", phone="+821020000002", answers={"meal": "eaten", "sleep": "good"})
    now = datetime.now(UTC)
    today = now.astimezone(SEOUL).date()  # the round, as the campaign (Asia/Seoul) counts its days
    calls = store.store
    insert_row(calls, "campaigns", id="camp-1", name="11월 안부 전화", scenario="care_call", status="running",
               timezone="Asia/Seoul", calling_hours={}, recurrence="once", retry_policy={}, max_concurrent=5,
               created_at=now, updated_at=now)  # fmt: skip
    people = [("박순자", "+821020000001"), ("이말순", "+821020000002"), ("최복희", "+821020000003"), ("정영자", "+821020000004")]
    a, b, c, d = (insert_row(calls, "contacts", campaign_id="camp-1", name=n, phone=p, notes="", created_at=now)
                  for n, p in people)  # fmt: skip
    for attempt in [
        dict(id="t1", contact_id=a, attempt_no=1, status="completed", final=True, scheduled_for=now, call_id=flagged),
        dict(id="t2", contact_id=b, attempt_no=1, status="no_answer", scheduled_for=now - timedelta(hours=1)),
        dict(id="t3", contact_id=b, attempt_no=2, status="completed", final=True, scheduled_for=now, call_id=clean),
        dict(id="t4", contact_id=c, attempt_no=1, status="no_answer", scheduled_for=now),
        dict(id="t5", contact_id=c, attempt_no=2, status="scheduled", scheduled_for=now + timedelta(minutes=30)),
        dict(id="t6", contact_id=d, attempt_no=1, status="scheduled", scheduled_for=now + timedelta(hours=1)),
    ]:  # fmt: skip
        insert_row(calls, "call_attempts", **{"campaign_id": "camp-1", "round_date": today, "final": False,
                                              "updated_at": now, **attempt})  # fmt: skip
    return "camp-1"


def test_campaign_progress_counts_called_answered_flagged_and_pending_retries(db_env):
    campaign_id = _campaign(db_env)
    progress = db_env.dash.campaigns.progress(campaign_id)
    assert progress.summary == {"total": 4, "called": 3, "answered": 2, "flagged": 1, "pending_retries": 1}
    client = login(db_env.app, "minjun")
    listing = client.get("/dashboard/campaigns").text
    assert "11월 안부 전화" in listing and "<td>4</td><td>3</td><td>2</td><td>1</td><td>1</td>" in listing
    page = client.get(f"/dashboard/campaigns/{campaign_id}").text
    assert "<b data-k=\"pending_retries\">1</b>" in page and "받지 않음 (최종)" not in page
    assert "예약됨" in page  # 정영자's first attempt is scheduled
    assert client.get("/dashboard/campaigns/nope").status_code == 404


def test_campaign_csv_has_one_row_per_contact_and_opens_in_excel(db_env):
    campaign_id = _campaign(db_env)
    client = login(db_env.app, "minjun")
    response = client.get(f"/dashboard/campaigns/{campaign_id}/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["이름"] for r in rows] == ["박순자", "이말순", "최복희", "정영자"]
    first, second, third, fourth = rows
    # Outcomes, flags, severities and answers by their Korean names (the campaign scenario's).
    assert (first["최종 상태"], first["최종 여부"], first["통화 결과"], first["최고 위험도"]) == ("completed", "예", "완료", "높음")
    assert first["알림"].startswith("낙상(높음): ") and first["답변:식사"] == "거르심" and first["미처리 알림 수"] == "1"
    assert (second["시도 횟수"], second["답변:수면"], second["알림"]) == ("2", "잘 주무심", "")
    assert (third["최종 상태"], third["통화 결과"]) == ("scheduled", "")
    assert fourth["전화번호"] == "+821020000004"  # a phone number is not mistaken for a formula
    exported = [e for e in db_env.dash.audit.recent() if e.action == "campaign.export"]
    assert exported and exported[0].target_id == campaign_id and exported[0].username == "minjun"


def test_a_cell_starting_with_a_formula_is_neutralised():
    from agent.dashboard.campaigns import ContactResult, Progress
    from agent.dashboard.export import campaign_csv

    contact = ContactResult(1, "=cmd|' /C calc'!A0", "+821000000000", answers={"note": "@SUM(1)", "n": "-5"})
    rows = list(csv.reader(io.StringIO(campaign_csv(Progress(CampaignRecord(id="c", name="c"), [contact])).lstrip("\ufeff"))))
    assert rows[1][0] == "'=cmd|' /C calc'!A0" and rows[1][1] == "+821000000000"
    assert rows[1][-2:] == ["-5", "'@SUM(1)"]


def test_formulas_hidden_behind_a_sign_are_neutralised_and_plain_numbers_kept():
    """OWASP CSV injection: = + - @ tab CR at the start make a text cell a formula; a cell that is only a
    number (a negative count, an E.164 phone number) stays a number."""
    from agent.dashboard.campaigns import ContactResult, Progress
    from agent.dashboard.export import campaign_csv

    answers = {
        "a": '+1+HYPERLINK("http://evil.example","클릭")',
        "b": "-2+3+cmd|' /C calc'!A0",
        "c": "\t=1+1",
        "d": "\r=1+1",
        "e": "-12.5",
        "f": "+5",
        "g": "-",
        "h": "5-3",
        "i": "-1e3",
    }
    contact = ContactResult(1, "@SUM(A1)", "+821000000000", answers=answers)
    text = campaign_csv(Progress(CampaignRecord(id="c", name="c"), [contact])).lstrip("\ufeff")
    header, row = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, row, strict=True))
    assert cells["이름"] == "'@SUM(A1)" and cells["전화번호"] == "+821000000000"
    assert cells["답변:a"] == "'" + answers["a"]
    assert cells["답변:b"] == "'" + answers["b"]
    assert cells["답변:c"] == "'\t=1+1" and cells["답변:d"] == "'\r=1+1"
    assert (cells["답변:e"], cells["답변:f"], cells["답변:h"]) == ("-12.5", "+5", "5-3")
    assert cells["답변:g"] == "'-" and cells["답변:i"] == "'-1e3"  # not a plain number: treated as text


def test_the_bookings_page_lists_from_today_in_seoul_by_the_dashboards_clock(db_env):
    reservation_call(db_env.store, "reserve_dinner")
    dashboard = db_env.app.state.dashboard
    day = dashboard.bookings.upcoming(date.min)[0].day
    client = login(db_env.app, "minjun")
    seoul_midnight = datetime.combine(day, datetime.min.time(), tzinfo=SEOUL).astimezone(UTC)
    dashboard.clock = lambda: seoul_midnight + timedelta(minutes=30)  # still the day before in UTC
    assert "01055501234" in client.get("/dashboard/bookings").text
    dashboard.clock = lambda: seoul_midnight + timedelta(days=1, minutes=30)  # the day after the booking, in Seoul
    assert "예약이 없습니다." in client.get("/dashboard/bookings").text
