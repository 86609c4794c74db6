"""Full simulated calls per persona, barge-in, silence, hang-up and a garbled media stream.

Each call runs in real time (the simulator paces 20 ms packets like a phone), so a care call takes about a
minute. What the agent understood is asserted against the persona file's ``expect`` block.
"""

from __future__ import annotations

import asyncio
import json
import re
import wave

import numpy as np
import pytest
import websockets

from agent.call.events import new_call_sid
from agent.cli.demo import serve_in_background
from agent.app import create_app
from agent.store import CallStore, migrate
from dialog.clock import SEOUL
from telephony import protocol
from telephony.simulator.personas import load_persona
from telephony.simulator.phone import dial

pytestmark = pytest.mark.slow


def assert_matches_expectation(record, persona) -> None:
    expect = persona.expect
    if expect.outcome:
        assert record.outcome == expect.outcome, record.outcome_detail
    for key, value in expect.answers.items():
        if key == "symptoms":
            assert set(value) <= set(record.answers.get("symptoms", [])), record.answers
        else:
            assert record.answers.get(key) == value, (key, record.answers)
    rules = {flag.rule for flag in record.flags}
    assert set(expect.flags) <= rules, rules
    assert not set(expect.no_flags) & rules, rules


def hangul_only(text: str) -> str:
    return re.sub(r"[^가-힣]", "", text)


def read_recording(path: str) -> tuple[np.ndarray, int]:
    with wave.open(path) as wav:
        assert wav.getnchannels() == 2 and wav.getsampwidth() == 2
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).reshape(-1, 2)
        return frames, wav.getframerate()


# The well callee's whole call is the barge-in test's (below): the same answers, with a barge-in at the start.
@pytest.mark.parametrize("persona_name", ["fever_cough", "fall_low_mood"])
async def test_care_call_extracts_answers_and_flags(place_call, persona_name):
    persona = load_persona(persona_name)
    placed = await place_call(persona_name)
    record, call = placed.record, placed.call

    assert_matches_expectation(record, persona)
    # Every flag carries the caller's words that caused it.
    caller_words = " ".join(t.text for t in record.turns if t.speaker == "caller")
    for flag in record.flags:
        assert flag.evidence and flag.evidence.replace(" ", "") in caller_words.replace(" ", "")

    # The transcript: agent and caller alternate, timestamps grow, the agent closed the call.
    speakers = [t.speaker for t in record.turns]
    assert speakers[0] == "agent" and speakers.count("caller") >= 6
    starts = [t.start_ms for t in record.turns]
    assert starts == sorted(starts)
    assert record.turns[-1].state == "closing"
    assert call.server_hung_up and not call.caller_hung_up

    # The simulator heard every question (marks) and measured each agent turn on the wire.
    assert call.marks[:3] == ["identity", "meal", "sleep"]
    assert call.greeting_latency_s is not None and call.greeting_latency_s < 5
    assert len(call.latencies_s) >= 6 and max(call.latencies_s) < 8

    # The two-sided recording: caller on the left, agent on the right, both audible.
    frames, rate = read_recording(record.recording_path)
    assert rate == 8000 and len(frames) / rate > 20
    assert np.abs(frames[:, 0]).max() > 1000 and np.abs(frames[:, 1]).max() > 1000


LINES_FILE = """
lines:
  - number: "02-555-0100"
    name: 한빛식당 종로점 예약
    scenario: reservation
    venue:
      id: hanbit-jongno
      name: 한빛식당 종로점
      hours: {mon: closed, tue: "11:30-21:30", wed: "11:30-21:30", thu: "11:30-21:30", fri: "11:30-22:00",
              sat: "11:00-22:00", sun: "11:00-21:00"}
      seats: 12
      max_party: 6
"""


def dashboard_bookings(settings, cancelled: bool = False) -> str:
    """The bookings page as an operator sees it (logged in through the login form)."""
    from fastapi.testclient import TestClient

    from agent.dashboard.users import UserBook
    from agent.store import UserStore

    store = CallStore(settings.resolved_database_url)
    users = UserBook(UserStore(store.engine))
    if users.get("operator") is None:
        users.add("operator", "operator-pw-123", "operator")
    client = TestClient(create_app(settings, None, store), base_url="http://testserver")
    login_page = client.get("/dashboard/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', login_page).group(1)
    answer = client.post("/dashboard/login", data={"username": "operator", "password": "operator-pw-123", "csrf": csrf},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    return client.get("/dashboard/bookings" + ("?cancelled=1" if cancelled else "")).text


async def test_reservation_line_books_then_a_second_call_cancels(place_call, tmp_path):
    """A call to the restaurant's number (its line: reservation scenario, its own venue) books a table that the
    dashboard shows; the same caller calls back and cancels, and the dashboard shows it cancelled."""
    from datetime import date, timedelta

    from agent.store import SqlBookingBook

    lines = tmp_path / "lines.yaml"
    lines.write_text(LINES_FILE, encoding="utf-8")
    booking_call = await place_call("reserve_dinner", lines_file=lines)
    record = booking_call.record
    assert_matches_expectation(record, load_persona("reserve_dinner"))
    today = date.fromisoformat(record.started_at.astimezone(SEOUL).date().isoformat())
    next_saturday = today - timedelta(days=today.weekday()) + timedelta(days=12)
    assert record.answers["date"] == next_saturday.isoformat()
    assert booking_call.call.marks[:2] == ["intent", "name"]

    book = SqlBookingBook(CallStore(booking_call.settings.resolved_database_url).engine)
    assert book.on_day("default", next_saturday) == []  # the line's venue took it, not the scenario's default
    (booked,) = book.on_day("hanbit-jongno", next_saturday)
    assert (booked.party_size, booked.phone, booked.call_id) == (2, "01055501234", record.id)
    assert booked.name == record.answers["name"] and booked.name.startswith("김민")
    assert record.direction == "inbound"

    page = dashboard_bookings(booking_call.settings)
    row = re.search(rf'<tr class="booking booked" data-booking-id="{booked.id}">(.*?)</tr>', page, re.S)
    assert row, page
    for shown in ("hanbit-jongno", next_saturday.isoformat(), "19:00", "2명", booked.name, "01055501234", "예약됨"):
        assert shown in row.group(1), (shown, row.group(1))

    cancel_call = await place_call("cancel_dinner", lines_file=lines)  # same database, a new server
    assert_matches_expectation(cancel_call.record, load_persona("cancel_dinner"))
    assert cancel_call.record.answers["booking_id"] == booked.id
    assert book.on_day("hanbit-jongno", next_saturday) == []
    assert f'data-booking-id="{booked.id}"' not in dashboard_bookings(cancel_call.settings)
    assert re.search(rf'<tr class="booking cancelled" data-booking-id="{booked.id}">.*?취소됨',
                     dashboard_bookings(cancel_call.settings, cancelled=True), re.S)  # fmt: skip


async def test_barge_in_stops_the_agent_and_sends_clear(place_call):
    placed = await place_call("barge_in")
    timeline = [(round(e.t, 2), e.who, e.kind, e.data) for e in placed.call.events if e.kind != "mark"]
    # A 'clear' arrived while the agent was still speaking (its audio playing, or between two of its clauses).
    assert placed.call.barge_ins >= 1, timeline
    persona = load_persona("barge_in")
    assert_matches_expectation(placed.record, persona)  # a well callee: every answer right, no flag
    assert placed.record.flags == []
    # What the caller said over the agent was heard and answered (the turn after the cut prompt).
    said = hangul_only(persona.barge_in.text)
    heard = [hangul_only(t.text) for t in placed.record.turns if t.speaker == "caller"]
    assert said in heard, heard


async def test_silent_callee_is_reprompted_then_the_call_ends_politely(place_call):
    placed = await place_call("silent", silence_timeout_s=2.0)
    record = placed.record
    assert record.outcome == "no_response"
    assert "no_answer" in {f.rule for f in record.flags}
    agent_turns = [t for t in record.turns if t.speaker == "agent"]
    assert len(agent_turns) >= 3  # greeting, re-prompts, goodbye
    assert not [t for t in record.turns if t.speaker == "caller" and t.text]
    assert placed.call.server_hung_up


async def test_caller_hanging_up_mid_call_keeps_what_was_heard(place_call):
    placed = await place_call("hang_up")
    record = placed.record
    assert record.outcome == "caller_hung_up"
    assert record.status == "ended" and record.ended_at is not None
    assert record.answers.get("meal") == "eaten"
    assert any(t.speaker == "caller" for t in record.turns)
    assert record.recording_path


async def test_garbled_stream_is_survived_and_recorded(engines, make_settings):
    settings = make_settings()
    migrate(settings.resolved_database_url)
    store = CallStore(settings.resolved_database_url)
    app = create_app(settings, engines, store)
    call_sid = new_call_sid()
    async with serve_in_background(app, settings):
        ws_url, params = await dial(settings.base_url, call_sid=call_sid, from_number="+821099998888",
                                    to_number="+8215881234")
        stream_sid = "MZ" + "1" * 32
        silence = protocol.MULAW_SILENCE * protocol.FRAME_BYTES
        async with websockets.connect(ws_url) as ws:
            await ws.send(json.dumps(protocol.connected()))
            await ws.send("this is not json")
            await ws.send(json.dumps(protocol.media(stream_sid, silence, 2, 1, 0)))  # media before start
            await ws.send(json.dumps(protocol.start(stream_sid, call_sid, "AC" + "0" * 32, params)))
            await ws.send(json.dumps({"event": "media", "streamSid": stream_sid, "media": {"payload": "%%%"}}))
            await ws.send(json.dumps({"event": "bogus", "streamSid": stream_sid}))
            await ws.send("[1, 2, 3]")
            greeting = None
            for i in range(150):  # 3 s of a quiet line; the greeting arrives meanwhile
                await ws.send(json.dumps(protocol.media(stream_sid, silence, 3 + i, 2 + i, 20 * i)))
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 0.02))
                    greeting = greeting or (message if message.get("event") == "media" else None)
                except TimeoutError:
                    pass
        # the socket dropped mid-call: the record must still be there, closed, with the reason
        for _ in range(100):
            calls = store.list_calls()
            if calls and calls[0].status == "ended":
                break
            await asyncio.sleep(0.1)
    assert greeting is not None, "the agent never spoke"
    (record,) = store.list_calls()
    assert record.status == "ended" and record.outcome == "caller_hung_up"
    assert record.stats["protocol_errors"] >= 3
    assert [t.speaker for t in record.turns][:1] == ["agent"]


async def test_stream_with_a_forged_token_is_refused_and_not_recorded(engines, make_settings):
    settings = make_settings()
    migrate(settings.resolved_database_url)
    store = CallStore(settings.resolved_database_url)
    app = create_app(settings, engines, store)
    async with serve_in_background(app, settings):
        ws_url = settings.base_url.replace("http", "ws") + "/ws"
        async with websockets.connect(ws_url) as ws:
            await ws.send(json.dumps(protocol.connected()))
            await ws.send(json.dumps(protocol.start("MZ1", new_call_sid(), "AC1", {"token": "forged"})))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.recv()
    assert closed.value.rcvd.code == 1008
    assert store.list_calls() == []
