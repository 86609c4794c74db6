"""The phone simulator against a small scripted agent over a real websocket."""

import wave

import numpy as np

import pytest
from telephony_testkit import FakeAgent, Prompt, fake_agent_server, tone_voice

from telephony.simulator.personas import Persona, load_persona
from telephony.simulator.phone import PhoneSimulator

FAST = {"quiet_s": 0.3, "pause_s": 0.1, "max_duration_s": 20}


def persona(**kw) -> Persona:
    base = {
        "name": "김영수",
        "phone": "+821012345678",
        "answers": {"identity": ["네, 맞아요."], "meal": ["네.", "네, 밥 먹었어요."], "default": ["음."]},
    }
    return Persona.model_validate({**base, **kw})


async def run(agent: FakeAgent, who: Persona, **kw):
    events = []
    async with fake_agent_server(agent) as url:
        sim = PhoneSimulator(url, who, tone_voice(), stream_parameters={"token": "t1"},
                             on_event=lambda kind, data: events.append(kind), **{**FAST, **kw})
        call = await sim.run()
    return call, events


async def test_answers_per_mark_reprompt_latency_and_recording(tmp_path):
    agent = FakeAgent([Prompt("identity"), Prompt("meal"), Prompt("meal"), Prompt("health.fever")])
    call, events = await run(agent, persona(), record_path=tmp_path / "call.wav")
    # Twilio-shaped start with our parameters
    assert agent.log.start["start"]["customParameters"] == {"token": "t1"}
    assert agent.log.start["start"]["mediaFormat"] == {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
    # one answer per question; the re-prompt takes the next alternative; unknown state → default
    assert call.answered == [("identity", "네, 맞아요."), ("meal", "네."), ("meal", "네, 밥 먹었어요."),
                             ("health.fever", "음.")]
    # what the agent heard on the wire: a tone of len(text) × 0.1 s per answer
    assert [s for s, _ in agent.log.heard] == ["identity", "meal", "meal", "health.fever"]
    for (_, seconds), (_, text) in zip(agent.log.heard, call.answered):
        assert abs(seconds - len(text) * 0.1) <= 0.06
    assert agent.log.marks_echoed == ["identity", "meal", "meal", "health.fever"] == call.marks
    # latency: the agent replies 0.3 s (its end-of-speech wait) + 0.2 s after the callee stops
    assert call.greeting_latency_s is not None and call.greeting_latency_s < 0.3
    assert len(call.latencies_s) == 3 and all(0.45 <= x <= 0.9 for x in call.latencies_s), call.latencies_s
    assert call.server_hung_up and not call.caller_hung_up and call.clear_count == 0
    assert {"dialed", "agent_audio", "mark", "caller_speech", "server_hung_up"} <= set(events)
    assert [w for w, _, _ in call.timeline].count("callee") == 4
    # a two-sided recording on one timeline
    assert len(call.caller_audio) == pytest.approx(call.duration_s * 8000, rel=0.1)
    assert len(call.agent_audio) > 0.4 * 4 * 8000 * 0.9
    with wave.open(str(tmp_path / "call.wav")) as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (2, 8000, 2)
        assert w.getnframes() == len(call.stereo())


async def test_clear_is_counted_and_drops_buffered_audio():
    agent = FakeAgent([Prompt("identity", seconds=1.5, clear_after_s=0.4, burst=True), Prompt("meal")])
    call, events = await run(agent, persona())
    assert call.clear_count == 1 and "clear" in events
    assert call.agent_audio_s == pytest.approx(1.9, abs=0.05)  # received
    heard_s = (abs(call.agent_audio.astype(int)) > 300).sum() / 8000
    assert 0.6 < heard_s < 0.95  # played: 0.4 s of the first prompt before the clear + 0.4 s of the second
    # the mark sent after the clear plays at once and is answered
    assert [s for s, _ in call.answered] == ["identity", "meal"]


async def test_barge_in_talks_over_the_first_question():
    who = persona(barge_in={"state": "identity", "after_s": 0.3, "text": "네, 맞아요."})
    agent = FakeAgent([Prompt("identity", seconds=2.0, clear_on_speech=True), Prompt("meal")])
    call, events = await run(agent, who)
    assert "barge_in" in events and agent.log.cleared == 1 and call.clear_count == 1
    assert call.answered == [("identity", "네, 맞아요."), ("meal", "네.")]  # not asked identity again
    assert agent.log.heard[0][1] > 0  # the agent heard the barge-in during its prompt


async def test_silent_persona_never_speaks():
    agent = FakeAgent([Prompt("identity"), Prompt("identity")], answer_timeout_s=0.8)
    call, _ = await run(agent, load_persona("silent"))
    assert call.voiced_frames_sent == 0 and call.answered == [] and call.latencies_s == []
    assert call.server_hung_up and agent.log.heard == [("identity", 0.0), ("identity", 0.0)]
    assert (call.caller_audio == 0).all()


@pytest.mark.parametrize("mode", ["drop", "stop"])
async def test_hang_up_after_a_state_closes_the_socket(mode):
    agent = FakeAgent([Prompt("identity"), Prompt("meal"), Prompt("sleep")], answer_timeout_s=1.5)
    call, events = await run(agent, persona(hang_up_after="meal"), hang_up_mode=mode)
    assert call.caller_hung_up and not call.server_hung_up and "hang_up" in events
    assert [s for s, _ in call.answered] == ["identity", "meal"]
    assert agent.log.caller_closed and agent.log.stop_received == (mode == "stop")


async def test_dtmf_and_max_duration():
    agent = FakeAgent([Prompt("identity")], hang_up_at_end=False)
    call, events = await run(agent, persona(dtmf={"identity": "1#"}), max_duration_s=1.5)
    assert agent.log.dtmf == ["1", "#"] and "dtmf" in events
    assert call.timed_out and not call.server_hung_up and agent.log.stop_received


async def test_dial_and_call_through_the_real_router():
    """Twilio's whole path: webhook POST → TwiML with a token → websocket handshake → call handler."""
    import asyncio
    import json

    from fastapi import FastAPI
    from telephony_testkit import serve, tone_ulaw

    from telephony import protocol
    from telephony.codec import peak, ulaw_decode
    from telephony.protocol import Media, parse_message
    from telephony.routes import TelephonyConfig, make_router
    from telephony.simulator.phone import dial

    starts, voiced = [], []

    async def handler(websocket, start):
        starts.append(start)
        audio = tone_ulaw(0.3)
        for i in range(0, len(audio), 160):
            await websocket.send_text(json.dumps(protocol.outbound_media(start.stream_sid, audio[i : i + 160])))
        await websocket.send_text(json.dumps(protocol.mark(start.stream_sid, "identity")))
        while len(voiced) < 5:  # until the callee has said something
            message = parse_message(await websocket.receive_text())
            if isinstance(message, Media) and peak(ulaw_decode(message.payload)) >= 300:  # speech
                voiced.append(message)
        await asyncio.sleep(0.2)

    app = FastAPI()
    config = TelephonyConfig(auth_token="tok", public_base_url="", start_timeout_s=2)  # URLs from Host
    app.include_router(make_router(handler, config))
    async with serve(app) as base:
        ws_url, params = await dial(base, call_sid="CA" + "7" * 32, from_number="+821012345678",
                                    to_number="+8215880000", extra_query={"scenario": "care_call"}, auth_token="tok")
        call = await PhoneSimulator(ws_url, persona(), tone_voice(), stream_parameters=params,
                                    call_sid="CA" + "7" * 32, **FAST).run()
    assert ws_url == base.replace("http", "ws") + "/ws"
    assert starts[0].custom_parameters["scenario"] == "care_call" and starts[0].from_number == "+821012345678"
    assert call.answered == [("identity", "네, 맞아요.")] and call.server_hung_up and call.close_code == 1000


@pytest.mark.parametrize(("clear_at", "barge_in"), [(0.9, True), (1.1, True), (2.5, False)])
def test_a_clear_counts_as_barge_in_only_while_the_agent_is_mid_utterance(clear_at, barge_in):
    """Clause 1 plays 0.0-1.0 s; clause 2 is still being synthesised. A clear during clause 1 or in the short
    gap after it cuts the agent off; one long after the agent went quiet does not."""
    sim = PhoneSimulator("ws://unused", persona(), tone_voice(), **FAST)
    clause = (np.sin(np.arange(8000) / 8000 * 2 * np.pi * 300) * 8000).astype(np.int16)
    sim._on_agent_audio(clause, now=0.0)
    sim._think(clear_at)  # the simulator's loop ticks before the clear arrives
    sim._on_clear(clear_at)
    assert (sim.call.barge_ins == 1) is barge_in and sim.call.clear_count == 1
