"""Weekly reports (per campaign, per care worker: page, numbers, charts) and the campaign operations of the
dashboard: pause and resume, contacts imported from an uploaded CSV."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.campaigns.service import CampaignService
from agent.dashboard.reports import Week, campaign_report, worker_report
from agent.store.reports import ReportQueries
from dashboard_testkit import csrf_of, insert_row, login
from dialog.clock import SEOUL

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=SEOUL)  # a Tuesday: "last week" is 11/23 - 11/29
WEEK = Week(date(2026, 11, 23))


def kst(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SEOUL).astimezone(UTC)


def test_a_week_runs_monday_to_monday_in_seoul():
    week = Week.of(date(2026, 11, 29))  # a Sunday
    assert week.start == date(2026, 11, 23) and week.end == date(2026, 11, 30)
    assert week.since == datetime(2026, 11, 22, 15, 0, tzinfo=UTC)  # Monday 00:00 KST
    assert week.until == datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
    assert Week.parse(None, NOW) == WEEK and Week.parse("2026-11-26", NOW) == WEEK
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        Week.parse("last week", NOW)


def seed_week(store) -> None:
    """A daily campaign's week: 박순자 reached twice (two of her calls flagged), 이말순 unanswered on three
    days (reached the Sunday before), 최복희 unanswered three times on one day; plus a dial of the following
    week, a scheduled attempt, a flag of the week before and a call outside the campaign."""
    at = kst(23, 0)
    insert_row(store, "campaigns", id="camp-r", name="11월 안부 전화", scenario="care_call", status="running",
               timezone="Asia/Seoul", calling_hours={}, recurrence="daily", retry_policy={}, max_concurrent=5,
               created_at=at, updated_at=at)  # fmt: skip
    contacts = {
        name: insert_row(store, "contacts", campaign_id="camp-r", name=name, phone=phone, notes="", created_at=at)
        for name, phone in [("박순자", "+821020000001"), ("이말순", "+821020000002"), ("최복희", "+821020000003")]
    }

    def call(call_id, phone, name, when, flags=()):
        insert_row(store, "calls", id=call_id, phone_number=phone, person_name=name, scenario="care_call",
                   direction="outbound", status="ended", outcome="completed", started_at=when,
                   ended_at=when + timedelta(minutes=3), answers={}, stats={}, created_at=when, updated_at=when)  # fmt: skip
        for rule, severity, raised, handled in flags:
            insert_row(store, "flags", call_id=call_id, rule=rule, severity=severity, evidence="", created_at=raised,
                       resolved_at=handled, resolved_by="minjun" if handled else None)  # fmt: skip

    call("a1", "+821020000001", "박순자", kst(23, 10), [("fall", "high", kst(24, 10, 5), kst(24, 12, 5)),
                                                       ("old", "low", kst(22, 9), None)])  # fmt: skip
    call("a2", "+821020000001", "박순자", kst(26, 10), [("chest_pain", "critical", kst(25, 11), kst(25, 11, 30)),
                                                       ("meal_skipped", "low", kst(26, 10, 2), None)])  # fmt: skip
    call("b0", "+821020000002", "이말순", kst(22, 23, 30))
    call("x1", "+821099999999", "남궁민", kst(24, 9), [("fever", "medium", kst(24, 9, 1), None)])
    dials = [
        ("박순자", 1, "completed", kst(23, 10), "a1"), ("박순자", 1, "completed", kst(26, 10), "a2"),
        ("박순자", 1, "completed", kst(30, 0, 10), None), ("박순자", 1, "scheduled", kst(27, 10), None),
        ("이말순", 1, "completed", kst(22, 23, 30), "b0"), ("이말순", 1, "no_answer", kst(23, 10), None),
        ("이말순", 1, "no_answer", kst(24, 10), None), ("이말순", 1, "busy", kst(25, 10), None),
        ("최복희", 1, "no_answer", kst(23, 10), None), ("최복희", 2, "no_answer", kst(23, 10, 30), None),
        ("최복희", 3, "failed", kst(23, 11), None),
    ]  # fmt: skip
    for i, (name, no, status, when, call_id) in enumerate(dials):
        dialled = status != "scheduled"
        insert_row(store, "call_attempts", id=f"att-{i}", campaign_id="camp-r", contact_id=contacts[name],
                   round_date=when.astimezone(SEOUL).date(), attempt_no=no, status=status, final=dialled,
                   scheduled_for=when, started_at=when if dialled else None, call_id=call_id, updated_at=when)  # fmt: skip


def test_the_campaign_report_counts_the_week_in_seoul_time(db_env):
    seed_week(db_env.store)
    report = campaign_report(ReportQueries(db_env.store.engine), "camp-r", "11월 안부 전화", WEEK, NOW)
    assert (report.people, report.placed, report.reached) == (3, 8, 2)
    assert [(d.placed, d.reached) for d in report.days] == [(5, 1), (1, 0), (1, 0), (1, 1), (0, 0), (0, 0), (0, 0)]
    assert report.by_severity == {"critical": 1, "high": 1, "medium": 0, "low": 1}  # no flag of other weeks/calls
    assert report.median_to_handled == timedelta(hours=1, minutes=15)  # of 2 h and 30 min
    assert [f.rule for f in report.open_flags] == ["meal_skipped"]
    unreached = {u.name: u for u in report.unreached}
    assert set(unreached) == {"이말순", "최복희"}
    assert (unreached["이말순"].missed_days, unreached["이말순"].missed_calls) == (3, 3)
    assert unreached["이말순"].last_reached_at == kst(22, 23, 30)
    assert (unreached["최복희"].missed_days, unreached["최복희"].missed_calls, unreached["최복희"].last_reached_at) == (1, 3, None)

    running = campaign_report(ReportQueries(db_env.store.engine), "camp-r", "x", WEEK, kst(24, 0))  # mid-week
    assert (running.placed, [u.name for u in running.unreached]) == (5, ["최복희"])


def test_a_care_workers_report_covers_the_people_assigned_to_them(env):
    seed_week(env.store)
    for name, phone, worker in [("박순자", "+821020000001", "minjun"), ("이말순", "+821020000002", "minjun"),
                                ("최복희", "+821020000003", "hana"), ("남궁민", "+821099999999", "minjun")]:  # fmt: skip
        insert_row(env.store, "people", name=name, phone=phone, care_worker=worker, notes="", consent="unknown",
                   opted_out=False, created_at=NOW, updated_at=NOW)  # fmt: skip
    queries = ReportQueries(env.store.engine)
    assert queries.care_workers() == ["hana", "minjun"]
    report = worker_report(queries, "minjun", WEEK, NOW)
    assert (report.people, report.placed, report.reached) == (3, 5, 2)
    assert report.by_severity == {"critical": 1, "high": 1, "medium": 1, "low": 1}  # 남궁민's call too
    assert [u.name for u in report.unreached] == ["이말순"]

    env.app.state.dashboard.clock = lambda: NOW
    client = login(env.app, "hana")
    index = client.get("/dashboard/reports").text
    assert 'href="/dashboard/reports/workers/minjun?week=2026-11-23"' in index
    page = client.get("/dashboard/reports/workers/minjun?week=2026-11-25")
    assert page.status_code == 200 and "minjun 담당" in page.text and "담당 복지사 주간 보고서" in page.text
    assert client.get("/dashboard/reports/workers/nobody").status_code == 404


def test_the_report_page_shows_totals_charts_and_the_people_to_call(env):
    seed_week(env.store)
    env.app.state.dashboard.clock = lambda: NOW
    client = login(env.app, "minjun")
    index = client.get("/dashboard/reports").text
    assert "11월 안부 전화" in index and 'href="/dashboard/reports/campaigns/camp-r?week=2026-11-23"' in index
    html = client.get("/dashboard/reports/campaigns/camp-r").text  # no week: last week
    assert "2026-11-23(월) ~ 2026-11-29(일)" in html
    tiles = dict(re.findall(r'data-k="(\w+)">([^<]+)</b>', html))
    assert tiles == {"people": "3", "placed": "8", "reached": "2", "flags": "3", "median": "1시간 15분"}
    calls_chart = re.search(r'<svg class="chart" data-chart="calls".*?</svg>', html, re.S).group(0)
    assert '<g class="week" data-week="11/23(월)" data-total="5">' in calls_chart
    assert 'data-value="reached" data-count="1"' in calls_chart
    assert 'data-chart="flags"' in html and "<script" not in html
    unreached = re.search(r'<table class="list" id="unreached">.*?</table>', html, re.S).group(0)
    assert "이말순" in unreached and "최복희" in unreached and "박순자" not in unreached
    assert 'href="/dashboard/reports/campaigns/camp-r/pdf?week=2026-11-23"' in html
    assert client.get("/dashboard/reports/campaigns/camp-r?week=soon").status_code == 422
    assert client.get("/dashboard/reports/campaigns/nothing").status_code == 404


def _running_campaign(env) -> str:
    service = CampaignService(engine=env.store.engine)
    campaign = service.create("12월 안부 전화", calling_hours={"days": "daily", "start": "09:00", "end": "18:00"})
    service.import_csv(campaign.id, "name,phone\n박순자,010-2000-0001\n")
    service.start(campaign.id, now=NOW)
    return campaign.id


def test_operators_pause_and_resume_a_campaign_and_the_audit_trail_says_who(env):
    campaign_id = _running_campaign(env)
    client = login(env.app, "minjun")
    csrf = csrf_of(client.get(f"/dashboard/campaigns/{campaign_id}").text)
    assert client.post(f"/dashboard/campaigns/{campaign_id}/pause", data={"csrf": "forged"}).status_code == 403
    moved = client.post(f"/dashboard/campaigns/{campaign_id}/pause", data={"csrf": csrf}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == f"/dashboard/campaigns/{campaign_id}"
    assert CampaignService(engine=env.store.engine).get(campaign_id).status == "paused"
    page = client.get(f"/dashboard/campaigns/{campaign_id}").text
    assert 'data-status="paused"' in page and "다시 시작" in page and "일시 정지</button>" not in page
    again = client.post(f"/dashboard/campaigns/{campaign_id}/pause", data={"csrf": csrf})
    assert again.status_code == 409 and "일시 정지 상태" in again.text
    assert client.post(f"/dashboard/campaigns/{campaign_id}/resume", data={"csrf": csrf}).status_code == 200
    assert CampaignService(engine=env.store.engine).get(campaign_id).status == "running"
    trail = [(e.username, e.action, e.target_id) for e in env.dash.audit.recent(action=None) if e.action.startswith("campaign.")]
    assert trail == [("minjun", "campaign.resume", campaign_id), ("minjun", "campaign.pause", campaign_id)]
    assert client.post("/dashboard/campaigns/nothing/resume", data={"csrf": csrf}).status_code == 404


def test_an_uploaded_contact_list_adds_the_good_rows_and_lists_the_bad_ones_by_line(env):
    campaign_id = _running_campaign(env)
    client = login(env.app, "minjun")
    csrf = csrf_of(client.get(f"/dashboard/campaigns/{campaign_id}").text)
    rows = "이름,전화번호,메모\n이말순,010-2000-0002,\n최복희,12345,\n,010-2000-0003,\n박순자,010-2000-0001,\n정영자,010 2000 0004,당뇨\n"
    sent = client.post(f"/dashboard/campaigns/{campaign_id}/contacts", data={"csrf": csrf},
                       files={"file": ("명단.csv", rows.encode("cp949"), "text/csv")})  # Excel's Korean encoding
    assert sent.status_code == 200
    assert "명단.csv: 2명을 추가했습니다, 3줄은 건너뛰었습니다." in sent.text
    errors = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td>", re.search(r'id="import-errors">.*?</table>', sent.text, re.S).group(0))
    assert [line for line, _ in errors] == ["3", "4", "5"] and "already in the campaign" in errors[2][1]
    assert "정영자" in sent.text and CampaignService(engine=env.store.engine).status(campaign_id).contacts == 3
    entry = env.dash.audit.recent(action="campaign.import")[0]
    assert (entry.username, entry.detail["added"], entry.detail["skipped"]) == ("minjun", 2, 3)

    bad = client.post(f"/dashboard/campaigns/{campaign_id}/contacts", data={"csrf": csrf},
                      files={"file": ("x.csv", b"who,where\na,b\n", "text/csv")})  # fmt: skip
    assert bad.status_code == 422 and "the header needs columns name and phone" in bad.text
    forged = client.post(f"/dashboard/campaigns/{campaign_id}/contacts", data={"csrf": "x"},
                         files={"file": ("x.csv", rows.encode(), "text/csv")})  # fmt: skip
    assert forged.status_code == 403


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed")
def test_the_command_line_prints_a_weeks_report_to_pdf(env, tmp_path, monkeypatch):
    """Chromium printing the report (about 2-5 s: one browser start)."""
    from agent.cli.main import app

    seed_week(env.store)
    monkeypatch.setenv("CARECALL_DATABASE_URL", str(env.store.engine.url))
    monkeypatch.setenv("CARECALL_DATA_DIR", str(tmp_path / "data"))
    out = CliRunner().invoke(app, ["report", "weekly", "--campaign", "11월 안부 전화", "--week", "2026-11-25",
                                   "--out", str(tmp_path / "report.pdf")])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "11월 안부 전화" in out.output and "8 placed, 2 reached, 3 flag(s), 2 not reached" in out.output
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 10_000
    html = CliRunner().invoke(app, ["report", "weekly", "--campaign", "camp", "--out", str(tmp_path / "r.html")])
    assert html.exit_code == 0 and "<style>" in (tmp_path / "r.html").read_text() and "/dashboard/static" not in \
        (tmp_path / "r.html").read_text().split("</head>")[1]
    assert CliRunner().invoke(app, ["report", "weekly", "--out", str(tmp_path / "x.pdf")]).exit_code == 2


def test_without_chromium_the_pdf_link_answers_with_what_to_install(env):
    seed_week(env.store)
    env.app.state.dashboard.clock = lambda: NOW
    env.app.state.settings = env.settings.model_copy(update={"report_chromium": Path("/nonexistent/chromium")})
    client = login(env.app, "minjun")
    answer = client.get("/dashboard/reports/campaigns/camp-r/pdf?week=2026-11-23")
    assert answer.status_code == 503 and "apt-get install chromium" in answer.text
    assert env.dash.audit.recent(action="report.pdf") == []
