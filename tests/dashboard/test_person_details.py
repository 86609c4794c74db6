"""Editing a person's details and consent on their page: admins only, the care worker an enabled dashboard
account, the guardian's number checked, every change audited with its old and new value."""

from __future__ import annotations

from dashboard_testkit import csrf_of, insert_row, login

from agent.dashboard.users import UserBook
from agent.store import PeopleStore, UserStore, utcnow


def _register(store) -> int:
    now = utcnow()
    return insert_row(store, "people", name="김영수", phone="+821012345678", care_worker=None, notes="",
                      consent="unknown", opted_out=False, created_at=now, updated_at=now)  # fmt: skip


def _form(csrf: str, **fields) -> dict[str, str]:
    return {"care_worker": "minjun", "guardian_name": "김딸", "guardian_phone": "010-9999-0001",
            "notes": "귀가 어두우심", "consent": "given", "csrf": csrf, **fields}  # fmt: skip


def test_an_admin_edits_details_and_consent_and_every_change_is_audited(db_env):
    person_id = _register(db_env.store)
    people = PeopleStore(db_env.store.engine)
    operator = login(db_env.app, "minjun")
    page = operator.get(f"/dashboard/people/{person_id}").text
    assert 'id="person-details"' not in page  # an operator sees no form and cannot post one
    assert operator.post(f"/dashboard/people/{person_id}/details", data=_form(csrf_of(page))).status_code == 403

    admin = login(db_env.app, "hana")
    page = admin.get(f"/dashboard/people/{person_id}").text
    assert 'id="person-details"' in page and '<option value="minjun">minjun</option>' in page
    done = admin.post(f"/dashboard/people/{person_id}/details", data=_form(csrf_of(page)), follow_redirects=False)
    assert done.status_code == 303
    person = people.get(person_id)
    assert (person.care_worker, person.guardian_name, person.guardian_phone, person.notes, person.consent) == (
        "minjun", "김딸", "+821099990001", "귀가 어두우심", "given")
    html = admin.get(f"/dashboard/people/{person_id}").text
    assert 'data-consent="given"' in html and "귀가 어두우심" in html
    [entry] = db_env.dash.audit.recent(action="person.update")
    assert (entry.username, entry.target_id) == ("hana", str(person_id))
    assert entry.detail["changed"]["consent"] == ["unknown", "given"]
    assert entry.detail["changed"]["care_worker"] == [None, "minjun"]

    same = admin.post(f"/dashboard/people/{person_id}/details", data=_form(csrf_of(html)), follow_redirects=False)
    assert same.status_code == 303 and len(db_env.dash.audit.recent(action="person.update")) == 1  # nothing changed
    refused = admin.post(f"/dashboard/people/{person_id}/details", data=_form(csrf_of(html), consent="refused",
                         care_worker=""), follow_redirects=False)  # fmt: skip
    assert refused.status_code == 303
    assert (people.get(person_id).consent, people.get(person_id).care_worker) == ("refused", None)
    assert admin.post("/dashboard/people/999/details", data=_form(csrf_of(html))).status_code == 404


def test_a_care_worker_who_is_no_enabled_account_and_bad_fields_are_refused(db_env):
    person_id = _register(db_env.store)
    UserBook(UserStore(db_env.store.engine)).add("gone", "gone-password-1", "operator")
    UserBook(UserStore(db_env.store.engine)).set_disabled("gone", True)
    admin = login(db_env.app, "hana")
    csrf = csrf_of(admin.get(f"/dashboard/people/{person_id}").text)
    for fields, message in [
        ({"care_worker": "gone"}, "담당자는 사용 중인 대시보드 계정이어야 합니다."),
        ({"care_worker": "nobody"}, "담당자는 사용 중인 대시보드 계정이어야 합니다."),
        ({"guardian_phone": "12"}, "보호자 전화번호를 확인해 주세요"),
        ({"consent": "maybe"}, "개인정보 동의는"),
    ]:
        response = admin.post(f"/dashboard/people/{person_id}/details", data=_form(csrf, **fields))
        assert response.status_code == 422 and 'id="person-error"' in response.text and message in response.text
    person = PeopleStore(db_env.store.engine).get(person_id)
    assert (person.care_worker, person.consent, person.notes) == (None, "unknown", "")  # nothing half-stored
    assert db_env.dash.audit.recent(action="person.update") == []
