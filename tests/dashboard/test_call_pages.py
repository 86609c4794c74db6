"""The flagged-call queue, the call page (transcript, audio, answers, flags, history) and resolving flags,
on SQLite and PostgreSQL."""

from datetime import timedelta

from dashboard_testkit import csrf_of, login, seed_call, update_row


def _age(store, call_id: str, hours: int) -> None:
    update_row(store, "calls", call_id, started_at=store.get_call(call_id).started_at - timedelta(hours=hours))


def test_queue_lists_unresolved_flags_most_severe_first_then_oldest(db_env):
    store, settings = db_env.store, db_env.settings
    medium_old = seed_call(store, settings, name="박순자", phone="+821011110001", flags=[("low_mood", "medium", "그냥 우울해요", 1)])
    high_new = seed_call(store, settings, name="이말순", phone="+821011110002", flags=[("fall", "high", "넘어졌어요", 3)])
    high_old = seed_call(store, settings, name="최복희", phone="+821011110003",
                         flags=[("meal_skipped", "low", "못 먹었어요", 1), ("fall", "high", "어제 넘어졌어요", 3)])  # fmt: skip
    critical = seed_call(store, settings, name="정영자", phone="+821011110004", flags=[("self_harm", "critical", "죽고 싶어요", 3)])
    seed_call(store, settings, name="김철수", phone="+821011110005", flags=[])  # nothing to check
    _age(store, medium_old, 30)
    _age(store, high_old, 5)

    items = db_env.dash.calls.queue()
    assert [i.call_id for i in items] == [critical, high_old, high_new, medium_old]
    assert items[1].top_severity == "high" and [f.severity for f in items[1].open_flags] == ["high", "low"]

    html = login(db_env.app, "minjun").get("/dashboard/queue").text
    positions = [html.index(name) for name in ("정영자", "최복희", "이말순", "박순자")]
    assert positions == sorted(positions) and "김철수" not in html
    assert "죽고 싶어요" in html and "긴급" in html


def test_call_page_shows_transcript_audio_answers_flags_and_history(db_env):
    store, settings = db_env.store, db_env.settings
    earlier = seed_call(store, settings, flags=[("meal_skipped", "low", "입맛이 없어요", 1)], answers={"meal": "skipped"})
    _age(store, earlier, 24)
    other_person = seed_call(store, settings, name="남궁민", phone="+821099990000")
    call_id = seed_call(store, settings, flags=[("fall", "high", "어제 넘어져서 무릎이 아파요.", 3)])

    page = login(db_env.app, "minjun").get(f"/dashboard/calls/{call_id}")
    assert page.status_code == 200
    html = page.text
    assert 'id="turn-3" class="turn caller flagged"' in html  # the flag's turn is marked
    assert "00:08" in html and "어제 넘어져서 무릎이 아파요." in html  # turn 3 starts at 8.0 s
    assert f'<audio id="recording" controls preload="metadata" src="/dashboard/calls/{call_id}/audio">' in html
    assert "<th>식사</th><td>거르심</td>" in html and "fall, pain" in html  # names of the call's scenario
    assert 'href="#turn-3"' in html and "높음" in html
    assert f"/dashboard/calls/{earlier}" in html and "입맛이 없어요" in html  # the previous call of this person
    assert other_person not in html


def test_audio_is_served_with_ranges_to_logged_in_users_only(env):
    call_id = seed_call(env.store, env.settings, flags=[("fall", "high", "넘어졌어요", 3)])
    client = login(env.app, "minjun")
    whole = client.get(f"/dashboard/calls/{call_id}/audio")
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/wav"
    assert whole.content[:4] == b"RIFF" and whole.content[22] == 2  # stereo
    part = client.get(f"/dashboard/calls/{call_id}/audio", headers={"Range": "bytes=44-1043"})
    assert part.status_code == 206 and len(part.content) == 1000
    assert part.headers["content-range"] == f"bytes 44-1043/{len(whole.content)}"

    from fastapi.testclient import TestClient

    assert TestClient(env.app).get(f"/dashboard/calls/{call_id}/audio", follow_redirects=False).status_code == 303


def test_a_recording_path_outside_the_recordings_directory_is_never_served(env, tmp_path):
    call_id = seed_call(env.store, env.settings)
    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"RIFF-not-yours")
    for path in (str(secret), str(env.settings.recordings_dir / ".." / ".." / "secret.wav"), "/etc/passwd"):
        update_row(env.store, "calls", call_id, recording_path=path)
        assert login(env.app, "minjun").get(f"/dashboard/calls/{call_id}/audio").status_code == 404


def test_resolving_a_flag_records_who_when_and_why_in_the_audit_trail(db_env):
    store, settings = db_env.store, db_env.settings
    call_id = seed_call(store, settings, flags=[("fall", "high", "넘어졌어요", 3), ("meal_skipped", "low", "못 먹었어요", 1)])
    client = login(db_env.app, "minjun")
    page = client.get(f"/dashboard/calls/{call_id}").text
    fall_id = db_env.dash.calls.get(call_id).flags[0].id

    done = client.post(f"/dashboard/flags/{fall_id}/resolve",
                       data={"call_id": call_id, "note": "따님과 통화, 내일 병원 동행", "csrf": csrf_of(page)})  # fmt: skip
    assert done.status_code == 200
    assert "minjun 님이" in done.text and "따님과 통화, 내일 병원 동행" in done.text
    (flag,) = [f for f in store.get_call(call_id).flags if f.id == fall_id]
    assert (flag.resolved_by, flag.note) == ("minjun", "따님과 통화, 내일 병원 동행") and flag.resolved_at
    (entry,) = db_env.dash.audit.for_call(call_id, [fall_id])
    assert (entry.username, entry.action, entry.target_id) == ("minjun", "flag.resolve", str(fall_id))
    assert entry.detail == {"call_id": call_id, "rule": "fall", "severity": "high", "note": "따님과 통화, 내일 병원 동행"}

    again = client.post(f"/dashboard/flags/{fall_id}/resolve", data={"call_id": call_id, "note": "", "csrf": csrf_of(page)})
    assert again.status_code == 409  # resolved once, by one person
    queue = db_env.dash.calls.queue()
    assert [(i.call_id, i.top_severity) for i in queue] == [(call_id, "low")]


def test_annotations_join_the_call_trail(env):
    call_id = seed_call(env.store, env.settings, flags=[("fall", "high", "넘어졌어요", 3)])
    client = login(env.app, "hana")
    csrf = csrf_of(client.get(f"/dashboard/calls/{call_id}").text)
    assert client.post(f"/dashboard/calls/{call_id}/notes", data={"note": "   ", "csrf": csrf}).status_code == 422
    page = client.post(f"/dashboard/calls/{call_id}/notes", data={"note": "주민센터에 방문 요청", "csrf": csrf})
    assert page.status_code == 200 and "hana · 메모: 주민센터에 방문 요청" in page.text
    assert client.post("/dashboard/calls/nope/notes", data={"note": "x", "csrf": csrf}).status_code == 404
    assert client.get("/dashboard/calls/nope").status_code == 404
    assert "주민센터에 방문 요청" in client.get("/dashboard/audit").text
