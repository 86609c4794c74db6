"""The dashboard's operations pages: weekly reports (page and PDF), pausing and resuming a campaign, and
importing a campaign's contacts from an uploaded CSV. Included in ``agent.dashboard.router`` (``/dashboard``).

Campaign actions go through ``CampaignService`` (the command line's own), and each is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from loguru import logger

from agent.campaigns.csv_import import CsvError, decode_csv
from agent.campaigns.service import CampaignError, CampaignService
from agent.dashboard.reports import (
    ReportError,
    Week,
    WeeklyReport,
    campaign_report,
    chromium,
    pdf_name,
    render_page,
    render_pdf,
    report_context,
    worker_report,
)
from agent.dashboard.users import Account
from agent.dashboard.web import check_csrf, csrf_token, current_user
from agent.store.reports import ReportQueries

User = Annotated[Account, Depends(current_user)]
router = APIRouter()
MAX_UPLOAD_BYTES = 5 << 20  # a contact list of tens of thousands of rows


def _page(request: Request, template: str, account: Account | None, status_code: int = 200, **context) -> HTMLResponse:
    return request.app.state.dashboard.templates.TemplateResponse(
        request, template, {"user": account, "csrf": csrf_token(request), **context}, status_code=status_code
    )


def _now(request: Request) -> datetime:
    return request.app.state.dashboard.clock()


def _service(request: Request) -> CampaignService:
    return CampaignService(engine=request.app.state.store.engine)


# --- weekly reports ------------------------------------------------------------------------------------


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, user: User) -> HTMLResponse:
    now = _now(request)
    this_week = Week.of(now.astimezone(request.app.state.dashboard.tz).date())
    campaigns = request.app.state.dashboard.campaigns.campaigns()
    workers = ReportQueries(request.app.state.store.engine).care_workers()
    return _page(request, "reports.html", user, campaigns=campaigns, workers=workers, last_week=this_week.previous,
                 this_week=this_week)


def _week(request: Request, week: str | None) -> tuple[Week, datetime]:
    now = _now(request)
    try:
        return Week.parse(week, now, request.app.state.dashboard.tz), now
    except ReportError as exc:
        raise HTTPException(422, str(exc)) from exc


def _campaign_report(request: Request, campaign_id: str, week: str | None) -> WeeklyReport:
    campaign = _service(request).ledger.get(campaign_id)
    if campaign is None:
        raise HTTPException(404, "캠페인이 없습니다.")
    chosen, now = _week(request, week)
    return campaign_report(ReportQueries(request.app.state.store.engine), campaign_id, campaign.name, chosen, now)


def _worker_report(request: Request, username: str, week: str | None) -> WeeklyReport:
    queries = ReportQueries(request.app.state.store.engine)
    if username not in queries.care_workers():
        raise HTTPException(404, "담당하는 분이 없는 사용자입니다.")
    chosen, now = _week(request, week)
    return worker_report(queries, username, chosen, now)


@router.get("/reports/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_report_page(request: Request, campaign_id: str, user: User, week: str | None = None) -> HTMLResponse:
    report = _campaign_report(request, campaign_id, week)
    base = f"/dashboard/reports/campaigns/{quote(campaign_id)}"
    return _page(request, "report.html", user, report=report, **report_context(report, base))


@router.get("/reports/campaigns/{campaign_id}/pdf")
async def campaign_report_pdf(request: Request, campaign_id: str, user: User, week: str | None = None) -> Response:
    from starlette.concurrency import run_in_threadpool

    report = await run_in_threadpool(_campaign_report, request, campaign_id, week)
    return await _pdf(request, user, report, f"/dashboard/reports/campaigns/{quote(campaign_id)}")


@router.get("/reports/workers/{username}", response_class=HTMLResponse)
def care_worker_report(request: Request, username: str, user: User, week: str | None = None) -> HTMLResponse:
    report = _worker_report(request, username, week)
    base = f"/dashboard/reports/workers/{quote(username)}"
    return _page(request, "report.html", user, report=report, **report_context(report, base))


@router.get("/reports/workers/{username}/pdf")
async def care_worker_report_pdf(request: Request, username: str, user: User, week: str | None = None) -> Response:
    from starlette.concurrency import run_in_threadpool

    report = await run_in_threadpool(_worker_report, request, username, week)
    return await _pdf(request, user, report, f"/dashboard/reports/workers/{quote(username)}")


async def _pdf(request: Request, user: Account, report: WeeklyReport, base: str) -> Response:
    dash = request.app.state.dashboard
    html = render_page(dash.templates.env, report, **report_context(report, base))
    try:
        pdf = await render_pdf(html, chromium(request.app.state.settings.report_chromium))
    except ReportError as exc:
        logger.warning(f"weekly report PDF: {exc}")
        raise HTTPException(503, str(exc)) from exc
    dash.audit.add(user.username, "report.pdf", report.kind, report.subject_id, week=str(report.week.start))
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{pdf_name(report)}"'})  # fmt: skip


# --- campaign actions ----------------------------------------------------------------------------------


CAMPAIGN_STATUS = {"draft": "준비", "running": "진행 중", "paused": "일시 정지", "finished": "완료"}


@router.post("/campaigns/{campaign_id}/pause")
async def pause_campaign(
    request: Request, campaign_id: str, user: User, csrf: Annotated[str, Form()] = ""
) -> RedirectResponse:
    """No new calls are placed; calls in progress finish."""
    return await _campaign_action(request, campaign_id, user, csrf, "pause")


@router.post("/campaigns/{campaign_id}/resume")
async def resume_campaign(
    request: Request, campaign_id: str, user: User, csrf: Annotated[str, Form()] = ""
) -> RedirectResponse:
    return await _campaign_action(request, campaign_id, user, csrf, "resume")


async def _campaign_action(request: Request, campaign_id: str, user: Account, csrf: str, action: str) -> RedirectResponse:
    check_csrf(request, csrf)
    service = _service(request)
    from starlette.concurrency import run_in_threadpool

    try:
        move = service.pause if action == "pause" else service.resume
        moved = await run_in_threadpool(move, campaign_id)
    except CampaignError:
        current = await run_in_threadpool(service.ledger.get, campaign_id)
        if current is None:
            raise HTTPException(404, "캠페인이 없습니다.") from None
        raise HTTPException(409, f"'{current.name}' 캠페인은 지금 {CAMPAIGN_STATUS.get(current.status, current.status)} "
                                 f"상태라 {'일시 정지' if action == 'pause' else '재개'}할 수 없습니다.") from None  # fmt: skip
    request.app.state.dashboard.audit.add(user.username, f"campaign.{action}", "campaign", moved.id, name=moved.name)
    if action == "resume":
        await _wake_scheduler(request)
    return RedirectResponse(f"/dashboard/campaigns/{quote(moved.id)}", status_code=303)


async def _wake_scheduler(request: Request) -> None:
    """Tell the scheduler a campaign is running again (as ``carecall campaign resume`` does); without Redis, or
    with Redis down, it notices at its next pass."""
    settings = request.app.state.settings
    if not settings.redis_url:
        return
    from agent.campaigns.runtime import backend

    back = backend(settings)
    try:
        await back.queue.wake()
    except Exception as exc:
        logger.warning(f"resume: could not wake the scheduler ({type(exc).__name__}: {exc})")
    finally:
        await back.close()


@router.post("/campaigns/{campaign_id}/contacts", response_class=HTMLResponse)
async def import_contacts(
    request: Request,
    campaign_id: str,
    user: User,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Add the good rows of an uploaded CSV; the page lists every skipped row by line number, as the CLI."""
    check_csrf(request, csrf)
    from starlette.concurrency import run_in_threadpool

    dash = request.app.state.dashboard
    if await run_in_threadpool(dash.campaigns.progress, campaign_id) is None:
        raise HTTPException(404, "캠페인이 없습니다.")
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    report, error = None, None
    if len(data) > MAX_UPLOAD_BYTES:
        error = f"파일이 너무 큽니다 (최대 {MAX_UPLOAD_BYTES >> 20} MB)."
    else:
        try:
            report = await run_in_threadpool(_service(request).import_csv, campaign_id, decode_csv(data, file.filename or "CSV"))
        except (CsvError, CampaignError) as exc:
            error = str(exc)
    if report is not None:
        dash.audit.add(user.username, "campaign.import", "campaign", campaign_id, file=file.filename or "",
                       added=report.added, skipped=len(report.errors))  # fmt: skip
    progress = await run_in_threadpool(dash.campaigns.progress, campaign_id)
    return _page(request, "campaign.html", user, status_code=200 if error is None else 422, progress=progress,
                 summary=progress.summary, imported=report, import_error=error, filename=file.filename)  # fmt: skip
