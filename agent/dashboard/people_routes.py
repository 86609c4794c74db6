"""The people pages' routes (included by ``agent.dashboard.router`` under ``/dashboard``): the list, one
person, editing their details and consent (admin, audited), opting out or back in (admin), the data export (audited) and deletion on request (admin, audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from agent.dashboard.people import PeopleDesk, export_filename
from agent.dashboard.users import Account
from agent.dashboard.web import check_csrf, csrf_token, current_user, require_admin

User = Annotated[Account, Depends(current_user)]


def _admin(account: User) -> Account:
    return require_admin(account)


Admin = Annotated[Account, Depends(_admin)]
router = APIRouter()
DELETE_WORD = "삭제"


def _desk(request: Request) -> PeopleDesk:
    return request.app.state.dashboard.people


def _render(request: Request, template: str, account: Account, status_code: int = 200, **context) -> HTMLResponse:
    return request.app.state.dashboard.templates.TemplateResponse(
        request, template, {"user": account, "csrf": csrf_token(request), "active": "people", **context},
        status_code=status_code,
    )  # fmt: skip


@router.get("/people", response_class=HTMLResponse)
def people_list(request: Request, user: User, q: str = "", deleted: int = 0, failed: int = 0) -> HTMLResponse:
    desk = _desk(request)
    return _render(request, "people.html", user, people=desk.list(q, user.username), q=q, deleted=bool(deleted),
                   failed=failed)  # fmt: skip


@router.get("/people/{person_id}", response_class=HTMLResponse)
def person_page(request: Request, person_id: int, user: User) -> HTMLResponse:
    return _person(request, person_id, user)


def _person(request: Request, person_id: int, user: Account, error: str | None = None) -> HTMLResponse:
    desk = _desk(request)
    page = desk.page(person_id, request.app.state.dashboard.clock())
    if page is None:
        raise HTTPException(404, "등록된 대상자가 없습니다.")
    return _render(request, "person.html", user, status_code=422 if error else 200, page=page, p=page.person,
                   labels=desk.labels, error=error, delete_word=DELETE_WORD,
                   care_workers=desk.care_workers() if user.is_admin else [])  # fmt: skip


@router.post("/people/{person_id}/opt-out")
def person_opt_out(
    request: Request,
    person_id: int,
    admin: Admin,
    opted_out: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    if opted_out not in ("1", "0"):
        raise HTTPException(422, "opted_out: 1 또는 0")
    try:
        _desk(request).set_opted_out(person_id, opted_out == "1", admin.username, reason)
    except KeyError as exc:
        raise HTTPException(404, "등록된 대상자가 없습니다.") from exc
    except ValueError as exc:
        return _person(request, person_id, admin, error=str(exc))
    return RedirectResponse(f"/dashboard/people/{person_id}#consent", status_code=303)


@router.post("/people/{person_id}/details")
def person_details(
    request: Request,
    person_id: int,
    admin: Admin,
    consent: Annotated[str, Form()],
    care_worker: Annotated[str, Form()] = "",
    guardian_name: Annotated[str, Form()] = "",
    guardian_phone: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    try:
        _desk(request).update_details(person_id, admin.username, care_worker=care_worker, guardian_name=guardian_name,
                                      guardian_phone=guardian_phone, notes=notes, consent=consent)  # fmt: skip
    except KeyError as exc:
        raise HTTPException(404, "등록된 대상자가 없습니다.") from exc
    except ValueError as exc:
        return _person(request, person_id, admin, error=str(exc))
    return RedirectResponse(f"/dashboard/people/{person_id}#details", status_code=303)


@router.get("/people/{person_id}/export.json")
def person_export(request: Request, person_id: int, user: User) -> Response:
    desk = _desk(request)
    person = desk.get(person_id)
    data = desk.export(person_id, user.username) if person else None
    if person is None or data is None:
        raise HTTPException(404, "등록된 대상자가 없습니다.")
    return Response(
        data, media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{export_filename(person, request.app.state.dashboard.clock())}"',
                 "Cache-Control": "private, no-store"},
    )  # fmt: skip


@router.post("/people/{person_id}/delete")
def person_delete(
    request: Request,
    person_id: int,
    admin: Admin,
    reason: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    if confirm.strip() != DELETE_WORD:
        return _person(request, person_id, admin, error=f"삭제하려면 확인 칸에 '{DELETE_WORD}'라고 적어 주세요.")
    try:
        done = _desk(request).delete(person_id, admin.username, reason, request.app.state.dashboard.recordings)
    except ValueError as exc:
        return _person(request, person_id, admin, error=str(exc))
    if done is None:
        raise HTTPException(404, "등록된 대상자가 없습니다.")
    _, failed = done
    return RedirectResponse(f"/dashboard/people?deleted=1&failed={failed}", status_code=303)
