"""The people registry on SQLite and PostgreSQL: opt-out with its audit entry, search, export, deletion on
request, and the migration that registers the people already on contact lists."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from agent.store import AuditLog, CallStore, PeopleStore, Person, make_engine, migrate
from agent.store.campaigns import CampaignLedger
from dialog.phone_numbers import PhoneNumberError


@pytest.fixture
def stores(database_url):
    migrate(database_url)
    calls = CallStore(database_url)
    yield SimpleNamespace(calls=calls, people=PeopleStore(calls.engine), audit=AuditLog(calls.engine),
                          ledger=CampaignLedger(calls.engine), engine=calls.engine)  # fmt: skip
    calls.engine.dispose()


def _contact(phone: str, name: str, line: int = 2, **extra) -> SimpleNamespace:
    fields = {"care_worker": "", "guardian_name": "", "guardian_phone": "", "person_notes": "", "consent": ""} | extra
    return SimpleNamespace(line=line, name=name, phone=phone, notes="", **fields)


def _call(stores, phone: str, *, flags=(), answers=None, outcome="completed") -> str:
    call_id = stores.calls.start_call(phone_number=phone, person_name="김영수", scenario="care_call")
    stores.calls.add_turn(call_id, "agent", "식사는 하셨어요?", 0, 1000)
    stores.calls.add_turn(call_id, "caller", "못 먹었어요.", 1200, 2000)
    stores.calls.add_flags(call_id, [SimpleNamespace(rule=r, severity=s, evidence="못 먹었어요", turn=1, message=None)
                                     for r, s in flags])  # fmt: skip
    stores.calls.finish_call(call_id, outcome=outcome, answers=answers or {"meal": "skipped"},
                             recording_path=f"/rec/{call_id}.wav")  # fmt: skip
    return call_id


def test_opting_out_an_unknown_number_registers_it_and_audits_in_the_same_commit(stores):
    people = stores.people
    assert not people.is_opted_out("010-2222-3333")
    person = people.set_opted_out("010-2222-3333", True, actor="call", reason="통화 중 요청", call_id="c-1")
    assert isinstance(person, Person)
    assert person.phone == "+821022223333" and person.opted_out and person.opted_out_at is not None
    assert person.opt_out_reason == "통화 중 요청" and person.opt_out_source == "call:c-1"
    assert people.is_opted_out("+82 10-2222-3333") and people.is_opted_out("01022223333")
    [entry] = stores.audit.recent(action="person.opt_out")
    assert (entry.username, entry.target_type, entry.target_id) == ("call", "person", str(person.id))
    assert entry.detail == {"phone": "+821022223333", "reason": "통화 중 요청", "call_id": "c-1"}

    back = people.set_opted_out("+821022223333", False, actor="hana", reason="본인이 다시 원함")
    assert back.id == person.id and not back.opted_out and back.opted_out_at is None and back.opt_out_source == "hana"
    assert not people.is_opted_out("010-2222-3333")
    assert [e.action for e in stores.audit.recent()][:2] == ["person.opt_in", "person.opt_out"]
    with pytest.raises(PhoneNumberError):
        people.set_opted_out("not a number", True, actor="hana", reason="x")
    assert not people.is_opted_out("not a number")


def test_contacts_register_people_and_a_later_import_updates_them(stores):
    ledger, people = stores.ledger, stores.people
    first = ledger.add_campaign(name="a", scenario="care_call", timezone="Asia/Seoul", calling_hours={},
                                start_date=None, recurrence="once", retry_policy={}, max_concurrent=1)  # fmt: skip
    second = ledger.add_campaign(name="b", scenario="care_call", timezone="Asia/Seoul", calling_hours={},
                                 start_date=None, recurrence="once", retry_policy={}, max_concurrent=1)  # fmt: skip
    ledger.add_contacts(first.id, [_contact("+821011110001", "김영수", care_worker="minjun", guardian_name="김딸",
                                            guardian_phone="+821099990001", person_notes="귀가 어두우심")])  # fmt: skip
    ledger.add_contacts(second.id, [_contact("+821011110001", "김영수 어르신", care_worker="hana")])
    person = people.by_phone("010-1111-0001")
    assert (person.name, person.care_worker, person.guardian_name, person.guardian_phone, person.notes) == (
        "김영수 어르신", "hana", "김딸", "+821099990001", "귀가 어두우심")  # empty cells keep what was stored
    with stores.engine.connect() as conn:
        linked = conn.execute(sa.text("select person_id from contacts")).scalars().all()
    assert linked == [person.id, person.id]


def test_search_by_name_or_number_with_ones_own_people_first(stores):
    ledger = stores.ledger
    campaign = ledger.add_campaign(name="a", scenario="care_call", timezone="Asia/Seoul", calling_hours={},
                                   start_date=None, recurrence="once", retry_policy={}, max_concurrent=1)  # fmt: skip
    ledger.add_contacts(campaign.id, [
        _contact("+821011110001", "가나다", care_worker="hana"), _contact("+821011110002", "박순자", care_worker="minjun"),
        _contact("+821022220003", "이말순"), _contact("+821011110004", "최복희", care_worker="minjun"),
    ])  # fmt: skip
    names = lambda found: [p.name for p in found]  # noqa: E731
    assert names(stores.people.search("", first_of="minjun")) == ["박순자", "최복희", "가나다", "이말순"]
    assert names(stores.people.search("")) == ["가나다", "박순자", "이말순", "최복희"]
    assert names(stores.people.search("말순")) == ["이말순"]
    assert names(stores.people.search("010-1111")) == ["가나다", "박순자", "최복희"]
    assert names(stores.people.search("0004")) == ["최복희"]
    assert names(stores.people.search("%")) == []  # a LIKE wildcard is searched as itself


def test_export_holds_the_record_calls_transcripts_and_flags_and_is_audited(stores):
    person = stores.people.set_opted_out("010-3333-4444", False, actor="hana", reason="등록")
    call_id = _call(stores, "+821033334444", flags=[("not_eating", "medium")])
    _call(stores, "+821099998888")  # someone else's
    data = stores.people.export(person.id, actor="minjun")
    assert data["person"]["phone"] == "+821033334444"
    [call] = data["calls"]
    assert call["id"] == call_id and call["answers"] == {"meal": "skipped"}
    assert [t["text"] for t in call["turns"]] == ["식사는 하셨어요?", "못 먹었어요."]
    assert [f["rule"] for f in call["flags"]] == ["not_eating"]
    assert isinstance(call["started_at"], str)
    [entry] = stores.audit.recent(action="person.export")
    assert entry.username == "minjun" and entry.detail == {"calls": 1}
    assert stores.people.export(999, actor="minjun") is None


def test_deleting_a_person_removes_their_calls_and_contacts_but_keeps_the_trail_and_an_opt_out(stores):
    ledger, people = stores.ledger, stores.people
    campaign = ledger.add_campaign(name="a", scenario="care_call", timezone="Asia/Seoul", calling_hours={},
                                   start_date=None, recurrence="once", retry_policy={}, max_concurrent=1)  # fmt: skip
    ledger.add_contacts(campaign.id, [_contact("+821011110001", "김영수", care_worker="minjun"),
                                      _contact("+821011110002", "박순자", line=3)])  # fmt: skip
    mine = _call(stores, "+821011110001", flags=[("fall", "high")])
    other = _call(stores, "+821011110002", flags=[("fall", "high")])
    flag_id = stores.calls.get_call(mine).flags[0].id
    stores.calls.resolve_flag(flag_id, "minjun", "보호자와 통화")
    person = people.by_phone("+821011110001")

    deletion = people.delete(person.id, actor="hana", reason="본인 요청")
    assert (deletion.calls, deletion.contacts, deletion.kept_opt_out) == (1, 1, False)
    assert deletion.recording_paths == [f"/rec/{mine}.wav"]
    assert stores.calls.get_call(mine) is None and people.get(person.id) is None
    assert stores.calls.get_call(other) is not None and people.by_phone("+821011110002") is not None
    assert ledger.phones(campaign.id) == {"+821011110002"}
    with stores.engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from turns where call_id = :c"), {"c": mine}).scalar() == 0
        assert conn.execute(sa.text("select count(*) from flags where call_id = :c"), {"c": mine}).scalar() == 0
    actions = [e.action for e in stores.audit.recent()]
    assert actions[:2] == ["person.delete", "flag.resolve"]  # the trail stays, the deletion is in it
    assert stores.audit.recent(action="person.delete")[0].detail == {
        "reason": "본인 요청", "calls": 1, "contacts": 1, "recordings": 1, "kept_opt_out": False}

    # Someone who opted out keeps only the number and the opt-out, so no campaign calls them again.
    opted = people.set_opted_out("+821011110002", True, actor="hana", reason="전화 사절")
    assert people.delete(opted.id, actor="hana", reason="본인 요청").kept_opt_out
    kept = people.get(opted.id)
    assert kept.opted_out and kept.name == "(삭제됨)" and kept.care_worker is None
    assert people.is_opted_out("+821011110002") and stores.calls.get_call(other) is None
    assert people.delete(12345, actor="hana", reason="x") is None


def test_the_migration_registers_the_people_already_on_contact_lists(database_url):
    migrate(database_url, "0006")
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "insert into campaigns (id, name, scenario, status, timezone, calling_hours, recurrence, retry_policy, "
            "max_concurrent, created_at, updated_at) values ('c1', 'a', 'care_call', 'draft', 'Asia/Seoul', '{}', "
            "'once', '{}', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), ('c2', 'b', 'care_call', 'draft', 'Asia/Seoul', "
            "'{}', 'once', '{}', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))  # fmt: skip
        conn.execute(sa.text(
            "insert into contacts (campaign_id, name, phone, notes, created_at) values "
            "('c1', '김영수', '+821011110001', '', CURRENT_TIMESTAMP), ('c2', '김영수2', '+821011110001', '', "
            "CURRENT_TIMESTAMP), ('c1', '박순자', '+821011110002', '', CURRENT_TIMESTAMP)"))  # fmt: skip
    migrate(database_url)
    people = PeopleStore(engine)
    assert [(p.name, p.phone, p.opted_out) for p in people.search("")] == [
        ("김영수", "+821011110001", False), ("박순자", "+821011110002", False)]
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select phone, person_id from contacts order by id")).all()
    ids = {p.phone: p.id for p in people.search("")}
    assert rows == [(phone, ids[phone]) for phone, _ in rows] and all(pid is not None for _, pid in rows)
    engine.dispose()
