"""Weekly reports, per campaign or per care worker: calls placed and reached, flags by severity, the median
time from a flag to its handling, the people not reached, with charts; a printable page and a PDF.

A week runs Monday 00:00 to Monday 00:00 in Asia/Seoul. The PDF is the printable page printed by Chromium
(Playwright's ``page.pdf``): the page an operator prints from the browser and the PDF are one layout, and the
Korean text is set in the system's CJK fonts with no font embedding of our own (a pure-Python PDF library
would need a second layout and a bundled Korean font).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path

from jinja2 import Environment
from markupsafe import Markup

from agent.dashboard.filters import SEVERITY
from agent.dashboard.charts import Category, weekly_stacked_bars
from agent.store.reports import DialFact, FlagFact, ReportQueries, ReportScope
from dialog.clock import SEOUL
from dialog.flags import SEVERITIES, severity_rank

HERE = Path(__file__).parent
# How far before the week the unanswered streaks are followed back (a streak older than this is cut there).
STREAK_LOOKBACK = timedelta(days=28)
# CareCall's rule: three unanswered calls, or three days without reaching the person, and a person calls.
UNREACHED_CALLS, UNREACHED_DAYS = 3, 3
MISSED = ("no_answer", "busy", "failed", "voicemail", "unknown")
WEEKDAYS = "월화수목금토일"


class ReportError(ValueError):
    """A report that cannot be made as asked (a bad week, no PDF printer); the message is for the operator."""


@dataclass(frozen=True)
class Week:
    """Monday to Sunday in ``tz`` (Seoul)."""

    start: date  # a Monday
    tz: tzinfo = SEOUL

    @classmethod
    def of(cls, day: date, tz: tzinfo = SEOUL) -> Week:
        return cls(day - timedelta(days=day.weekday()), tz)

    @classmethod
    def parse(cls, text: str | None, now: datetime, tz: tzinfo = SEOUL) -> Week:
        """A week by any of its days (YYYY-MM-DD); none: the last whole week before ``now``."""
        if not text:
            return cls.of(now.astimezone(tz).date(), tz).previous
        try:
            return cls.of(date.fromisoformat(text.strip()), tz)
        except ValueError as exc:
            raise ReportError(f"주 '{text}': YYYY-MM-DD 형식의 날짜가 필요합니다.") from exc

    @property
    def end(self) -> date:
        return self.start + timedelta(days=7)

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(0), self.tz).astimezone(UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end, time(0), self.tz).astimezone(UTC)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(7)]

    @property
    def previous(self) -> Week:
        return Week(self.start - timedelta(days=7), self.tz)

    @property
    def following(self) -> Week:
        return Week(self.end, self.tz)

    @property
    def label(self) -> str:
        last = self.end - timedelta(days=1)
        return f"{self.start:%Y-%m-%d}(월) ~ {last:%Y-%m-%d}(일)"


@dataclass(frozen=True)
class DayCount:
    day: date
    placed: int
    reached: int


@dataclass(frozen=True)
class Unreached:
    """A person the calls have not reached: unanswered calls since they were last reached (or ever)."""

    name: str
    phone: str
    missed_calls: int
    missed_days: int  # distinct local days with an unanswered call
    last_reached_at: datetime | None
    last_tried_at: datetime


@dataclass(frozen=True)
class WeeklyReport:
    kind: str  # campaign | worker
    subject_id: str  # the campaign's id, the care worker's username
    title: str
    week: Week
    people: int
    days: list[DayCount]
    flags: list[FlagFact]  # raised this week
    unreached: list[Unreached]
    generated_at: datetime

    @property
    def placed(self) -> int:
        return sum(d.placed for d in self.days)

    @property
    def reached(self) -> int:
        return sum(d.reached for d in self.days)

    @property
    def reach_rate(self) -> float | None:
        return self.reached / self.placed if self.placed else None

    @property
    def by_severity(self) -> dict[str, int]:
        """Every severity, the most severe first (zeros included: a report reads the same every week)."""
        counts = {s: 0 for s in sorted(SEVERITIES, key=severity_rank, reverse=True)}
        for flag in self.flags:
            counts[flag.severity] = counts.get(flag.severity, 0) + 1
        return counts

    @property
    def open_flags(self) -> list[FlagFact]:
        """This week's flags not handled yet, the most severe first."""
        still = [f for f in self.flags if f.resolved_at is None]
        return sorted(still, key=lambda f: (-severity_rank(f.severity), f.created_at))

    @property
    def median_to_handled(self) -> timedelta | None:
        """Median time from a flag being raised to an operator marking it handled (this week's handled flags)."""
        spans = [(f.resolved_at - f.created_at).total_seconds() for f in self.flags if f.resolved_at is not None]
        return timedelta(seconds=statistics.median(spans)) if spans else None


def build_report(
    queries: ReportQueries, scope: ReportScope, week: Week, now: datetime, *, kind: str, subject_id: str, title: str
) -> WeeklyReport:
    """The week's report as of ``now`` (a week still running is reported up to ``now``)."""
    cutoff = min(week.until, now)
    dials = queries.dials(scope, week.since - STREAK_LOOKBACK, cutoff)
    in_week = [d for d in dials if d.at >= week.since]
    per_day: dict[date, list[DialFact]] = defaultdict(list)
    for dial in in_week:
        per_day[dial.at.astimezone(week.tz).date()].append(dial)
    days = [DayCount(day, len(per_day[day]), sum(d.reached for d in per_day[day])) for day in week.days]
    return WeeklyReport(
        kind=kind, subject_id=subject_id, title=title, week=week, people=queries.people(scope), days=days,
        flags=queries.flags(scope, week.since, cutoff), unreached=unreached(dials, week.tz), generated_at=now,
    )  # fmt: skip


def campaign_report(queries: ReportQueries, campaign_id: str, name: str, week: Week, now: datetime) -> WeeklyReport:
    return build_report(queries, ReportScope(campaign_id=campaign_id), week, now, kind="campaign",
                        subject_id=campaign_id, title=name)  # fmt: skip


def worker_report(queries: ReportQueries, username: str, week: Week, now: datetime) -> WeeklyReport:
    """Every campaign's calls to the people assigned to ``username`` in the people registry."""
    return build_report(queries, ReportScope(phones=queries.people_of(username)), week, now, kind="worker",
                        subject_id=username, title=f"{username} 담당")  # fmt: skip


def unreached(dials: list[DialFact], tz: tzinfo) -> list[Unreached]:
    """People whose calls since they were last reached (oldest first in ``dials``) went unanswered on
    ``UNREACHED_DAYS`` days or ``UNREACHED_CALLS`` times: a person should call them. Longest-waiting first."""
    by_phone: dict[str, list[DialFact]] = defaultdict(list)
    for dial in dials:
        by_phone[dial.phone].append(dial)
    found = []
    for phone, own in by_phone.items():
        last_reached = max((d.at for d in own if d.reached), default=None)
        missed = [d for d in own if d.status in MISSED and (last_reached is None or d.at > last_reached)]
        missed_days = len({d.at.astimezone(tz).date() for d in missed})
        if len(missed) >= UNREACHED_CALLS or missed_days >= UNREACHED_DAYS:
            found.append(Unreached(own[-1].name, phone, len(missed), missed_days, last_reached, missed[-1].at))
    return sorted(found, key=lambda u: (-u.missed_days, -u.missed_calls, u.name))


# --- charts (agent.dashboard.charts: server-rendered SVG, no script) --------------------------------------


def day_chart(days: list[DayCount]) -> Markup:
    """Calls placed per day, each bar split into reached and not reached."""
    labels = [f"{d.day:%m/%d}({WEEKDAYS[d.day.weekday()]})" for d in days]
    return weekly_stacked_bars(labels, [
        Category("reached", "응답", [d.reached for d in days], tone="good"),
        Category("not_reached", "미응답", [d.placed - d.reached for d in days], tone="neutral"),
    ], chart="calls", title="요일별 발신과 응답", data_name="chart", width=560)  # fmt: skip


def severity_chart(counts: dict[str, int], labels: dict[str, str]) -> Markup:
    """Flags by severity: one bar per severity, the most severe first."""
    order = list(counts)
    categories = [
        Category(sev, labels.get(sev, sev), [counts[sev] if other == sev else 0 for other in order], tone=sev)
        for sev in order
    ]
    return weekly_stacked_bars([labels.get(sev, sev) for sev in order], categories, chart="flags",
                               title="심각도별 알림", data_name="chart", width=360)  # fmt: skip


# --- the page and the PDF -------------------------------------------------------------------------------


def render_page(env: Environment, report: WeeklyReport, **context) -> str:
    """The report as a standalone HTML document (what the PDF printer reads): the dashboard's page without its
    header, the stylesheets it links put inline (the templates themselves carry no inline style: the
    dashboard's Content-Security-Policy forbids it; this document is never served)."""
    html = env.get_template("report.html").render(report=report, user=None, **context)
    for name in ("app.css", "operations.css"):
        link = f'<link rel="stylesheet" href="/dashboard/static/{name}">'
        css = (HERE / "static" / name).read_text(encoding="utf-8")
        html = html.replace(link, f"<style>{css}</style>", 1)
    return html


async def render_pdf(html: str, chromium: Path | None) -> bytes:
    """Print the page to A4 PDF with Chromium (``chromium``: its executable; None: Playwright's own build)."""
    try:
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import async_playwright
    except ImportError as exc:
        raise ReportError("PDF를 만들려면 Playwright가 필요합니다 (pip install playwright). "
                          "인쇄용 페이지는 브라우저의 인쇄 기능으로 PDF로 저장할 수 있습니다.") from exc  # fmt: skip
    if chromium is not None and not chromium.exists():
        raise ReportError(f"PDF를 만들 Chromium이 없습니다: {chromium} (apt-get install chromium, "
                          "또는 CARECALL_REPORT_CHROMIUM 설정)")  # fmt: skip
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=str(chromium) if chromium else None)
            try:
                page = await browser.new_page()
                await page.set_content(html, wait_until="load")
                return await page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
            finally:
                await browser.close()
    except PlaywrightError as exc:
        raise ReportError(f"Chromium이 PDF를 만들지 못했습니다: {exc.message.splitlines()[0]}") from exc


def report_context(report: WeeklyReport, base: str) -> dict:
    """What report.html needs besides the report: the charts, the duration format, its own address."""
    return {
        "day_chart": day_chart(report.days),
        "severity_chart": severity_chart(report.by_severity, SEVERITY),
        "span": span,
        "base": base,
    }


def chromium(configured: Path | None) -> Path | None:
    """The configured Chromium; an empty setting means Playwright's own build."""
    return configured if configured is not None and str(configured) not in ("", ".") else None


def span(value) -> str:
    """A duration in Korean words: 3일 4시간, 2시간 15분, 40분; '-' for none."""
    if value is None:
        return "-"
    minutes = int(value.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days}일 {hours}시간" if hours else f"{days}일"
    if hours:
        return f"{hours}시간 {minutes}분" if minutes else f"{hours}시간"
    return f"{minutes}분"


def pdf_name(report: WeeklyReport) -> str:
    subject = "".join(ch for ch in report.subject_id[:16] if ch.isalnum() or ch in "-_") or "report"
    return f"carecall-{report.kind}-{subject}-{report.week.start:%Y%m%d}.pdf"
