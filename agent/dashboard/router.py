"""The dashboard's pages and actions, under ``/dashboard``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from agent.dashboard.audio import has_recording, recording_response
from agent.dashboard.export import campaign_csv
from agent.dashboard.live import sse_stream
from agent.dashboard.people_routes import router as people_router
from agent.dashboard.operations import router as operations_router
from agent.dashboard.users import ROLES, Account, UserError, normalize_username
from agent.dashboard.web import check_csrf, client_address, csrf_token, current_user, log_in, log_out, require_admin

User = Annotated[Account, Depends(current_user)]


def _admin(account: User) -> Account:
    return require_admin(account)


Admin = Annotated[Account, Depends(_admin)]
router = APIRouter(prefix="/dashboard")


def _state(request: Request):
    return request.app.state.dashboard


def _page(request: Request, template: str, account: Account | None, status_code: int = 200, **context) -> HTMLResponse:
    return _state(request).templates.TemplateResponse(
        request, template, {"user": account, "csrf": csrf_token(request), **context}, status_code=status_code
    )


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("", include_in_schema=False)
@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return _back("/dashboard/queue")


# --- login ---------------------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/dashboard/queue") -> HTMLResponse:
    return _page(request, "login.html", None, next=_safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/dashboard/queue",
) -> Response:
    check_csrf(request, csrf)
    dash = _state(request)
    username, address = normalize_username(username), client_address(request)
    attempt = dash.throttle.attempt(username, address)  # counted before the password is checked
    if attempt is None:
        error = "로그인 실패가 너무 많습니다. 5분 뒤에 다시 시도하세요."
        return _page(request, "login.html", None, status_code=429, next=_safe_next(next), error=error)
    account = dash.users.authenticate(username, password)
    if account is None:
        dash.audit.add(username, "login.failed", "user", username, address=address)
        error = "사용자 이름 또는 비밀번호가 맞지 않습니다."
        return _page(request, "login.html", None, status_code=401, next=_safe_next(next), error=error)
    dash.throttle.succeeded(attempt)
    log_in(request, account)
    dash.audit.add(account.username, "login", "user", account.username, address=address)
    return _back(_safe_next(next))


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> RedirectResponse:
    check_csrf(request, csrf)
    log_out(request)
    return _back("/dashboard/login")


def _safe_next(target: str) -> str:
    """Only our own pages after login (no open redirect)."""
    return target if target.startswith("/dashboard") and "//" not in target and "\\" not in target else "/dashboard/queue"


# --- flagged calls -------------------------------------------------------------------------------------


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, user: User) -> HTMLResponse:
    dash = _state(request)
    return _page(request, "queue.html", user, items=dash.calls.queue(), today=dash.calls.today(dash.clock(), dash.tz))


@router.get("/calls/{call_id}", response_class=HTMLResponse)
def call_page(request: Request, call_id: str, user: User) -> HTMLResponse:
    dash = _state(request)
    call = dash.calls.get(call_id)
    if call is None:
        raise HTTPException(404, "통화 기록이 없습니다.")
    return _page(
        request,
        "call.html",
        user,
        call=call,
        flagged_turns={f.turn_index for f in call.flags if f.turn_index is not None},
        has_audio=has_recording(dash.recordings, call.recording_path),
        history=dash.calls.history(call.phone_number, exclude=call.id),
        trail=dash.audit.for_call(call.id, [f.id for f in call.flags]),
        person=dash.people.by_phone(call.phone_number),
    )


@router.get("/calls/{call_id}/audio")
def call_audio(request: Request, call_id: str, user: User) -> Response:
    """The recording from whichever storage holds it (agent/dashboard/audio.py), with byte ranges."""
    dash = _state(request)
    return recording_response(dash.recordings, dash.calls.recording(call_id), request.headers.get("range"))


@router.post("/flags/{flag_id}/resolve")
def resolve_flag(
    request: Request,
    flag_id: int,
    user: User,
    call_id: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> RedirectResponse:
    check_csrf(request, csrf)
    try:
        _state(request).calls.resolve(flag_id, user.username, note)
    except KeyError as exc:
        raise HTTPException(404, "알림이 없습니다.") from exc
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from exc
    return _back(f"/dashboard/calls/{quote(call_id)}#flags")


@router.post("/calls/{call_id}/notes")
def annotate_call(
    request: Request, call_id: str, user: User, note: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = ""
) -> RedirectResponse:
    check_csrf(request, csrf)
    try:
        _state(request).calls.annotate(call_id, user.username, note)
    except KeyError as exc:
        raise HTTPException(404, "통화 기록이 없습니다.") from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return _back(f"/dashboard/calls/{quote(call_id)}#trail")


# --- live calls ----------------------------------------------------------------------------------------


@router.get("/live", response_class=HTMLResponse)
def live_page(request: Request, user: User) -> HTMLResponse:
    return _page(request, "live.html", user, calls=_state(request).calls.live())


@router.get("/live/events")
async def live_events(request: Request, user: User) -> StreamingResponse:
    return StreamingResponse(
        sse_stream(_state(request).hub, request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# --- bookings ------------------------------------------------------------------------------------------


@router.get("/bookings", response_class=HTMLResponse)
def bookings(request: Request, user: User, cancelled: bool = False) -> HTMLResponse:
    today = _state(request).clock().astimezone(_state(request).tz).date()
    rows = _state(request).bookings.upcoming(today, include_cancelled=cancelled)
    return _page(request, "bookings.html", user, bookings=rows, show_cancelled=cancelled, today=today)


# --- campaigns -----------------------------------------------------------------------------------------


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns(request: Request, user: User) -> HTMLResponse:
    board = _state(request).campaigns
    rows = [(c, board.progress(c.id).summary) for c in board.campaigns()]
    return _page(request, "campaigns.html", user, campaigns=rows)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign(request: Request, campaign_id: str, user: User) -> HTMLResponse:
    progress = _state(request).campaigns.progress(campaign_id)
    if progress is None:
        raise HTTPException(404, "캠페인이 없습니다.")
    return _page(request, "campaign.html", user, progress=progress, summary=progress.summary)


@router.get("/campaigns/{campaign_id}/export.csv")
def campaign_export(request: Request, campaign_id: str, user: User) -> Response:
    dash = _state(request)
    progress = dash.campaigns.progress(campaign_id)
    if progress is None:
        raise HTTPException(404, "캠페인이 없습니다.")
    dash.audit.add(user.username, "campaign.export", "campaign", campaign_id, contacts=progress.total)
    filename = f"campaign-{campaign_id[:8]}-{_state(request).clock():%Y%m%d}.csv"
    return Response(
        campaign_csv(progress).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- administration ------------------------------------------------------------------------------------


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, admin: Admin, error: str | None = None) -> HTMLResponse:
    return _page(request, "users.html", admin, users=_state(request).users.all(), roles=ROLES, error=error)


@router.post("/users")
def add_user(
    request: Request,
    admin: Admin,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()] = "operator",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    dash = _state(request)
    try:
        dash.users.add(username, password, role)
    except UserError as exc:
        return _page(request, "users.html", admin, status_code=422, users=dash.users.all(), roles=ROLES, error=str(exc))
    dash.audit.add(admin.username, "user.add", "user", normalize_username(username), role=role)
    return _back("/dashboard/users")


@router.post("/users/{username}/{action}")
def change_user(
    request: Request, username: str, action: str, admin: Admin, csrf: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf)
    dash = _state(request)
    username = normalize_username(username)
    if action not in {"disable", "enable"}:
        raise HTTPException(404)
    if username == admin.username:
        raise HTTPException(409, "자기 계정은 비활성화할 수 없습니다.")
    try:
        dash.users.set_disabled(username, action == "disable")
    except UserError as exc:
        raise HTTPException(404, str(exc)) from exc
    dash.audit.add(admin.username, f"user.{action}", "user", username)
    return _back("/dashboard/users")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, admin: Admin) -> HTMLResponse:
    return _page(request, "audit.html", admin, entries=_state(request).audit.recent())


router.include_router(operations_router)  # weekly reports, campaign pause / resume / import


router.include_router(people_router)  # /dashboard/people…: agent/dashboard/people_routes.py
