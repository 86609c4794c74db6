"""The people pages: the list (own people first, search), one person's page (record, weekly charts drawn as
SVG on the server, missed-call streaks, flag handling, timeline), opting out (admin, audited), the data
export (audited) and deletion on request (admin, audited); on SQLite and PostgreSQL where the data matters."""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta

from dashboard_testkit import csrf_of, insert_row, login, seed_call, update_row

from agent.dashboard.charts import Category, weekly_stacked_bars
from agent.dashboard.people import week_starts
from agent.store import PeopleStore, utcnow
from dialog.clock import SEOUL


def _register(store, name: str, phone: str, care_worker: str | None = None, **extra) -> int:
    now = utcnow()
    return insert_row(store, "people", name=name, phone=phone, care_worker=care_worker, notes=extra.pop("notes", ""),
                      consent="given", opted_out=False, created_at=now, updated_at=now, **extra)  # fmt: skip


def _at_week(store, call_id: str, week: datetime) -> None:
    update_row(store, "calls", call_id, started_at=week)


def _svg(html: str, attribute: str, value: str) -> str:
    match = re.search(rf'<svg class="chart" data-{attribute}="{value}".*?</svg>', html, re.S)
    assert match, f"no chart {attribute}={value}"
    return match.group(0)


def _week_group(svg: str, label: str) -> str:
    match = re.search(rf'<g class="week" data-week="{re.escape(label)}".*?</g>', svg, re.S)
    assert match, f"no week {label}"
    return match.group(0)


def test_person_page_shows_record_weekly_charts_streaks_flag_handling_and_timeline(db_env):
    store, settings = db_env.store, db_env.settings
    person_id = _register(store, "김영수", "+821012345678", "minjun", guardian_name="김딸", guardian_phone="+821099990001",
                          notes="귀가 어두우심")  # fmt: skip
    mondays = [datetime.combine(d, time(12), SEOUL) for d in week_starts(utcnow(), SEOUL)]
    old = seed_call(store, settings, answers={"meal": "eaten", "mood": "good"}, recording=False)
    _at_week(store, old, mondays[0])
    fell = seed_call(store, settings, flags=[("fall", "high", "어제 넘어졌어요", 3)],
                     answers={"meal": "skipped", "mood": "low", "symptoms": ["fall", "pain"]}, recording=False)  # fmt: skip
    _at_week(store, fell, mondays[6])
    flag_id = store.get_call(fell).flags[0].id
    store.resolve_flag(flag_id, "minjun", "보호자와 통화함")
    missed = []
    for hours in (1, 2):
        call_id = seed_call(store, settings, answers={}, recording=False)
        update_row(store, "calls", call_id, outcome="no_response")
        _at_week(store, call_id, mondays[7] + timedelta(hours=hours))
        missed.append(call_id)
    too_old = seed_call(store, settings, answers={"meal": "skipped"}, recording=False)
    _at_week(store, too_old, mondays[0] - timedelta(days=3))  # before the eight weeks: listed, not charted
    seed_call(store, settings, phone="+821099998888", answers={"meal": "skipped"}, recording=False)  # someone else

    client = login(db_env.app, "minjun")
    page = client.get(f"/dashboard/people/{person_id}")
    assert page.status_code == 200
    html = page.text
    assert '<span id="person-name">김영수</span>' in html and '<small id="person-phone">+821012345678</small>' in html
    assert '<dd id="person-care-worker">minjun</dd>' in html and "김딸 +821099990001" in html and "귀가 어두우심" in html
    assert 'id="person-opt-out-state" data-opted-out="false"' in html
    assert 'id="person-opt-out"' not in html  # an operator cannot change it

    labels = [f"{d.month}/{d.day}" for d in week_starts(utcnow(), SEOUL)]
    meal = _svg(html, "answer", "meal")
    assert 'data-value="eaten" data-count="1"' in _week_group(meal, labels[0])
    assert 'data-value="skipped" data-count="1"' in _week_group(meal, labels[6])
    assert 'data-total="0"' in _week_group(meal, labels[7])  # the missed calls answered nothing
    assert "거르심 1" in meal and "드심 1" in meal  # the legend: Korean names and totals over the 8 weeks
    symptoms = _week_group(_svg(html, "answer", "symptoms"), labels[6])
    assert 'data-value="fall"' in symptoms and 'data-value="pain"' in symptoms
    assert "기록 없음" in _svg(html, "answer", "sleep")
    assert 'data-value="high" data-count="1"' in _week_group(_svg(html, "chart", "flags"), labels[6])

    assert 'id="missed-streak-current" data-count="2"' in html
    assert re.search(r'<tr class="streak" data-length="2">', html)
    row = re.search(rf'<tr class="flag-row resolved" data-flag-id="{flag_id}".*?</tr>', html, re.S).group(0)
    assert "minjun" in row and "보호자와 통화함" in row and "낙상" in row
    timeline = re.search(r'<table class="list" id="person-timeline">.*?</table>', html, re.S).group(0)
    for call_id in (old, fell, too_old, *missed):
        assert f'href="/dashboard/calls/{call_id}"' in timeline
    assert timeline.count('class="timeline-entry missed"') == 2
    assert "+821099998888" not in html and "<script" not in html  # nothing of others; no script at all

    call_page = client.get(f"/dashboard/calls/{fell}").text
    assert f'id="call-person" href="/dashboard/people/{person_id}"' in call_page


def test_people_list_puts_ones_own_people_first_and_searches_name_or_number(env):
    _register(env.store, "가나다", "+821011110001", "hana")
    _register(env.store, "박순자", "+821011110002", "minjun")
    _register(env.store, "이말순", "+821022220003")
    client = login(env.app, "minjun")
    html = client.get("/dashboard/people").text
    rows = re.findall(r'<tr class="person( mine)?" data-person-id="\d+">\s*<td><a class="person-link" [^>]*>([^<]+)<', html)
    assert rows == [(" mine", "박순자"), ("", "가나다"), ("", "이말순")]
    assert 'class="on">대상자</a>' in html
    assert "이말순" in client.get("/dashboard/people", params={"q": "010-2222"}).text
    found = client.get("/dashboard/people", params={"q": "가나"}).text
    assert "가나다" in found and "박순자" not in found
    assert "에 맞는 대상자가 없습니다" in client.get("/dashboard/people", params={"q": "없는사람"}).text
    from fastapi.testclient import TestClient

    assert TestClient(env.app).get("/dashboard/people", follow_redirects=False).status_code == 303


def test_an_admin_opts_a_person_out_and_back_in_with_a_reason_and_it_is_audited(db_env):
    person_id = _register(db_env.store, "김영수", "+821012345678")
    people = PeopleStore(db_env.store.engine)
    operator = login(db_env.app, "minjun")
    csrf = csrf_of(operator.get(f"/dashboard/people/{person_id}").text)
    refused = operator.post(f"/dashboard/people/{person_id}/opt-out", data={"opted_out": "1", "reason": "x", "csrf": csrf})
    assert refused.status_code == 403 and not people.is_opted_out("+821012345678")

    admin = login(db_env.app, "hana")
    csrf = csrf_of(admin.get(f"/dashboard/people/{person_id}").text)
    no_reason = admin.post(f"/dashboard/people/{person_id}/opt-out", data={"opted_out": "1", "reason": " ", "csrf": csrf})
    assert no_reason.status_code == 422 and 'id="person-error"' in no_reason.text
    assert not people.is_opted_out("+821012345678")
    done = admin.post(f"/dashboard/people/{person_id}/opt-out", follow_redirects=False,
                      data={"opted_out": "1", "reason": "본인이 전화 중단 요청", "csrf": csrf})  # fmt: skip
    assert done.status_code == 303 and people.is_opted_out("+821012345678")
    html = admin.get(f"/dashboard/people/{person_id}").text
    assert 'data-opted-out="true"' in html and "본인이 전화 중단 요청" in html and "hana" in html
    [entry] = db_env.dash.audit.recent(action="person.opt_out")
    assert (entry.username, entry.target_id, entry.detail["reason"]) == ("hana", str(person_id), "본인이 전화 중단 요청")
    assert admin.post(f"/dashboard/people/{person_id}/opt-out",
                      data={"opted_out": "0", "reason": "다시 원함", "csrf": csrf}).status_code == 200  # fmt: skip
    assert not people.is_opted_out("+821012345678")
    assert admin.post("/dashboard/people/999/opt-out", data={"opted_out": "1", "reason": "x", "csrf": csrf}).status_code == 404


def test_export_downloads_everything_about_the_person_and_is_audited(env):
    person_id = _register(env.store, "김영수", "+821012345678")
    call_id = seed_call(env.store, env.settings, flags=[("fall", "high", "넘어졌어요", 3)])
    response = login(env.app, "minjun").get(f"/dashboard/people/{person_id}/export.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert f'filename="person-{person_id}-' in response.headers["content-disposition"]
    data = json.loads(response.content)
    assert data["person"]["name"] == "김영수" and [c["id"] for c in data["calls"]] == [call_id]
    assert "어제 넘어져서 무릎이 아파요." in [t["text"] for t in data["calls"][0]["turns"]]
    [entry] = env.dash.audit.recent(action="person.export")
    assert entry.username == "minjun" and entry.target_id == str(person_id)


def test_an_admin_deletes_a_person_on_request_with_their_calls_and_recordings(env):
    person_id = _register(env.store, "김영수", "+821012345678")
    call_id = seed_call(env.store, env.settings)
    other = seed_call(env.store, env.settings, phone="+821099998888")
    recording = env.settings.recordings_dir / f"{call_id}.wav"
    assert recording.exists()
    operator = login(env.app, "minjun")
    csrf = csrf_of(operator.get(f"/dashboard/people/{person_id}").text)
    assert operator.post(f"/dashboard/people/{person_id}/delete",
                         data={"reason": "본인 요청", "confirm": "삭제", "csrf": csrf}).status_code == 403  # fmt: skip

    admin = login(env.app, "hana")
    csrf = csrf_of(admin.get(f"/dashboard/people/{person_id}").text)
    unconfirmed = admin.post(f"/dashboard/people/{person_id}/delete", data={"reason": "본인 요청", "confirm": "", "csrf": csrf})
    assert unconfirmed.status_code == 422 and env.store.get_call(call_id) is not None
    done = admin.post(f"/dashboard/people/{person_id}/delete", follow_redirects=False,
                      data={"reason": "본인 요청", "confirm": "삭제", "csrf": csrf})  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/dashboard/people?deleted=1&failed=0"
    assert env.store.get_call(call_id) is None and not recording.exists()
    assert env.store.get_call(other) is not None and (env.settings.recordings_dir / f"{other}.wav").exists()
    assert admin.get(f"/dashboard/people/{person_id}").status_code == 404
    assert 'id="people-deleted"' in admin.get("/dashboard/people?deleted=1&failed=0").text
    [entry] = env.dash.audit.recent(action="person.delete")
    assert entry.username == "hana" and entry.detail["reason"] == "본인 요청" and entry.detail["calls"] == 1


def test_weekly_stacked_bars_scale_stack_and_escape():
    svg = weekly_stacked_bars(
        ["11/2", "11/9", "11/16"],
        [Category("good", "좋음", [2, 0, 1], "good"), Category("<b>", "<script>", [2, 0, 0])],
        chart="mood", title="기분",
    )
    heights = [float(h) for h in re.findall(r'<rect class="seg"[^>]*height="([\d.]+)"', svg)]
    assert sorted(heights) == [118.0 / 4, 118.0 / 2, 118.0 / 2]  # the tallest bar (2 + 2) fills the 118 px plot
    assert svg.startswith('<svg class="chart" data-answer="mood"') and "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'data-total="0"' in svg and "기록 없음" not in svg
    empty = weekly_stacked_bars(["11/2"], [], chart="sleep", title="수면")
    assert "기록 없음" in empty and "<rect" not in empty
